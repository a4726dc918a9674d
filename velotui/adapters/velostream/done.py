"""Deciding that the engine is done with a bounded input, from what velotui knows.

The engine never exits and commits its offsets only when a job ends, so neither its exit nor the
consumer-group lag can tell. velotui knows how many records it published to each source; the engine
logs how many it read from each; and the sinks' end offsets (and the sizes of file sinks) stop moving
once it has written everything; and an engine still computing uses CPU. Done = every source read in
full, then the sinks unchanged for the quiet period (three quiet periods while every sink is still empty:
an engine may take a moment before its first write) while the engine's processes are idle — busy CPU
holds the decision back, up to ``BUSY_LIMIT_S`` (or five quiet periods) after the sinks last moved, so an
engine that spins while idle is still called done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BUSY_LIMIT_S = 10.0


@dataclass
class SourceExpectation:
    """A reader the engine must drain: source name (as in FROM/JOIN), its index in the job, how many."""

    source: str
    index: int
    records: int


@dataclass
class DoneState:
    phase: str  # "reading" | "settling" | "done"
    read: dict[str, tuple[int, int]] = field(default_factory=dict)  # source -> (read, expected)
    snapshot: Any = None

    def describe(self) -> str:
        parts = [f"{s}: read {r} of {e}" for s, (r, e) in self.read.items()]
        return ", ".join(parts) if parts else "no source to read"


class DoneWatcher:
    """``step()`` once per tick. ``consumed(source, index)`` reads the engine log's counts; ``snapshot()``
    returns a comparable value of the sinks (end offsets, file sizes)."""

    def __init__(self, expected: list[SourceExpectation], consumed: Callable[[str, int], int],
                 snapshot: Callable[[], Any], quiet_s: float, *, empty: Callable[[Any], bool] = lambda s: False,
                 busy: Callable[[], bool] = lambda: False, clock: Callable[[], float] = time.monotonic) -> None:
        self.busy = busy
        self.expected = expected
        self.consumed = consumed
        self.snapshot = snapshot
        self.quiet_s = quiet_s
        self.empty = empty
        self.clock = clock
        self._last: Any = object()
        self._since: float | None = None
        self._busy_at: float | None = None
        self.read_all_at: float | None = None

    def _read(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        need: dict[tuple[str, int], int] = {}
        for e in self.expected:
            need[(e.source, e.index)] = need.get((e.source, e.index), 0) + e.records
        for (source, index), n in need.items():
            label = source if sum(1 for s, _ in need if s == source) == 1 else f"{source}#{index}"
            out[label] = (self.consumed(source, index), n)
        return out

    def step(self) -> DoneState:
        now = self.clock()
        read = self._read()
        snap = self.snapshot()
        if snap != self._last:
            self._last = snap
            self._since = now
        if any(r < e for r, e in read.values()):
            return DoneState("reading", read, snap)
        if self.read_all_at is None:
            self.read_all_at = now
        quiet = self.quiet_s * (3 if self.empty(snap) else 1)
        since = now if self._since is None else self._since
        if self.busy() and now - since < max(BUSY_LIMIT_S, 5 * self.quiet_s):
            self._busy_at = now  # still computing: the quiet period starts once it is idle
        start = max(since, self.read_all_at, self._busy_at or 0.0)
        if now - start >= quiet:
            return DoneState("done", read, snap)
        return DoneState("settling", read, snap)
