"""The generated fused functions (stateless projections, GROUP BY … EMIT CHANGES) give exactly what the
general operators give, on any records: the same outputs, NULL rules, row errors and dead letters."""

from __future__ import annotations

from collections import UserDict
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.records import Message
from velotui.sql import parse_app

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

value = st.one_of(st.none(), st.integers(-5, 5), st.integers(2**62, 2**64), st.floats(-10, 10, allow_nan=False),
                  st.sampled_from(["3", "-2.5", "x", "", " 4 ", "1e2", "true"]), st.booleans(),
                  st.decimals(-10, 10, places=2, allow_nan=False, allow_infinity=False), st.just([1, 2]))
record = st.dictionaries(st.sampled_from(["k", "a", "b"]), value, max_size=3)
records = st.lists(record, max_size=25)

QUERIES = [
    "CREATE STREAM o AS SELECT a * b AS m, a + 1 AS p, a - b AS d, a / b AS q, a % 2 AS r FROM s WHERE a > 0 OR b IS NULL;",
    "CREATE STREAM o AS SELECT *, CAST(a AS INTEGER) AS i FROM s;",
    "CREATE STREAM o AS SELECT k, UPPER(k) AS u, ROUND(a, 1) AS r, COALESCE(a, b, 0) AS c, a || b AS j FROM s;",
    "CREATE STREAM o AS SELECT -a AS n, ABS(b) AS ab, a * 1.5 AS dm FROM s WHERE k IS NOT NULL;",
    "CREATE STREAM o AS SELECT k, COUNT(*) AS n, COUNT(a) AS na, SUM(a) AS s, AVG(b) AS av, MIN(a) AS lo, "
    "MAX(b) AS hi FROM s GROUP BY k;",
    "CREATE STREAM o AS SELECT k, SUM(a) + 1 AS s1, STDDEV(b) AS sd, COUNT(DISTINCT a) AS d FROM s GROUP BY k "
    "HAVING COUNT(*) > 1;",
    "CREATE STREAM o AS SELECT COUNT(*) AS n, SUM(CAST(a AS INTEGER)) AS s FROM s WHERE b <> 0;",
]


def _run(sql: str, recs: list[dict[str, Any]], fuse: bool) -> tuple[Any, ...]:
    app = parse_app(sql)
    bus = MemoryBus()
    bus.publish("s", [Message(value=dict(r), timestamp=1000 + i) for i, r in enumerate(recs)])
    res = run_app(app, bus, EngineOptions(fuse=fuse)).statements["o"]
    outs = [(m.value, m.key, m.timestamp, sorted(m.headers.items())) for m in res.outputs]
    dead = sorted((d.error_type, d.message, d.offset) for d in res.dead_letters)
    return outs, dead, res.row_errors


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("sql", QUERIES)
@SETTINGS
@given(recs=records)
def test_fused_equals_general(sql: str, recs: list[dict[str, Any]]) -> None:
    fused, general = _run(sql, recs, True), _run(sql, recs, False)
    assert _same(fused, general), f"\nfused:   {fused}\ngeneral: {general}"


def test_the_fused_paths_are_the_ones_measured() -> None:
    """The shapes above really take the fused operators (else this file would compare a path with itself)."""
    from velotui.engine.operators.build import build_statement
    from velotui.engine.runtime import plan_for

    for sql in QUERIES:
        plan = plan_for(parse_app(sql), EngineOptions()).statements[0]
        assert build_statement(plan).fused, sql
        assert not build_statement(plan, fuse=False).fused, sql
    assert Decimal  # (decimals are among the generated values)


# -- messages whose value is no record: the fused operators that read a source's messages straight check each
# value themselves (no pass over every message first); what they make of it must be what decoding first makes

NOT_RECORDS = [Message(value=None, raw=b'{"a": 1'), Message(value=None, raw=b"\xff\xfe"), Message(value=None, raw=b""),
               Message(value=None, raw=b"[1, 2]"), Message(value=None), Message(value=[1, 2]), Message(value="text"),
               Message(value=7), Message(value=UserDict({"a": 1})), Message(value=MappingProxyType({"a": 1}))]
message = st.one_of(record.map(lambda r: Message(value=r)), st.sampled_from(range(len(NOT_RECORDS))))
UNDECODED_QUERIES = [QUERIES[0], QUERIES[1], QUERIES[4], "CREATE STREAM o AS SELECT 1 AS one FROM s;",
                     "CREATE STREAM o AS SELECT * FROM s;"]


