"""``reads_record_first``: whether a generated fast body's first act that can fail is reading a field of the
record ``r`` (then a value that is no record always raises there, and a fused loop over messages tells
non-records on its except path). A wrong yes would let a non-record make an output: every doubt is a no."""

from __future__ import annotations

import pytest

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.engine.expr.compiler import reads_record_first
from velotui.records import Message
from velotui.sql import parse_app

CASES = [
    (["if not (((_t0 := r['price']) is not None and _t0 > 100)): continue", "o = {'a': 1}"], True),
    (["o = {'id': r['id'], 'x': 1}"], True),
    (["o = {'a': _fn_UPPER(r['k'])}"], True),   # the argument is read before the call
    (["o = {'a': 1 + r['k']}"], True),           # a constant does nothing that can fail
    (["o = {'a': r['k']['j']}"], True),
    (["_k, _a0, = (r['symbol'], r['volume'],)"], True),
    (["o = {'one': 1}"], False),                 # never reads the record
    (["o = dict(r)"], False),                    # dict([('a', 1)]) is no error
    (["o = {**r}"], False),
    (["if not (m.key == 1): continue"], False),  # the message first
    (["o = {'a': (1 if x else r['k'])}"], False),
    (["o = {'a': t}"], False),
    (["o = {'a': r[k]}"], False),                # not a constant field
    (["o = {'a': s['k']}"], False),
    (["if not (_fn_NOW() > r['t']): continue"], False),  # a call with no argument runs first
    ([], False),
    (["this is not python"], False),
]


@pytest.mark.parametrize(("lines", "expected"), CASES)
def test_reads_record_first(lines: list[str], expected: bool) -> None:
    assert reads_record_first(lines) is expected


@pytest.mark.parametrize("sql", [
    "CREATE STREAM o AS SELECT 1 AS one FROM s;",
    "CREATE STREAM o AS SELECT * FROM s;",
    "CREATE STREAM o AS SELECT _key AS k FROM s WHERE _offset >= 0;",
    "CREATE STREAM o AS SELECT a FROM s WHERE a > 0;",
    "CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;",
    "CREATE STREAM o AS SELECT COUNT(*) AS n FROM s;",
])
def test_no_value_that_is_no_record_makes_an_output(sql: str) -> None:
    bus = MemoryBus()
    bus.publish("s", [Message(value=v) for v in (None, [["a", 1]], "text", 3, {"k": "x", "a": 1})])
    res = run_app(parse_app(sql), bus, EngineOptions()).statements["o"]
    assert res.records_in == 1
    assert [d.error_type for d in res.dead_letters] == ["empty_record", "wrong_type", "wrong_type", "wrong_type"]
    assert len(res.outputs) == 1
