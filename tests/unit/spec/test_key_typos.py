"""A key one edit from a known key is an error (file:line:col, did you mean); a far key stays a warning.

At every level of a spec — top, query, input, assertion, assertion parameter — and of a data schema.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import velotui.assertions  # noqa: F401  (registers the assertion types spec validation reads)
from velotui.errors import SpecError
from velotui.spec import parse_data_schema, parse_test_spec
from velotui.spec.validation import edit_distance, near_key

HEAD = "application: a\nqueries:\n  - name: q\n    inputs:\n      - source: s\n        records: 5\n"


def _error(text: str) -> SpecError:
    with pytest.raises(SpecError) as e:
        parse_test_spec(text, "x.test.yaml")
    return e.value


@pytest.mark.parametrize("text, where, message", [
    ("application: a\ndescriptoin: d\nqueries: []\n", (2, 1), "unknown key 'descriptoin'; did you mean 'description'?"),
    ("application: a\nqueries:\n  - name: q\n    inputs: []\n    assertion:\n      - type: record_count\n"
     "        equals: 1\n", (5, 5), "unknown key 'assertion'; did you mean 'assertions'?"),
    (HEAD.replace("        records: 5\n", "        recods: 5\n"), (6, 9), "unknown key 'recods'; did you mean 'records'?"),
    (HEAD + "    assertions:\n      - type: record_count\n        equals: 1\n        descripton: x\n", (10, 9),
     "record_count: unknown key 'descripton'; did you mean 'description'?"),
    (HEAD + "    assertions:\n      - type: record_count\n        equls: 1\n", (9, 9),
     "record_count: unknown key 'equls'; did you mean 'equals'?"),
    (HEAD + "    assertions:\n      - type: no_nulls\n        feilds: [id]\n", (9, 9),
     "no_nulls: unknown key 'feilds'; did you mean 'fields'?"),
    (HEAD + "    metric_assertions:\n      - type: metric_counter\n        nme: c\n", (9, 9),
     "metric_counter: unknown key 'nme'; did you mean 'name'?"),
    (HEAD + "    outputs:\n      - sink: q\n        assertons: []\n", (9, 9),
     "unknown key 'assertons'; did you mean 'assertions'?"),
    (HEAD + "    outputs:\n      - sink: q\n        assertions:\n          - type: field_values\n"
     "            field: x\n            vlaue: 1\n", (12, 13), "field_values: unknown key 'vlaue'; did you mean 'value'?"),
    (HEAD + "    assertions:\n      - type: record_count\n        params: {equal: 1}\n", (9, 18),
     "record_count: unknown key 'equal'; did you mean 'equals'?"),
    (HEAD + "    assertions:\n      - type: data_quality\n        numeric_ranges: [{feild: v, min: 0, max: 1}]\n",
     (9, 27), "data_quality: unknown key 'feild'; did you mean 'field'?"),
    (HEAD + "        time_simulation: {start_tme: -1h}\n", (7, 27),
     "unknown key 'start_tme'; did you mean 'start_time'?"),
    (HEAD + "    expected_output: {records: [], ordr: exact}\n", (7, 36), "unknown key 'ordr'; did you mean 'order'?"),
    ("application: a\nstress_test: {enbled: true}\nqueries: []\n", (2, 15),
     "unknown key 'enbled'; did you mean 'enabled'?"),
    ("application: a\nfault_injection:\n  duplicates: {enabeld: true}\nqueries: []\n", (3, 16),
     "unknown key 'enabeld'; did you mean 'enabled'?"),
    ("application: a\nQueries: []\n", (2, 1), "unknown key 'Queries'; did you mean 'queries'?"),
], ids=["top", "query", "input", "assertion", "assertion-param", "assertion-param-swap", "metric-param",
        "outputs-entry", "sink-assertion-param", "params-block", "nested-rule", "time_simulation", "expected_output",
        "stress_test", "fault_injection", "case"])
def test_a_typo_is_an_error_at_every_level(text: str, where: tuple[int, int], message: str) -> None:
    e = _error(text)
    assert (e.file, e.line, e.column) == ("x.test.yaml", *where), str(e)
    assert e.message.splitlines()[0] == message


def test_the_hint_says_how_to_fix_it() -> None:
    e = _error("application: a\ndescriptoin: d\nqueries: []\n")
    assert str(e) == ("x.test.yaml:2:1: unknown key 'descriptoin'; did you mean 'description'?\n"
                      "  hint: rename it to 'description' (a key one edit from a known key is a typo)")


def test_every_typo_is_listed_not_only_the_first() -> None:
    e = _error("application: a\ndescriptoin: d\nseeed: 1\nqueries: []\n")
    assert "also: x.test.yaml:3:1: unknown key 'seeed'; did you mean 'seed'?" in e.message


def test_a_far_key_stays_a_warning_at_every_level() -> None:
    spec = parse_test_spec("application: a\nowner_team: data\nqueries:\n  - name: q\n    jira_ticket: X-1\n"
                           "    inputs:\n      - source: s\n        generator_hint: fast\n    assertions:\n"
                           "      - type: record_count\n        equals: 1\n        ci_label: nightly\n", "x.test.yaml")
    got = [(w.line, w.column, w.message.split(" (known keys")[0]) for w in spec.warnings]
    assert got == [(2, 1, "unknown key 'owner_team'"), (5, 5, "unknown key 'jira_ticket'"),
                   (8, 9, "unknown key 'generator_hint'"), (12, 9, "record_count: unknown key 'ci_label'")]
    assert [w.query for w in spec.warnings] == [None, "q", "q", "q"]


def test_a_required_key_written_under_another_name_is_named() -> None:
    """`metric:` for `name:` is too far for "did you mean", but one key missing beside one key nobody knows
    says which key was meant: the error names both, at the unknown key."""
    e = _error(HEAD + "    metric_assertions:\n      - type: metric_counter\n        metric: records_total\n"
               "        operator: equals\n        value: 1\n")
    assert (e.line, e.column) == (9, 9), str(e)
    assert e.message.splitlines()[0] == ("metric_counter: missing required key 'name'; is 'metric' meant as 'name'? "
                                         "('metric' is no key of metric_counter)")
    assert e.hint is not None and e.hint.startswith("rename 'metric' to 'name'")
    # two unknown keys, or two missing ones: no guess, the plain message
    e = _error(HEAD + "    metric_assertions:\n      - type: metric_counter\n        metric: records_total\n"
               "        counter: x\n        operator: equals\n        value: 1\n")
    assert "is 'metric' meant" not in e.message and "'name'" in e.message


def test_the_same_rule_holds_at_every_level_of_the_spec() -> None:
    e = _error("application: a\nqueries:\n  - name: q\n    inputs:\n      - from: s\n        records: 5\n")
    assert (e.line, e.column) == (5, 9), str(e)
    assert e.message.splitlines()[0] == "missing required key 'source'; is 'from' meant as 'source'? ('from' is no key here)"
    e = _error("application: a\nqueries:\n  - title: q\n    inputs: []\n")
    assert e.message.splitlines()[0].startswith("missing required key 'name'; is 'title' meant as 'name'?")


def test_strict_makes_far_keys_errors_too() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec(HEAD + "    assertions:\n      - type: record_count\n        equals: 1\n"
                        "        ci_label: nightly\n", "x.test.yaml", strict=True)
    assert (e.value.line, e.value.column) == (10, 9)
    assert e.value.message.startswith("record_count: unknown key 'ci_label'")


def test_schema_keys_follow_the_same_rule() -> None:
    with pytest.raises(SpecError) as e:
        parse_data_schema("name: s\nfields:\n  - name: a\n    type: integer\n    nulable: true\n", "s.schema.yaml")
    assert (e.value.line, e.value.column, e.value.message) == (5, 5, "unknown key 'nulable'; did you mean 'nullable'?")
    with pytest.raises(SpecError) as e:
        parse_data_schema("name: s\nfields:\n  - name: a\n    type: integer\n    constraints:\n"
                          "      rnage: {min: 0, max: 1}\n", "s.schema.yaml")
    assert e.value.message == "unknown key 'rnage'; did you mean 'range'?"
    schema = parse_data_schema("name: s\nfields:\n  - name: a\n    type: integer\n    owner: me\n", "s.schema.yaml")
    assert [w.message.split(" (")[0] for w in schema.warnings] == ["unknown key 'owner'"]


def test_one_edit_means_one_edit() -> None:
    assert edit_distance("feilds", "fields") == 1  # two neighbours swapped
    assert edit_distance("equls", "equals") == 1
    assert edit_distance("assertion", "assertions") == 1
    assert edit_distance("reocrds", "records") == 1
    assert edit_distance("rcords", "records") == 1
    assert edit_distance("recrds2", "records") == 2
    assert near_key("Equals", ["equals"]) == "equals"
    assert near_key("value_field", ["field", "value"]) is None


def test_a_param_typo_is_exit_2_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from velotui.cli import main

    (tmp_path / "app.sql").write_text("-- @data.a.type: integer\nCREATE STREAM o AS SELECT a FROM s;\n")
    (tmp_path / "app.test.yaml").write_text(HEAD.replace("name: q", "name: o") +
                                            "    assertions:\n      - type: record_count\n        equls: 5\n")
    assert main(["--headless", str(tmp_path), "-q"]) == 2
    out = capsys.readouterr().out
    assert f"{tmp_path / 'app.test.yaml'}:9:9: record_count: unknown key 'equls'; did you mean 'equals'?" in out
    assert main(["validate", str(tmp_path)]) == 2
