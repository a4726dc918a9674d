"""Every assertion type: a passing and a failing case each (FORMATS.md §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from velotui.assertions import ASSERTION_TYPES, AssertionContext, evaluate, validate_assertion
from velotui.engine.api import DeadLetter, MetricSample
from velotui.errors import SpecError
from velotui.records import Message
from velotui.spec import AssertionSpec

RECS = [{"id": "a", "v": 10, "cat": "X", "ts": 1000, "ws": 0, "we": 60000},
        {"id": "b", "v": 20, "cat": "Y", "ts": 2000, "ws": 0, "we": 60000},
        {"id": "c", "v": 30, "cat": "X", "ts": 61000, "ws": 60000, "we": 120000}]
INPUTS = {"src": [{"id": "a", "v": 10}, {"id": "b", "v": 20}, {"id": "c", "v": 30}, {"id": "d", "v": 40}]}


def ctx(tmp_path: Path, **kw: Any) -> AssertionContext:
    base = dict(records=RECS, messages=[Message(value=r, key=r["id"], timestamp=r["ts"], event_time=r["ts"])
                                        for r in RECS],
                inputs=INPUTS, outputs={"q": RECS}, variables={"limit": 3}, query="q", records_in=4,
                duration_ms=100.0, base_dir=tmp_path, memory_peak_bytes=50_000_000, memory_growth_bytes=1000,
                dead_letters=[DeadLetter("q", "cast", "bad", record={"id": "z"})],
                metrics=[MetricSample("out_total", "counter", 3.0), MetricSample("last_v", "gauge", 30.0)])
    base.update(kw)
    return AssertionContext(**base)  # type: ignore[arg-type]


def spec(type_: str, **params: Any) -> AssertionSpec:
    return AssertionSpec.model_validate({"type": type_, **params})


# (type, passing params, failing params)
CASES: list[tuple[str, dict, dict]] = [
    ("record_count", {"equals": 3}, {"equals": 4}),
    ("record_count", {"expression": "== {{inputs.src.count}} - 1"}, {"between": [5, 9]}),
    ("schema_contains", {"fields": ["id", "v"], "key_field": "id"}, {"fields": ["id", "missing"]}),
    ("field_in_set", {"field": "cat", "values": ["X", "Y"]}, {"field": "cat", "values": ["X"]}),
    ("field_values", {"field": "v", "operator": "greater_than", "value": 5},
     {"field": "v", "operator": "less_than", "value": 25}),
    ("field_values", {"field": "id", "operator": "matches", "value": "^[a-c]$"},
     {"field": "cat", "operator": "starts_with", "value": "Y"}),
    ("aggregate_check", {"function": "SUM", "field": "v", "expected": 60},
     {"function": "AVG", "field": "v", "expected": 21, "tolerance": 0.5}),
    ("join_coverage", {"left_source": "src", "min_match_rate": 0.75}, {"left_source": "src", "min_match_rate": 0.8}),
    ("template", {"expression": "all(r.v > 0 for r in records) and len(records) == variables.limit"},
     {"expression": "sum(r.v for r in records) == sum(r.v for r in inputs.src.records)"}),
    ("execution_time", {"max_ms": 1000}, {"max_ms": 10, "min_ms": 0}),
    ("memory_usage", {"max_mb": 100}, {"max_growth_bytes": 10}),
    ("throughput", {"min_records_per_second": 10}, {"min_records_per_second": 1000}),
    ("latency", {"timestamp_field": "ts", "max_latency_ms": 10_000_000_000_000},
     {"timestamp_field": "ts", "max_latency_ms": 1}),
    ("dlq_count", {"equals": 1, "error_types": ["cast"]}, {"max": 0}),
    ("error_rate", {"max_rate": 0.25}, {"max_percent": 10}),
    ("no_duplicates", {"key_fields": ["id"]}, {"key_fields": ["cat"]}),
    ("ordering", {"field": "v", "direction": "ascending"}, {"field": "v", "direction": "descending"}),
    ("event_ordering", {"timestamp_field": "ts"}, {"timestamp_field": "ts", "direction": "descending"}),
    ("completeness", {"input_source": "src", "key_field": "id", "min_completeness": 0.75},
     {"input_source": "src", "key_field": "id"}),
    ("window_boundary", {"timestamp_field": "ts", "window_start_field": "ws", "window_end_field": "we",
                         "window_size_ms": 60000}, {"window_start_field": "ws", "window_end_field": "we",
                                                     "window_size_ms": 30000}),
    ("distribution", {"field": "v", "mean": 20, "tolerance": 0.01, "min_records": 3},
     {"field": "v", "mean": 50, "tolerance": 0.1, "min_records": 3}),
    ("percentile", {"field": "v", "p50": 20, "mode": "less_than"}, {"field": "v", "p99": 25}),
    ("table_freshness", {"min_records": 3, "max_lag_ms": 100_000}, {"min_records": 3, "max_lag_ms": 10}),
    ("data_quality", {"no_nulls_in": ["id"], "numeric_ranges": [{"field": "v", "min": 0, "max": 100}],
                      "referential_integrity": [{"field": "id", "reference_source": "src",
                                                 "reference_field": "id"}]},
     {"string_patterns": [{"field": "cat", "pattern": "X"}], "min_quality_score": 0.9}),
    ("expected_output", {"records": [{"id": "c"}, {"id": "a"}, {"id": "b"}], "order": "any"},
     {"records": [{"id": "c"}, {"id": "a"}, {"id": "b"}], "order": "exact"}),
    ("metric_counter", {"name": "out_total", "operator": "equals", "value": 3},
     {"name": "out_total", "operator": "greater_than", "value": 3}),
    ("metric_gauge", {"name": "last_v", "between": [10, 40]}, {"name": "missing_gauge"}),
    ("metric_exists", {"name": "out_total"}, {"name": "nope"}),
]


@pytest.mark.parametrize("type_, good, bad", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_pass_and_fail(type_: str, good: dict, bad: dict, tmp_path: Path) -> None:
    ok = evaluate(spec(type_, **good), ctx(tmp_path))
    assert ok.status == "passed", ok.message
    ko = evaluate(spec(type_, **bad), ctx(tmp_path))
    assert ko.status == "failed", ko.message
    assert ko.message


@pytest.mark.parametrize("type_", ["file_exists", "file_row_count", "file_contains", "file_matches"])
def test_file_assertions(type_: str, tmp_path: Path) -> None:
    out = tmp_path / "real_out.jsonl"
    out.write_text('{"id": "a", "v": 1}\n{"id": "b", "v": 2}\n')
    (tmp_path / "expected.jsonl").write_text('{"id": "b", "v": 2}\n{"id": "a", "v": 1.00001}\n')
    c = ctx(tmp_path, sink_files={"output/out.jsonl": out})
    good = {"file_exists": {"path": "output/out.jsonl", "min_size_bytes": 10},
            "file_row_count": {"path": "output/out.jsonl", "equals": 2},
            "file_contains": {"path": "output/out.jsonl", "field": "id", "expected_values": ["a", "b"]},
            "file_matches": {"actual_path": "output/out.jsonl", "expected_path": "expected.jsonl",
                             "numeric_tolerance": 0.001}}[type_]
    bad = {"file_exists": {"path": "output/missing.jsonl"},
           "file_row_count": {"path": "output/out.jsonl", "equals": 3},
           "file_contains": {"path": "output/out.jsonl", "field": "id", "expected_values": ["a", "z"]},
           "file_matches": {"actual_path": "output/out.jsonl", "expected_path": "expected.jsonl",
                            "ignore_order": False}}[type_]
    assert evaluate(spec(type_, **good), c).status == "passed"
    assert evaluate(spec(type_, **bad), c).status == "failed"


def test_no_nulls(tmp_path: Path) -> None:
    assert evaluate(spec("no_nulls", fields=["id"]), ctx(tmp_path)).status == "passed"
    r = evaluate(spec("no_nulls"), ctx(tmp_path, records=[*RECS, {"id": "d", "v": None}]))
    assert r.status == "failed" and "NULL in v" in r.message and r.samples == [{"id": "d", "v": None}]


def test_every_type_has_cases() -> None:
    covered = {c[0] for c in CASES} | {"file_exists", "file_row_count", "file_contains", "file_matches",
                                       "no_nulls"}
    assert covered == set(ASSERTION_TYPES)


def test_failure_shows_expected_actual_and_at_most_5_records(tmp_path: Path) -> None:
    many = [{"v": i} for i in range(20)]
    r = evaluate(spec("field_values", field="v", operator="greater_than", value=100), ctx(tmp_path, records=many))
    assert r.status == "failed" and len(r.samples) == 5
    assert r.expected == {"operator": "greater_than", "value": 100} and "20 of 20" in r.message


def test_warning_severity_does_not_fail(tmp_path: Path) -> None:
    r = evaluate(spec("record_count", equals=99, severity="warning"), ctx(tmp_path))
    assert r.status == "warning"


def test_unknown_template_variable_is_an_error_naming_the_known_ones(tmp_path: Path) -> None:
    r = evaluate(spec("record_count", equals="{{inputs.nope.count}}"), ctx(tmp_path))
    assert r.status == "error" and "unknown input 'nope'" in r.message and "src" in r.message
    r = evaluate(spec("template", expression="len(inputs.src.record) > 0"), ctx(tmp_path))
    assert r.status == "error" and "unknown attribute of inputs.src 'record'; available: count, records" in r.message


def test_comparison_rules(tmp_path: Path) -> None:
    recs = [{"x": 15025.0, "b": True, "n": None}]
    c = ctx(tmp_path, records=recs)
    assert evaluate(spec("field_in_set", field="x", values=["15025"]), c).status == "passed"
    assert evaluate(spec("field_in_set", field="b", values=["true"]), c).status == "passed"
    assert evaluate(spec("field_values", field="x", operator="equals", value=15025.00001), c).status == "passed"
    # a field no record has: nothing was checked, and that fails
    nowhere = evaluate(spec("field_values", field="n_", operator="equals", value=1), c)
    assert nowhere.status == "failed"
    assert nowhere.message == ("nothing checked: field 'n_' is in none of the 1 output records; did you mean "
                               "'n'? (fields: b, n, x)")
    partial = [{"x": 1}, {"y": 2}]  # a record lacking the field is skipped, the others are checked
    assert evaluate(spec("field_values", field="x", operator="equals", value=1), ctx(tmp_path, records=partial)
                    ).status == "passed"
    assert evaluate(spec("field_values", field="x", operator="equals", value=2), ctx(tmp_path, records=partial)
                    ).status == "failed"


def test_validation_of_params() -> None:
    with pytest.raises(SpecError) as e:
        validate_assertion(spec("field_values", operator="equals", value=1))
    assert "'field'" in str(e.value)
    with pytest.raises(SpecError):
        validate_assertion(spec("record_count"))
    with pytest.raises(SpecError) as e:  # one edit from a known key: a typo
        validate_assertion(spec("record_count", equals=1, equal=2))
    assert e.value.message == "record_count: unknown key 'equal'; did you mean 'equals'?"
    [w] = validate_assertion(spec("record_count", equals=1, ci_owner="me"))  # far from every key: a warning
    assert w.message.startswith("record_count: unknown key 'ci_owner' (known keys: ")
