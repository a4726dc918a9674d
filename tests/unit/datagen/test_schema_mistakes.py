"""Data schema mistakes a new user makes by accident (an attack on the schemas found them): each either gives
the data the schema says, or is refused when the schema loads, naming the file, the line and the fix. None
may crash a run, nor generate a dataset other than the one written, without a word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import velotui.assertions  # noqa: F401  (registers the assertion types spec validation reads)
from velotui.datagen import DataGenerator
from velotui.errors import SpecError
from velotui.spec import parse_data_schema

NOW = 1_700_000_000_000

APP_SQL = """\
-- @app: f
CREATE STREAM out_s AS
SELECT id, amount FROM orders WHERE amount > 10
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'out_s.type' = 'kafka_sink', 'out_s.topic.name' = 'out_s');
"""
SPEC = """\
application: f
queries:
  - name: out_s
    inputs: [{source: orders, records: 20}]
    assertions: [{type: record_count, greater_than: 0}]
"""


def _load(tmp_path: Path, schemas: dict[str, str], *, strict: bool = False) -> Any:
    """An app whose input is generated from schemas/orders.schema.yaml (and the other schemas given)."""
    from velotui.core.discovery import app_files_for
    from velotui.core.loading import load_app_under_test

    (tmp_path / "schemas").mkdir(exist_ok=True)
    for name, text in schemas.items():
        (tmp_path / "schemas" / f"{name}.schema.yaml").write_text(text)
    (tmp_path / "f.sql").write_text(APP_SQL)
    (tmp_path / "f.test.yaml").write_text(SPEC)
    return load_app_under_test(app_files_for(tmp_path / "f.sql", tmp_path), strict=strict, root=tmp_path)


def _records(loaded: Any, name: str = "orders", n: int = 50) -> list[dict[str, Any]]:
    gen = DataGenerator(loaded.schemas, seed=7, now_ms=NOW)
    return gen.generate(loaded.schemas[name], n).records


ORDERS = """\
name: orders
fields:
  - name: id
    type: integer
  - name: amount
    type: float
    constraints: {range: {min: 0, max: 100}}
"""


# -- foreign keys (references: {schema, field}) ----------------------------------------------------------

def test_a_field_referencing_its_own_schema_takes_values_of_that_field(tmp_path: Path) -> None:
    """A parent id: it recursed without end (RecursionError, 'engine crashed')."""
    loaded = _load(tmp_path, {"orders": ORDERS + """\
  - name: parent
    type: integer
    constraints: {references: {schema: orders, field: id}}
"""})
    rows = _records(loaded)
    ids = {r["id"] for r in _records(loaded, n=100)}
    assert rows and all(r["parent"] in ids for r in rows)


def test_references_that_come_back_in_a_cycle_are_an_error_at_load(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as e:
        _load(tmp_path, {"orders": ORDERS + """\
  - name: cust
    type: integer
    constraints: {references: {schema: customers, field: last_order}}
""", "customers": """\
name: customers
fields:
  - name: last_order
    type: integer
    constraints: {references: {schema: orders, field: cust}}
"""})
    assert "references come back to it in a cycle: orders.cust -> customers.last_order -> orders.cust" in \
        e.value.message
    assert e.value.file is not None and e.value.line == 8


def test_a_referenced_field_that_does_not_exist_is_an_error_at_load_with_did_you_mean(tmp_path: Path) -> None:
    """It loaded (validate: ok) and failed only once the run generated the input."""
    with pytest.raises(SpecError) as e:
        _load(tmp_path, {"orders": ORDERS + """\
  - name: cust
    type: integer
    constraints: {references: {schema: customers, field: custid}}
""", "customers": "name: customers\nfields:\n  - name: cust_id\n    type: integer\n"})
    assert "references customers.custid, but schema 'customers' has no field 'custid'; did you mean 'cust_id'?" \
        in e.value.message
    assert str(e.value.file).endswith("orders.schema.yaml") and e.value.line == 8


def test_a_referenced_field_of_another_type_is_an_error_at_load(tmp_path: Path) -> None:
    """uuid values went into an integer field: every record a dead letter, the query's output empty."""
    with pytest.raises(SpecError) as e:
        _load(tmp_path, {"orders": ORDERS + """\
  - name: cust
    type: integer
    constraints: {references: {schema: customers, field: cid}}
""", "customers": "name: customers\nfields:\n  - name: cid\n    type: uuid\n"})
    assert "is integer but references customers.cid, which is uuid" in e.value.message
    assert e.value.line == 8


