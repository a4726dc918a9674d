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
