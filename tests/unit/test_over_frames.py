"""Every frame of ``f(…) OVER (…)`` that the planner accepts is computed exactly as written, and every other
frame is refused at planning with line, column and the rewrite — never computed as another frame.
``SUM(id) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)`` gave the running sum 1, 3, 6, 10:
the planner read only a ``n PRECEDING`` start and took any other frame for the whole partition so far.

The accepted frames are checked against a brute-force computation: for each record, the aggregate of the
last n rows of its partition (n from the frame and the ROWS WINDOW BUFFER, the current row included)."""

from __future__ import annotations

import math
import statistics

import pytest

from velotui.core.loading import sql_problems
from velotui.engine.runtime import run_sql
from velotui.sql import parse_app

# (k, v) in arrival order; v NULL in places (aggregates skip it, COUNT(*) counts the row)
ROWS = [("a", 5), ("b", 10), ("a", 1), ("a", None), ("b", 7), ("a", 9), ("a", 9), ("b", None), ("a", 2),
        ("b", 3), ("a", 8), ("a", 4)]


def _agg(name: str, frame: list[int | None]) -> object:
    vals = [v for v in frame if v is not None]
    if name == "COUNT(*)":
        return len(frame)
    if name == "COUNT(v)":
        return len(vals)
    if name == "SUM(v)":
        return sum(vals)
    if name == "MIN(v)":
        return min(vals) if vals else None
    if name == "MAX(v)":
        return max(vals) if vals else None
    if name == "AVG(v)":
        return sum(vals) / len(vals) if vals else None
    if name == "STDDEV(v)":
        return statistics.stdev(vals) if len(vals) > 1 else None
    if name == "COUNT_DISTINCT(v)":
        return len(set(vals))
    raise AssertionError(name)


AGGREGATES = ["COUNT(*)", "COUNT(v)", "SUM(v)", "MIN(v)", "MAX(v)", "AVG(v)", "STDDEV(v)", "COUNT_DISTINCT(v)"]


def brute_force(name: str, rows_in_frame: int | None) -> list[object]:
    out = []
    seen: dict[str, list[int | None]] = {}
    for k, v in ROWS:
        history = seen.setdefault(k, [])
        history.append(v)
        frame = history if rows_in_frame is None else history[-rows_in_frame:]
        out.append(_agg(name, frame))
    return out


# (what is written in OVER after PARTITION BY k ORDER BY t, the rows in the frame: None for all so far)
ACCEPTED = [
    ("", None),
    ("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", None),
    ("ROWS UNBOUNDED PRECEDING", None),
    ("ROWS BETWEEN 0 PRECEDING AND CURRENT ROW", 1),
    ("ROWS BETWEEN 1 PRECEDING AND CURRENT ROW", 2),
    ("ROWS BETWEEN 3 PRECEDING AND CURRENT ROW", 4),
    ("ROWS 2 PRECEDING", 3),
    ("ROWS BETWEEN CURRENT ROW AND CURRENT ROW", 1),
    ("ROWS CURRENT ROW", 1),
    ("ROWS WINDOW BUFFER 1 ROWS", 1),
    ("ROWS WINDOW BUFFER 3 ROWS", 3),
    ("ROWS WINDOW BUFFER 2 ROWS ROWS BETWEEN 4 PRECEDING AND CURRENT ROW", 2),  # the frame within the buffer
    ("ROWS WINDOW BUFFER 4 ROWS ROWS BETWEEN 1 PRECEDING AND CURRENT ROW", 2),
    ("ROWS WINDOW BUFFER 3 ROWS ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", 3),
]


def _over(frame: str) -> str:
    buffer, rest = "", frame
    if frame.startswith("ROWS WINDOW BUFFER"):
        words = frame.split()
        buffer, rest = " ".join(words[:5]) + " ", " ".join(words[5:])
    return f"({buffer}PARTITION BY k ORDER BY t {rest})".replace(" )", ")")


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "general"])
@pytest.mark.parametrize(("frame", "n"), ACCEPTED, ids=[f or "no frame" for f, _ in ACCEPTED])
def test_an_accepted_frame_is_computed_as_written(frame: str, n: int | None, fuse: bool) -> None:
    items = ", ".join(f"{a} OVER {_over(frame)} AS a{i}" for i, a in enumerate(AGGREGATES))
    sql = f"CREATE STREAM o AS SELECT k, v, {items} FROM s;"
    result = run_sql(sql, {"s": [{"k": k, "v": v, "t": i} for i, (k, v) in enumerate(ROWS)]}, fuse=fuse)
    got = [m.value for m in result.statements["o"].outputs]
    assert [(r["k"], r["v"]) for r in got] == ROWS
    for i, name in enumerate(AGGREGATES):
        want = brute_force(name, n)
        have = [r[f"a{i}"] for r in got]
        for w, h in zip(want, have):
            assert (h is None) == (w is None) and (w is None or math.isclose(h, w, rel_tol=1e-9, abs_tol=1e-9)), \
                f"{name} OVER {_over(frame)}: {have} != {want}"


