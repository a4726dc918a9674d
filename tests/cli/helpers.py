"""Helpers for end-to-end CLI tests: small suites written into a temp folder, velotui run in-process."""

from __future__ import annotations

import textwrap
from pathlib import Path

from velotui.cli import main

DEMO = str(Path(__file__).resolve().parents[2] / "demo")  # absolute: the reports of all runs name the same files
DEMO_SEED = ["--seed", "7", "--now", "1700000000000"]  # the seed and "now" of the demo reference run

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


# what differs between two runs of the same seed and "now": the clock, and what assertions measure
MEASURED_ASSERTIONS = {"throughput", "latency", "memory_usage", "execution_time", "table_freshness"}
RUN_LOCAL_KEYS = {"run_id", "started_at", "duration_ms", "reproduce"}


def comparable_report(data: dict) -> dict:
    """A JSON report without what two runs of the same seed and --now legitimately differ in: the run id,
    start time and durations, the reproduce line (it names the report files), and the figures of the
    assertions that measure the run (throughput, latency, memory, time, freshness); their status stays."""
    import copy

    out = copy.deepcopy(data)
    for k in RUN_LOCAL_KEYS:
        out.pop(k, None)
    for app in out.get("apps", []):
        app.pop("duration_ms", None)
        for q in app.get("queries", []):
            q.pop("duration_ms", None)
            for a in q.get("assertions", []):
                if a.get("type") in MEASURED_ASSERTIONS:
                    a.pop("actual", None)
                    a.pop("message", None)
    return out


def comparable_junit(text: str) -> str:
    """A JUnit report without its times and the reproduce line (a passing query's case holds no figures)."""
    import re

    text = re.sub(r' time="[0-9.]+"', "", text)
    text = re.sub(r'<property name="reproduce" value="[^"]*"', '<property name="reproduce"', text)
    return text
