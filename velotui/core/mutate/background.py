"""``run_mutation`` in a child process, for a front door that must stay responsive while it runs (the TUI).

A mutation run is a minute of pure-Python work; in a thread of the UI's process it would hold the
interpreter lock and make every key wait. Here it runs in a *spawned* child (a clean interpreter: nothing
of the parent's threads or terminal is inherited), its events come back one by one through a queue, and a
stop flag the parent sets makes it finish the mutant it runs and report the rest as not run. The child's
stdout and stderr go to /dev/null (nothing it prints can reach the parent's screen), and it runs at a lower
priority (``NICENESS``): where the cores are busy, the UI's keys come first.

    proc = MutationProcess(path, options)
    proc.start()
    for item in proc.events(stop=flag):     # MutationPlanned / MutantFinished …, then one Finished
        ...
    proc.close()
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import queue
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from velotui.core import events as ev
from velotui.core.mutate.runner import MutationOptions, StopFlag
from velotui.report.mutation import MutationReport

NICENESS = 10  # the child's priority below its parent's (os.nice): on a busy machine the UI gets the CPU first


@dataclass(frozen=True)
class Finished:
    """The last item of a run: its report, or why there is none."""

    report: MutationReport | None
    error: str | None = None


def _child(path: str, options: MutationOptions, out: Any, stop: Any) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    with contextlib.suppress(OSError, AttributeError):  # background work: the UI it serves comes first
        os.nice(NICENESS)
    from velotui.core.mutate import run_mutation
    from velotui.errors import VelotuiError

    def send(item: object) -> None:
        try:
            out.put(pickle.dumps(item))
        except Exception as e:  # a value that cannot cross processes: said, never lost silently
            out.put(pickle.dumps(Finished(None, f"internal error: cannot send {type(item).__name__}: {e!r} "
                                                "(a velotui bug)")))
            raise

    options.stop = stop
    try:
        report = run_mutation(path, options, on_event=send)
    except VelotuiError as e:
        send(Finished(None, str(e)))
        return
    except BaseException as e:  # a velotui bug: the parent says so, the UI stays usable
        send(Finished(None, f"internal error: {e!r} (a velotui bug)"))
        return
    send(Finished(report))


@contextlib.contextmanager
def _helpers_started() -> Iterator[None]:
    """multiprocessing's resource tracker (a helper process, started once) is given ``sys.stderr``'s file
    descriptor; a UI that captures stderr (Textual's has none: -1) would make it fail to start. It gets
    /dev/null then — what it might print would land on the UI's screen anyway."""
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (OSError, ValueError, AttributeError):
        usable = False
    if usable:
        yield
        return
    from multiprocessing import resource_tracker

    saved = sys.stderr
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = saved
    yield


class MutationProcess:
    def __init__(self, path: str | Path, options: MutationOptions | None = None) -> None:
        ctx = mp.get_context("spawn")
        with _helpers_started():
            self._stop = ctx.Event()
            self._queue: Any = ctx.Queue()
        opts = replace(options or MutationOptions(), stop=None, jobs=1)  # one process: the UI keeps a core
        self._process = ctx.Process(target=_child, args=(str(path), opts, self._queue, self._stop), daemon=True,
                                    name="velotui-mutate")

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def start(self) -> None:
        self._process.start()

    def stop(self) -> None:
        """Finish the mutant that runs, report the rest as not run."""
        self._stop.set()

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def events(self, stop: StopFlag | None = None, poll_s: float = 0.2) -> Iterator[ev.Event | Finished]:
        """The run's events as they come, then one Finished. ``stop`` (set from any thread) is passed on."""
        while True:
            if stop is not None and stop.is_set():
                self.stop()
            try:
                data = self._queue.get(timeout=poll_s)
            except queue.Empty:
                if self._process.is_alive():
                    continue
                try:  # it ended: what it sent last may still be on its way
                    data = self._queue.get(timeout=1.0)
                except queue.Empty:
                    yield Finished(None, f"the mutation process ended (exit code {self._process.exitcode}) "
                                         "before its report; this is a velotui bug")
                    return
            item = pickle.loads(data)
            yield item
            if isinstance(item, Finished):
                return

    def close(self, grace_s: float = 3.0) -> None:
        """Stop it and wait ``grace_s`` for it to end; then end it."""
        self.stop()
        if self._process.pid is None:
            return
        self._process.join(grace_s)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(2.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(1.0)
        self._queue.close()
