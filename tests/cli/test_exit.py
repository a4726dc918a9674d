"""The installed command's way out (velotui.cli.exit): every byte written, every exit handler run, and
nothing of the run left behind once the process has gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_leave_flushes_the_output_runs_the_exit_handlers_and_keeps_the_exit_code() -> None:
    proc = _python(
        "import atexit, sys\n"
        "from velotui.cli.exit import leave\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "sys.stdout.write('x' * 200000)\n"
        "sys.stderr.write('to stderr')\n"
        "leave(3)\n"
        "print('never')\n")
    assert proc.returncode == 3
    assert proc.stdout == "x" * 200000 + "handler ran\n"
    assert proc.stderr == "to stderr"


def test_leave_waits_for_a_thread_that_is_not_a_daemon() -> None:
    proc = _python(
        "import threading, time\n"
        "from velotui.cli.exit import leave\n"
        "def work():\n"
        "    time.sleep(0.3)\n"
        "    print('thread finished', flush=True)\n"
        "threading.Thread(target=work).start()\n"
        "leave(0)\n")
    assert proc.returncode == 0
    assert proc.stdout == "thread finished\n"


def test_the_installed_command_and_python_m_use_it() -> None:
    scripts = (ROOT / "pyproject.toml").read_text()
    assert 'velotui = "velotui.cli:entry"' in scripts
    assert "entry()" in (ROOT / "velotui" / "__main__.py").read_text()


def _ours(mark: str) -> list[str]:
    """The command lines of the live processes started with ``mark`` in their environment (a zombie has
    ended: it holds no pipe and no memory)."""
    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get("VELOTUI_TEST_MARK") == mark and p.status() != psutil.STATUS_ZOMBIE:
                found.append(" ".join(p.cmdline()))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


def test_a_parallel_run_leaves_no_process_behind_when_it_exits(tmp_path: Path) -> None:
    """The workers' fork server and multiprocessing's resource tracker end with the command (each waited
    for): a reader of the output pipe (CI's log) gets its end of file when velotui exits, not once the fork
    server has torn its imports down afterwards."""
    mark = uuid.uuid4().hex
    env = {**os.environ, "VELOTUI_TEST_MARK": mark}
    report = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic", "-j", "2", "-q",
                             "--seed", "1", "--json", str(report)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.wait(timeout=120)
    left = _ours(mark)  # read at once: before this change the fork server was still tearing down here
    out, err = proc.communicate(timeout=5)
    assert proc.returncode == 0, err.decode()
    assert left == []
    assert json.loads(report.read_text())["summary"]["failed"] == 0


def test_a_run_in_process_keeps_its_fork_server_for_the_next_one(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """main() called as a function (the TUI, the tests) does not stop the fork server: the next -j run
    forks its workers from the same, already imported one."""
    import threading
    from multiprocessing import forkserver

    from tests.cli.helpers import run_cli

    held = threading.Event()  # a process with a second thread (as the TUI's) never forks itself: a fork server
    threading.Thread(target=held.wait, daemon=True).start()
    pids = []
    try:
        for _ in range(2):
            rc, _out, _err = run_cli(["--headless", "demo/tier1_basic", "-j", "2", "-q", "--seed", "1"], capsys)
            assert rc == 0
            pids.append(forkserver._forkserver._forkserver_pid)
    finally:
        held.set()
    assert pids[0] is not None and pids[0] == pids[1]
