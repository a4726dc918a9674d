"""Session-wide rules of the test suite.

A service the tests start is stopped by the tests: the Docker engine that scripts/docker-engine starts
for the container tests (where none was running) is stopped when the whole session ends, in the
controller process (xdist workers share the engine, so none of them may stop it on its own), and only by
the session it was started for (another session running on the machine at the same time leaves it alone).
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
DOCKERD_OWNER = Path("/tmp/velotui-dockerd.owner")  # and the test session it started it for
# this session: made by the controller (a pytest run inside a test is a session of its own), inherited by its
# xdist workers and the scripts they run; two sessions on one machine each stop only the dockerd started for them
if "PYTEST_XDIST_WORKER" not in os.environ:
    os.environ["VELOTUI_TEST_SESSION"] = f"{os.getpid()}-{time.time_ns()}"
SESSION = os.environ.get("VELOTUI_TEST_SESSION", "")


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _is_controller(session.config):
        return
    try:
        owner = DOCKERD_OWNER.read_text().strip()
    except OSError:
        return  # no dockerd was started for a test session (or one that was is stopped)
    if owner == SESSION:
        stop_dockerd_started_by_tests()
        DOCKERD_OWNER.unlink(missing_ok=True)


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

