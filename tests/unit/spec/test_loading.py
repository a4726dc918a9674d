"""Formats: required keys, wrong types, unknown keys with did-you-mean, strict mode, locations."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import velotui.assertions  # noqa: F401  (registers the assertion types spec validation reads)
from velotui.errors import SpecError
from velotui.spec import (
    json_schema,
    load_config_file,
    load_test_spec,
    parse_data_schema,
    parse_test_spec,
)
from velotui.spec.config import config_get

SPEC = """\
application: orders_app
description: orders
default_timeout_ms: 5000
topic_naming:
  pattern: "test_{run_id}_{base}"
config:
  orders.topic.name: orders_v2
queries:
  - name: big_orders
    inputs:
      - source: orders
        schema: order_event
        records: 50
        key_field: order_id
        time_simulation: {start_time: "-1h", end_time: now, jitter_ms: 100}
    assertions:
      - type: record_count
        greater_than: 0
      - type: field_values
        field: amount
        operator: greater_than
        value: 100
        severity: warning
"""


def test_velo_test_spec_loads_with_locations() -> None:
    spec = parse_test_spec(SPEC, "orders.test.yaml")
    q = spec.queries[0]
    assert spec.application == "orders_app" and spec.default_timeout_ms == 5000
    assert q.line == 9 and q.inputs[0].line == 11
    assert q.inputs[0].schema_name == "order_event" and q.inputs[0].time_simulation.jitter_ms == 100
    a = q.assertions[1]
    assert a.type == "field_values" and a.params == {"field": "amount", "operator": "greater_than", "value": 100}
    assert a.severity == "warning" and a.line == 19 and a.file == "orders.test.yaml"
    assert spec.warnings == []


def test_missing_required_key_names_file_line_and_fix() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec("application: a\nqueries:\n  - name: q\n    assertions: []\n", "x.test.yaml")
    assert e.value.file == "x.test.yaml" and e.value.line == 3
    assert "missing required key 'inputs'" in str(e.value) and "add 'inputs:'" in str(e.value)


def test_wrong_type_is_an_error_with_its_location() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec("application: a\ndefault_records: lots\nqueries: []\n", "x.test.yaml")
    assert (e.value.line, e.value.column) == (2, 18)
    assert "default_records" in e.value.message


def test_a_key_one_edit_from_a_known_one_is_an_error() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec("application: a\nqueries:\n  - name: q\n    inputs:\n      - source: s\n"
                        "        recrods: 5\n", "x.test.yaml")
    assert (e.value.line, e.value.column) == (6, 9)
    assert e.value.message == "unknown key 'recrods'; did you mean 'records'?"


def test_a_key_far_from_every_known_one_is_a_warning() -> None:
    spec = parse_test_spec("application: a\nqueries:\n  - name: q\n    inputs:\n      - source: s\n"
                           "        owner_team: payments\n", "x.test.yaml")
    [w] = spec.warnings
    assert (w.line, w.column) == (6, 9) and w.message.startswith("unknown key 'owner_team' (known keys: ")


def test_unknown_key_is_an_error_under_strict() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec("application: a\ndescripton: x\nqueries: []\n", "x.test.yaml", strict=True)
    assert e.value.line == 2 and "did you mean 'description'?" in e.value.message


def test_unknown_assertion_type_is_an_error() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec("application: a\nqueries:\n  - name: q\n    inputs: []\n    assertions:\n"
                        "      - type: record_cnt\n        equals: 1\n", "x.test.yaml")
    assert e.value.line == 6 and "did you mean 'record_count'?" in str(e.value)


def test_yaml_syntax_error_has_a_location() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec("application: a\nqueries: [\n", "x.test.yaml")
    assert e.value.line is not None and "invalid YAML" in e.value.message


SCHEMA = """\
name: market_data
record_count: 10
key_field: symbol
fields:
  - name: symbol
    type: string
    constraints:
      enum_values: {values: [A, B], weights: [0.7, 0.3]}
  - name: price
    type: {decimal: {precision: 3}}
    constraints:
      range: {min: 1, max: 10}
      distribution: {normal: {mean: 5, std_dev: 1}}
  - name: ts
    type: timestamp
    constraints:
      timestamp_range: {start: "-1h", end: now}
