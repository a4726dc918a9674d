"""Spec mistakes that used to pass silently (an attack found them): each is refused at load, naming the file,
the line and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import velotui.assertions  # noqa: F401  (registers the assertion types spec validation reads)
from velotui.errors import SpecError
from velotui.spec import parse_test_spec

DUPLICATE = """\
application: f
queries:
  - name: out_s
    inputs: [{source: s, records: 1}]
    assertions: [{type: record_count, equals: 2}]
  - name: other
    inputs: [{source: s, records: 1}]
  - name: out_s
    inputs: [{source: s, records: 1}]
    assertions: [{type: record_count, equals: 99}]
"""


def test_a_second_query_with_a_name_already_used_is_an_error_at_its_line() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec(DUPLICATE, "f.test.yaml")
    err = e.value
    assert (err.file, err.line) == ("f.test.yaml", 8)
    assert "duplicate query name 'out_s'" in err.message and "first used at line 3" in err.message


# -- references and keys the run never read (an app loaded whole: SQL, spec, schema, data file) ------------

APP_SQL = """\
-- @app: f
CREATE STREAM out_s AS
SELECT id, value FROM s WHERE value > 1
EMIT CHANGES
WITH ('s.type' = 'kafka_source', 'out_s.type' = 'kafka_sink', 'out_s.topic.name' = 'out_s');
"""
SCHEMA = """\
name: s
fields:
  - name: id
    type: integer
  - name: value
    type: integer
