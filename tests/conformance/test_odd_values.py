"""Values no decoded JSON holds often, on every execution path: a query never stops on them, and the fused
loops, the general operators, the safe bodies alone (data coverage) and a run with lineage agree.

Each case here once crashed the query ("engine crashed") or took another answer on one of the paths:
a number compared with a text literal (the fast body's plain ``==``), ORDER BY and RANK over a DECIMAL NaN
(only a TypeError fell back to comparing text), DENSE_RANK over arrays (a set of unhashable values), an
event-time field holding NaN, an infinity, '²' or 5000 digits, a table keyed by an array, and a
signaling NaN as a key. Found by attacking the engine with odd values (docs/CONFORMANCE.md).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.records import Message
from velotui.sql import parse_app

PATHS = {"fused": {}, "general": {"fuse": False}, "safe": {"coverage": True}, "lineage": {"lineage": True}}


def _norm(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return "float NaN"
    if isinstance(x, Decimal) and x.is_nan():
        return "DECIMAL NaN"
    if isinstance(x, dict):
        return {k: _norm(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_norm(v) for v in x]
    return x


def _run(sql: str, values: list[Any], options: dict[str, Any]) -> tuple[Any, ...]:
    bus = MemoryBus()
    bus.publish("s", [Message(value={"k": 1, "a": v}, timestamp=1000 * i) for i, v in enumerate(values)])
    res = run_app(parse_app(sql), bus, EngineOptions(**options)).statements["o"]
    return ([_norm(m.value) for m in res.outputs], [(d.error_type, d.offset) for d in res.dead_letters],
            res.row_errors)


CASES: list[tuple[str, list[Any], Any]] = [
    # (SQL, the values of field a, the outputs every path gives; None: only that the paths agree)
    ("SELECT k, a FROM s WHERE a = '3'", [3, 3.0, Decimal("3"), "3", " 3 ", "x", None, True, [3]],
     [{"k": 1, "a": 3}, {"k": 1, "a": 3.0}, {"k": 1, "a": Decimal("3")}, {"k": 1, "a": "3"}]),  # text: as text
    ("SELECT a = 'true' AS e, a = '2.5' AS f FROM s", [True, 2.5, "2.5", "true"], None),
    ("SELECT CASE WHEN a = '1' THEN 'one' ELSE 'other' END AS c FROM s", [1, 1.0, "1", True, "x"], None),
    ("SELECT a FROM s ORDER BY a", [1, Decimal("NaN"), 2], None),
    ("SELECT a FROM s ORDER BY a DESC", [float("nan"), Decimal("1.25"), "x", [1]], None),
    ("SELECT a, COUNT(*) AS n FROM s GROUP BY a WINDOW TUMBLING(5s) ORDER BY a", [1, Decimal("NaN"), 1], None),
    ("SELECT a, RANK() OVER (PARTITION BY k ORDER BY a) AS r FROM s", [1, Decimal("NaN"), 0], None),
    ("SELECT a, DENSE_RANK() OVER (PARTITION BY k ORDER BY a) AS r FROM s", [[1], [2], [1], {"a": 1}],
     [{"a": [1], "r": 1}, {"a": [2], "r": 2}, {"a": [1], "r": 1}, {"a": {"a": 1}, "r": 3}]),
    ("SELECT a, COUNT(*) AS n FROM s GROUP BY a", [Decimal("sNaN"), 1], None),
    ("SELECT DISTINCT a FROM s", [Decimal("sNaN"), Decimal("sNaN")], None),
]

EVENT_TIMES = [float("nan"), math.inf, -math.inf, Decimal("NaN"), Decimal("Infinity"), "²", "-²", "1" * 5000,
               10**400, -(10**30), "not a time", [1], {"t": 1}]


@pytest.mark.parametrize(("body", "values", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_path_gives_the_same_answer_and_none_stops(body: str, values: list[Any], expected: Any) -> None:
    sql = f"CREATE STREAM o AS {body};"
    got = {name: _run(sql, values, options) for name, options in PATHS.items()}
    assert len({repr(g) for g in got.values()}) == 1, got
    if expected is not None:
        assert got["fused"][0] == expected


@pytest.mark.parametrize("fmt", ["", "epoch_seconds", "iso8601"])
@pytest.mark.parametrize("where", ["field", "window"])
def test_an_unreadable_event_time_is_the_message_timestamp(fmt: str, where: str) -> None:
    """An event time that cannot be read (NaN, an infinity, digits int() refuses, seconds too many for a
    float) is the message's timestamp, as for a missing field (docs/SQL.md): never a crash."""
    with_fmt = f", 'event.time.format' = '{fmt}'" if fmt else ""
    if where == "field":
        sql = (f"CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(5s) "
               f"WITH ('event.time.field' = 'a'{with_fmt});")
    else:
        sql = "CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(a, 5s);"
    got = {name: _run(sql, EVENT_TIMES, options) for name, options in PATHS.items()}
    assert len({repr(g) for g in got.values()}) == 1, got
    assert sum(o["n"] for o in got["fused"][0]) >= 1


