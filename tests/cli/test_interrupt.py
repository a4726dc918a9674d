"""Ctrl-C stops a run cleanly: the running query stops, the report is still written, exit code 130."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(("argv", "code"), [(["explain", "examples/failing"], 141), (["schema-json", "spec"], 141),
                                            (["validate", "demo/", "--strict"], 141),
                                            (["--headless", "demo/tier1_basic"], 0)])
def test_a_closed_pipe_stops_quietly(argv: list[str], code: int, tmp_path: Path) -> None:
    """`velotui explain … | head -1`: the reader went away; velotui stops printing with exit 141 (as a shell
    shows a tool stopped by SIGPIPE), and no 'internal error' on stderr. A headless run keeps its verdict
    and writes its other reports (nothing was lost: the reader left by choice). The pipe's reading end is
    closed before velotui writes a byte, so its first write fails, whatever the size of the output."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        extra = ["--junit", str(tmp_path / "out.xml")] if "--headless" in argv else []
        proc = subprocess.run([sys.executable, "-m", "velotui", *argv, *extra], cwd=ROOT, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write_end)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert "error" not in proc.stderr.replace("errors", ""), proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr[-2000:])
    if extra:
        assert (tmp_path / "out.xml").read_text().count("<testcase") == 4