"""


def _load(tmp_path: Path, spec: str, *, strict: bool = False) -> Any:
    from velotui.core.discovery import app_files_for
    from velotui.core.loading import load_app_under_test

    (tmp_path / "schemas").mkdir(exist_ok=True)
    (tmp_path / "schemas" / "s.schema.yaml").write_text(SCHEMA)
    (tmp_path / "in.jsonl").write_text('{"id": 1, "value": 5}\n{"id": 2, "value": 0}\n')
    (tmp_path / "f.sql").write_text(APP_SQL)
    (tmp_path / "f.test.yaml").write_text(spec)
    return load_app_under_test(app_files_for(tmp_path / "f.sql", tmp_path), strict=strict, root=tmp_path)


def _spec(query: str = "", top: str = "", inp: str = "      - source: s\n        data_file: in.jsonl\n") -> str:
    return (f"application: f\n{top}queries:\n  - name: out_s\n{query}    inputs:\n{inp}"
            "    assertions: [{type: record_count, equals: 1}]\n")


def test_the_app_loads_as_written(tmp_path: Path) -> None:
    assert _load(tmp_path, _spec()).warnings == []


@pytest.mark.parametrize("query, words", [
    ("    dependencies: [out_z]\n", "dependencies names 'out_z', which is no query of this spec"),
    ("    dependencies: [out_s]\n", "dependencies names the query itself"),
])
def test_dependencies_name_a_query_of_the_spec(tmp_path: Path, query: str, words: str) -> None:
    with pytest.raises(SpecError) as e:
        _load(tmp_path, _spec(query))
    assert words in e.value.message and e.value.line == 4 and e.value.file.endswith("f.test.yaml")


def test_a_dependency_one_edit_from_a_query_says_did_you_mean(tmp_path: Path) -> None:
    spec = _spec("    dependencies: [firts]\n") + ("  - name: first\n    inputs:\n      - source: s\n"
                                                   "        data_file: in.jsonl\n")
    with pytest.raises(SpecError, match="did you mean 'first'"):
        _load(tmp_path, spec)


def test_from_previous_names_a_query_of_the_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as e:
        _load(tmp_path, _spec(inp="      - source: s\n        from_previous: out_z\n"))
    assert "from_previous names 'out_z'" in e.value.message and e.value.line == 6


@pytest.mark.parametrize("inp, origin", [
    ("      - source: s\n        data_file: in.jsonl\n        key_field: idd\n", "the header of in.jsonl"),
    ("      - source: s\n        records: 3\n        key_field: idd\n", "schema s"),
])
def test_a_key_field_that_is_no_field_of_the_input_is_an_error(tmp_path: Path, inp: str, origin: str) -> None:
    with pytest.raises(SpecError) as e:
        _load(tmp_path, _spec(inp=inp))
    err = e.value
    assert f"key_field 'idd' is not a field of {origin}" in err.message and "did you mean 'id'?" in err.message
    assert err.line == 7 and "id, value" in (err.hint or "")


def test_config_key_typos_get_the_with_clause_warning(tmp_path: Path) -> None:
    top = "config:\n  'watermark.max_out_of_ordernes': 5s\n  'out_s.topic.nme': other\n  'vendor.x': 1\n"
    loaded = _load(tmp_path, _spec(top=top))
    text = [f"{w.line}: {w.message}" for w in loaded.app_warnings()]
    assert text == [
        "3: config key 'watermark.max_out_of_ordernes' is not one velotui reads; did you mean "
        "'watermark.max_out_of_orderness'?",
        "4: config key 'out_s.topic.nme' is not one velotui reads; did you mean 'out_s.topic.name'?"]
    with pytest.raises(SpecError, match="max_out_of_ordernes"):  # --strict: an error
        _load(tmp_path, _spec(top=top), strict=True)


def test_a_with_key_one_edit_from_a_known_one_inside_an_open_group_is_warned(tmp_path: Path) -> None:
    from velotui.sql import parse_app
    from velotui.sql.validate import property_problems

    app = parse_app(APP_SQL.replace("'out_s.topic.name'", "'out_s.topic.nme'"), tmp_path / "a.sql")
    assert [m for _, m in property_problems(app)] == [
        "WITH key 'out_s.topic.nme' is not one velotui reads; did you mean 'out_s.topic.name'?"]


def test_an_output_sink_type_other_than_the_statement_sink_is_a_warning(tmp_path: Path) -> None:
    loaded = _load(tmp_path, _spec("    output:\n      sink_type: {type: file, path: out.csv, format: csv}\n"))
    [w] = loaded.query_warnings("out_s")
    assert "output.sink_type (file path 'out.csv') has no effect" in w.message and w.line == 5
    same = _load(tmp_path, _spec("    output:\n      sink_type: {type: kafka, topic: out_s}\n"))
    assert same.warnings == []  # the statement's own sink: harmless


@pytest.mark.parametrize("inp, key", [
    ("      - source: s\n        data_file: in.jsonl\n        time_simulation: {start_time: '-1h'}\n",
     "time_simulation"),
    ("      - source: s\n        data_file: in.jsonl\n        records: 5\n", "records"),
])
def test_an_input_key_its_kind_never_reads_is_a_warning(tmp_path: Path, inp: str, key: str) -> None:
    loaded = _load(tmp_path, _spec(inp=inp))
    [w] = loaded.query_warnings("out_s")
    assert w.message == f"input 's': {key} has no effect on a data_file input (its records, timestamps and keys " \
                        "are the file's)" and w.line == 7


def test_a_dlq_topic_the_statement_does_not_declare_is_refused(tmp_path: Path) -> None:
    def spec(topic: str, top: str = "") -> str:
        return (f"application: f\n{top}queries:\n  - name: out_s\n    inputs:\n      - source: s\n"
                f"        data_file: in.jsonl\n    assertions:\n      - {{type: dlq_count, topic: {topic}, equals: 0}}\n")

    with pytest.raises(SpecError) as e:
        _load(tmp_path, spec("no_such_dlq_topic"))
    assert "topic 'no_such_dlq_topic': statement 'out_s' declares no DLQ topic" in e.value.message
    assert e.value.line == 8
    top = "config:\n  dlq.topic: out_dlq\n"
    with pytest.raises(SpecError, match="is not the DLQ topic of statement 'out_s'; did you mean 'out_dlq'"):
        _load(tmp_path, spec("out_dlqq", top))
    _load(tmp_path, spec("out_dlq", top))  # the statement's DLQ topic: counts its dead letters


def test_a_corruption_type_one_edit_from_a_known_kind_is_an_error() -> None:
    """field_corruption corrupted any name it did not know as wrong_type without a word: a misspelt kind
    (unexpected_nul) silently injected another fault. A name far from every kind (velo-test's own) still
    corrupts as wrong_type (docs/FORMATS.md)."""
    spec = ("application: f\nfault_injection:\n  field_corruption:\n    enabled: true\n    rate: 0.5\n"
            "    corruption_types: [{kind}]\nqueries:\n  - name: o\n    inputs: [{{source: s, records: 1}}]\n"
            "    assertions: [{{type: record_count, equals: 1}}]\n")
    with pytest.raises(SpecError) as e:
        parse_test_spec(spec.format(kind="unexpected_nul"), "f.test.yaml")
    assert "unknown corruption type 'unexpected_nul'; did you mean 'unexpected_null'?" in e.value.message
    assert e.value.line == 6
    for ok in ("unexpected_null", "type_mismatch_of_velo_test"):
        parse_test_spec(spec.format(kind=ok), "f.test.yaml")
