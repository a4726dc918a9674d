"""Compare view (``C``): for a ``--compare A,B`` run, every query's verdict — same, differs explained by a
divergence flag, differs unexplained — and, for the highlighted query, its first differing records."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from velotui.report.writers import difference_lines

STYLE = {"same": "green", "explained": "yellow", "unexplained": "red", "error": "red"}


def comparison_rows(report: Any) -> list[tuple[str, str, Any]]:
    """(app, query, comparison) of every compared query of the report."""
    return [(a.name, q.name, q.comparison) for a in report.apps for q in a.queries if q.comparison is not None]


class CompareScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, report: Any) -> None:
        super().__init__()
        self.rows = comparison_rows(report)

    def compose(self) -> ComposeResult:
        engines = self.rows[0][2].engines if self.rows else ("A", "B")
        same = sum(1 for _, _, c in self.rows if c.verdict == "same")
        yield Static(f"compare {engines[0]},{engines[1]}: {same} of {len(self.rows)} queries the same", id="compare-title")
        table: DataTable[Any] = DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield table
        with VerticalScroll(id="compare-detail-box"):
            yield Static("", id="compare-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        engines = self.rows[0][2].engines if self.rows else ("A", "B")
        table.add_columns("app", "query", "outputs", engines[0], engines[1], f"{engines[1]} status")
        for app, query, c in self.rows:
            other = c.other.status if c.other is not None else "?"
            table.add_row(app, query, Text(c.label, style=STYLE[c.verdict]), str(c.counts[0]), str(c.counts[1]),
                          other, key=f"{app}/{query}")
        table.focus()
        self._show(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def detail_text(self, index: int) -> str:
        if not self.rows:
            return "no compared query in this run: run with --compare embedded,velostream"
        app, query, c = self.rows[min(index, len(self.rows) - 1)]
        lines = [f"{app} / {query}: {c.label}"]
        if c.verdict in ("explained", "unexplained"):
            lines += difference_lines(c)
        other = c.other
        if other is not None:
            if other.error:
                lines.append(f"{other.engine} error: {other.error}")
            lines += [f"{other.engine} ✗ {a.type}: {a.message}" for a in other.failed_assertions]
            if other.engine_error:
                lines.append(f"{other.engine}'s first error: {other.engine_error}")
            lines += [f"note: {n}" for n in other.notes]
            if other.engine_log:
                lines.append(f"{other.engine} log: {other.engine_log}")
        return "\n".join(lines)

    def _show(self, index: int) -> None:
        self.query_one("#compare-detail", Static).update(self.detail_text(index))
