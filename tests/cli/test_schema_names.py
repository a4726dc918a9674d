"""A data schema is found by its file's name (FORMATS.md §3): ``schema: orders`` reads
``orders.schema.yaml``. A file whose ``name:`` says another name (``name: order``) passed silently; it is a
warning in every report now, and a spec naming the schema by its ``name:`` gets "did you mean" the file."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli, write_suite
from velotui.spec import parse_data_schema

SQL = "CREATE STREAM o AS SELECT id FROM orders EMIT CHANGES;\n"
SCHEMA = "name: order\nfields:\n  - name: id\n    type: integer\n"


def _spec(schema: str) -> str:
    return ("application: app\nqueries:\n  - name: o\n"
            f"    inputs: [{{source: orders, schema: {schema}, records: 3}}]\n"
            "    assertions: [{type: record_count, equals: 3}]\n")


def _suite(tmp_path: Path, schema: str) -> Path:
    return write_suite(tmp_path / "suite", {"app.sql": SQL, "app.test.yaml": _spec(schema),
                                            "schemas/orders.schema.yaml": SCHEMA})


def test_a_schema_named_otherwise_than_its_file_is_a_warning_in_every_format(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, "orders")
    js, junit = tmp_path / "r.json", tmp_path / "r.xml"
    rc, text, _ = run_cli(["--headless", str(suite), "--json", str(js), "--junit", str(junit)], capsys)
    assert rc == 0, text
    said = "schema name 'order' is not its file's name 'orders'"
    assert said in text and "orders.schema.yaml:1:1" in text
    data = json.loads(js.read_bytes())
    [w] = data["apps"][0]["warnings"]
    assert said in w["message"] and w["file"].endswith("orders.schema.yaml") and w["line"] == 1
    assert "write 'name: orders'" in w["hint"] and data["summary"]["warnings"] == 1
    assert said in (ET.parse(junit).getroot().find("testsuite/system-out").text or "")


def test_under_strict_it_is_an_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, text, _ = run_cli(["--headless", str(_suite(tmp_path, "orders")), "--strict"], capsys)
    assert rc == 2 and "schema name 'order' is not its file's name 'orders'" in text


def test_a_spec_naming_the_schema_by_its_name_gets_did_you_mean_the_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, text, _ = run_cli(["--headless", str(_suite(tmp_path, "order"))], capsys)
    assert rc == 2
    assert "names schema 'order', which is not found" in text
    assert "did you mean 'orders'? (orders.schema.yaml says 'name: order'" in text


@pytest.mark.parametrize("file", ["orders.schema.yaml", "orders.schema.yml", "orders.yaml"])
def test_a_schema_whose_name_is_its_files_has_no_warning(file: str) -> None:
    assert parse_data_schema(SCHEMA.replace("order", "orders", 1), file).warnings == []
    assert [w.line for w in parse_data_schema(SCHEMA, file).warnings] == [1]

