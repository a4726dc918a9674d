"""Where ``-j N`` workers come from (velotui.core.parallel runs them).

Workers are forked from the run's own process when that is safe (one thread, no Kafka: ``can_fork``), with
everything it has imported already: in milliseconds, with nothing more to import. Otherwise they fork from a
fork server: a fresh interpreter that imports what a worker needs once, then forks one child per worker.
Its imports take a second of CPU or so, so the command line starts it first thing, before its own imports
(``start``): the two import side by side and the workers are ready when the run has found its apps. This
module imports nothing of velotui, so starting the server costs the caller nothing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from typing import Any

# what a worker needs, imported once in the fork server so that every worker starts with it in memory
PRELOAD = ["velotui.core.parallel", "velotui.core.run", "velotui.core.loading", "velotui.core.inputs",
           "velotui.engine", "velotui.datagen", "velotui.assertions", "velotui.report", "velotui.sql",
           "velotui.spec"]


def can_fork(kafka: bool = False) -> bool:
    """Whether the workers can be forked from this process itself, with everything it has imported (no
    server to start and wait for): only while it runs one thread, since a child inherits every lock
    another thread may hold at the fork (librdkafka's threads, a BLAS pool's, a test runner's or the TUI's;
    Linux counts them all, native ones included, in /proc/self/task), and never for a run on Kafka (its
    clients start threads of their own)."""
    if kafka or sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def context(kafka: bool = False) -> Any:
    """The multiprocessing context of the workers: this process forked (``can_fork``), else children of the
    fork server, which holds no thread. Where there is no fork server (Windows), workers are spawned."""
    if can_fork(kafka):
        return multiprocessing.get_context("fork")
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD + (["velotui.bus.kafka"] if kafka else []))
    return ctx


def start(kafka: bool = False) -> None:
    """Start the fork server now (it imports in the background); a no-op when it runs already, or when the
    workers will be forked from this process (``can_fork``)."""
    if context(kafka).get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def stop() -> None:
    """Stop the fork server at once (after Ctrl-C: one still importing on a busy machine would outlive the
    run by seconds and hold its standard output and error open). The next start makes a new one."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if not pid:
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)
    # forgotten as multiprocessing forgets a server it finds dead, so that the next start makes a new one
    with contextlib.suppress(OSError, TypeError):
        os.close(server._forkserver_alive_fd)
    server._forkserver_pid = server._forkserver_address = server._forkserver_alive_fd = None


def stop_all() -> None:
    """The process is ending: stop the fork server and then multiprocessing's resource tracker (whose pipe
    the fork server held), each waited for, so that none of them outlives the process. Left alone, each
    tears down only once this process has gone, and a reader of the output pipe (CI's log) waits for
    that, since both hold standard error."""
    if "multiprocessing.forkserver" not in sys.modules:
        return
    stop()
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker
    fd, pid = getattr(tracker, "_fd", None), getattr(tracker, "_pid", None)
    if fd is None or not pid:
        return
    with contextlib.suppress(OSError):
        os.close(fd)  # its end of file: the tracker cleans up what is left registered and exits
    tracker._fd = tracker._pid = None
    _reap(pid)


def _reap(pid: int, timeout_s: float = 2.0) -> None:
    """Wait (at most ``timeout_s``) for a child that has been told to end; none is left a zombie."""
    end = time.monotonic() + timeout_s
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not ours, or reaped already
            return
        if done or time.monotonic() > end:
            return
        time.sleep(0.002)
