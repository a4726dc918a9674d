"""The generated fused functions (stateless projections, GROUP BY … EMIT CHANGES) give exactly what the
general operators give, on any records: the same outputs, NULL rules, row errors and dead letters."""

from __future__ import annotations

from decimal import Decimal
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
