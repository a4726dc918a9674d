"""Pausing Python's cyclic garbage collector while a run holds millions of acyclic objects.

A run of a million records makes a million dicts, messages and lists that build no reference cycles; the
cyclic collector would only traverse them again and again (a third to a half of the time of generating,
publishing and running: docs/PERFORMANCE.md). ``paused()`` pauses it for a scope, counted across threads:
the first scope to enter pauses it, the last to leave restores what it was, so overlapping runs (the TUI's
threads) never leave it off, and a collector the user turned off stays off. Cycles made meanwhile are
collected once it runs again.

This module sits below every package: the generator, the engine and core's query run all use it.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_holders = 0
_restore = False


@contextlib.contextmanager
def paused(pause: bool = True) -> Iterator[None]:
    """Pause the cyclic collector for the scope (``pause=False``: a no-op)."""
    global _holders, _restore
    if not pause:
        yield
        return
    with _lock:
        if _holders == 0:
            _restore = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _restore:
                gc.enable()
