"""``TUMBLING(size)`` / ``TUMBLING(time_col, size)``: windows ``[k·size, (k+1)·size)`` aligned to the
epoch; a record belongs to exactly one (SQL_SEMANTICS.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

from velotui.engine.windows.base import WindowKind, register
from velotui.sql.model import WindowSpec


@register
@dataclass
class Tumbling(WindowKind):
    name = "tumbling"
    usage = "TUMBLING(1m) or TUMBLING(time_column, 1m)"
    aligned = True
    one_per_record = True
    size_ms: int = 0

    @classmethod
    def from_spec(cls, spec: WindowSpec, file: str | None) -> Tumbling:
        (size,), time_col, _ = cls._shape(spec, file, 1)
        size = cls._bounded(spec, file, "size", size)
        return cls(time_column=time_col, size_ms=size, params={"size_ms": size})

    def assign(self, t: int) -> list[tuple[int, int]]:
        s = (t // self.size_ms) * self.size_ms
        return [(s, s + self.size_ms)]
