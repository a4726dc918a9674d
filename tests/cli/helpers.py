"""Helpers for end-to-end CLI tests: small suites written into a temp folder, velotui run in-process."""

from __future__ import annotations

import textwrap
from pathlib import Path

from velotui.cli import main

GOOD_SQL = """\
-- @app: good_app
-- @description: passthrough of orders
CREATE STREAM orders_out AS
SELECT order_id, amount FROM orders
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders',
      'orders_out.type' = 'kafka_sink', 'orders_out.topic.name' = 'orders_out');
"""

GOOD_SPEC = """\
application: good_app
queries:
  - name: orders_out
    inputs:
      - source: orders
        schema: orders
        records: 50
    assertions:
      - type: record_count
        equals: 50
      - type: no_nulls
        fields: [order_id]
"""

ORDERS_SCHEMA = """\
name: orders
fields:
  - name: order_id
    type: string
    constraints:
      pattern: "ORD-[0-9]{6}"
  - name: amount
    type: float
    constraints:
      range: {min: 1, max: 500}
"""


def write_suite(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def good_files() -> dict[str, str]:
    return {
        "apps/good.sql": GOOD_SQL,
        "apps/good.test.yaml": GOOD_SPEC,
        "apps/schemas/orders.schema.yaml": ORDERS_SCHEMA,
    }


def run_cli(args: list[str], capsys: object) -> tuple[int, str, str]:
    rc = main(args)
    out, err = capsys.readouterr()
    return rc, out, err
