"""Ctrl-C stops a run cleanly: the running query stops, the report is still written, exit code 130."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_c_stops_cleanly_with_130(tmp_path: Path) -> None:
    junit = tmp_path / "out.xml"
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", "tests/fixtures/isolation", "-k", "slow",
                             "--timeout", "120", "--junit", str(junit)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()  # the run has started once it announces itself
    assert "velotui run" in line, line
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert time.monotonic() - t0 < 20
    assert "interrupted" in err
    assert junit.exists()
