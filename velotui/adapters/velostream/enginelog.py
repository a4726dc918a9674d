"""The engine's log, read as it grows: how many records each reader consumed, and the first error.

The log is the engine's own output (text, not SQL); its two lines velotui relies on are
``Read N records from reader: source_<i>_<SOURCE>`` (INFO, as it consumes) and error lines
(``ERROR`` as the level, ``Error:``/``error:`` at the start, or a Rust panic).
"""

from __future__ import annotations

import re
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
READ_LINE = re.compile(r"Read (\d+) records? from reader: source_(\d+)_(\S+)")
_ERROR = re.compile(r"(^|[\s\[])ERROR([\s\]:]|$)|^\s*(error|Error|ERROR)(\[\w+\])?:|panicked at")
MAX_ERROR_CHARS = 500


class EngineLog:
    """Reads ``path`` from where it stopped last time (``poll``); keeps the counts and the first error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pos = 0
        self._partial = b""
        self.consumed: dict[tuple[int, str], int] = {}  # (reader index, source) -> records read
        self.first_error: str | None = None
        self.lines = 0
        self._tail: list[str] = []

    def poll(self) -> bool:
        """Read what was appended since the last call; True when something was."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._pos)
                data = fh.read()
        except OSError:
            return False
        if not data:
            return False
        self._pos += len(data)
        data = self._partial + data
        *complete, self._partial = data.split(b"\n")
        for raw in complete:
            self._line(raw.decode("utf-8", errors="replace"))
        return True

    def finish(self) -> None:
        """Read the rest, including a last line without a newline."""
        self.poll()
        if self._partial:
            self._line(self._partial.decode("utf-8", errors="replace"))
            self._partial = b""

    def _line(self, line: str) -> None:
        line = _ANSI.sub("", line).rstrip("\r")
        self.lines += 1
        self._tail = [*self._tail[-19:], line]
        m = READ_LINE.search(line)
        if m:
            key = (int(m.group(2)), m.group(3))
            self.consumed[key] = self.consumed.get(key, 0) + int(m.group(1))
            return
        if self.first_error is None and _ERROR.search(line):
            text = line.strip()
            self.first_error = text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 1] + "…"

    def consumed_from(self, source: str, index: int | None = None) -> int:
        """Records read from ``source`` (by every reader of that name, or the one at ``index``)."""
        return sum(n for (i, name), n in self.consumed.items()
                   if name == source and (index is None or i == index))

    def tail(self, n: int = 5) -> list[str]:
        return [t for t in self._tail if t.strip()][-n:]