# (the call, the frame, the message after "o: ", a part of the hint)
REFUSED = [
    ("SUM(v)", "ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING",
     "a frame that ends after the current row (FOLLOWING) is not supported", "LEAD(x, n) OVER"),
    ("SUM(v)", "ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING", "ends after the current row", "LEAD(x, n) OVER"),
    ("SUM(v)", "ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING", "ends after the current row", "LEAD(x, n) OVER"),
    ("SUM(v)", "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING", "ends after the current row",
     "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
    ("AVG(v)", "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING", "ends after the current row", "LEAD"),
    ("SUM(v)", "ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING", "a frame that ends before the current row is not supported",
     "LAG(x, n) OVER"),
    ("MAX(v)", "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING", "ends before the current row",
     "ROWS BETWEEN n PRECEDING AND CURRENT ROW"),
    ("SUM(v)", "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED PRECEDING", "ends before the current row", "LAG"),
    ("SUM(v)", "ROWS 1 FOLLOWING", "a frame cannot start after the current row", "n PRECEDING AND CURRENT ROW"),
    ("SUM(v)", "ROWS UNBOUNDED FOLLOWING", "a frame cannot start after the current row", "CURRENT ROW"),
    ("SUM(v)", "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", "RANGE frames are not supported",
     "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
    ("SUM(v)", "RANGE BETWEEN 5 PRECEDING AND CURRENT ROW", "RANGE frames are not supported", "ROWS BETWEEN n"),
    ("SUM(v)", "RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW", "RANGE frames are not supported",
     "WINDOW SLIDING"),
    ("COUNT(*)", "RANGE UNBOUNDED PRECEDING", "RANGE frames are not supported", "ROWS BETWEEN"),
    ("SUM(v)", "ROWS BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW",
     "a ROWS frame counts rows: an INTERVAL bound is not supported", "WINDOW SLIDING"),
    ("SUM(v)", "ROWS BETWEEN 1.5 PRECEDING AND CURRENT ROW", "n in n PRECEDING must be a whole number literal, not 1.5",
     "ROWS BETWEEN n PRECEDING"),
    ("SUM(v)", "ROWS BETWEEN 100000 PRECEDING AND CURRENT ROW", "ROWS 100000 PRECEDING: between 0 and 99999", None),
    ("ROW_NUMBER()", "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW", "a frame has no meaning for ROW_NUMBER", "remove the"),
    ("RANK()", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", "a frame has no meaning for RANK", "remove the"),
    ("DENSE_RANK()", "ROWS CURRENT ROW", "a frame has no meaning for DENSE_RANK", "remove the"),
    ("LAG(v)", "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW", "a frame has no meaning for LAG, which reads the k-th "
     "previous row", "remove the ROWS BETWEEN … frame"),
    ("LEAD(v)", "ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING", "a frame has no meaning for LEAD", "remove the"),
]


@pytest.mark.parametrize(("call", "frame", "message", "hint"), REFUSED, ids=[f"{c} {f}" for c, f, _, _ in REFUSED])
def test_any_other_frame_is_refused_at_planning_at_the_frame(call: str, frame: str, message: str,
                                                             hint: str | None) -> None:
    select = f"SELECT {call} OVER (PARTITION BY k ORDER BY t {frame}) AS x FROM s"
    app = parse_app(f"CREATE STREAM o AS {select};", "q.sql")
    problems = sql_problems(app, dialect="extended")
    assert problems, "not refused"
    first = str(problems[0]).splitlines()
    column = len("CREATE STREAM o AS ") + select.index(frame.split()[0] + " ", select.index("ORDER BY")) + 1
    assert first[0].startswith(f"q.sql:1:{column}: o: ") and message in first[0], first[0]
    if hint is not None:
        assert len(first) > 1 and first[1].startswith("  hint: ") and hint in first[1], first


def test_the_reported_frame_gives_the_values_of_its_own_rows() -> None:
    """The finding itself: a frame of the current and the next row is refused, not summed as the running sum."""
    app = parse_app("CREATE STREAM o AS SELECT SUM(id) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) "
                    "AS s FROM s;", "q.sql")
    problems = sql_problems(app, dialect="extended")
    assert problems and "LEAD" in str(problems[0])
    result = run_sql("CREATE STREAM o AS SELECT id, SUM(id) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT "
                     "ROW) AS s, id + LEAD(id, 1, 0) OVER (ORDER BY ts) AS ahead FROM s;",
                     {"s": [{"id": i, "ts": i * 1000} for i in range(1, 5)]})
    assert [(m.value["s"], m.value["ahead"]) for m in result.statements["o"].outputs] == [(1, 3), (3, 5), (5, 7),
                                                                                          (7, 4)]


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "general"])
def test_a_sliding_frame_of_floats_is_the_sum_of_its_own_rows(fuse: bool) -> None:
    """A frame that slides gives the aggregate of the rows in it, as GROUP BY adds them up — not a running total
    with the rows that left taken out again: (1e20 + 1 + 1) - 1e20 is 0.0, and equal values had a STDDEV of
    8e-08."""
    values = [1e20, 1.0, 1.0, 0.1, 0.2, 0.3, 9.5, 9.5, 9.5]
    sql = ("CREATE STREAM o AS SELECT SUM(v) OVER (ORDER BY t ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s, "
           "AVG(v) OVER (ROWS WINDOW BUFFER 2 ROWS) AS a, STDDEV(v) OVER (ORDER BY t ROWS 1 PRECEDING) AS sd FROM s;")
    result = run_sql(sql, {"s": [{"v": v, "t": i} for i, v in enumerate(values)]}, fuse=fuse)
    got = [m.value for m in result.statements["o"].outputs]
    frames = [values[max(0, i - 1):i + 1] for i in range(len(values))]
    assert [r["s"] for r in got] == [sum(f) for f in frames]
    assert [r["a"] for r in got] == [sum(f) / len(f) for f in frames]
    assert [r["sd"] for r in got][-2:] == [0.0, 0.0]


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "general"])
def test_a_sliding_frame_is_exact_at_any_length_without_adding_the_frame_up_again(fuse: bool) -> None:
    """The frame's SUM and VARIANCE are held exactly (integers of 2**-1074), so a row that leaves it is taken
    out with no residue at O(1) a row: each value is the correctly rounded sum (math.fsum) and variance
    (statistics.variance, exact) of the rows in the frame. Adding the frame up again for each row made a
    1,000-row frame of FLOATs 35 times slower."""
    import random

    rnd = random.Random(7)
    values: list[object] = [rnd.choice([1e20, -1e20, 1.0, 0.1, 1e-300, 3.5, rnd.uniform(-1e6, 1e6), 7, None])
                            for _ in range(400)]
    sql = ("CREATE STREAM o AS SELECT SUM(v) OVER (ROWS WINDOW BUFFER 50 ROWS) AS s, "
           "AVG(v) OVER (ROWS WINDOW BUFFER 50 ROWS) AS a, VARIANCE(v) OVER (ROWS WINDOW BUFFER 50 ROWS) AS var, "
           "STDDEV(v) OVER (ROWS WINDOW BUFFER 50 ROWS) AS sd FROM s;")
    result = run_sql(sql, {"s": [{"v": v, "t": i} for i, v in enumerate(values)]}, fuse=fuse)
    got = [m.value for m in result.statements["o"].outputs]
    for i, row in enumerate(got):
        frame = [v for v in values[max(0, i - 49):i + 1] if v is not None]
        exact_sum = math.fsum(frame)  # type: ignore[arg-type]
        assert row["s"] == (int(sum(frame)) if all(type(v) is int for v in frame) else exact_sum), i  # type: ignore
        assert row["a"] == (exact_sum / len(frame) if frame else None), i
        if len(frame) > 1:
            assert row["var"] == statistics.variance(frame), i  # type: ignore[arg-type]
            assert math.isclose(row["sd"], statistics.stdev(frame), rel_tol=1e-15), i  # type: ignore[arg-type]


