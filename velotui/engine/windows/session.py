"""``SESSION(gap)`` / ``SESSION(time_col, gap[, partition_col])``: per group, records whose event times
are within ``gap`` of each other form one session ``[first, last + gap)``; it closes when the watermark
passes its end; a late record that bridges two sessions merges them (SQL_SEMANTICS.md §5). A trailing
partition column is added to the group key."""

from __future__ import annotations

from dataclasses import dataclass

from velotui.engine.windows.base import WindowKind, register
from velotui.sql.model import WindowSpec


@register
@dataclass
class Session(WindowKind):
    name = "session"
    usage = "SESSION(30s) or SESSION(time_column, 30s[, partition_column])"
    merging = True
    one_per_record = True
    gap_ms: int = 0

    @classmethod
    def from_spec(cls, spec: WindowSpec, file: str | None) -> Session:
        (gap,), time_col, part = cls._shape(spec, file, 1, trailing_column=True)
        gap = cls._bounded(spec, file, "gap", gap)
        return cls(time_column=time_col, partition_column=part, gap_ms=gap, params={"gap_ms": gap})

    def merge(self, sessions: list[list[int]], t: int) -> list[list[int]]:
        gap = self.gap_ms
        return [s for s in sessions if s[0] - gap <= t < s[1] + gap]

    def end(self, start: int, last: int) -> int:
        return last + self.gap_ms
