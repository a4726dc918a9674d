"""Topic tail: live records of every source and sink topic of the run, newest last, bounded."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from textual.widgets import RichLog

from velotui.records import Message
from velotui.report.values import short
from velotui.terminal import safe_text
from velotui.tui.shown import shown


def _compact(value: object, width: int = 120) -> str:
    """One record on one line: normalised JSON (velotui.report.values), cut past ``width`` with the cut said."""
    return short(value, width)


def matches(filter_text: str, line: str) -> bool:
    """`/` filter: substring match; a leading `!` inverts."""
    if not filter_text:
        return True
    if filter_text.startswith("!"):
        return filter_text[1:] not in line
    return filter_text in line


class TopicTail(RichLog):
    """Keeps the last ``limit`` records per topic (announced on screen) and renders them filtered.

    Paused, it keeps showing what it showed — also across runs — while new records are buffered; the
    title says so, and names an active filter."""

    def __init__(self, limit: int = 200, title: str = "Topic tail", **kwargs: object) -> None:
        super().__init__(max_lines=5000, wrap=False, markup=False, highlight=False, **kwargs)  # type: ignore[arg-type]
        self.limit = limit
        self.buffers: dict[str, deque[Message]] = {}
        self.dropped: dict[str, int] = {}
        self.filter_text = ""
        self.paused = False
        self.held = 0  # records that arrived while paused
        self.base_title = title

    def on_mount(self) -> None:
        self._retitle()

    def _retitle(self) -> None:
        parts = [self.base_title]
        if self.filter_text:
            parts.append(f"filter {self.filter_text!r}")
        if self.paused:
            parts.append(f"paused, {self.held} new (p resumes)")
        self.border_title = " · ".join(parts)

    def add(self, topic: str, messages: Iterable[Message]) -> None:
        buf = self.buffers.setdefault(topic, deque(maxlen=self.limit))
        for m in messages:
            if len(buf) == buf.maxlen:
                self.dropped[topic] = self.dropped.get(topic, 0) + 1
            buf.append(m)
            if self.paused:
                self.held += 1
                continue
            self._write(topic, m)
        if self.paused:
            self._retitle()
        self.border_subtitle = self._cap_note()

    def _line(self, topic: str, m: Message) -> str:
        key = "" if m.key is None else str(m.key)
        return f"{topic}  p{m.partition} o{m.offset}  {key}  {_compact(m.value)}"

    def _write(self, topic: str, m: Message) -> None:
        line = self._line(topic, m)
        if matches(self.filter_text, line):
            text = shown(line, width=2000)
            text.stylize("bold cyan", 0, len(safe_text(topic, newlines=False)))
            self.write(text)

    def _cap_note(self) -> str:
        dropped = sum(self.dropped.values())
        return f"last {self.limit}/topic" + (f" · {dropped} older not shown" if dropped else "")

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._retitle()
        if not self.paused:
            self.rerender()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self.held = 0
            self.rerender()
        self._retitle()

    def rerender(self) -> None:
        self.clear()
        for topic, buf in self.buffers.items():
            for m in buf:
                self._write(topic, m)

    def reset(self) -> None:
        """A new run: its records replace the last run's. Paused, the screen keeps the old lines."""
        self.buffers.clear()
        self.dropped.clear()
        if not self.paused:
            self.clear()
            self.border_subtitle = ""

    def topics(self) -> list[str]:
        return list(self.buffers)
