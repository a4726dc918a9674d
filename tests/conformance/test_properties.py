"""Invariants that hold for any input (hypothesis, bounded so they run in seconds)."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from velotui.engine import run_sql
from velotui.records import Message

CITES = ["C21", "C27", "C43", "C45", "C46", "C37"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

events = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 300_000), st.integers(-50, 50)),
                  max_size=40)


def _msgs(evts: list[tuple[str, int, int]]) -> list[Message]:
    return [Message(value={"k": k, "v": v}, timestamp=t) for k, t, v in evts]


@SETTINGS
@given(events)
def test_tumbling_count_sums_to_on_time_inputs(evts: list[tuple[str, int, int]]) -> None:
    r = run_sql("CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(1m);",
                {"s": _msgs(evts)}).statements["o"]
    assert sum(m.value["n"] for m in r.outputs) == len(evts) - r.late_records


@SETTINGS
@given(events)
def test_filter_output_is_a_sub_multiset_of_input(evts: list[tuple[str, int, int]]) -> None:
    r = run_sql("CREATE STREAM o AS SELECT k, v FROM s WHERE v > 0;", {"s": _msgs(evts)}).statements["o"]
    out = Counter((m.value["k"], m.value["v"]) for m in r.outputs)
    inp = Counter((k, v) for k, _, v in evts)
    assert all(inp[x] >= n for x, n in out.items())
    assert sum(out.values()) == sum(1 for _, _, v in evts if v > 0)


@SETTINGS
@given(events)
def test_emit_final_at_most_one_row_per_key_and_window(evts: list[tuple[str, int, int]]) -> None:
    r = run_sql("CREATE STREAM o AS SELECT k, COUNT(*) AS n, _window_start AS ws FROM s GROUP BY k "
                "WINDOW TUMBLING(1m) EMIT FINAL;", {"s": _msgs(evts)}).statements["o"]
    keys = [(m.value["k"], m.value["ws"]) for m in r.outputs]
    assert len(keys) == len(set(keys))


@SETTINGS
@given(events)
def test_group_by_emit_changes_one_output_per_passing_input(evts: list[tuple[str, int, int]]) -> None:
    r = run_sql("CREATE STREAM o AS SELECT k, SUM(v) AS s FROM s WHERE v <> 0 GROUP BY k;",
                {"s": _msgs(evts)}).statements["o"]
    assert len(r.outputs) == sum(1 for _, _, v in evts if v != 0)


@SETTINGS
@given(events)
def test_passthrough_preserves_every_record(evts: list[tuple[str, int, int]]) -> None:
    r = run_sql("CREATE STREAM o AS SELECT * FROM s;", {"s": _msgs(evts)}).statements["o"]
    assert [m.value for m in r.outputs] == [{"k": k, "v": v} for k, _, v in evts]


@SETTINGS
@given(events)
def test_distinct_has_no_duplicates_and_same_set(evts: list[tuple[str, int, int]]) -> None:
    r = run_sql("CREATE STREAM o AS SELECT DISTINCT k FROM s;", {"s": _msgs(evts)}).statements["o"]
    ks = [m.value["k"] for m in r.outputs]
    assert len(ks) == len(set(ks)) and set(ks) == {k for k, _, _ in evts}


@SETTINGS
@given(events, st.integers(0, 10))
def test_limit_never_exceeds_n(evts: list[tuple[str, int, int]], n: int) -> None:
    r = run_sql(f"CREATE STREAM o AS SELECT k FROM s LIMIT {n};", {"s": _msgs(evts)}).statements["o"]
    assert len(r.outputs) == min(n, len(evts))


@SETTINGS
@given(events)
def test_row_number_is_1_to_k_per_partition(evts: list[tuple[str, int, int]]) -> None:
    r = run_sql("CREATE STREAM o AS SELECT k, ROW_NUMBER() OVER (PARTITION BY k) AS rn FROM s;",
                {"s": _msgs(evts)}).statements["o"]
    seen: Counter[str] = Counter()
    for m in r.outputs:
        seen[m.value["k"]] += 1
        assert m.value["rn"] == seen[m.value["k"]]
