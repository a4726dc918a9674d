"""Marks in the gutter of a file view (the SQL tab): one mechanism, several kinds of mark.

A *mark kind* is one row of ``MARK_KINDS``: its glyph, the *lane* (gutter column) it is drawn in, its
priority within the lane (the highest one on a line is drawn; the others are still listed on that line),
and the palette colour of every theme (velotui.tui.themes, ``gutter.<kind>``; the theme contrast test holds
each one to WCAG AA against the editor's background and cursor line). Surviving mutants use the
``mutants`` lane; data coverage (the items of the SQL the last run's inputs did not cover, by line) uses
the ``coverage`` lane: one row here and one colour per palette for each kind.

Marks come in *sets*, one per (group, file), and each set carries the digest of the text it was computed
on: a view shows a set only while it shows that very text, so an edited SQL file never shows marks on
the wrong lines; a new mutation run replaces its group's sets. The gutter grows one column per lane that
has a mark on the shown file, and is exactly the plain line-number gutter when there is none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class MarkKind:
    id: str
    glyph: str
    lane: str  # the gutter column it is drawn in
    priority: int  # the highest-priority mark of a lane on a line is the one drawn
    label: str  # what it means
    short: str  # the same in a few words (the status line)


MARK_KINDS: dict[str, MarkKind] = {k.id: k for k in [
    MarkKind("mutant-spec", "●", "mutants", 2, "a surviving mutant: the spec does not look", "the spec does not look"),
    MarkKind("mutant-data", "○", "mutants", 1, "a surviving mutant: the data cannot tell", "the data cannot tell"),
    MarkKind("coverage-gap", "◇", "coverage", 1, "a coverage item the last run's inputs did not cover",
             "not covered"),
]}
LANES = ["mutants", "coverage"]  # left to right; a lane takes a column only when it has a mark


@dataclass(frozen=True)
class GutterMark:
    kind: str  # a MARK_KINDS id
    line: int  # 1-based line of the file
    note: str  # one line: what is there (the status line shows it when the cursor is on the line)
    ref: str = ""  # what it points at (a mutant id)


@dataclass
class MarkSet:
    digest: str  # text_digest() of the file's text the marks were computed on
    marks: list[GutterMark] = field(default_factory=list)


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_text(path: Path) -> str:
    """A file's text as the views show it: through the path resolver (velotui.files; a FIFO or a device is
    refused, never waited on); a VelotuiError when it cannot be read as UTF-8 text."""
    from velotui import files

    return files.read_text(path, what="file")


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path)


class Gutter:
    """Every mark set a view knows, by group and file; what shows for one file's text."""

    def __init__(self) -> None:
        self._sets: dict[tuple[str, str], MarkSet] = {}

    def set(self, group: str, path: Path, digest: str, marks: list[GutterMark]) -> None:
        for m in marks:
            if m.kind not in MARK_KINDS:
                raise ValueError(f"unknown gutter mark kind {m.kind!r}; known: {', '.join(MARK_KINDS)}")
        self._sets[(group, _key(path))] = MarkSet(digest, list(marks))

    def clear(self, group: str, path: Path | None = None) -> None:
        for key in [k for k in self._sets if k[0] == group and (path is None or k[1] == _key(path))]:
            del self._sets[key]

    def shown(self, path: Path | None, digest: str) -> dict[int, list[GutterMark]]:
        """The marks for ``path`` computed on the text with ``digest``, by line, highest priority first."""
        if path is None:
            return {}
        key = _key(path)
        out: dict[int, list[GutterMark]] = {}
        for (_, p), s in self._sets.items():
            if p == key and s.digest == digest:
                for m in s.marks:
                    out.setdefault(m.line, []).append(m)
        for marks in out.values():
            marks.sort(key=lambda m: -MARK_KINDS[m.kind].priority)
        return out


def lanes_of(shown: dict[int, list[GutterMark]]) -> list[str]:
    used = {MARK_KINDS[m.kind].lane for marks in shown.values() for m in marks}
    return [lane for lane in LANES if lane in used]


def glyphs(marks: list[GutterMark], lanes: list[str]) -> list[MarkKind | None]:
    """Per lane, the kind drawn on a line with ``marks`` (None: nothing in that lane)."""
    out: list[MarkKind | None] = []
    for lane in lanes:
        kinds = [MARK_KINDS[m.kind] for m in marks if MARK_KINDS[m.kind].lane == lane]
        out.append(max(kinds, key=lambda k: k.priority) if kinds else None)
    return out
