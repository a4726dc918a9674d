"""Deciding that the engine is done with a bounded input, from what velotui knows.

The engine never exits and commits its offsets only when a job ends, so neither its exit nor the
consumer-group lag can tell. velotui knows how many records it published to each source; the engine
logs how many it read from each; and the sinks' end offsets (and the sizes of file sinks) stop moving
once it has written everything. Done = every source read in full, then the sinks unchanged for the
quiet period (three quiet periods while every sink is still empty: an engine may take a moment before
its first write).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.expected = expected
        self.consumed = consumed
        self.snapshot = snapshot
        self.quiet_s = quiet_s
        self.empty = empty
        self.clock = clock
        self._last: Any = object()
        self._since: float | None = None
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
        start = max(now if self._since is None else self._since, self.read_all_at)
        if now - start >= quiet:
            return DoneState("done", read, snap)
        return DoneState("settling", read, snap)
