"""The window interface: every kind of ``WINDOW KIND(…)`` is one class in one module of this package.

A window kind reads its arguments from the statement (``from_spec``: sizes, the time column, a partition
column; every bound checked there, with line and column), then answers four questions for the aggregate
operator (velotui/engine/operators/aggregate.py):
- ``assign(t)``: the windows ``[start, end)`` a record at event time ``t`` belongs to (kinds that do not
  merge: tumbling, sliding);
- ``merge(sessions, t)``: for merging kinds (session), which of a group's open sessions the record
  touches and the bounds of the session they become;
- ``end(start, last)``: the end of a window given its first and last record (merging kinds);
- ``late(end, watermark, lateness)``: whether a record for a window ending at ``end`` comes too late.
A window closes when the watermark reaches its end (SQL_SEMANTICS.md §3, §5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from velotui.errors import SqlError
from velotui.sql.model import WindowSpec

MAX_WINDOW_MS = 366 * 86_400_000  # a window (or session gap) of at most a year
MAX_WINDOWS_PER_RECORD = 1000  # sliding windows a record may belong to (size / advance)

KINDS: dict[str, type[WindowKind]] = {}


def register(cls: type[WindowKind]) -> type[WindowKind]:
    for name in (cls.name, *cls.aliases):
        KINDS[name] = cls
    return cls


@dataclass
class WindowKind:
    """Base of the window kinds. ``params`` are the kind's durations by name (for the plan)."""

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    usage: ClassVar[str] = ""
    merging: ClassVar[bool] = False  # windows of a group merge when records bridge them (sessions)
    aligned: ClassVar[bool] = False  # windows of one size aligned to the epoch, no overlap
    one_per_record: ClassVar[bool] = False  # a record belongs to exactly one window of its group
    time_column: str | None = None
    partition_column: str | None = None
    params: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: WindowSpec, file: str | None) -> WindowKind:
        raise NotImplementedError

    # -- what the operator asks ---------------------------------------------------------------------
    def assign(self, t: int) -> list[tuple[int, int]]:
        raise NotImplementedError

    def merge(self, sessions: list[list[int]], t: int) -> list[list[int]]:
        """The sessions (``[first, last]`` event times) a record at ``t`` touches (merging kinds)."""
        raise NotImplementedError

    def end(self, start: int, last: int) -> int:
        raise NotImplementedError

    @staticmethod
    def late(end: float, watermark: float, lateness: int) -> bool:
        return watermark >= end + lateness

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.name, **self.params}
        if self.time_column:
            out["time_column"] = self.time_column
        if self.partition_column:
            out["partition_column"] = self.partition_column
        return out

    # -- helpers for from_spec ------------------------------------------------------------------------
    @classmethod
    def _error(cls, spec: WindowSpec, file: str | None, message: str, hint: str | None = None) -> SqlError:
        return SqlError(f"WINDOW {cls.name.upper()}: {message}", file=file, line=spec.line, column=spec.column,
                        hint=hint or f"write {cls.usage}")

    @classmethod
    def _shape(cls, spec: WindowSpec, file: str | None, durations: int, trailing_column: bool = False
               ) -> tuple[list[int], str | None, str | None]:
        """(durations, time column, trailing column) of ``KIND([time_col,] d1, …[, column])``."""
        args = list(spec.arguments)
        expression = next((a for a in args if a.kind == "expression"), None)
        if expression is not None:
            raise cls._error(spec, file, f"the time column must be a column or a system column (_event_time, "
                             f"_timestamp), not the expression {str(expression.value)[:60]}",
                             hint=f"compute it in an earlier statement (SELECT {str(expression.value)[:60]} AS t, "
                             "…) and name t in the window")
        time_col = str(args.pop(0).value) if args and args[0].kind == "column" else None
        part = str(args.pop().value) if trailing_column and args and args[-1].kind == "column" else None
        if len(args) != durations or any(a.kind != "duration" for a in args):
            raise cls._error(spec, file, f"takes {durations} duration{'s' if durations > 1 else ''}"
                             f"{' and optional columns' if time_col or part else ''}; got "
                             f"({', '.join(str(a.value) + ('ms' if a.kind == 'duration' else '') for a in spec.arguments)})")
        return [int(a.value) for a in args], time_col, part

    @classmethod
    def _bounded(cls, spec: WindowSpec, file: str | None, what: str, ms: int) -> int:
        if ms <= 0:
            raise cls._error(spec, file, f"the {what} must be at least 1 ms, not {ms} ms")
        if ms > MAX_WINDOW_MS:
            raise cls._error(spec, file, f"the {what} of {ms} ms is longer than a year")
        return ms


def window_for(spec: WindowSpec, file: str | None = None) -> WindowKind:
    """The window kind a ``WINDOW KIND(…)`` clause names, its arguments checked."""
    import difflib

    from velotui.engine.windows import load_kinds

    load_kinds()
    cls = KINDS.get(spec.kind.lower())
    if cls is None:
        close = difflib.get_close_matches(spec.kind.lower(), sorted(KINDS), n=1)
        raise SqlError(f"unknown window kind {spec.kind.upper()}", file=file, line=spec.line, column=spec.column,
                       hint=(f"did you mean {close[0].upper()}? " if close else "") + "window kinds: "
                       + ", ".join(sorted(k.upper() for k in KINDS)))
    return cls.from_spec(spec, file)
