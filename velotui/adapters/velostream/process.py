"""The engine as a process group of its own: started detached from velotui's terminal (Ctrl-C in the
terminal reaches velotui, which stops the engine itself), stopped as a whole group."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

_LIVE: set[EngineProcess] = set()


class EngineProcess:
    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str], log_path: Path) -> None:
        self.argv = argv
        self.cwd = cwd
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        _LIVE.add(self)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout_s: float) -> int | None:
        """Wait up to ``timeout_s`` for the engine to exit (the loop's tick); its exit code, or None."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    @property
    def exit_code(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def group_members(self) -> list[int]:
        """Live processes of the engine's process group (zombies excluded)."""
        if self.proc is None:
            return []
        return group_members(self.proc.pid)

    def stop(self, grace_s: float) -> None:
        """SIGINT to the whole group (the engine's graceful shutdown), SIGKILL to the group after
        ``grace_s``, then wait until no process of the group is left."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        _signal_group(pgid, signal.SIGINT)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and group_members(pgid):
            self.wait(0.05)
        self.kill()

    def kill(self) -> None:
        if self.proc is None:
            return
        pgid = self.proc.pid
        deadline = time.monotonic() + 10
        while True:
            _signal_group(pgid, signal.SIGKILL)
            self.wait(0.05)
            if not group_members(pgid) or time.monotonic() > deadline:
                break
        self.wait(5)
        _LIVE.discard(self)


class GroupCpu:
    """The CPU the engine's process group uses: ``busy()`` is True while it uses more than ``threshold`` of
    a core since the last call (an engine still computing its output, whatever its sinks show)."""

    def __init__(self, pgid: int, threshold: float = 0.2) -> None:
        self.pgid = pgid
        self.threshold = threshold
        self._procs: dict[int, psutil.Process] = {}
        self._last: tuple[float, float] | None = None

    def _total(self) -> float:
        total = 0.0
        for pid in psutil.pids():
            try:
                if os.getpgid(pid) != self.pgid:
                    continue
                p = self._procs.get(pid) or self._procs.setdefault(pid, psutil.Process(pid))
                t = p.cpu_times()
                total += t.user + t.system
            except (ProcessLookupError, psutil.Error, OSError):
                continue
        return total

    def busy(self) -> bool:
        now, total = time.monotonic(), self._total()
        last, self._last = self._last, (now, total)
        if last is None or now <= last[0]:
            return False
        return (total - last[1]) / (now - last[0]) > self.threshold


def group_members(pgid: int) -> list[int]:
    out = []
    for p in psutil.process_iter(["pid", "status"]):
        try:
            if p.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if os.getpgid(p.info["pid"]) == pgid:
                out.append(p.info["pid"])
        except (ProcessLookupError, psutil.Error, OSError):
            continue
    return out


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@atexit.register
def _kill_leftovers() -> None:  # velotui exiting by an unexpected path never leaves an engine behind
    for p in list(_LIVE):
        p.kill()
