"""The fast arithmetic of generated code computes what the NULL-safe rules compute, for operands of any type.

The fast body applies a Python operator only to operands it has tested to be plain numbers (an int or a
float: not a bool, not a str, not a subclass), else it calls a helper that raises so that the row is re-run
on the safe body (values.py). A guard that lets one wrong type through gives Python's answer instead of
SQL's (``'3' * 2`` is ``'33'``, ``TRUE * 2`` is ``2``): this test compares every output, row error and dead
letter of runs on the fast body with runs on the safe body alone (data coverage runs the safe body only).
"""

from __future__ import annotations

import enum
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.records import Message
from velotui.sql import parse_app

# numpy's scalars warn of an overflow where Python's numbers would give inf: the same in both runs
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


class Level(enum.IntEnum):
    LOW = 2


class Ratio(float):
    pass


ODD = [None, True, False, 0, 1, -3, 2**70, -(2**64), 0.0, 1.5, -2.25, math.inf, 1e308, Decimal("1.25"),
       Decimal("-3"), "3", "2.5", " 4 ", "x", "", "true", [1, 2], {"a": 1}, Level.LOW, Ratio(0.5),
       np.int64(7), np.float64(0.5)]

EXPRESSIONS = ["a * b", "a + b", "a - b", "a / b", "a % b", "a * 2", "2 * a", "a + 1.5", "1.5 - a", "-a",
               "(a + b) * a", "a * b * b", "a * CAST(b AS INTEGER)", "CAST(a AS FLOAT) + b", "a / 2", "a % 3"]


def _run(expr: str, recs: list[dict[str, Any]], safe_only: bool, where: bool = False) -> tuple[Any, ...]:
    select = f"a AS r FROM s WHERE {expr}" if where else f"{expr} AS r FROM s"
    app = parse_app(f"CREATE STREAM o AS SELECT {select};")
    bus = MemoryBus()
    bus.publish("s", [Message(value=dict(r), timestamp=1000 + i) for i, r in enumerate(recs)])
    res = run_app(app, bus, EngineOptions(coverage=safe_only)).statements["o"]
    outs = [m.value for m in res.outputs]
    dead = [(d.error_type, d.message, d.offset) for d in res.dead_letters]
    return outs, dead, res.row_errors


def _same(a: Any, b: Any) -> bool:
    """Equal in type and value at every level (a NaN equals a NaN; numpy values by their repr)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and repr(a) == repr(b)


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_every_pair_of_odd_operands_computes_as_the_safe_rules(expr: str) -> None:
    recs = [{"a": a, "b": b} for a in ODD for b in ODD]
    fast, safe = _run(expr, recs, False), _run(expr, recs, True)
    assert _same(fast, safe), f"{expr}:\nfast: {fast}\nsafe: {safe}"


# the rest of the fast body (comparisons, logic, functions, CASE, CAST) against the safe body, on the same odd
# values but numpy's (a numpy number compared with a string gives numpy's False, which no decoded record holds)
OTHER = ["a > b", "a = b", "a < 2", "a >= 1.5", "a <> b", "a BETWEEN 1 AND 3", "a IN (1, 2)", "a = 'x'",
         "a > 'b'", "a = '3'", "a = 'true'", "a = '2.5'", "a = TRUE", "NOT a", "a AND b", "a OR b", "a IS NULL", "COALESCE(a, b)", "a || b", "ABS(a)",
         "ROUND(a, 1)", "CASE WHEN a > 1 THEN 'big' ELSE 'small' END", "a + b > 2", "CAST(a AS STRING)",
         "CAST(a AS INTEGER)", "CAST(a AS FLOAT)", "UPPER(a)", "LENGTH(a)", "a LIKE 'x%'"]


@pytest.mark.parametrize("where", [False, True], ids=["select", "where"])
@pytest.mark.parametrize("expr", OTHER)
def test_every_pair_of_odd_operands_compares_and_calls_as_the_safe_rules(expr: str, where: bool) -> None:
    plain = [v for v in ODD if not isinstance(v, np.generic)]
    recs = [{"a": a, "b": b} for a in plain for b in plain]
    fast, safe = _run(expr, recs, False, where), _run(expr, recs, True, where)
    assert _same(fast, safe), f"{expr}:\nfast: {fast}\nsafe: {safe}"


def test_a_bool_or_a_string_never_meets_a_python_operator() -> None:
    """The cases a guard exists for, spelled out: the answers are SQL's, never Python's."""
    outs, _, _ = _run("a * b", [{"a": True, "b": 2}, {"a": "3", "b": 2}, {"a": 2, "b": False}], False)
    assert [o["r"] for o in outs] == [None, 6, None]


value = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.integers(2**53, 2**66),
                  st.floats(allow_nan=True, allow_infinity=True), st.decimals(-10, 10, places=3, allow_nan=False),
                  st.sampled_from(["7", "-1.5", "a", "", "1e3"]), st.just([0]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=st.lists(st.fixed_dictionaries({"a": value, "b": value}), max_size=12),
       expr=st.sampled_from(EXPRESSIONS))
def test_any_operands_compute_as_the_safe_rules(recs: list[dict[str, Any]], expr: str) -> None:
    fast, safe = _run(expr, recs, False), _run(expr, recs, True)
    assert _same(fast, safe), f"{expr}:\nfast: {fast}\nsafe: {safe}"


def _grouped(expr: str, recs: list[dict[str, Any]], options: dict[str, Any]) -> tuple[Any, ...]:
    app = parse_app(f"CREATE STREAM o AS SELECT k, SUM({expr}) AS s, MAX({expr}) AS hi, COUNT({expr}) AS n, "
                    f"AVG({expr}) AS av FROM s GROUP BY k;")
    bus = MemoryBus()
    bus.publish("s", [Message(value=dict(r), timestamp=1000 + i) for i, r in enumerate(recs)])
    res = run_app(app, bus, EngineOptions(**options)).statements["o"]
    return ([m.value for m in res.outputs], [(d.error_type, d.message, d.offset) for d in res.dead_letters],
            res.row_errors)


@pytest.mark.parametrize("expr", EXPRESSIONS + OTHER)
def test_aggregate_arguments_compute_as_the_safe_rules_on_every_path(expr: str) -> None:
    """The fused GROUP BY (its own generated loop and helpers in the compiler's namespace), the general
    operator and the safe body alone agree on every output and error. The fused loop once bound a helper of
    its own under the name of SQL's addition (``_add``): every ``+`` in an aggregate's argument then ran on
    Python's rules in its safe body (``'3' + 1.5`` an error, ``NULL + 1.5`` an error)."""
    plain = [v for v in ODD if not isinstance(v, np.generic)]
    recs = [{"k": i % 3, "a": a, "b": b} for i, (a, b) in enumerate((a, b) for a in plain for b in plain)]
    fused = _grouped(expr, recs, {})
    assert _same(fused, _grouped(expr, recs, {"fuse": False})), expr
    assert _same(fused, _grouped(expr, recs, {"coverage": True})), expr