def _run_messages(sql: str, picks: list[Any], fuse: bool, event_time: bool, schema: bool) -> tuple[Any, ...]:
    from collections import OrderedDict

    with_ = " WITH ('event.time.field' = 'a')" if event_time else ""
    app = parse_app(sql.rstrip(";") + with_ + ";")
    bus = MemoryBus()
    msgs = []
    for i, p in enumerate(picks):
        if isinstance(p, int):
            proto = NOT_RECORDS[p]
            m = Message(value=proto.value, raw=proto.raw)
        else:
            m = p if i % 5 else Message(value=OrderedDict(p.value))  # a dict subclass is a record too
        m.timestamp = 1000 + i
        msgs.append(m)
    bus.publish("s", msgs)
    fields = {"k": ("string", True), "a": ("integer", True), "b": ("float", True)} if schema else {}
    opts = EngineOptions(fuse=fuse, source_schemas={"s": fields} if schema else {})
    res = run_app(app, bus, opts).statements["o"]
    outs = [(dict(m.value), m.key, m.timestamp) for m in res.outputs]
    dead = [(d.error_type, d.message, d.offset, d.source, repr(d.record)) for d in res.dead_letters]  # in order
    return outs, dead, res.row_errors, res.records_in


@pytest.mark.parametrize("sql", UNDECODED_QUERIES)
@pytest.mark.parametrize("event_time", [False, True])
@pytest.mark.parametrize("schema", [False, True])
@SETTINGS
@given(picks=st.lists(message, max_size=20))
def test_messages_that_are_no_records_go_where_decoding_sends_them(sql: str, event_time: bool, schema: bool,
                                                                   picks: list[Any]) -> None:
    fused = _run_messages(sql, picks, True, event_time, schema)
    general = _run_messages(sql, picks, False, event_time, schema)
    assert _same(fused, general), f"\nfused:   {fused}\ngeneral: {general}"
    undecodable = sum(1 for p in picks if isinstance(p, int))
    assert sum(1 for d in fused[1] if d[0] in ("empty_record", "invalid_encoding", "truncated", "invalid_json",
                                               "wrong_type") and "offset" in d[1] and "field" not in d[1]) \
        >= undecodable  # every one of them is a dead letter


def test_a_fused_statement_reads_its_messages_with_no_pass_over_them_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """(else the test above would compare decoding first with itself)"""
    import velotui.engine.driver as driver

    def no_pass(*args: Any) -> Any:
        raise AssertionError("decoded in a pass of its own")

    monkeypatch.setattr(driver, "decode", no_pass)
    for sql in (QUERIES[0], QUERIES[4]):
        bus = MemoryBus()
        bus.publish("s", [Message(value={"k": "x", "a": 2, "b": 3}), Message(value=None, raw=b"{")])
        res = run_app(parse_app(sql), bus, EngineOptions()).statements["o"]
        assert [d.error_type for d in res.dead_letters] == ["truncated"] and res.records_in == 1


@pytest.mark.parametrize("sql", [QUERIES[0], QUERIES[4], "CREATE STREAM o AS SELECT * FROM s;"])
@pytest.mark.parametrize("event_time", [False, True])
def test_non_records_take_no_part_in_the_merge_of_partitions(sql: str, event_time: bool) -> None:
    """A topic of several partitions merges by event time; a message that is no record is no part of it (its
    partition's next record is not held back by it), and the dead letters come partition by partition."""
    got = []
    for fuse in (True, False):
        with_ = " WITH ('event.time.field' = 'a')" if event_time else ""
        bus = MemoryBus()
        bus.create_topic("s", partitions=2)
        bus.publish("s", [Message(value=None, raw=b'{"a": 9', timestamp=9000, partition=0),
                          Message(value={"k": "x", "a": 1, "b": 1}, timestamp=1, partition=0),
                          Message(value="text", timestamp=5, partition=1),
                          Message(value={"k": "y", "a": 5, "b": 2}, timestamp=50, partition=1)])
        res = run_app(parse_app(sql.rstrip(";") + with_ + ";"), bus, EngineOptions(fuse=fuse)).statements["o"]
        got.append(([m.value for m in res.outputs], [(d.error_type, d.offset, d.message) for d in res.dead_letters],
                    res.records_in, res.late_records))
    assert _same(got[0], got[1]), f"\nfused:   {got[0]}\ngeneral: {got[1]}"
    assert [d[0] for d in got[0][1][:2]] == ["truncated", "wrong_type"]
