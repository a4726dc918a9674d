"""One-pass checks: fed the records chunk by chunk, a check's tally gives exactly the result it gives over
every record at once (verdict, message, expected, actual, samples, "nothing checked"). That is what lets a
big query run block by block without holding its output (velotui.core.streamed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from velotui.assertions import ASSERTION_TYPES, AssertionContext, evaluate
from velotui.assertions.base import RecordsSeen, fields_read_by, one_pass
from velotui.engine.api import DeadLetter
from velotui.records import Message
from velotui.spec import AssertionSpec

VALUE = st.one_of(st.none(), st.integers(-50, 50), st.floats(-100, 100, allow_nan=False), st.booleans(),
                  st.sampled_from(["a", "b", "X", "", "10", "2.5"]), st.decimals(-10, 10, places=2, allow_nan=False))
RECORD = st.dictionaries(st.sampled_from(["id", "v", "cat", "w"]), VALUE, max_size=4)

CHECKS: list[dict[str, Any]] = [
    {"type": "record_count", "equals": 7},
    {"type": "record_count", "between": [2, 30]},
    {"type": "record_count", "less_than": 1},
    {"type": "schema_contains", "fields": ["id", "v"]},
    {"type": "schema_contains", "fields": ["id"], "key_field": "id"},
    {"type": "no_nulls", "fields": ["v"]},
    {"type": "no_nulls"},
    {"type": "field_in_set", "field": "cat", "values": ["a", "b"]},
    {"type": "field_values", "field": "v", "operator": "greater_than", "value": 0},
    {"type": "field_values", "field": "nope", "operator": "equals", "value": 1},
    {"type": "aggregate_check", "function": "SUM", "field": "v", "expected": 12.5, "tolerance": 0.01},
    {"type": "aggregate_check", "function": "AVG", "field": "v", "expected": 1},
    {"type": "aggregate_check", "function": "MIN", "field": "w", "expected": -3},
    {"type": "aggregate_check", "function": "MAX", "field": "v", "expected": 40},
    {"type": "aggregate_check", "function": "COUNT", "expected": 3},
    {"type": "aggregate_check", "function": "COUNT", "field": "cat", "expected": 3},
    {"type": "aggregate_check", "function": "SUM", "expected": 3},
    {"type": "dlq_count", "max": 0},
    {"type": "error_rate", "max_rate": 0.1},
    {"type": "execution_time", "max_ms": 50},
    {"type": "throughput", "min_records_per_second": 100},
    {"type": "memory_usage", "max_mb": 10},
]


def _spec(params: dict[str, Any]) -> AssertionSpec:
    return AssertionSpec.model_validate(dict(params))


def _context(records: list[dict], messages: list[Message], seen: RecordsSeen | None, n: int) -> AssertionContext:
    return AssertionContext(records=records, messages=messages, query="q", records_in=n + 3,
                            duration_ms=80.0, memory_peak_bytes=20_000_000, memory_growth_bytes=10,
                            dead_letters=[DeadLetter("q", "cast", "bad")], seen=seen)


def _both(params: dict[str, Any], records: list[dict], cuts: list[int]) -> tuple[Any, Any]:
    spec = _spec(params)
    messages = [Message(value=r, key=r.get("id")) for r in records]
    whole = evaluate(spec, _context(records, messages, None, len(records)))
    tally = one_pass(spec)
    assert tally is not None
    seen = RecordsSeen(name for _, name in fields_read_by(spec))
    bounds = sorted({0, len(records), *(c % (len(records) + 1) for c in cuts)})
    for a, b in zip(bounds, bounds[1:]):
        seen.add(records[a:b])
        tally.add(records[a:b], messages[a:b])
    chunked = evaluate(spec, _context([], [], seen, len(records)), tally)
    return whole, chunked


@pytest.mark.parametrize("params", CHECKS, ids=lambda p: f"{p['type']}:{sorted(p)[1:]}")
@settings(max_examples=60, deadline=None)
@given(records=st.lists(RECORD, max_size=40), cuts=st.lists(st.integers(0, 40), max_size=6))
def test_chunked_tally_is_the_whole_check(params: dict[str, Any], records: list[dict], cuts: list[int]) -> None:
    whole, chunked = _both(params, records, cuts)
    assert chunked == whole


def test_a_sum_of_floats_is_the_same_however_the_records_are_cut() -> None:
    records = [{"v": 0.1 * i + 1e-9 * (i % 7)} for i in range(1000)] + [{"v": Decimal("0.33")}, {"v": 1e16}, {"v": 1}]
    params = {"type": "aggregate_check", "function": "SUM", "field": "v", "expected": 0}
    whole, chunked = _both(params, records, [3, 17, 999, 1001])
    assert chunked == whole and whole.actual == chunked.actual


def test_samples_and_shown_values_are_the_first_ones_in_order() -> None:
    records = [{"cat": c} for c in ["z", "a", "q", "m", "y", "b", "x", "k", "c", "w", "d", "v", "e", "u"] * 3]
    whole, chunked = _both({"type": "field_in_set", "field": "cat", "values": ["a"]}, records, [1, 2, 5, 20])
    assert chunked == whole
    assert whole.samples == [{"cat": "z"}, {"cat": "q"}, {"cat": "m"}, {"cat": "y"}, {"cat": "b"}]
    assert whole.actual == sorted({r["cat"] for r in records} - {"a"})[:10]


def test_which_types_are_one_pass() -> None:
    """A type whose verdict needs every record at once (templates, percentiles, ordering, expected rows …)
    has no tally, and a template in any parameter makes a check need them too."""
    assert {p["type"] for p in CHECKS} < set(ASSERTION_TYPES)
    for params in CHECKS:
        assert one_pass(_spec(params)) is not None, params
    for params in [{"type": "template", "expression": "len(records) > 0"},
                   {"type": "record_count", "expression": "== 3"},
                   {"type": "record_count", "equals": "{{ inputs.s.count }}"},
                   {"type": "ordering", "field": "v"},
                   {"type": "percentile", "field": "v", "p50": 1},
                   {"type": "distribution", "field": "v", "distribution_type": "uniform", "min_value": 0,
                    "max_value": 1},
                   {"type": "no_duplicates", "key_fields": ["id"]},
                   {"type": "latency", "max_latency_ms": 5}]:
        assert one_pass(_spec(params)) is None, params
