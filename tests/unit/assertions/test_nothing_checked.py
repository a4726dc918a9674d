"""A check that checked nothing fails (issue 12): no records to look at, or a field that no record has.

The framework decides it from what each assertion type declares it reads (``reads_records``,
``record_fields``, an own ``nothing_checked``); these tests walk the registry, so a new type that looks at
records or fields is held to the rule without anyone remembering to add it here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.assertions.test_assertion_types import CASES, ctx, spec
from velotui.assertions import ASSERTION_TYPES, AssertionContext, evaluate, expects_no_records
from velotui.assertions.base import Assertion
from velotui.spec import AssertionSpec

# types whose verdict does not rest on the captured records' fields: counts, timings, memory, dead letters,
# metrics, files. Every other type must declare what it reads.
# (record_count and expected_output check the count itself, so zero records is a verdict, not "nothing")
NOT_RECORD_READERS = {"record_count", "expected_output", "execution_time", "memory_usage", "throughput",
                      "dlq_count", "metric_counter", "metric_gauge", "metric_exists", "file_exists",
                      "file_row_count", "file_contains"}


def _declares_reads(cls: type[Assertion]) -> bool:
    return bool(cls.reads_records or cls.record_fields or cls.decides_while_checking
                or cls.fields_read is not Assertion.fields_read or cls.nothing_checked is not Assertion.nothing_checked)


def test_every_type_that_reads_records_declares_it() -> None:
    silent = sorted(t for t, cls in ASSERTION_TYPES.items() if not _declares_reads(cls) and t not in NOT_RECORD_READERS)
    assert silent == [], f"these types neither declare what they read nor are listed as not reading records: {silent}"
    listed_but_reading = sorted(t for t in NOT_RECORD_READERS if _declares_reads(ASSERTION_TYPES[t]))
    assert listed_but_reading == []


READERS = [(t, good) for t, good, _ in CASES if ASSERTION_TYPES[t].reads_records]


@pytest.mark.parametrize("type_, good", READERS, ids=[f"{t}-{i}" for i, (t, _) in enumerate(READERS)])
def test_no_output_records_is_nothing_checked(type_: str, good: dict, tmp_path: Path) -> None:
    r = evaluate(spec(type_, **good), ctx(tmp_path, records=[], messages=[]))
    assert r.status == "failed"
    assert r.message == "nothing checked: there are no output records to check"


@pytest.mark.parametrize("type_, good", READERS, ids=[f"{t}-{i}" for i, (t, _) in enumerate(READERS)])
def test_no_records_passes_when_the_spec_expects_an_empty_output(type_: str, good: dict, tmp_path: Path) -> None:
    c = ctx(tmp_path, records=[], messages=[])
    c.expects_empty = True
    r = evaluate(spec(type_, **good), c)
    assert r.status == "passed", r.message


FIELD_READERS = [(t, good) for t, good, _ in CASES
                 if ASSERTION_TYPES[t].record_fields and any(p in good for p in ASSERTION_TYPES[t].record_fields)]


@pytest.mark.parametrize("type_, good", FIELD_READERS, ids=[f"{t}-{i}" for i, (t, _) in enumerate(FIELD_READERS)])
def test_a_field_no_record_has_is_nothing_checked(type_: str, good: dict, tmp_path: Path) -> None:
    records = [{"other": 1, "unrelated": "x"}, {"other": 2, "unrelated": "y"}]
    r = evaluate(spec(type_, **good), ctx(tmp_path, records=records, outputs={"q": records}))
    assert r.status == "failed"
    assert r.message.startswith("nothing checked: ") and "is in none of the 2 output records" in r.message


def test_exact_messages_for_three_types_over_a_missing_field(tmp_path: Path) -> None:
    records = [{"order_id": 1, "amount": 120.0, "status": "PAID"}, {"order_id": 2, "amount": 80.0, "status": "NEW"}]
    c = ctx(tmp_path, records=records)
    fields = "(fields: amount, order_id, status)"
    r = evaluate(spec("field_values", field="amout", operator="greater_than", value=0), c)
    assert (r.status, r.message) == ("failed", "nothing checked: field 'amout' is in none of the 2 output records; "
                                               f"did you mean 'amount'? {fields}")
    r = evaluate(spec("no_nulls", fields=["order_id", "stauts"]), c)
    assert (r.status, r.message) == ("failed", "nothing checked: field 'stauts' is in none of the 2 output records; "
                                               f"did you mean 'status'? {fields}")
    r = evaluate(spec("field_in_set", field="state", values=["PAID", "NEW"]), c)
    assert (r.status, r.message) == ("failed", "nothing checked: field 'state' is in none of the 2 output records; "
                                               f"did you mean 'status'? {fields}")
    r = evaluate(spec("aggregate_check", function="SUM", field="amounts", expected=0), c)
    assert r.message == f"nothing checked: field 'amounts' is in none of the 2 output records; did you mean 'amount'? {fields}"
    r = evaluate(spec("ordering", field="order_id", partition_by="stat"), c)
    assert r.message == ("nothing checked: partition_by: field 'stat' is in none of the 2 output records; did you mean "
                         f"'status'? {fields}")
    r = evaluate(spec("data_quality", numeric_ranges=[{"field": "amt", "min": 0, "max": 10}]), c)
    assert r.message.startswith("nothing checked: numeric_ranges: field 'amt' is in none of the 2 output records")
    r = evaluate(spec("no_duplicates", key_fields=["orderid"]), c)
    assert r.message.startswith("nothing checked: key_fields: field 'orderid' is in none")


def test_a_record_lacking_the_field_is_skipped_when_others_have_it(tmp_path: Path) -> None:
    c = ctx(tmp_path, records=[{"x": 1}, {"y": 2}])
    assert evaluate(spec("field_values", field="x", operator="equals", value=1), c).status == "passed"
    assert evaluate(spec("field_values", field="x", operator="equals", value=2), c).status == "failed"


def test_warning_severity_makes_nothing_checked_a_warning(tmp_path: Path) -> None:
    r = evaluate(spec("no_nulls", fields=["nope"], severity="warning"), ctx(tmp_path))
    assert r.status == "warning" and r.message.startswith("nothing checked: field 'nope'")


def test_a_count_of_no_records_is_a_count_check(tmp_path: Path) -> None:
    c = ctx(tmp_path, records=[], messages=[])
    assert evaluate(spec("aggregate_check", function="COUNT", expected=0), c).status == "passed"
    assert evaluate(spec("record_count", equals=0), c).status == "passed"
    assert evaluate(spec("record_count", greater_than=0), c).status == "failed"


def test_templates_that_loop_over_no_records_checked_nothing(tmp_path: Path) -> None:
    c = ctx(tmp_path, records=[], messages=[], outputs={"q": []})
    r = evaluate(spec("template", expression="all(r.v > 0 for r in records)"), c)
    assert (r.status, r.message) == ("failed", "nothing checked: the expression loops over records, which is empty")
    r = evaluate(spec("template", expression="sum(r.v for r in inputs.src.records) == 100"),
                 ctx(tmp_path, inputs={"src": []}))
    assert r.status == "failed"  # an empty input makes the sum 0 and the comparison false: a plain failure
    r = evaluate(spec("template", expression="all(r.v < 100 for r in inputs.src.records)"),
                 ctx(tmp_path, inputs={"src": []}))
    assert r.message == "nothing checked: the expression loops over inputs.src.records, which is empty"
    assert evaluate(spec("template", expression="len(records) == 0"), c).status == "passed"  # a count is checked
    empty = ctx(tmp_path, records=[], messages=[])
    empty.expects_empty = True
    assert evaluate(spec("template", expression="all(r.v > 0 for r in records)"), empty).status == "passed"


def test_templates_that_read_a_field_no_record_has_checked_nothing(tmp_path: Path) -> None:
    r = evaluate(spec("template", expression="all(r.vv is None or r.vv > 0 for r in records)"), ctx(tmp_path))
    assert r.status == "failed"
    assert r.message == ("nothing checked: field 'vv' is in none of the records the expression reads it from; did "
                         "you mean 'v'? (fields: cat, id, ts, v, we, ws)")
    assert evaluate(spec("template", expression="all(r.v > 0 for r in records)"), ctx(tmp_path)).status == "passed"


@pytest.mark.parametrize("expression", [
    "all(r.v > 1000 for r in records if r.cat == 'x')",  # the values are upper case: the filter keeps nothing
    "all(r.v == i.v for r in records for i in inputs.src.records if i.id == r.cat)",  # a join on the wrong key
    "all([r.v > 1000 for r in records if r.v < 0])",
    "len(records) == 3 and all(r.v > 1000 for r in records if r.cat == 'Z')",
])
def test_all_of_a_filter_that_kept_nothing_checked_nothing(tmp_path: Path, expression: str) -> None:
    """all() of nothing is true: a filter that kept none of the items it looked at made the template pass on
    anything (the demo's join idiom passed so with a wrong key)."""
    r = evaluate(spec("template", expression=expression), ctx(tmp_path))
    assert r.status == "failed" and r.message.startswith("nothing checked: the filter 'if "), r.message
    assert "kept none of the" in r.message and "all() of nothing is true" in r.message
    kept = expression.replace("'x'", "'X'").replace("i.id == r.cat", "i.id == r.id").replace("r.v < 0", "r.v > 0") \
        .replace("'Z'", "'X'").replace("1000", "0")
    assert evaluate(spec("template", expression=kept), ctx(tmp_path)).status == "passed", kept
    # a count of what a filter keeps is a check of its own: none is an answer
    assert evaluate(spec("template", expression="count(1 for r in records if r.cat == 'x') == 0"),
                    ctx(tmp_path)).status == "passed"


@pytest.mark.parametrize(("type_", "params"), [
    ("record_count", {"expression": "== {{ count(1 for r in inputs.src.records if r.vv == 10) }}"}),
    ("record_count", {"equals": "{{ count(1 for r in inputs.src.records if r.vv == 10) }}"}),
    ("aggregate_check", {"function": "COUNT", "expected": "{{ count(1 for i in inputs.src.records if i.idd) }}"}),
    ("field_values", {"field": "v", "operator": "less_than", "value": "{{ max(i.vv or 0 for i in inputs.src.records) }}"}),
])
def test_a_parameter_computed_from_a_misspelt_field_checked_nothing(tmp_path: Path, type_: str,
                                                                    params: dict[str, Any]) -> None:
    """A template in a check's parameter read a field no record has: the value it computed rests on NULLs,
    whatever the verdict (a count of 0 passed on an empty output)."""
    r = evaluate(spec(type_, **params), ctx(tmp_path))
    assert r.status == "failed" and r.message.startswith("nothing checked: a template of this check: field "), \
        r.message
    assert "did you mean" in r.message
    fixed = {k: v.replace("vv", "v").replace("idd", "id") for k, v in params.items()}
    assert "nothing checked" not in evaluate(spec(type_, **fixed), ctx(tmp_path)).message


def test_a_false_template_over_a_misspelt_field_says_the_typo(tmp_path: Path) -> None:
    r = evaluate(spec("template", expression="all(r.vv > 0 for r in records)"), ctx(tmp_path))  # NULL > 0: an error
    assert r.status == "error" and r.message.startswith("TypeError evaluating 'all(r.vv > 0 for r in records)'"), \
        r.message
    assert r.message.endswith("field 'vv' is in none of the records the expression reads it from; did you mean 'v'? "
                              "(fields: cat, id, ts, v, we, ws)"), r.message
    r = evaluate(spec("record_count", equals="{{ max(r.vv for r in inputs.src.records) + 1 }}"), ctx(tmp_path))
    assert r.status == "error" and "did you mean 'v'?" in r.message, r.message
    r = evaluate(spec("template", expression="any(r.vv == 1 for r in records)"), ctx(tmp_path))  # false, not an error
    assert r.status == "failed" and "did you mean 'v'?" in r.message, r.message


def test_a_template_field_some_records_have_is_checked(tmp_path: Path) -> None:
    """Only a field that no record it is read from has is "nothing checked": one that some records lack (an
    optional field) is checked where it is, and a field read from a record's nested object or from the
    template's own values is not a record field at all."""
    recs = [{"id": 1, "v": 5}, {"id": 2}, {"id": 3, "v": 7, "meta": {"src": "a"}}]
    c = ctx(tmp_path, records=recs, messages=[], outputs={"q": recs})
    assert evaluate(spec("template", expression="all(r.v is None or r.v > 0 for r in records)"), c).status == \
        "passed"
    assert evaluate(spec("template", expression="all(r.meta is None or r.meta.nope is None for r in records)"),
                    c).status == "passed"  # 'meta' is in a record; 'nope' is read from a nested object only
    r = evaluate(spec("template", expression="all((r.vv or 0) + (r.idd or 0) >= 0 for r in records)"), c)
    assert r.message == ("nothing checked: field 'vv' is in none of the records the expression reads it from; did "
                         "you mean 'v'? (fields: id, meta, v)")  # the first of two typos, the fields of every record
    r = evaluate(spec("template", expression="all(r.v > 0 for r in records if r.v is not None) and "
                                             "records[0].vv is None"), c)
    assert r.message.startswith("nothing checked: field 'vv' is in none of the records")  # read from one record


def test_inputs_with_no_records_checked_nothing(tmp_path: Path) -> None:
    c = ctx(tmp_path, inputs={"src": []}, records_in=0)
    r = evaluate(spec("join_coverage", left_source="src", min_match_rate=0.5), c)
    assert r.message == "nothing checked: the left input 'src' has no records"
    r = evaluate(spec("completeness", input_source="src", key_field="id"), c)
    assert r.message == "nothing checked: the input 'src' has no records"
    r = evaluate(spec("error_rate", max_rate=0.1), c)
    assert r.message == "nothing checked: the query had no input records"
    r = evaluate(spec("completeness", input_source="src", key_field="idd"), ctx(tmp_path))
    assert r.message.startswith("nothing checked: key_field: field 'idd' is in none of the 4 records of input 'src'")


def _specs(*items: dict[str, Any]) -> list[AssertionSpec]:
    return [AssertionSpec.model_validate(i) for i in items]


def test_which_specs_expect_an_empty_output() -> None:
    assert expects_no_records(_specs({"type": "record_count", "equals": 0}))
    assert expects_no_records(_specs({"type": "record_count", "less_than": 1}))
    assert expects_no_records(_specs({"type": "record_count", "between": [0, 0]}))
    assert expects_no_records(_specs({"type": "expected_output", "records": []}))
    assert not expects_no_records(_specs({"type": "record_count", "less_than": 5}))
    assert not expects_no_records(_specs({"type": "record_count", "greater_than": 0}, {"type": "no_nulls"}))


def test_the_context_names_the_sink_whose_records_were_missing(tmp_path: Path) -> None:
    c = AssertionContext(records=[], output_label="records of sink 'audit'", base_dir=tmp_path)
    r = evaluate(spec("no_nulls", fields=["id"]), c)
    assert r.message == "nothing checked: there are no records of sink 'audit' to check"


@pytest.mark.parametrize(("type_", "params", "needs"), [
    ("schema_contains", {"fields": []}, "fields or key_field"),
    ("percentile", {"field": "v"}, "p50, p75, p90, p95, p99 or p999"),
    ("latency", {"timestamp_field": "ts"}, "max_latency_ms"),
    ("execution_time", {}, "max_ms or min_ms"),
    ("data_quality", {"min_quality_score": 0.5}, "no_nulls_in"),
    ("distribution", {"field": "v", "distribution_type": "custom"}, "mean, std_dev, min_value or max_value"),
])
def test_a_check_given_nothing_to_check_is_refused_at_load(tmp_path: Path, type_: str, params: dict[str, Any],
                                                           needs: str) -> None:
    """No bound, no field, no rule: it would pass on anything. Refused where the spec is loaded (``velotui
    validate`` says so, with the line), never a green."""
    from velotui.assertions.base import _params_model

    with pytest.raises(Exception) as e:
        _params_model(spec(type_, **params))
    assert "this checks nothing: give" in str(e.value) and needs in str(e.value)


@pytest.mark.parametrize(("type_", "params", "says"), [
    ("metric_counter", {"name": "n", "value": 20}, "value 20 has no operator"),
    ("metric_gauge", {"name": "n", "operator": "equals"}, "operator equals has no value"),
    ("field_values", {"field": "n", "operator": "not_equals"}, "not_equals what? give value"),
    ("field_values", {"field": "n", "value": None}, "equals what? give value"),
])
def test_a_metric_bound_missing_its_other_half_is_refused_at_load(type_: str, params: dict[str, Any],
                                                                  says: str) -> None:
    """A value with no operator (or an operator with no value) checked only that the metric exists: a
    ``value: 20`` that a counter of 5 passed. field_values skips NULLs: ``not_equals`` with no value (NULL)
    passed on any output."""
    from velotui.assertions.base import _params_model

    with pytest.raises(Exception) as e:
        _params_model(spec(type_, **params))
    assert says in str(e.value)
    if type_.startswith("metric"):
        for ok in ({"name": "n"}, {"name": "n", "operator": "equals", "value": 2}, {"name": "n", "between": [1, 2]}):
            _params_model(spec(type_, **ok))


@pytest.mark.parametrize(("type_", "params"), [
    ("aggregate_check", {"function": "SUM", "field": "n", "expected": 0}),
    ("ordering", {"field": "n"}),
    ("field_values", {"field": "n", "operator": "not_equals", "value": 3}),
    ("percentile", {"field": "n", "p50": 10}),
    ("distribution", {"field": "n", "max_value": 10, "min_records": 1}),
    ("data_quality", {"numeric_ranges": [{"field": "n", "min": 0, "max": 1}]}),
])
def test_a_field_null_in_every_record_checked_nothing(tmp_path: Path, type_: str, params: dict[str, Any]) -> None:
    """Checks that pass over NULLs looked at no value: SUM(n) = 0 of no value is no verdict."""
    recs = [{"id": 1, "n": None}, {"id": 2, "n": None}]
    r = evaluate(spec(type_, **params), ctx(tmp_path, records=recs, messages=[]))
    assert r.status == "failed" and "nothing checked" in r.message and "NULL in every one of the 2" in r.message
    # one value is enough to check
    r = evaluate(spec(type_, **params), ctx(tmp_path, records=[*recs, {"id": 3, "n": 0}], messages=[]))
    assert "nothing checked" not in r.message


def test_no_nulls_still_finds_the_nulls_of_a_field_null_everywhere(tmp_path: Path) -> None:
    r = evaluate(spec("no_nulls", fields=["n"]), ctx(tmp_path, records=[{"n": None}, {"n": None}], messages=[]))
    assert r.status == "failed" and "2 records have NULL in n" in r.message


@pytest.mark.parametrize(("type_", "params", "hint"), [
    ("field_values", {"field": "v", "operator": "greter_than", "value": 1}, "did you mean 'greater_than'?"),
    ("field_values", {"field": "v", "operator": "equal", "value": 1}, "did you mean 'equals'?"),
    ("metric_counter", {"name": "out_total", "operator": "equls", "value": 3}, "did you mean 'equals'?"),
])
def test_a_misspelt_operator_is_refused_at_load_with_did_you_mean(type_: str, params: dict[str, Any], hint: str
                                                                 ) -> None:
    from velotui.assertions.base import _params_model

    with pytest.raises(Exception) as e:
        _params_model(spec(type_, **params))
    assert "unknown operator" in str(e.value) and hint in str(e.value)


@pytest.mark.parametrize("expression", ["'false'", "records", "[r.v for r in records]", "{'a': 1}"])
def test_a_template_that_gives_no_true_or_false_is_an_error(tmp_path: Path, expression: str) -> None:
    """A text, a list or a map is no verdict: 'false' (a non-empty text) used to pass as true."""
    r = evaluate(spec("template", expression=expression), ctx(tmp_path))
    assert r.status == "error" and "not true or false" in r.message
    assert evaluate(spec("template", expression="len(records) > 0"), ctx(tmp_path)).status == "passed"


@pytest.mark.parametrize(("type_", "params", "words"), [
    ("record_count", {"between": [5, 1]}, "the low bound is above the high one"),
    ("no_duplicates", {"max_duplicate_percent": -5}, "greater than or equal to 0"),
    ("aggregate_check", {"function": "SUM", "field": "v", "expected": float("nan")}, "expected is NaN"),
    ("aggregate_check", {"function": "SUM", "field": "v", "expected": 1, "tolerance": -1}, "must not be negative"),
    ("percentile", {"field": "v", "p50": float("nan")}, "p50 is NaN"),
])
def test_a_bound_that_no_value_can_meet_is_refused_at_load(type_: str, params: dict[str, Any], words: str) -> None:
    """It loaded and then failed (or passed) for a reason the spec did not mean."""
    from velotui.assertions.base import _params_model

    with pytest.raises(Exception) as e:
        _params_model(spec(type_, **params))
    assert words in str(e.value)
