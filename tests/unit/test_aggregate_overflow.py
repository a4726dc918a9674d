"""No value stops an aggregate: sums beyond what a float holds follow IEEE 754 (docs/SQL.md, aggregates).

An integer too big for a float added to a float used to raise OverflowError out of the engine ("engine
crashed" for the query, every later record lost), a DECIMAL infinity added to its opposite raised
decimal.InvalidOperation, and AVG of an integer total too big for a float raised again when the row was
made. Every aggregate path runs here: the fused GROUP BY, the general one, windows (a tumbling window, a
sliding one that removes values, a session that merges), window functions over a frame, and HAVING.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.records import Message
from velotui.sql import parse_app

BIG = 10**400

SERIES = {
    "big int then float": [BIG, 0.5, 2],
    "float then big ints": [0.5, BIG, -BIG],
    "decimal with float infinities": [Decimal("1"), math.inf, -math.inf, 3],
    "decimal infinities": [Decimal("Infinity"), Decimal("-Infinity"), Decimal("2")],
    "negative big int": [-BIG, 1.5],
}

BODIES = {
    "group": "SELECT k, SUM(a) AS s, AVG(a) AS av, STDDEV(a) AS sd, MIN(a) AS lo, MAX(a) AS hi FROM s GROUP BY k",
    "over": "SELECT k, SUM(a) OVER (PARTITION BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s, "
            "AVG(a) OVER (PARTITION BY k) AS av, MIN(a) OVER (PARTITION BY k ROWS BETWEEN 1 PRECEDING AND "
            "CURRENT ROW) AS lo FROM s",
    "tumbling": "SELECT k, SUM(a) AS s, AVG(a) AS av, STDDEV(a) AS sd FROM s GROUP BY k WINDOW TUMBLING(1s)",
    "sliding": "SELECT k, SUM(a) AS s, AVG(a) AS av, MAX(a) AS hi FROM s GROUP BY k WINDOW SLIDING(2s, 1s)",
    "session": "SELECT k, SUM(a) AS s, AVG(a) AS av, STDDEV(a) AS sd FROM s GROUP BY k WINDOW SESSION(2s)",
    "having": "SELECT k, SUM(a) AS s FROM s GROUP BY k HAVING AVG(a) > 0",
}


def _run(body: str, values: list[Any], **options: Any) -> Any:
    bus = MemoryBus()
    bus.publish("s", [Message(value={"k": 1, "a": v}, timestamp=1000 * i) for i, v in enumerate(values)])
    return run_app(parse_app(f"CREATE STREAM o AS {body};"), bus, EngineOptions(**options)).statements["o"]


@pytest.mark.parametrize("options", [{}, {"fuse": False}, {"coverage": True}], ids=["fused", "general", "safe"])
@pytest.mark.parametrize("series", list(SERIES))
@pytest.mark.parametrize("body", list(BODIES))
def test_no_value_stops_an_aggregate(body: str, series: str, options: dict[str, Any]) -> None:
    res = _run(BODIES[body], SERIES[series], **options)
    assert res.records_in == len(SERIES[series])
    assert not res.dead_letters or all(d.error_type != "internal" for d in res.dead_letters)


@pytest.mark.parametrize("options", [{}, {"fuse": False}], ids=["fused", "general"])
def test_sums_beyond_a_float_are_infinities_and_undefined_ones_nan(options: dict[str, Any]) -> None:
    body = "SELECT k, SUM(a) AS s, AVG(a) AS av FROM s GROUP BY k"
    last = _run(body, [BIG, 0.5, 2], **options).outputs[-1].value
    assert last["s"] == math.inf and last["av"] == math.inf
    last = _run(body, [-BIG, 1.5], **options).outputs[-1].value
    assert last["s"] == -math.inf and last["av"] == -math.inf
    last = _run(body, [Decimal("Infinity"), Decimal("-Infinity")], **options).outputs[-1].value
    assert last["s"].is_nan() and last["av"].is_nan()
    # an integer total too big for a float: its average is the float it is, not an error
    assert _run(body, [BIG], **options).outputs[-1].value["av"] == math.inf
    # exact integers stay exact while no float meets them
    assert _run(body, [BIG, 1], **options).outputs[-1].value["s"] == BIG + 1


def test_a_query_summing_an_integer_too_big_for_a_float_reports_through_the_cli(tmp_path: Path) -> None:
    """End to end: the run reports the query's assertions (it used to end with 'engine crashed')."""
    from velotui.cli.main import main

    (tmp_path / "app.sql").write_text("CREATE STREAM totals AS SELECT k, SUM(a) AS s FROM input GROUP BY k;\n")
    (tmp_path / "in.jsonl").write_text(f'{{"k": "x", "a": {BIG}}}\n{{"k": "x", "a": 0.5}}\n{{"k": "x", "a": 2}}\n')
    (tmp_path / "app.test.yaml").write_text(
        "application: ovf\nqueries:\n  - name: totals\n    inputs:\n      - source: input\n"
        "        data_file: in.jsonl\n    assertions:\n      - type: record_count\n        equals: 3\n")
    out = tmp_path / "report.json"
    assert main(["--headless", str(tmp_path / "app.sql"), "--json", str(out), "-q"]) == 0
    assert "engine crashed" not in out.read_text()


@pytest.mark.parametrize("window", ["", " WINDOW TUMBLING(1s)", " WINDOW SESSION(2s)"], ids=["none", "tumbling", "session"])
@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "general"])
def test_a_record_whose_argument_cannot_be_computed_takes_no_part(monkeypatch: pytest.MonkeyPatch, window: str,
                                                                   fuse: bool) -> None:
    """A compiled function whose safe body meets an exception nobody foresaw records an expression error and
    gives None; the general GROUP BY took that None for the record's arguments and crashed the query (the
    fused one skipped the record). Both skip it now, in every kind of window, and count every other record."""
    import velotui.engine.expr.values as values

    real = values.to_text

    def to_text(v: Any) -> Any:
        if v == "boom":
            raise RuntimeError("a helper's own bug")
        return real(v)

    monkeypatch.setattr(values, "to_text", to_text)
    body = f"SELECT k, COUNT(a || 'x') AS n, SUM(LENGTH(a || 'x')) AS s FROM s GROUP BY k{window}"

    def run(values_at: list[tuple[str, int]]) -> Any:
        bus = MemoryBus()
        bus.publish("s", [Message(value={"k": 1, "a": v}, timestamp=t) for v, t in values_at])
        return run_app(parse_app(f"CREATE STREAM o AS {body};"), bus, EngineOptions(fuse=fuse)).statements["o"]

    given = [("ab", 0), ("boom", 500), ("c", 1000), ("boom", 1500), ("de", 2500)]
    res = run(given)
    assert res.row_errors == 2
    assert [(d.error_type, d.offset) for d in res.dead_letters] == [("expression_error", 1), ("expression_error", 3)]
    without = run([(v, t) for v, t in given if v != "boom"])
    assert [o.value for o in res.outputs] == [o.value for o in without.outputs] != []
