"""Stress pane: records/s sparkline, latency percentiles, memory, progress toward the target."""

from __future__ import annotations

import time
from collections import deque

import psutil
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Sparkline, Static


class StressGauge(Vertical):
    can_focus = True

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.samples: deque[float] = deque([0.0] * 30, maxlen=30)
        self._last_t = time.perf_counter()
        self._count_since = 0
        self.paused = False
        self.latency: dict[str, float] = {}
        self.active = False  # shows "idle" until records flow
        self.headline = ""  # the last stress result, shown whenever no records flow

    def compose(self) -> ComposeResult:
        yield Static("idle", id="stress-rate")
        yield Sparkline(list(self.samples), id="stress-spark")
        yield Static("", id="stress-latency")
        yield ProgressBar(total=100, show_eta=False, id="stress-progress")

    def on_mount(self) -> None:
        self.set_interval(0.5, self.tick)

    def count(self, n: int) -> None:
        self._count_since += n
        self.active = True

    def set_latency(self, p50: float, p95: float, p99: float) -> None:
        self.latency = {"p50": p50, "p95": p95, "p99": p99}

    def set_result(self, throughput: float, p99_ms: float, peak_bytes: int) -> None:
        """The last stress run's figures: the headline until the next one."""
        self.headline = f"last stress: {_human(throughput)} rec/s · p99 {p99_ms:.1f} ms · peak {peak_bytes / 1e6:.0f} MB"
        self.query_one("#stress-rate", Static).update(self.headline)

    def set_progress(self, done: int, total: int) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=max(total, 1), progress=done)

    def tick(self) -> None:
        now = time.perf_counter()
        dt = now - self._last_t
        self._last_t = now
        rate = self._count_since / dt if dt > 0 else 0.0
        self._count_since = 0
        if self.paused or not self.active:
            return
        sparks = self.query(Sparkline)
        if not sparks:  # closing: the children go before the widget's timer stops
            return
        self.samples.append(rate)
        sparks.first().data = list(self.samples)
        rss = psutil.Process().memory_info().rss / 1e6
        if rate > 0:
            text = f"{_human(rate)} rec/s   RSS {rss:.0f}M"
        else:  # nothing flows: the last stress result, never a bare "0 rec/s"
            text = self.headline or f"idle · RSS {rss:.0f}M · s: stress"
        self.query_one("#stress-rate", Static).update(text)
        if self.latency:
            self.query_one("#stress-latency", Static).update(
                "  ".join(f"{k} {v:.1f} ms" for k, v in self.latency.items()))


def _human(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f}M"
    if n >= 1e3:
        return f"{n / 1e3:.0f}k"
    return f"{n:.0f}"
