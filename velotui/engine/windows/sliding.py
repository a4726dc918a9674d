"""``SLIDING(size, advance)`` / ``SLIDING(time_col, size, advance)`` (also ``HOPPING``): windows
``[k·advance, k·advance + size)``; a record belongs to every window that contains it — size/advance of
them when size is a multiple of advance (SQL_SEMANTICS.md §5). At most MAX_WINDOWS_PER_RECORD windows per
record: ``SLIDING(1d, 1ms)`` would put each record in 86,400,000 windows, and is refused at planning."""

from __future__ import annotations

from dataclasses import dataclass

from velotui.engine.windows.base import MAX_WINDOWS_PER_RECORD, WindowKind, register
from velotui.sql.model import WindowSpec


@register
@dataclass
class Sliding(WindowKind):
    name = "sliding"
    aliases = ("hopping",)
    usage = "SLIDING(10m, 1m) or SLIDING(time_column, 10m, 1m): size, then advance"
    size_ms: int = 0
    advance_ms: int = 0

    @classmethod
    def from_spec(cls, spec: WindowSpec, file: str | None) -> Sliding:
        (size, advance), time_col, _ = cls._shape(spec, file, 2)
        size = cls._bounded(spec, file, "size", size)
        advance = cls._bounded(spec, file, "advance", advance)
        if advance > size:
            raise cls._error(spec, file, f"the advance ({advance} ms) is longer than the size ({size} ms): "
                             "records between windows would belong to none")
        per_record = -(-size // advance)
        if per_record > MAX_WINDOWS_PER_RECORD:
            raise cls._error(spec, file, f"each record would belong to {per_record} windows (size / advance); at "
                             f"most {MAX_WINDOWS_PER_RECORD}")
        return cls(time_column=time_col, size_ms=size, advance_ms=advance,
                   params={"size_ms": size, "advance_ms": advance})

    def assign(self, t: int) -> list[tuple[int, int]]:
        adv, size = self.advance_ms, self.size_ms
        first = (t - size) // adv + 1
        last = t // adv
        return [(k * adv, k * adv + size) for k in range(first, last + 1)]
