"""Stop a query whatever it is doing: at its timeout, or soon after Ctrl-C.

The engine, the generator and the sandbox check their stop conditions cooperatively (between chunks of
records, at every expression step), which gives the nicest message. The watchdog is the guarantee
behind them: a thread that, once the deadline (plus a short grace) has passed or the run was cancelled,
raises :class:`Stopped` asynchronously in the thread doing the query's work, at its next bytecode,
whatever Python code that is (a runaway template, a derived field, a loop that forgot to check). A single
C-level step cannot be interrupted this way; every budget (velotui/sandbox.py, the YAML and SQL bounds)
keeps each such step short.

This module sits below every package; velotui.core arms one watchdog per query.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

GRACE_S = 0.5  # after the deadline or Ctrl-C, the cooperative checks get this long before the watchdog acts
REFIRE_S = 0.5  # if the work swallowed the exception (an except BaseException), it is raised again this often


class Stopped(BaseException):
    """Raised into a query's thread when its watchdog stops it. A BaseException, so that library code's
    ``except Exception`` cannot swallow it; velotui.core turns it into RunTimeout or RunCancelled."""


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = [ctypes.c_ulong, ctypes.py_object]
_set_async_exc.restype = ctypes.c_int
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))

_CURRENT: ContextVar[Watchdog | None] = ContextVar("velotui_watchdog", default=None)


def current() -> Watchdog | None:
    """The watchdog of the query running in this thread, if any."""
    return _CURRENT.get()


def check() -> None:
    """Cooperative check for code that loops (the sandbox calls it at every step)."""
    dog = _CURRENT.get()
    if dog is not None and dog.reason() is not None:
        raise Stopped(dog.reason())


def deadline() -> float | None:
    """The monotonic time the current query must stop by (None: no limit)."""
    dog = _CURRENT.get()
    return dog.deadline if dog is not None else None


@contextmanager
def held() -> Iterator[None]:
    """Hold the current query's watchdog for a cleanup that must run whole (an engine's process group
    stopped, files removed); a no-op outside a query. Bounded by the cleanup itself."""
    dog = _CURRENT.get()
    if dog is None:
        yield
        return
    while True:
        try:
            dog.hold()
            break
        except Stopped:  # arrived just before the hold: the hold withdraws any further one
            continue
    try:
        yield
    finally:
        dog.release()


def deadline_for(timeout_s: float | None) -> float | None:
    """The monotonic time an engine must stop by: ``timeout_s`` from now, but never after the armed
    query's deadline (one clock for the whole query: the engine's own, more precise message then comes
    before the watchdog's grace is up). None: no limit."""
    own = time.monotonic() + timeout_s if timeout_s else None
    armed = deadline()
    if armed is None or own is None:
        return armed if own is None else own
    return min(own, armed)


class Watchdog:
    """Arm with ``with Watchdog(timeout_s) as dog:`` around one query's work; ``dog.cancel()`` from any
    thread (a signal handler, the TUI) stops it within ``GRACE_S`` plus one bytecode."""

    def __init__(self, timeout_s: float | None, *, what: str = "query") -> None:
        self.timeout_s = timeout_s
        self.what = what
        self.deadline: float | None = None
        self.phase = "starting"  # what the query is doing (for the message when it is stopped)
        self._cancelled_at: float | None = None
        self.cancel_reason = "cancelled"  # or "infra": the run's cluster stopped answering
        self.cancel_message = ""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._armed = False
        self._held = 0  # while > 0 (cleanup in progress) the watchdog waits instead of raising
        self._fired = False
        self._thread_id = 0
        self._token: Any = None
        self._dog: threading.Thread | None = None

    # -- state ------------------------------------------------------------------------------------
    def reason(self) -> str | None:
        """'cancelled', 'infra', 'timeout' or None."""
        if self._cancelled_at is not None:
            return self.cancel_reason
        if self.deadline is not None and time.monotonic() > self.deadline:
            return "timeout"
        return None

    @property
    def fired(self) -> bool:
        return self._fired

    def cancel(self, reason: str = "cancelled", message: str = "") -> None:
        """Stop the query: ``reason`` 'cancelled' (Ctrl-C, a new run) or 'infra' (its cluster died)."""
        if self._cancelled_at is None:
            self.cancel_reason, self.cancel_message = reason, message
            self._cancelled_at = time.monotonic()
        self._wake.set()

    # -- arming -----------------------------------------------------------------------------------
    def __enter__(self) -> Watchdog:
        self._thread_id = threading.get_ident()
        if self.timeout_s is not None:
            self.deadline = time.monotonic() + self.timeout_s
        self._token = _CURRENT.set(self)
        self._armed = True
        self._dog = threading.Thread(target=self._watch, name="velotui-watchdog", daemon=True)
        self._dog.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.disarm()

    def disarm(self) -> None:
        """Stop watching; a Stopped already on its way to this thread is withdrawn. Idempotent."""
        with self._lock:
            was_armed = self._armed
            self._armed = False
            if self._fired:
                _clear_async_exc(self._thread_id, None)
        if not was_armed:
            return
        self._wake.set()
        if self._dog is not None and self._dog is not threading.current_thread():
            self._dog.join(timeout=1)
        if self._token is not None:
            try:
                _CURRENT.reset(self._token)
            except ValueError:  # reset from another context: leave it, the var dies with the thread's
                pass
            self._token = None

    def hold(self) -> None:
        """Hold fire (for cleanup that must run whole: topics deleted, files removed); a Stopped already
        on its way is withdrawn. Pair with :meth:`release`."""
        with self._lock:
            self._held += 1
            if self._fired and self._armed:
                _clear_async_exc(self._thread_id, None)

    def release(self) -> None:
        with self._lock:
            self._held = max(0, self._held - 1)
        self._wake.set()

    def _due(self) -> float | None:
        dues = []
        if self.deadline is not None:
            dues.append(self.deadline + GRACE_S)
        if self._cancelled_at is not None:
            dues.append(self._cancelled_at + GRACE_S)
        return min(dues) if dues else None

    def _watch(self) -> None:
        while True:
            due = self._due()
            wait = None if due is None else max(0.0, due - time.monotonic())
            self._wake.wait(wait)
            self._wake.clear()
            with self._lock:
                if not self._armed:
                    return
                due = self._due()
                if due is None or time.monotonic() < due:
                    continue
                held = self._held > 0
                if not held:
                    self._fired = True
                    _set_async_exc(self._thread_id, Stopped)
            # held: look again soon; fired: raise it again if the work swallowed it (the loop re-checks
            # the arming first)
            self._wake.wait(0.05 if held else REFIRE_S)
