"""The corpus of broken inputs (tests/fixtures/bad/): each gives one VelotuiError whose message has the
exact shape `file:line[:column]: what` plus, where there is one, a hint that says how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from velotui.core.loading import sql_problems
from velotui.datagen import load_data_file
from velotui.errors import VelotuiError
from velotui.spec import load_config_file, load_data_schema, load_test_spec
from velotui.sql import load_app

BAD = Path("tests/fixtures/bad")
ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "spec_missing_queries.test.yaml": ("1:1", "missing required key 'queries'", "add 'queries:' here"),
    "spec_too_many_records.test.yaml": ("6:18", "'records': at most 10,000,000 records are generated for one "
                                        "input (a query that needs every record at once holds them in memory), "
                                        "not 20,000,000; for load tests use velotui stress, which streams "
                                        "batches (got 20000000)", None),
    "spec_wrong_type.test.yaml": ("2:18", "'default_records': input should be a valid integer, unable to parse "
                                          "string as an integer (got 'lots')", None),
    "spec_unknown_assertion.test.yaml": ("6:15", "unknown assertion type 'record_cnt'; did you mean "
                                                 "'record_count'?", "known types: aggregate_check"),
    "spec_bad_yaml.test.yaml": ("3:3", "invalid YAML: expected the node content, but found '-'",
                                "check indentation and quoting around this place"),
    "schema_derived.schema.yaml": ("5:5", "field 'total': derived expression: unknown name 'prise' in 'prise * 2'; "
                                   "did you mean 'price'?", "available: abs"),
    "schema_range.schema.yaml": ("6:14", "'range': range min (5) is greater than max (1)", None),
    "schema_bad_regex.schema.yaml": ("5:16", "'pattern': pattern is not a valid regular expression: "
                                             "unterminated character set at position 0 (got '[a-')", None),
    "schema_unknown_type.schema.yaml": ("4:11", "'type': unknown field type 'varchr'; use one of string, integer, "
                                                "float, boolean, timestamp, date, uuid, decimal (got 'varchr')",
                                        None),
    "schema_weights.schema.yaml": ("6:20", "'enum_values': enum_values has 2 values but 1 weights", None),
    "sql_syntax.sql": ("2:12", "syntax error: Invalid expression / Unexpected token",
                       "check the statement near this place against docs/SQL.md"),
    "sql_trailing_comma.sql": ("2:18", "syntax error: ',' followed by 'FROM': an item is missing (or the ',' is "
                               "one too many)", "check the statement near this place against docs/SQL.md"),
    "sql_emit_final.sql": ("2:8", "o: EMIT FINAL needs a WINDOW", "add WINDOW TUMBLING(…) or use EMIT CHANGES"),
    "sql_unknown_function.sql": ("2:8", "o: unknown function FROBNICATE",
                                 "see docs/SQL.md for the function catalogue"),
    "sql_ungrouped.sql": ("2:11", "o: column v must appear in GROUP BY or inside an aggregate",
                          "add v to GROUP BY, or wrap it: MAX(v)"),
    "data_bad.jsonl": ("2", "invalid JSON on this line: unexpected end of data: line 1 column 9 (char 8)",
                       "JSONL holds one JSON object per line"),
    "spec_not_utf8.test.yaml": ("1:17", "not UTF-8 text: byte 0xe9 at byte offset 16", "save the file as UTF-8"),
    "spec_empty.test.yaml": ("1", "the test spec is empty",
                             "a test spec needs application: and queries: (velotui init APP.sql drafts one)"),
    "spec_nul.test.yaml": ("3:12", "a NUL byte at byte offset 35: this is not a text file",
                           "name a text file (UTF-8); a binary file cannot be read here"),
    "spec_duplicate_key.test.yaml": ("5:5", "duplicate key 'name' (first written at line 3)",
                                     "remove one of them, or merge their values"),
    "spec_alias_bomb.test.yaml": ("9:8", "YAML aliases expand this document to 490,329,068 values (limit 100,000); "
                                  "*h alone stands for 48,427,561", "an alias bomb? write the values out, or nest "
                                  "fewer aliases"),
    "spec_deep.test.yaml": ("3:68", "YAML nests more than 64 levels deep",
                            "flatten the structure; specs and schemas never need this depth"),
    "schema_not_utf8.schema.yaml": ("3:11", "not UTF-8 text: byte 0xff at byte offset 26", "save the file as UTF-8"),
    "schema_empty.schema.yaml": ("1", "the data schema is empty",
                                 "a data schema needs name: and fields: (velotui infer-schema drafts one)"),
    "schema_derived_cycle.schema.yaml": ("3:5", "derived fields read each other in a cycle: a -> c -> b -> a",
                                         "one of them must be generated (give it a type and constraints, not "
                                         "derived)"),
    "sql_not_utf8.sql": ("2:16", "not UTF-8 text: byte 0xe9 at byte offset 34", "save the file as UTF-8"),
    "config_not_utf8.yaml": ("2:9", "not UTF-8 text: byte 0x80 at byte offset 22", "save the file as UTF-8"),
    "config_empty.yaml": ("1", "the config file is empty",
                          "write its keys (topic: orders, value.format: json, …) or stop naming it"),
    "data_not_utf8.csv": ("3:6", "not UTF-8 text: byte 0xe9 at byte offset 18", "save the file as UTF-8"),
    "data_scalars.json": ("2", "item 0 of the array is a number, not an object",
                          'each record is an object: [{"id": 1}, {"id": 2}]'),
    "data_empty.jsonl": ("1", "data file is empty", "put the records in it (one JSON object per line, or a CSV "
                         "header and rows), or give the input records: 0"),
    "spec_5000_digits.test.yaml": ("3:6", "value 9999999999999999999999999999999999999999… cannot be read: Exceeds "
                                   "the limit (4300 digits) for integer string conversion: value has 5000 digits",
                                   "quote it to keep it as text"),
    "data_5000_digits.jsonl": ("1", "invalid JSON on this line: Exceeds the limit (4300 digits) for integer string "
                               "conversion: value has 5000 digits: line 1 column 1 (char 0)",
                               "JSONL holds one JSON object per line"),
    "data_bad.csv": ("3", "row has 1 columns, the header has 2",
                     "every row needs one value per header column (an empty cell is NULL)"),
}


def _load(path: Path) -> None:
    name = path.name
    if name.endswith(".test.yaml"):
        load_test_spec(path)
    elif name.endswith(".schema.yaml"):
        load_data_schema(path)
    elif name.startswith("config_"):
        load_config_file(path)
    elif name.endswith(".sql"):  # what `velotui validate` checks: the SQL's shape, then the engine's plan
        problems = sql_problems(load_app(path))
        if problems:
            raise problems[0]
    else:
        load_data_file(path)


def test_corpus_is_complete() -> None:
    files = {p.name for p in (ROOT / BAD).iterdir()} - {"config_cycle_a.yaml", "config_cycle_b.yaml"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exact_error_shape(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    where, what, hint = EXPECTED[name]
    with pytest.raises(VelotuiError) as e:
        _load(BAD / name)
    first, *rest = str(e.value).splitlines()
    assert first == f"{BAD / name}:{where}: {what}"
    if hint is None:
        assert e.value.hint is None
    else:
        assert rest and rest[0].startswith("  hint: ") and hint in rest[0]


def test_config_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with pytest.raises(VelotuiError) as e:
        load_config_file(BAD / "config_cycle_a.yaml")
    assert str(e.value).splitlines()[0].endswith(
        "config_cycle_b.yaml:1: config 'extends' cycle: config_cycle_a.yaml -> config_cycle_b.yaml -> "
        "config_cycle_a.yaml")
    assert e.value.hint == "remove one of the extends"


def test_incomplete_expressions_are_said_in_sql_words(tmp_path: Path) -> None:
    from velotui.errors import VelotuiError
    from velotui.sql import parse_app

    cases = {"SELECT id, amount * FROM t": "'*' has no right-hand side",
             "SELECT id FROM t WHERE amount > AND id = 1": "'>' has no right-hand side",
             "SELECT id FROM t WHERE": "WHERE has nothing after it"}
    for query, message in cases.items():
        with pytest.raises(VelotuiError) as e:
            parse_app(f"CREATE STREAM o AS\n{query};\n", tmp_path / "a.sql")
        assert message in str(e.value) and "<class" not in str(e.value), str(e.value)