def test_a_referenced_schema_not_found_says_the_closest_name(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as e:
        _load(tmp_path, {"orders": ORDERS + """\
  - name: cust
    type: integer
    constraints: {references: {schema: customer, field: id}}
""", "customers": "name: customers\nfields:\n  - name: id\n    type: integer\n"})
    assert "references schema 'customer', which is not found; did you mean 'customers'?" in e.value.message


def test_warnings_of_a_referenced_schema_reach_the_report(tmp_path: Path) -> None:
    """Loaded only as a foreign key's target, its warnings were dropped (in no report)."""
    loaded = _load(tmp_path, {"orders": ORDERS + """\
  - name: cust
    type: integer
    constraints: {references: {schema: customers, field: id}}
""", "customers": "name: customers\nowner_team: billing\nfields:\n  - name: id\n    type: integer\n"})
    assert any("unknown key 'owner_team'" in w.message and str(w.file).endswith("customers.schema.yaml")
               for w in loaded.app_warnings())


# -- generation order ------------------------------------------------------------------------------------

def test_a_random_walk_is_grouped_by_a_field_written_after_it() -> None:
    """The group field was not generated yet: one walk wandered through every group without a word."""
    schema = parse_data_schema("""\
name: prices
fields:
  - name: price
    type: float
    constraints:
      range: {min: 1, max: 1000}
      distribution: {random_walk: {group_by: symbol, volatility: 0.05}}
  - name: symbol
    type: string
    constraints: {enum_values: {values: [A, B, C]}}
""", "prices.schema.yaml")
    before = parse_data_schema("""\
name: prices
fields:
  - name: symbol
    type: string
    constraints: {enum_values: {values: [A, B, C]}}
  - name: price
    type: float
    constraints:
      range: {min: 1, max: 1000}
      distribution: {random_walk: {group_by: symbol, volatility: 0.05}}
""", "prices.schema.yaml")
    gen = DataGenerator({"prices": schema}, seed=3, now_ms=NOW)
    after_rows = gen.generate(schema, 300).records
    before_rows = DataGenerator({"prices": before}, seed=3, now_ms=NOW).generate(before, 300).records
    assert after_rows == [{"price": r["price"], "symbol": r["symbol"]} for r in before_rows]


def test_fields_grouped_by_each_other_are_an_error_at_load() -> None:
    with pytest.raises(SpecError) as e:
        parse_data_schema("""\
name: s
fields:
  - name: a
    type: float
    constraints: {distribution: {random_walk: {group_by: b}}}
  - name: b
    type: float
    constraints: {distribution: {random_walk: {group_by: a}}}
""", "s.schema.yaml")
    assert "in a cycle: a -> b -> a" in e.value.message and e.value.line == 3


# -- a schema that loads is a schema that generates (velotui.datagen.selfcheck) --------------------------

def _field(constraints: str, kind: str = "string") -> str:
    if constraints.startswith("{"):
        return f"name: s\nfields:\n  - name: c\n    type: {kind}\n    constraints: {constraints}\n"
    return f"name: s\nfields:\n  - name: c\n    type: {kind}\n    constraints:\n      {constraints}\n"


@pytest.mark.parametrize(("constraints", "kind", "words", "line"), [
    # crashed the run: "Probabilities contain NaN", "low >= high"; NaN values went into records
    ("enum_values: {values: [a, b], weights: [1, .nan]}", "string", "'weights[1]': input should be a finite number", 6),
    ("enum_values: {values: [a, b], weights: [.inf, 1]}", "string", "'weights[0]': input should be a finite number", 6),
    ("range: {min: 0.2, max: 0.7}", "integer", "the integer range 0.2 to 0.7 holds no whole number", 3),
    ("distribution: {normal: {mean: .nan, std_dev: 1}}", "float", "'mean': input should be a finite number", 6),
    ("distribution: {random_walk: {drift: .inf}}", "float", "'drift': input should be a finite number", 6),
    # loaded, then failed the run once it generated (validate: ok)
    ("timestamp_range: {start: yesterday}", "timestamp", "'start': invalid time 'yesterday'", 6),
    ("timestamp_range: {start: '-1 hour'}", "timestamp", "invalid time '-1 hour'", 6),
    ("timestamp_range: {start: -1h, end: -2h}", "timestamp", "timestamp range start (-1h) is after its end (-2h)", 6),
    ("timestamp_range: {start: 2024-01-03, end: 2024-01-01}", "timestamp", "start (2024-01-03) is after its end", 6),
    (r"pattern: '(a)\1'", "string", "uses GROUPREF, which generation does not support", 3),
    ("pattern: '(?=x)x'", "string", "uses ASSERT, which generation does not support", 3),
    (r"pattern: '[^\x00-\uffff]'", "string", "a negated class leaves no printable character to draw", 3),
    # generated strings the pattern does not match (Python reads [[:alpha:]] as one of '[:alph' then ']')
    ("pattern: '[[:alpha:]]+'", "string", "POSIX class [:alpha:] is not a class in Python's regular expressions", 6),
])
def test_a_constraint_generation_cannot_honour_is_an_error_at_load(constraints: str, kind: str, words: str,
                                                                   line: int) -> None:
    with pytest.raises(SpecError) as e:
        parse_data_schema(_field(constraints, kind), "s.schema.yaml")
    assert words in e.value.message
    assert (str(e.value.file), e.value.line) == ("s.schema.yaml", line)


def test_a_time_simulation_the_run_cannot_read_is_an_error_when_the_spec_loads() -> None:
    from velotui.spec import parse_test_spec

    with pytest.raises(SpecError) as e:
        parse_test_spec("application: a\nqueries:\n  - name: q\n    inputs:\n      - source: s\n"
                        "        time_simulation: {start_time: '1 hour ago'}\n", "a.test.yaml")
    assert "invalid time '1 hour ago'" in e.value.message and e.value.line == 6


def test_an_unquoted_iso_date_is_that_date() -> None:
    """YAML reads 2024-01-01 as a date: it was refused as 'input should be a valid string … integer'."""
    schema = parse_data_schema(_field("timestamp_range: {start: 2024-01-01, end: 2024-01-02}", "timestamp"),
                               "s.schema.yaml")
    rows = DataGenerator({"s": schema}, seed=1, now_ms=NOW).generate(schema, 100).records
    assert all(1_704_067_200_000 <= r["c"] <= 1_704_153_600_000 for r in rows)


@pytest.mark.parametrize(("pattern", "chars"), [
    (r"[^\W]{3}", r"\w{3}"),  # a negated category drew ' ' (which \W matches)
    (r"[^\S]", r"\s"),  # drew '-', '_' and '.'
])
def test_a_negated_category_generates_strings_that_match(pattern: str, chars: str) -> None:
    import re

    schema = parse_data_schema(_field(f"pattern: '{pattern}'"), "s.schema.yaml")
    rows = DataGenerator({"s": schema}, seed=1, now_ms=NOW).generate(schema, 2000).records
    assert all(re.fullmatch(pattern, r["c"]) and re.fullmatch(chars, r["c"]) for r in rows)


@pytest.mark.parametrize(("constraints", "kind"), [
    ("{range: {min: 0.5, max: 3.5}, distribution: {normal: {mean: 2, std_dev: 3}}}", "integer"),  # 3.5 made 4
    ("range: {min: 0.00001, max: 0.00002}", "float"),  # rounded to 0.0 at 4 places
])
def test_numbers_never_round_out_of_their_range(constraints: str, kind: str) -> None:
    schema = parse_data_schema(_field(constraints, kind), "s.schema.yaml")
    rng = schema.fields[0].constraints.range
    rows = DataGenerator({"s": schema}, seed=1, now_ms=NOW).generate(schema, 5000).records
    assert all(rng.min <= r["c"] <= rng.max for r in rows)


# -- what is written is what is generated --------------------------------------------------------------

@pytest.mark.parametrize(("value", "words"), [
    ("NO", "enum value NO is read by YAML as false, so the string field would be 'False', not 'NO'"),  # Norway
    ("on", "enum value on is read by YAML as true"),
    ("010", "enum value 010 is read by YAML as the number 8"),
    ("1.50", "enum value 1.50 is read by YAML as the number 1.5"),
    ("null", "enum value null is a NULL, and the field is not nullable"),
])
def test_a_text_enum_value_yaml_reads_as_something_else_is_an_error_at_its_line(value: str, words: str) -> None:
    text = f"name: s\nfields:\n  - name: c\n    type: string\n    constraints:\n      enum_values:\n" \
           f"        values: [SE, {value}]\n"
    with pytest.raises(SpecError) as e:
        parse_data_schema(text, "s.schema.yaml")
    assert words in e.value.message and (e.value.line, e.value.column) == (7, 22)
    assert f"'{value}'" in (e.value.hint or "")
    quoted = parse_data_schema(text.replace(f"SE, {value}]", f"SE, '{value}']"), "s.schema.yaml")
    rows = DataGenerator({"s": quoted}, seed=1, now_ms=NOW).generate(quoted, 200).records
    assert {r["c"] for r in rows} == {"SE", value}


def test_text_enum_values_yaml_reads_as_the_same_text_are_fine() -> None:
    schema = parse_data_schema("name: s\nfields:\n  - name: c\n    type: string\n    constraints:\n"
                               "      enum_values: [7, 2024-01-01, A]\n", "s.schema.yaml")
    rows = DataGenerator({"s": schema}, seed=1, now_ms=NOW).generate(schema, 200).records
    assert {r["c"] for r in rows} == {"7", "2024-01-01", "A"}


def test_a_field_type_one_edit_from_a_known_type_says_did_you_mean() -> None:
    with pytest.raises(SpecError) as e:
        parse_data_schema("name: s\nfields:\n  - name: c\n    type: intger\n", "s.schema.yaml")
    assert "unknown field type 'intger'; did you mean 'integer'?" in e.value.message
    assert (e.value.line, e.value.column) == (4, 11)


@pytest.mark.parametrize(("field", "line", "words"), [
    # each was a warning ('unknown key'), the field generated without the constraint, and the run green
    ("    type: string\n    constraints:\n      enum: [NEW, PAID]\n", 6, "'enum' does nothing here: an enum is "
     "written enum_values"),
    ("    type: string\n    constraints:\n      values: [NEW, PAID]\n", 6, "'values' does nothing here: it belongs "
     "inside enum_values:"),
    ("    type: float\n    constraints:\n      min: 0\n      max: 5\n", 6, "'min' does nothing here: it belongs "
     "inside range:"),
    ("    type: float\n    range: {min: 0, max: 5}\n", 5, "'range' does nothing here: a constraint is written "
     "under constraints:"),
    ("    type: string\n    enum_values: [NEW, PAID]\n", 5, "'enum_values' does nothing here"),
    ("    type: string\n    constraints:\n      nullable: true\n", 6, "'nullable' does nothing here: it is a key of "
     "the field, beside type:"),
])
def test_a_known_key_at_the_wrong_place_is_an_error_at_its_line(field: str, line: int, words: str) -> None:
    with pytest.raises(SpecError) as e:
        parse_data_schema(f"name: s\nfields:\n  - name: c\n{field}", "s.schema.yaml")
    assert words in e.value.message and e.value.line == line and e.value.hint == "move it there"


@pytest.mark.parametrize(("field", "words"), [
    ("type: string\n    constraints: {range: {min: 1, max: 5}}", "constraint range has no effect: a string field "
     "does not use it (it reads pattern, length)"),
    ("type: integer\n    constraints: {pattern: '[0-9]{3}'}", "constraint pattern has no effect: an integer field"),
    ("type: timestamp\n    constraints: {range: {min: 0, max: 10}}", "constraint range has no effect: a timestamp"),
    ("type: string\n    constraints: {enum_values: [x], pattern: '[a-z]'}", "constraint pattern has no effect: "
     "enum_values gives every value of 'c'"),
    ("type: string\n    constraints: {pattern: '[a-z]', length: {min: 1, max: 3}}", "constraint length has no "
     "effect: the pattern gives the strings and their length"),
])
def test_a_constraint_generation_never_reads_is_a_warning_and_an_error_under_strict(field: str, words: str) -> None:
    text = f"name: s\nfields:\n  - name: c\n    {field}\n"
    schema = parse_data_schema(text, "s.schema.yaml")
    assert [w.message for w in schema.warnings if words in w.message] and schema.warnings[0].line == 5
    with pytest.raises(SpecError) as e:
        parse_data_schema(text, "s.schema.yaml", strict=True)
    assert words in e.value.message


def test_a_constraint_with_no_effect_is_in_every_report(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    _load(tmp_path, {"orders": ORDERS.replace("type: float\n    constraints: {range: {min: 0, max: 100}}",
                                              "type: float\n    constraints: {range: {min: 0, max: 100}, "
                                              "pattern: '[0-9]+'}")})
    out = subprocess.run([sys.executable, "-m", "velotui", "--headless", str(tmp_path), "--seed", "1", "-q",
                          "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    said = "field 'amount': constraint pattern has no effect"
    assert said in out.stdout
    assert any(said in w["message"] for w in json.loads((tmp_path / "r.json").read_text())["warnings"])
    assert said in (tmp_path / "r.xml").read_text()


@pytest.mark.parametrize(("dist", "words"), [
    ("{normal: {mean: 500, std_dev: 10}}", "normal (mean 500, std_dev 10) draws 100% of its values outside the range "
     "0 to 100"),
    ("{log_normal: {mean: 50, std_dev: 1}}", "log_normal's mean and std_dev are those of the logarithm"),
])
def test_a_distribution_that_falls_outside_its_range_is_an_error_at_load(dist: str, words: str) -> None:
    """Every value was clipped to 100: one value for the whole input, and every check on it green."""
    with pytest.raises(SpecError) as e:
        parse_data_schema(_field(f"{{range: {{min: 0, max: 100}}, distribution: {dist}}}", "float"), "s.schema.yaml")
    assert words in e.value.message and e.value.line == 3
    parse_data_schema(_field("{range: {min: 0, max: 100}, distribution: {normal: {mean: 50, std_dev: 30}}}",
                             "float"), "s.schema.yaml")
