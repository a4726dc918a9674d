"""Session-wide rules of the test suite.

A service the tests start is stopped by the tests: the Docker engine that scripts/docker-engine starts
for the container tests (where none was running) is stopped when the whole session ends, in the
controller process (xdist workers share the engine, so none of them may stop it on its own).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

# the stand-in velo-sql (tests/fixtures/velo_sql) runs with the interpreter of the tests
os.environ.setdefault("VELO_SQL_PYTHON", sys.executable)

DOCKERD_PID = Path("/tmp/velotui-dockerd.pid")  # written by scripts/docker-engine when it starts dockerd
_started_before = pytest.StashKey[bool]()  # was a dockerd of ours already running when the session began


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if _is_controller(session.config):
        session.config.stash[_started_before] = DOCKERD_PID.exists()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _is_controller(session.config) or session.config.stash.get(_started_before, True):
        return
    stop_dockerd_started_by_tests()


def stop_dockerd_started_by_tests(timeout_s: float = 20.0) -> None:
    """Stop the dockerd that scripts/docker-engine started (its pid file), and wait until it is gone."""
    if not DOCKERD_PID.exists():
        return
    try:
        pid = int(DOCKERD_PID.read_text().strip())
    except ValueError:
        DOCKERD_PID.unlink(missing_ok=True)
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        DOCKERD_PID.unlink(missing_ok=True)
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    DOCKERD_PID.unlink(missing_ok=True)