def test_a_sliding_frame_of_decimals_is_added_up_as_group_by_adds_it() -> None:
    from decimal import Decimal

    values = [Decimal("0.10"), Decimal("0.20"), 1.5, Decimal("0.30"), 2, 3]
    sql = "CREATE STREAM o AS SELECT SUM(v) OVER (ROWS WINDOW BUFFER 2 ROWS) AS s FROM s;"
    got = [m.value["s"] for m in run_sql(sql, {"s": [{"v": v} for v in values]}).statements["o"].outputs]
    assert got[:2] == [Decimal("0.10"), Decimal("0.30")] and got[-1] == 5


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "general"])
def test_a_sliding_min_and_max_are_those_of_the_frames_rows(fuse: bool) -> None:
    """MIN/MAX over a sliding frame keep a monotonic queue (O(1) a row, not a pass over the frame each time):
    each value is what MIN/MAX of the frame's rows gives, mixed types, ties and NULLs included."""
    import random
    from decimal import Decimal

    from velotui.engine.expr.aggregates import Min

    rnd = random.Random(3)
    values = [rnd.choice([1, 1.0, 2, -3.5, Decimal("2"), "b", "a", None, 7, 7.0, float("inf")]) for _ in range(300)]
    sql = ("CREATE STREAM o AS SELECT MIN(v) OVER (ROWS WINDOW BUFFER 7 ROWS) AS lo, "
           "MAX(v) OVER (ROWS WINDOW BUFFER 7 ROWS) AS hi FROM s;")
    got = [m.value for m in run_sql(sql, {"s": [{"v": v} for v in values]}, fuse=fuse).statements["o"].outputs]
    for i, row in enumerate(got):
        lo, hi = Min(), Min(is_max=True)
        for v in values[max(0, i - 6):i + 1]:
            lo.add(v)
            hi.add(v)
        assert (repr(row["lo"]), repr(row["hi"])) == (repr(lo.value()), repr(hi.value())), i
