"""Column-at-a-time generation gives exactly what the obvious per-record code gives.

Every kind is drawn for a whole column with numpy (docs/PERFORMANCE.md); each test here sets a
vectorised path beside the plain Python that states what the values must be, on the same random draws.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from velotui.datagen import DataGenerator
from velotui.datagen.derived import coerce_column, evaluate_columns
from velotui.datagen.generator import _coerce, _decimals, _iso_dates, _uuids
from velotui.datagen.patterns import PatternGenerator
from velotui.sandbox import DEFAULT_FUNCTIONS, compile_expression
from velotui.spec import parse_data_schema
from velotui.spec.test_spec import TimeSimulation

NOW = 1_700_000_000_000
ROOT = Path(__file__).resolve().parents[3]


def schema(text: str, name: str = "s"):
    return parse_data_schema(f"name: {name}\nfields:\n" + text, f"{name}.schema.yaml")


def test_uuids_are_the_uuid_modules_version_4_text() -> None:
    raw = np.random.default_rng(3).bytes(16 * 500)
    expected = [str(uuid.UUID(bytes=raw[i * 16:(i + 1) * 16], version=4)) for i in range(500)]
    assert _uuids(raw, 500) == expected
    assert all(uuid.UUID(u).version == 4 for u in expected)


@pytest.mark.parametrize("precision", [0, 2, 4, 15, 20])
def test_decimals_are_the_quantized_rounded_floats(precision: int) -> None:
    rng = np.random.default_rng(precision)
    big = [1e14, -3e13] if precision <= 12 else [1e7, -3e6]  # within Decimal's 28 digits at this precision
    vals = np.concatenate([rng.uniform(-1000, 1000, 2000), [-0.0001, -0.0, 0.0, 0.5, 1.005, 2.675, *big]])
    q = Decimal(1).scaleb(-precision)
    expected = [Decimal(repr(float(v))).quantize(q) for v in np.round(vals, precision)]
    got = _decimals(vals, precision)
    assert [str(x) for x in got] == [str(x) for x in expected]


def test_dates_are_the_utc_calendar_days() -> None:
    ms = np.random.default_rng(1).integers(-5_000_000_000_000, 5_000_000_000_000, 3000)
    ms = np.concatenate([ms, [0, -1, 86_399_999, 86_400_000, -86_400_000]])
    assert _iso_dates(ms) == [datetime.fromtimestamp(int(v) / 1000, tz=UTC).date().isoformat() for v in ms]


@pytest.mark.parametrize("pattern", [
    "T-[0-9]{8}", "ORD-[0-9]{4}-(A|B)", "(EU|US|APAC)-[A-Z]{2}[0-9]{3,6}", "(ab|c(d|ef){1,3})+x?",
    "[^a-z]{2}.\\d\\w\\s?", "a{0}b", "(?:x|yy|zzz){2}[A-F]*", "^(foo|bar)?baz$", "((a|b)(c|d)){4}",
    "[a-c]+?[x-z]*", "(?>ab|c)d",
])
def test_patterns_generate_matching_strings_a_column_at_a_time(pattern: str) -> None:
    gen = PatternGenerator(pattern)
    rng = np.random.default_rng(5)
    out = gen.generate_many(rng, 3000)
    assert len(out) == 3000 and all(isinstance(s, str) for s in out)
    bad = [s for s in out if not re.fullmatch(pattern, s)]
    assert not bad, bad[:5]
    again = PatternGenerator(pattern).generate_many(np.random.default_rng(5), 3000)
    assert again == out


def test_every_branch_of_an_alternation_is_drawn() -> None:
    out = PatternGenerator("(red|green|blue)-(x|yy)").generate_many(np.random.default_rng(1), 2000)
    assert {s.split("-")[0] for s in out} == {"red", "green", "blue"}
    assert {s.split("-")[1] for s in out} == {"x", "yy"}


def test_unsupported_pattern_construct_is_a_clear_error() -> None:
    from velotui.errors import DataError

    with pytest.raises(DataError) as e:
        PatternGenerator(r"(a)\1").generate_many(np.random.default_rng(1), 5)
    assert "does not support" in str(e.value)


def _walk_reference(steps: list[float], groups: list | None, lo: float, hi: float) -> list[float]:
    level: dict = {}
    out = []
    for i, s in enumerate(steps):
        g = groups[i] if groups is not None else None
        cur = min(max(level.get(g, (lo + hi) / 2) * s, lo), hi)
        level[g] = cur
        out.append(cur)
    return out


@pytest.mark.parametrize("groups", ["none", "few", "many"])
def test_random_walk_is_the_clamped_running_product_per_group(groups: str) -> None:
    n = 4000
    group_field = {"none": "", "few": ", group_by: g", "many": ", group_by: k"}[groups]
    s = schema("  - name: g\n    constraints: {enum_values: {values: [X, Y, Z]}}\n"
               "  - name: k\n    constraints: {pattern: '[a-z]{2}'}\n"
               "  - name: p\n    type: float\n    constraints:\n      range: {min: 50, max: 150}\n"
               f"      distribution: {{random_walk: {{drift: 0.01, volatility: 0.3{group_field}}}}}\n")
    gen = DataGenerator({"s": s}, seed=2, now_ms=NOW)
    rows = gen.generate(s, n).records
    steps = (1.0 + 0.01 + 0.3 * gen._rng("s", "p").standard_normal(n)).tolist()
    key = {"none": None, "few": "g", "many": "k"}[groups]
    expected = _walk_reference(steps, [r[key] for r in rows] if key else None, 50.0, 150.0)
    assert [r["p"] for r in rows] == [float(v) for v in np.round(expected, 4)]
    assert any(r["p"] == 150.0 for r in rows) and any(r["p"] == 50.0 for r in rows)  # the clamps were hit


# -- derived fields: numpy over columns == the sandbox row by row ------------------------------------

_NAMES = ["a", "b", "x", "y", "t"]  # a, b integers; x, y floats; t booleans


def _exprs() -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(_NAMES), st.integers(-5, 5).map(str),
                     st.sampled_from(["0.5", "2.25", "-1.5", "1e3"]))

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binop = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})")
        cmp = st.tuples(inner, st.sampled_from(["<", "<=", "==", "!=", ">", ">="]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})")
        call1 = st.tuples(st.sampled_from(["abs", "floor", "ceil", "float", "int", "round", "sqrt"]), inner).map(
            lambda t: f"{t[0]}({t[1]})")
        rnd = st.tuples(inner, st.integers(-1, 4)).map(lambda t: f"round({t[0]}, {t[1]})")
        ext = st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})")
        ifexp = st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})")
        neg = inner.map(lambda e: f"-({e})")
        return st.one_of(binop, cmp, call1, rnd, ext, ifexp, neg)

    return st.recursive(leaf, grow, max_leaves=6)


def _columns(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"a": rng.integers(-50, 50, n), "b": rng.integers(1, 9, n), "x": np.round(rng.uniform(-9, 9, n), 4),
            "y": np.round(rng.normal(100, 30, n), 4), "t": rng.random(n) < 0.5}


def _row_by_row(text: str, cols: dict[str, np.ndarray], n: int, kind: str) -> list:
    funcs = dict(DEFAULT_FUNCTIONS)
    funcs["min"] = lambda *a: min(a) if len(a) > 1 else min(a[0])
    funcs["max"] = lambda *a: max(a) if len(a) > 1 else max(a[0])
    expr = compile_expression(text, functions=funcs, names=set(cols))
    lists = {k: v.tolist() for k, v in cols.items()}
    return [_coerce(v, kind, None) for v in expr.evaluate_rows(lists, n)]


@settings(max_examples=400, deadline=None)
@given(text=_exprs(), seed=st.integers(0, 3), kind=st.sampled_from(["float", "integer", "string", "timestamp"]))
def test_derived_columns_equal_python_row_by_row(text: str, seed: int, kind: str) -> None:
    n = 64
    cols = _columns(n, seed)
    computed = evaluate_columns(text, cols, n)
    if computed is None:
        return  # runs row by row in the generator: the same code as the reference
    try:
        expected = _row_by_row(text, cols, n, kind)
    except Exception as e:  # noqa: BLE001 - Python raises on some row: the columns must not have answered
        pytest.fail(f"{text!r}: numpy gave values where Python raises {e!r}")
    values = coerce_column(computed, kind)
    got = values if values is not None else [_coerce(v, kind, None) for v in computed.tolist()]
    assert [(type(v), v) for v in got] == [(type(v), v) for v in expected], text


def test_market_data_derived_field_runs_on_columns_and_matches_python() -> None:
    path = ROOT / "demo/schemas/market_data.schema.yaml"
    s = parse_data_schema(path.read_text(), path)
    rows = DataGenerator({"market_data": s}, seed=4, now_ms=NOW).generate(s, 5000).records
    assert all(r["notional"] == round(r["price"] * r["volume"], 2) for r in rows)
    cols = {"price": np.array([r["price"] for r in rows]), "volume": np.array([r["volume"] for r in rows])}
    assert evaluate_columns("round(price * volume, 2)", cols, 5000) is not None  # the fast path ran


def test_derived_over_nullable_or_text_fields_runs_row_by_row() -> None:
    s = schema("  - {name: a, type: integer, nullable: true, null_probability: 0.3}\n"
               "  - {name: c, constraints: {enum_values: {values: [x, y]}}}\n"
               "  - name: d\n    type: integer\n    constraints:\n"
               "      derived: {expression: '0 if a is None else a * 2', depends_on: [a]}\n"
               "  - name: e\n    constraints:\n      derived: {expression: 'concat(c, \"-\", a)', depends_on: [c, a]}\n")
    rows = DataGenerator({"s": s}, seed=1, now_ms=NOW).generate(s, 500).records
    assert any(r["a"] is None for r in rows)
    assert all(r["d"] == (0 if r["a"] is None else r["a"] * 2) for r in rows)
    assert all(r["e"] == f"{r['c']}-{'' if r['a'] is None else r['a']}" for r in rows)


def test_derived_error_names_the_record_on_either_path() -> None:
    from velotui.errors import DataError

    s = schema("  - {name: a, type: integer, constraints: {range: {min: 0, max: 3}}}\n"
               "  - name: d\n    type: float\n    constraints:\n"
               "      derived: {expression: '10 / a', depends_on: [a]}\n")
    with pytest.raises(DataError) as e:
        DataGenerator({"s": s}, seed=1, now_ms=NOW).generate(s, 200)
    assert "failed on record" in str(e.value) and "ZeroDivisionError" in str(e.value)


_EVERY_KIND = """
  - {name: id, type: uuid}
  - {name: code, constraints: {pattern: "(EU|US)-[A-Z]{2}[0-9]{3,6}"}}
  - {name: note, constraints: {length: {min: 0, max: 12}}}
  - {name: city, type: string}
  - {name: word, type: string}
  - {name: flag, type: boolean, nullable: true}
  - {name: day, type: date}
  - {name: qty, type: integer, nullable: true, constraints: {range: {min: 1, max: 100}}}
  - {name: price, type: float, constraints: {range: {min: 1, max: 500}, distribution: {log_normal: {mean: 3, std_dev: 0.4}}}}
  - {name: level, type: float, constraints: {range: {min: 50, max: 150}, distribution: {random_walk: {volatility: 0.01, group_by: code}}}}
  - {name: fee, type: {decimal: {precision: 4}}, constraints: {range: {min: 0, max: 10}}}
  - {name: total, type: float, constraints: {derived: {expression: "round(price * 1.2, 2)", depends_on: [price]}}}
  - {name: tier, type: integer, constraints: {enum_values: {values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}}}
  - {name: updated, type: timestamp, constraints: {timestamp_range: {start: "-1d", end: now}}}
  - {name: event_time, type: timestamp}
"""


def _dump(seed: int) -> bytes:
    s = schema(_EVERY_KIND, "every")
    d = DataGenerator({"every": s}, seed=seed, now_ms=NOW).generate(
        s, 400, time_simulation=TimeSimulation(start_time="-1h", end_time="now", jitter_ms=100))
    return orjson.dumps([d.records, d.timestamps_ms], default=str)


def test_same_seed_same_bytes_in_another_process() -> None:
    """Parallel workers (-j) generate their apps' data in their own processes: the bytes must not depend
    on the process (hash seed, import order)."""
    here = _dump(9)
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.unit.datagen.test_vectorised import _dump; "
            "sys.stdout.buffer.write(_dump(9))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, cwd=ROOT, check=True).stdout
    assert there == here
    assert _dump(10) != here


def test_generation_pauses_the_garbage_collector_and_restores_it() -> None:
    import gc

    s = schema("  - {name: a, type: integer}\n")
    assert gc.isenabled()
    DataGenerator({"s": s}, seed=1, now_ms=NOW).generate(s, 10)
    assert gc.isenabled()
