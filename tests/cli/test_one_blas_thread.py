"""The command runs numpy's BLAS on one thread (velotui.cli): numpy's import would otherwise start a thread
per core that velotui never uses (it draws random numbers, it does no linear algebra). A user's own
OPENBLAS_NUM_THREADS wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = "import velotui.cli, numpy, os; print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))"


def _probe(**env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True,
                         check=True, timeout=60)
    return out.stdout.split()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="threads are counted in /proc (Linux)")
def test_the_command_imports_numpy_without_a_blas_thread_pool() -> None:
    assert _probe() == ["1", "1"]  # the setting, and the process's one thread after numpy's import


def test_a_users_own_blas_setting_wins() -> None:
    assert _probe(OPENBLAS_NUM_THREADS="3")[0] == "3"
