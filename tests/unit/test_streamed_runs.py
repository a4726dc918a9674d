"""Big generated inputs run block by block (velotui.core.streamed): the report is the one a run holding every
record gives, and the memory a run holds does not grow with its input.

Every query here reads more than one block of generation (65,536 records), so by default each block is
generated, published, run and checked in turn; ``RunOptions(by_blocks=False)`` (``--whole-inputs``) makes
and holds everything. The memory test measures what Python allocates (tracemalloc's peak), never time.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from velotui.core.run import RunOptions, SuiteRun
from velotui.datagen.generator import GENERATION_BLOCK
from velotui.report import to_json

N = 2 * GENERATION_BLOCK + 8_928  # three blocks, the last one short
NOW = 1_700_000_000_000

SCHEMA = """\
name: trades
key_field: id
fields:
  - {name: id, type: integer, constraints: {range: {min: 1, max: 1000000000}}}
  - name: symbol
    constraints: {enum_values: {values: [AAPL, MSFT, GOOG, AMZN, "12"]}}
  - {name: price, type: float, nullable: true, null_probability: 0.05, constraints: {range: {min: 10, max: 500}}}
  - name: volume
    type: integer
    constraints:
      range: {min: 1, max: 10000}
      distribution: {kind: random_walk, random_walk: {volatility: 0.02, group_by: symbol}}
  - name: customer_id
    constraints: {references: {file: customers.csv, field: customer_id}}
  - {name: ts, type: timestamp}