def test_a_table_keyed_by_an_array_is_read_by_the_statements_that_join_it() -> None:
    sql = ("CREATE TABLE t AS SELECT a PRIMARY KEY, k FROM s; "
           "CREATE STREAM o AS SELECT k, a FROM s WHERE a IN (SELECT a FROM t);")
    got = {name: _run(sql, [[1], {"x": 2}, [1]], options) for name, options in PATHS.items()}
    assert len({repr(g) for g in got.values()}) == 1, got
    assert got["fused"][0] == [{"k": 1, "a": [1]}, {"k": 1, "a": {"x": 2}}, {"k": 1, "a": [1]}]


def test_a_decimal_column_of_a_csv_reads_nan_and_infinity_as_text() -> None:
    """As CAST refuses them: no DECIMAL NaN or infinity enters a record from a file."""
    from velotui.datafiles import typed_cell

    assert typed_cell("1.25", "decimal") == Decimal("1.25")
    assert [typed_cell(t, "decimal") for t in ("NaN", "sNaN", "Infinity", "-inf")] == ["NaN", "sNaN", "Infinity",
                                                                                       "-inf"]


MESSAGE_TIMES: list[Any] = [1000.0, 2500.7, Decimal("4000"), float("nan"), math.inf, "x", None, True, 7000]
TIMED_QUERIES = [
    "SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(5s)",
    "SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW SLIDING(5s, 1s)",
    "SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW SESSION(5s)",
    "SELECT k, LAG(a) OVER (PARTITION BY k ORDER BY a) AS p FROM s",
    "SELECT k, a, _timestamp AS t FROM s WHERE a >= 0",
    "SELECT DISTINCT k FROM s",
    "SELECT k, a FROM s WHERE a >= 0 ORDER BY a",
]


@pytest.mark.parametrize("body", TIMED_QUERIES)
def test_a_message_timestamp_that_is_no_int_never_stops_a_query(body: str) -> None:
    """A message timestamp of another type (only a bus back-end or the Python API makes one: files and Kafka
    give ints): a float is cut to an int, and a message with no time at all (NaN, an infinity, text, None,
    a bool) is a dead letter 'bad_timestamp' naming it; the others are the query's answer on every path.
    Each of these once crashed the query ('float' object cannot be interpreted as an integer, '<=' between
    float and str)."""
    def run(options: dict[str, Any]) -> tuple[Any, ...]:
        bus = MemoryBus()
        bus.publish("s", [Message(value={"k": 1, "a": i}, timestamp=t) for i, t in enumerate(MESSAGE_TIMES)])
        res = run_app(parse_app(f"CREATE STREAM o AS {body};"), bus, EngineOptions(**options)).statements["o"]
        return ([m.value for m in res.outputs], [type(m.timestamp) for m in res.outputs],
                sorted((d.error_type, d.offset) for d in res.dead_letters), res.records_in)

    got = {name: run(options) for name, options in PATHS.items()}
    assert len({repr(g) for g in got.values()}) == 1, got
    values, types, dead, records_in = got["fused"]
    assert dead == [("bad_timestamp", i) for i in (3, 4, 5, 6, 7)]
    assert records_in == 4 and set(types) <= {int}
    if "WHERE" in body:
        assert [v["a"] for v in values] == [0, 1, 2, 8]
