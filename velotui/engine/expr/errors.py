"""Row errors: what an expression reports about one record without stopping the query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class RowErrors:
    """Collects row errors of a query as (error_type, message, context) entries. ``context`` is whatever
    the engine set before evaluating the row (the input message). A compiled row function that falls back
    from its fast path to its safe path first discards the entries the fast attempt made."""

    def __init__(self, sink: Callable[[str, str], None] | None = None) -> None:
        self.sink = sink
        self.entries: list[tuple[str, str, Any]] = []
        self.context: Any = None

    def __call__(self, kind: str, message: str) -> None:
        self.entries.append((kind, message, self.context))

    @property
    def count(self) -> int:
        return len(self.entries)

    def flush(self) -> list[tuple[str, str, Any]]:
        """Hand the collected entries to the sink (and return them)."""
        out, self.entries[:] = list(self.entries), []
        if self.sink is not None:
            for kind, message, _ in out:
                self.sink(kind, message)
        return out


class DropRecord(Exception):  # noqa: N818 - a signal, not a failure of velotui
    """Raised while evaluating a record that must not be emitted at all (a failed CAST): the operator
    evaluating it sends the record to the query's dead letters with ``kind`` and ``message``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
