"""Load measurement: throughput, latency percentiles, memory (psutil) of a stress run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import psutil


def percentile(sorted_vals: list[float], q: float) -> float:
    if not sorted_vals:
        return 0.0
    k = (len(sorted_vals) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


class MemorySampler:
    """Samples the process's RSS every ``interval_s`` in a thread: peak and growth over the run."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.proc = psutil.Process()
        self.start_rss = self.proc.memory_info().rss
        self.peak = self.start_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(1)
        self.end_rss = self.proc.memory_info().rss
        self.peak = max(self.peak, self.end_rss)

    @property
    def growth(self) -> int:
        return max(0, getattr(self, "end_rss", self.peak) - self.start_rss)


@dataclass
class StressResult:
    app: str
    query: str
    records: int
    records_out: int
    seconds: float  # publish + engine + capture (end to end)
    generate_seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    memory_peak_bytes: int = 0
    memory_growth_bytes: int = 0
    batches: int = 1

    @property
    def throughput(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def latency(self) -> dict[str, float]:
        s = sorted(self.latencies_ms)
        return {"p50": percentile(s, 0.5), "p95": percentile(s, 0.95), "p99": percentile(s, 0.99),
                "max": s[-1] if s else 0.0}

    def to_dict(self) -> dict[str, object]:
        return {"app": self.app, "query": self.query, "records": self.records, "records_out": self.records_out,
                "seconds": round(self.seconds, 4), "generate_seconds": round(self.generate_seconds, 4),
                "records_per_s": round(self.throughput, 1),
                "latency_ms": {k: round(v, 3) for k, v in self.latency().items()},
                "memory_peak_bytes": self.memory_peak_bytes, "memory_growth_bytes": self.memory_growth_bytes,
                "batches": self.batches}


__all__ = ["MemorySampler", "StressResult", "percentile"]
