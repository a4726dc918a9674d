"""`velotui stress`: measurements, SLO assertions that pass or fail the run, baselines."""

from __future__ import annotations

import json
from pathlib import Path

from velotui.cli import main

ROOT = Path(__file__).resolve().parents[2]
PASSTHROUGH = ROOT / "demo" / "tier1_basic" / "01_passthrough.sql"
SCHEMA = (ROOT / "demo" / "schemas" / "simple_record.schema.yaml").read_text()


def _app(tmp_path: Path, min_rate: float) -> Path:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "simple_record.schema.yaml").write_text(SCHEMA)
    (tmp_path / "load.sql").write_text("CREATE STREAM load_out AS SELECT id, value FROM simple_records;\n")
    (tmp_path / "load.test.yaml").write_text(
        "application: load\nstress_test: {records: 20000}\nqueries:\n  - name: load_out\n    inputs:\n"
        "      - {source: simple_records, schema: simple_record}\n    assertions:\n"
        f"      - {{type: throughput, min_records_per_second: {min_rate}}}\n"
        "      - {type: latency, p99_latency_ms: 600000}\n      - {type: memory_usage, max_mb: 20000}\n"
        "      - {type: record_count, equals: 1}\n")
    return tmp_path / "load.sql"


def test_stress_reports_throughput_latency_memory(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out_json = tmp_path / "s.json"
    rc = main(["stress", str(PASSTHROUGH), "--records", "30000", "--json", str(out_json)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "30,000 records" in text and "records/s" in text and "p99" in text and "memory peak" in text
    data = json.loads(out_json.read_text())["stress"]
    assert data["records"] == 30000 and data["records_out"] == 30000 and data["records_per_s"] > 0
    assert set(data["latency_ms"]) == {"p50", "p95", "p99", "max"}


def test_slo_assertions_pass(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["stress", str(_app(tmp_path, 1000))])
    out = capsys.readouterr().out
    assert rc == 0 and "PASSED throughput" in out and "record_count" not in out  # only SLO types count


def test_failing_throughput_assertion_fails_the_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    junit = tmp_path / "s.xml"
    rc = main(["stress", str(_app(tmp_path, 1e12)), "--junit", str(junit)])
    out = capsys.readouterr().out
    assert rc == 1 and "FAILED throughput" in out and "below the minimum" in out
    assert "<failure" in junit.read_text()


def test_baseline_comparison(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"stress": {"records_per_s": 1e12}}))
    rc = main(["stress", str(PASSTHROUGH), "--records", "5000", "--baseline", str(base)])
    assert rc == 1 and "vs baseline" in capsys.readouterr().out


def test_stateful_app_runs_as_one_bounded_batch(capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["stress", str(ROOT / "demo" / "tier2_aggregations" / "12_tumbling_window.sql"), "--records", "5000"])
    out = capsys.readouterr().out
    assert rc == 0 and "1 batch(es)" in out


def test_rate_paces_the_load_and_latency_runs_from_each_records_due_time(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import time

    out_json = tmp_path / "r.json"
    t0 = time.monotonic()
    rc = main(["stress", str(PASSTHROUGH), "--records", "2000", "--rate", "4000", "--json", str(out_json)])
    wall = time.monotonic() - t0
    capsys.readouterr()
    assert rc == 0 and wall >= 0.5  # 2,000 records at 4,000/s cannot go out faster than 0.5 s
    lat = json.loads(out_json.read_text())["stress"]["latency_ms"]
    # batches of 400 fill over 100 ms: the first record of a batch waits for the last, so latencies spread
    assert lat["p50"] > 0 and lat["p99"] - lat["p50"] > 20, lat