"""


def test_schema_loads_every_constraint_shape() -> None:
    s = parse_data_schema(SCHEMA, "m.schema.yaml")
    assert s.field("price").kind == "decimal" and s.field("price").precision == 3
    assert s.field("price").constraints.distribution.kind == "normal"
    assert s.field("symbol").constraints.enum_values.weights == [0.7, 0.3]
    assert s.field("price").line == 9


@pytest.mark.parametrize("bad, line, words", [
    ("range: {min: 10, max: 1}", 12, "greater than max"),
    ("enum_values: {values: [A], weights: [1, 2]}", 12, "1 values but 2 weights"),
    ("pattern: '[unclosed'", 12, "not a valid regular expression"),
    ("distribution: {zipf: {exponent: 0.5}}", 12, "greater than 1"),
])
def test_bad_constraints_are_errors(bad: str, line: int, words: str) -> None:
    text = SCHEMA.replace("      range: {min: 1, max: 10}\n      distribution: {normal: {mean: 5, std_dev: 1}}",
                          "      " + bad)
    with pytest.raises(SpecError) as e:
        parse_data_schema(text, "m.schema.yaml")
    assert e.value.line == line, str(e.value)
    assert words in str(e.value)


@pytest.mark.parametrize("kind, rng, words", [
    ("integer", "{min: 0, max: 100000000000000000000000000000000000000}", "must lie within 64 bits"),
    ("timestamp", "{min: 0, max: 1.0e+30}", "must lie within 64 bits"),
    ("float", "{min: -.inf, max: .inf}", "must be finite numbers"),
    ("float", "{min: .nan, max: 1}", "must be finite numbers"),
    ("float", "{min: -1.7e308, max: 1.7e308}", "must span less than a float holds"),
])
def test_a_range_generation_cannot_draw_from_is_an_error_at_load(kind: str, rng: str, words: str) -> None:
    """It used to load (validate said ok) and then end the query in "engine crashed: ValueError('high is out
    of bounds for int64')" or an OverflowError of numpy's."""
    text = f"name: x\nfields:\n  - name: a\n    type: {kind}\n    constraints:\n      range: {rng}\n"
    with pytest.raises(SpecError) as e:
        parse_data_schema(text, "x.schema.yaml")
    assert words in str(e.value) and e.value.line in (3, 6), str(e.value)


def test_unknown_field_type_is_an_error() -> None:
    with pytest.raises(SpecError) as e:
        parse_data_schema("name: x\nfields:\n  - name: a\n    type: strng\n", "x.schema.yaml")
    assert e.value.line == 4 and "unknown field type 'strng'" in str(e.value)


def test_config_extends_chain_env_and_dotted_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("REGION", "eu")
    (tmp_path / "base.yaml").write_text("bootstrap.servers: ${BROKERS:localhost:9092}\nvalue.format: json\n"
                                        "topic: {partitions: 3}\n")
    (tmp_path / "mid.yaml").write_text("extends: base.yaml\nconsumer.group: g-${REGION}\n")
    (tmp_path / "leaf.yaml").write_text("extends: mid.yaml\ntopic: {name: orders}\nvalue.format: avro\n")
    cfg = load_config_file(tmp_path / "leaf.yaml")
    assert cfg["bootstrap.servers"] == "localhost:9092" and cfg["consumer.group"] == "g-eu"
    assert cfg["value.format"] == "avro"  # child wins
    assert config_get(cfg, "topic.name") == "orders" and config_get(cfg, "topic.partitions") == 3


def test_kafka_bootstrap_env_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:19092")
    (tmp_path / "c.yaml").write_text("bootstrap.servers: localhost:9092\n")
    assert load_config_file(tmp_path / "c.yaml")["bootstrap.servers"] == "broker:19092"


def test_config_extends_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(SpecError) as e:
        load_config_file(tmp_path / "a.yaml")
    assert "cycle: a.yaml -> b.yaml -> a.yaml" in e.value.message


def test_json_schemas_validate_the_demo_files() -> None:
    import yaml

    root = Path(__file__).resolve().parents[3] / "demo"
    spec_schema, data_schema = json_schema("spec"), json_schema("schema")
    for path in root.rglob("*.test.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), spec_schema)
    for path in root.rglob("*.schema.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), data_schema)
    assert "record_count" in json.dumps(spec_schema)


def test_load_test_spec_reads_a_file(tmp_path: Path) -> None:
    p = tmp_path / "a.test.yaml"
    p.write_text(SPEC)
    spec = load_test_spec(p)
    assert spec.path == p and spec.queries[0].file == str(p)