"""

APPS = {
    "filter_project": ("SELECT id, symbol, price * volume AS notional, customer_id FROM trades WHERE price > 100",
                       [{"type": "record_count", "greater_than": 1000},
                        {"type": "schema_contains", "fields": ["id", "notional"], "key_field": "id"},
                        {"type": "no_nulls", "fields": ["notional"]},
                        {"type": "field_in_set", "field": "symbol", "values": ["AAPL", "MSFT"]},
                        {"type": "field_values", "field": "notional", "operator": "less_than", "value": 4000000},
                        {"type": "aggregate_check", "function": "SUM", "field": "notional", "expected": 1},
                        {"type": "aggregate_check", "function": "AVG", "field": "notional", "expected": 1,
                         "severity": "warning"},
                        {"type": "dlq_count", "max": 0},
                        {"type": "error_rate", "max_rate": 0.5}]),
    "casts": ("SELECT id, CAST(symbol AS INTEGER) AS n FROM trades",
              [{"type": "record_count", "equals": N},
               {"type": "dlq_count", "greater_than": 0},
               {"type": "no_nulls"}]),
    "group_by": ("SELECT symbol, COUNT(*) AS n, SUM(volume) AS v, AVG(price) AS p FROM trades GROUP BY symbol",
                 [{"type": "record_count", "equals": N},
                  {"type": "aggregate_check", "function": "MAX", "field": "n", "expected": 1}]),
    "tumbling": ("SELECT symbol, COUNT(*) AS n, MIN(price) AS lo FROM trades GROUP BY symbol WINDOW TUMBLING(1m) "
                 "EMIT FINAL", [{"type": "record_count", "greater_than": 10},
                                {"type": "aggregate_check", "function": "SUM", "field": "n", "expected": N},
                                {"type": "aggregate_check", "function": "MAX", "field": "lo", "expected": 0}]),
    "join": ("SELECT t.id, t.price, c.tier FROM trades t JOIN customers c ON t.customer_id = c.customer_id",
             [{"type": "record_count", "equals": N},
              {"type": "field_in_set", "field": "tier", "values": ["GOLD", "SILVER"]}]),
}


def make_app(folder: Path, name: str, records: int, *, simulate: bool = True) -> Path:
    select, checks = APPS[name]
    (folder / "schemas").mkdir(parents=True, exist_ok=True)
    (folder / "schemas" / "trades.schema.yaml").write_text(SCHEMA)
    (folder / "customers.csv").write_text("customer_id,tier\n" + "".join(
        f"C{i:03d},{['GOLD', 'SILVER', 'BRONZE'][i % 3]}\n" for i in range(300)))
    with_ = ["'trades.type' = 'kafka_source'", "'trades.topic.name' = 'trades'", "'o.type' = 'kafka_sink'",
             "'o.topic.name' = 'o'", "'event.time.field' = 'ts'"]
    if name == "join":
        (folder / "customers_table.yaml").write_text("type: file_source\npath: customers.csv\nformat: csv\n")
        with_ += ["'customers.type' = 'file_source'", "'customers.config_file' = 'customers_table.yaml'"]
    (folder / f"{name}.sql").write_text(f"CREATE STREAM o AS {select} WITH ({', '.join(with_)});\n")
    sim = ", time_simulation: {start_time: '-2h', end_time: now, sequential: true}" if simulate else ""
    lines = [f"application: {name}", "queries:", "  - name: o", "    timeout_ms: 600000",
             f"    inputs: [{{source: trades, schema: trades, records: {records}{sim}}}]", "    assertions:"]
    lines += [f"      - {json.dumps(c)}" for c in checks]
    (folder / f"{name}.test.yaml").write_text("\n".join(lines) + "\n")
    return folder / f"{name}.sql"


def run(sql: Path, *, by_blocks: bool) -> tuple[dict[str, Any], SuiteRun]:
    suite = SuiteRun(sql, RunOptions(seed=7, now_ms=NOW, by_blocks=by_blocks))
    return json.loads(to_json(suite.execute())), suite


def comparable(report: Any) -> Any:
    """The report without what differs between any two runs (times, memory, the run's id)."""
    if isinstance(report, dict):
        return {k: comparable(v) for k, v in report.items()
                if k not in ("duration_ms", "started_at", "run_id", "memory_peak_bytes")}
    if isinstance(report, list):
        return [comparable(v) for v in report]
    return report


@pytest.mark.parametrize("name", sorted(APPS))
def test_block_by_block_gives_the_report_of_the_whole_run(tmp_path: Path, name: str) -> None:
    sql = make_app(tmp_path, name, N)
    by_blocks, blocks_run = run(sql, by_blocks=True)
    whole, whole_run = run(sql, by_blocks=False)
    assert [r.by_blocks for r in blocks_run.query_records.values()] == [True]  # it did run block by block
    assert [r.by_blocks for r in whole_run.query_records.values()] == [False]
    assert comparable(by_blocks) == comparable(whole)
    query = whole["apps"][0]["queries"][0]
    assert query["records_in"] >= N and query["status"] == "failed"  # every app has a check that fails
    assert any(a["status"] == "passed" for a in query["assertions"])


def test_a_failing_check_shows_the_same_records_either_way(tmp_path: Path) -> None:
    sql = make_app(tmp_path, "filter_project", N)
    by_blocks, _ = run(sql, by_blocks=True)
    checks = {a["type"] + str(i): a for i, a in enumerate(by_blocks["apps"][0]["queries"][0]["assertions"])}
    in_set = next(a for a in checks.values() if a["type"] == "field_in_set")
    assert in_set["status"] == "failed" and len(in_set["samples"]) == 5
    assert in_set["message"].split(" records have symbol outside the set: ")[1] == "12, AMZN, GOOG"
    assert all(s["symbol"] not in ("AAPL", "MSFT") for s in in_set["samples"])


def test_a_query_that_needs_every_record_runs_whole(tmp_path: Path) -> None:
    sql = make_app(tmp_path, "filter_project", N)
    spec = sql.with_suffix("").with_suffix(".test.yaml")
    spec.write_text(spec.read_text() + "      - {type: template, expression: 'len(records) > 0'}\n")
    _, suite = run(sql, by_blocks=True)
    assert [r.by_blocks for r in suite.query_records.values()] == [False]


def test_a_small_input_is_one_block_and_runs_as_always(tmp_path: Path) -> None:
    sql = make_app(tmp_path, "filter_project", GENERATION_BLOCK)
    _, suite = run(sql, by_blocks=True)
    assert [r.by_blocks for r in suite.query_records.values()] == [False]


def _peak(sql: Path, *, by_blocks: bool) -> int:
    tracemalloc.start()
    try:
        report = SuiteRun(sql, RunOptions(seed=7, now_ms=NOW, by_blocks=by_blocks)).execute()
        assert report.apps[0].queries[0].records_in > 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four times the records, the same peak: a run holds one block at a time. The run holding every record
    beside it grows with its input (so the measurement can tell the two apart). Blocks of 4,096 records
    here (the engine's chunk), so that tracemalloc, which slows every allocation, has few to follow."""
    from velotui.datagen import generator

    monkeypatch.setattr(generator, "GENERATION_BLOCK", 4096)
    n = 3 * 4096 - 100
    small = make_app(tmp_path / "small", "filter_project", n, simulate=False)
    big = make_app(tmp_path / "big", "filter_project", 4 * n, simulate=False)
    _peak(small, by_blocks=True)  # the first run imports and compiles what any run needs: not counted
    by_blocks = _peak(small, by_blocks=True), _peak(big, by_blocks=True)
    whole = _peak(small, by_blocks=False), _peak(big, by_blocks=False)
    assert by_blocks[1] < 1.3 * by_blocks[0], (by_blocks, whole)
    assert whole[1] > 2.5 * whole[0], (by_blocks, whole)
    assert by_blocks[1] < whole[1] / 2, (by_blocks, whole)
