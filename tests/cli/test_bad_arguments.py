"""Numbers and files the command line gives are checked before anything runs: exit 2 with a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
PASSTHROUGH = ROOT / "demo" / "tier1_basic" / "01_passthrough.sql"


@pytest.mark.parametrize(("args", "message"), [
    (["--records", "0"], "error: --records 0: give at least 1 record"),
    (["--records=-5"], "error: --records -5: give at least 1 record"),
    (["--rate=-1"], "error: --rate -1: give a positive number of records per second"),
    (["--rate", "0"], "error: --rate 0: give a positive number of records per second"),
    (["--rate", "inf"], "error: --rate inf: give a positive number of records per second"),
    (["--duration=-3s"], "error: --duration '-3s'"),
    (["--duration", "soon"], "error: --duration 'soon': invalid duration 'soon'"),
    (["--workers", "0"], "error: --workers 0: give at least 1"),
    (["--tolerance=-5"], "error: --tolerance -5: give a percentage from 0 to 100"),
    (["--baseline", "{tmp}/notjson.txt"], "is not JSON"),
    (["--baseline", "{tmp}/other.json"], "is not the JSON of a stress run (no stress.records_per_s)"),
    (["--baseline", "{tmp}/missing.json"], "--baseline file not found"),
    (["--json", "{tmp}"], "error: --json {tmp} is a folder, not a file"),
])
def test_stress_arguments(tmp_path: Path, capsys, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "notjson.txt").write_text("records_per_s: 5\n")
    (tmp_path / "other.json").write_text(json.dumps({"version": 1, "apps": []}))
    args = [a.format(tmp=tmp_path) for a in args]
    rc, out, err = run_cli(["stress", str(PASSTHROUGH), *args], capsys)
    assert rc == 2, out + err
    assert message.format(tmp=tmp_path) in err, err
    assert "stress" not in out  # nothing ran


@pytest.mark.parametrize(("args", "message"), [
    (["--records=-1"], "error: --records -1: a count of records cannot be negative"),
    (["--timeout", "0"], "error: --timeout 0: give a positive number of seconds"),
    (["--timeout=-2"], "error: --timeout -2: give a positive number of seconds"),
])
def test_run_arguments(capsys, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    rc, out, err = run_cli(["--headless", str(PASSTHROUGH), *args], capsys)
    assert rc == 2 and message in err, out + err
    assert "velotui run" not in err
