"""End to end: a data file whose record does not fit the input's schema (a string in an INTEGER field)
sends that record to the query's dead letters, which the spec can check; the run goes on."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import run_cli, write_suite

SQL = """\
CREATE STREAM totals AS
SELECT order_id, qty * 2 AS double_qty FROM orders
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders',
      'totals.type' = 'kafka_sink', 'totals.topic.name' = 'totals');
"""
SPEC = """\
application: wrong_types
queries:
  - name: totals
    inputs:
      - source: orders
        schema: orders
        data_file: orders.csv
    assertions:
      - type: record_count
        equals: 2
      - type: dlq_count
        error_types: [wrong_type]
        equals: 1
"""
SCHEMA = """\
name: orders
fields:
  - name: order_id
    type: string
  - name: qty
    type: integer
"""


def test_a_string_in_an_integer_field_is_a_dead_letter_end_to_end(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, {"apps/t.sql": SQL, "apps/t.test.yaml": SPEC, "apps/schemas/orders.schema.yaml": SCHEMA,
                           "apps/orders.csv": "order_id,qty\n007,2\nB,lots\nC,3\n"})
    report = tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(tmp_path / "apps"), "--json", str(report)], capsys)
    assert rc == 0, out + err
    q = json.loads(report.read_text())["apps"][0]["queries"][0]
    assert q["status"] == "passed" and q["records_out"] == 2  # record_count 2 and one wrong_type dead letter
