"""Work without bound is stopped: a bomb app beside a healthy app still gives the healthy app's result
and a report; timeouts stop a query whatever it is doing; Ctrl-C stops within a second with exit 130
and the partial report."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
import pytest

from tests.cli.helpers import run_cli, write_suite

ROOT = Path(__file__).resolve().parents[2]

HEALTHY = {
    "healthy.sql": "CREATE STREAM healthy_out AS SELECT id FROM rec EMIT CHANGES;\n",
    "healthy.test.yaml": "application: healthy\nqueries:\n  - name: healthy_out\n    inputs: [{source: rec, records: 5}]\n"
                         "    assertions: [{type: record_count, equals: 5}]\n",
    "schemas/rec.schema.yaml": "name: rec\nfields:\n  - {name: id, type: integer, constraints: {range: {min: 1, max: 9}}}\n",
}
# each record's derived field takes ~0.2 s (a million sandbox steps, inside every per-evaluation limit):
# 10,000 records would take half an hour; the query's timeout (1.5 s) stops it
SLOW_SCHEMA = ("name: slow\nfields:\n  - {name: id, type: integer, constraints: {range: {min: 1, max: 9}}}\n"
               "  - name: heavy\n    type: integer\n    constraints:\n"
               "      derived: {expression: 'sum(x for x in [1] * 1000000) + id'}\n")
DERIVED_BOMB = {
    "bomb.sql": "CREATE STREAM bomb_out AS SELECT id, heavy FROM slow EMIT CHANGES;\n",
    "bomb.test.yaml": "application: bomb\ndefault_timeout_ms: 1500\nqueries:\n  - name: bomb_out\n"
                      "    inputs: [{source: slow, records: 10000}]\n    assertions: [{type: record_count, equals: 1}]\n",
    "schemas/slow.schema.yaml": SLOW_SCHEMA,
}
TEMPLATE_BOMB = {  # every template stays inside its own 2 s, but there are many of them
    "tbomb.sql": "CREATE STREAM tbomb_out AS SELECT id FROM rec EMIT CHANGES;\n",
    "tbomb.test.yaml": "application: tbomb\ndefault_timeout_ms: 1500\nqueries:\n  - name: tbomb_out\n"
                       "    inputs: [{source: rec, records: 3}]\n    assertions:\n"
                       + "".join("      - {type: template, expression: 'sum(1 for a in [1] * 2000 for b in [1] * 2000) > 0'}\n"
                                 for _ in range(20)),
}


def _report(tmp_path: Path, suite: Path, capsys, *extra: str) -> tuple[int, dict, float]:  # type: ignore[no-untyped-def]
    out_json = tmp_path / "r.json"
    t0 = time.monotonic()
    rc, out, err = run_cli(["--headless", str(suite), "--json", str(out_json), "--seed", "1", *extra], capsys)
    took = time.monotonic() - t0
    assert out_json.exists(), out + err
    return rc, orjson.loads(out_json.read_bytes()), took


def _queries(report: dict) -> dict[str, dict]:
    return {q["name"]: q for a in report["apps"] for q in a["queries"]}


@pytest.mark.parametrize("bomb", [DERIVED_BOMB, TEMPLATE_BOMB], ids=["derived_field", "templates"])
def test_a_bomb_beside_a_healthy_app(tmp_path: Path, capsys, bomb: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", {**HEALTHY, **bomb})
    rc, report, took = _report(tmp_path, suite, capsys)
    qs = _queries(report)
    assert qs["healthy_out"]["status"] == "passed"
    name = next(n for n in qs if n != "healthy_out")
    assert qs[name]["status"] == "error" and qs[name]["timed_out"] is True, qs[name]
    assert "timed out after 1.5 s while" in qs[name]["error"]
    assert rc == 4
    assert took < 10, took  # 1.5 s of budget, not half an hour


def test_the_watchdog_stops_a_loop_that_never_checks(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A runaway inside the engine that checks no deadline at all (a bug of ours) is still stopped."""
    from velotui.engine.driver import StatementRun

    real = StatementRun.run

    def spin(self: StatementRun) -> object:
        if self.plan.name == "spin_out":
            n = 0
            while True:  # never looks at the clock
                n += 1
        return real(self)

    monkeypatch.setattr(StatementRun, "run", spin)
    suite = write_suite(tmp_path / "suite", {
        **HEALTHY, "spin.sql": "CREATE STREAM spin_out AS SELECT id FROM rec EMIT CHANGES;\n",
        "spin.test.yaml": "application: spin\nqueries:\n  - name: spin_out\n    timeout_ms: 700\n"
                          "    inputs: [{source: rec, records: 3}]\n    assertions: [{type: record_count, equals: 3}]\n"})
    rc, report, took = _report(tmp_path, suite, capsys, "-j", "1")  # the patched engine is this process's
    qs = _queries(report)
    assert qs["healthy_out"]["status"] == "passed"
    assert qs["spin_out"]["timed_out"] is True
    assert "spin_out: timed out after 0.7 s while running the app" in qs["spin_out"]["error"]
    assert rc == 4 and took < 6


def test_cli_timeout_overrides_the_spec(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", {**HEALTHY, **DERIVED_BOMB})
    rc, report, took = _report(tmp_path, suite, capsys, "--timeout", "0.5")
    assert "timed out after 0.5 s" in _queries(report)["bomb_out"]["error"]
    assert rc == 4 and took < 6


def test_ctrl_c_stops_within_a_second_with_the_partial_report(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", {**HEALTHY, **{k: v.replace("default_timeout_ms: 1500", "default_timeout_ms: "
                                                                        "600000") for k, v in DERIVED_BOMB.items()}})
    junit = tmp_path / "out.xml"
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", str(suite), "--junit", str(junit)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines = []
    while True:  # the bomb runs second (apps in name order: bomb, healthy): wait until it has started
        line = proc.stderr.readline()
        lines.append(line)
        assert line, "".join(lines)
        if "velotui run" in line:
            break
    time.sleep(1.0)  # well inside the bomb's generation
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    took = time.monotonic() - t0
    assert proc.returncode == 130, out + err
    print(f"Ctrl-C -> exit 130 in {took:.2f} s")
    assert took < 2.5, took  # the query stops within a second; the rest is writing reports and exiting on a busy machine
    root = ET.parse(junit).getroot()
    errors = [e.get("message") or "" for e in root.iter("error") if e.get("type") != "Interrupted"]
    assert [e.get("type") for e in root.iter("error") if e.get("type") == "Interrupted"] == ["Interrupted"]  # the run's
    # on a quiet machine the signal lands in the bomb's generation; on a busy one perhaps while it loads
    # (then the run stops before the bomb's query): either way the report is written and says so
    assert all("interrupted while" in m for m in errors), errors
