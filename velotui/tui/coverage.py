"""Data coverage in the TUI: the items of an app's SQL that the last run's inputs did not cover, as marks of
the SQL view's gutter (``◇`` in the ``coverage`` lane, velotui.tui.widgets.gutter). A run started with `v`
counts coverage (as ``--coverage``); a query whose spec requires coverage counts it on every run. Each
new run replaces the marks; a mark sits on the text the run read (an edited file shows none)."""

from __future__ import annotations

from typing import Any

from velotui.report.coverage import KIND_LABELS, uncovered_at
from velotui.tui.widgets.gutter import GutterMark

MARK = "coverage-gap"


def coverage_marks(report: Any, sql_file: str) -> list[GutterMark]:
    """The gutter marks of ``sql_file`` from a run report: one per item not covered, on its line."""
    out: list[GutterMark] = []
    for line, entries in sorted(uncovered_at(report, sql_file).items()):
        seen: set[str] = set()
        for _app, query, item in entries:
            if item.id in seen and len({q for _, q, _ in entries}) == 1:
                continue
            seen.add(item.id)
            sql = " ".join(item.sql.split())
            note = f"{item.id} {KIND_LABELS.get(item.kind, item.kind)} `{sql}` {item.gap()}"
            if len({q for _, q, _ in entries}) > 1:
                note += f" ({query})"
            if item.hint:
                note += f" — {item.hint}"
            out.append(GutterMark(kind=MARK, line=line, note=note, ref=item.id))
    return out


def measured_files(report: Any) -> list[str]:
    """The SQL files of a report whose coverage was counted (their marks are replaced, even by none)."""
    return sorted({app.file for app in getattr(report, "apps", []) for q in app.queries
                   if q.coverage is not None and q.coverage.measured})


__all__ = ["MARK", "coverage_marks", "measured_files"]
