"""The failure at a glance: one failed assertion, full width (`enter` on it in Results, or `z`).

The assertion and its spec line, expected and actual side by side (stacked on a narrow terminal), the
offending records with the fields the check looked at highlighted, the input records behind them (the
engine's lineage), the divergence flag when the report carries one, and actions: explain, copy, open the
records, go to the spec line. A golden comparison shows its row-level diff instead, and `a` approves it."""

from __future__ import annotations

import json
from typing import Any

import orjson
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from velotui.core.explain import FailureDetail

MAX_ROWS = 200


def _cell(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return orjson.dumps(v, default=str).decode()
    return "NULL" if v is None else str(v)


def _pretty(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, (dict, list)):
        return orjson.dumps(v, default=str, option=orjson.OPT_INDENT_2).decode()
    return str(v)


def failure_text(d: FailureDetail) -> str:
    """The failure as plain text (what `c` copies)."""
    r = d.result
    where = f"{d.spec_file}:{d.spec_line}" if d.spec_line else (d.spec_file or "")
    lines = [f"{d.app_label} / {d.query} / {r.type}" + (f" — {r.description}" if r.description else ""),
             f"status: {r.status}" + (f"  ({where})" if where else ""), f"message: {r.message}"]
    for flag in d.divergence:
        lines.append(f"divergence: {flag}")
    if getattr(r, "diff", None) is not None:
        lines += [r.diff.summary(), *r.diff.text_lines(limit=MAX_ROWS)]
    else:
        lines += [f"expected: {_cell(r.expected)}", f"actual:   {_cell(r.actual)}"]
        if d.offending:
            lines.append("offending records:")
            lines += [f"  {_cell(rec)}" for rec in d.offending]
    if d.inputs:
        lines.append(f"inputs behind them ({d.inputs_note}):")
        lines += [f"  {i.source}#{i.index}: {_cell(i.record)}" for i in d.inputs]
    return "\n".join(lines)


class FailureScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("x", "explain", "Explain"),
        Binding("c", "copy", "Copy"),
        Binding("o", "open_records", "Records"),
        Binding("g", "go_to_spec", "Spec line"),
        Binding("a", "approve", "Approve"),
        Binding("A", "approve_all", "Approve all"),
    ]

    def __init__(self, detail: FailureDetail, leaf: Any) -> None:
        super().__init__()
        self.detail = detail
        self.leaf = leaf

    @property
    def golden(self) -> bool:
        return getattr(self.detail.result, "diff", None) is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "approve_all"):
            return self.golden
        return True

    def compose(self) -> ComposeResult:
        d, r = self.detail, self.detail.result
        where = f"{d.spec_file}:{d.spec_line}" if d.spec_line else (d.spec_file or "")
        title = Text(f"✗ {r.type}" + (f" — {r.description}" if r.description else ""), style="bold")
        with VerticalScroll(id="failure"):
            yield Static(title, id="failure-title")
            yield Static(f"{d.app_label} / {d.query}" + (f" · {where}  (g opens the spec there)" if where else ""),
                         id="failure-where", markup=False)
            flags = Static("\n".join(f"⚑ divergence from the reference engine: {f}" for f in d.divergence),
                           id="failure-divergence", markup=False)
            flags.display = bool(d.divergence)
            yield flags
            yield Static(str(r.message), id="failure-message", markup=False)
            if self.golden:
                yield Static(self._diff_heading(), id="failure-diff-title", markup=False, classes="section")
                yield DataTable(id="failure-diff", zebra_stripes=True, cursor_type="row")
            else:
                with Horizontal(id="failure-sides"):
                    expected = Static(_pretty(r.expected), id="failure-expected", markup=False)
                    expected.border_title = "Expected"
                    yield expected
                    actual = Static(_pretty(r.actual), id="failure-actual", markup=False)
                    actual.border_title = "Actual"
                    yield actual
                checked = ", ".join(d.checked_fields) or "—"
                shown = (f"the first {len(d.offending)} the check reported" if len(d.offending) >= 5
                         else str(len(d.offending)))
                yield Static(f"Offending records ({shown}; o opens all) · fields the check looked at: {checked}",
                             id="failure-records-title", markup=False, classes="section")
                yield DataTable(id="failure-records", zebra_stripes=True, cursor_type="row")
            yield Static(f"Inputs behind them ({len(d.inputs)}): {d.inputs_note}", id="failure-inputs-title",
                         markup=False, classes="section")
            yield DataTable(id="failure-inputs", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def _diff_heading(self) -> str:
        diff = self.detail.result.diff
        head = (f"Golden diff: {diff.summary()} · golden {diff.expected_count} records, output {diff.actual_count}"
                f" · {diff.file}")
        if diff.note:
            head += f"\nnote: {diff.note}"
        return head + "\na approves this query's output (rewrites the file) · A approves every golden diff of the run"

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        if self.golden:
            self._fill_diff()
        else:
            self._fill_records()
        self._fill_inputs()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        from velotui.tui.app import NARROW_WIDTH

        narrow = width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")
        self.query_one(Footer).compact = narrow

    def _columns(self, rows: list[dict[str, Any]], first: list[str]) -> list[str]:
        cols = [c for c in first if any(c in r for r in rows)]
        for r in rows:
            for k in r:
                if k not in cols:
                    cols.append(k)
        return cols

    def _fill_records(self) -> None:
        d = self.detail
        table = self.query_one("#failure-records", DataTable)
        rows = d.offending[:MAX_ROWS]
        cols = self._columns(rows, d.checked_fields)
        checked = set(d.checked_fields)
        for c in cols:
            table.add_column(Text(f"▸ {c}", style="bold reverse") if c in checked else c, key=c)
        for rec in rows:
            table.add_row(*[Text(_cell(rec.get(c)), style="bold") if c in checked else _cell(rec.get(c))
                            for c in cols])
        table.display = bool(rows)

    def _fill_diff(self) -> None:
        diff = self.detail.result.diff
        table = self.query_one("#failure-diff", DataTable)
        rows = [c.actual or c.expected or {} for c in diff.changes]
        cols = self._columns(rows, list(self.detail.checked_fields))
        table.add_column("change", key="change")
        table.add_column("golden line", key="golden_line")
        table.add_column("output #", key="output")
        for c in cols:
            table.add_column(c, key=c)
        styles = {"added": "green", "removed": "red", "changed": "yellow"}
        for ch in diff.changes[:MAX_ROWS]:
            style = styles[ch.kind]
            cells: list[Any] = [Text({"added": "+ added", "removed": "- removed", "changed": "~ changed"}[ch.kind],
                                     style=f"bold {style}"),
                                "" if ch.golden_line is None else str(ch.golden_line),
                                "" if ch.output_index is None else str(ch.output_index)]
            for c in cols:
                if ch.kind == "changed" and c in ch.fields:
                    old, new = (ch.expected or {}).get(c), (ch.actual or {}).get(c)
                    cells.append(Text(f"{json.dumps(old, ensure_ascii=False)} → {json.dumps(new, ensure_ascii=False)}",
                                      style="bold reverse"))
                else:
                    rec = ch.actual if ch.actual is not None else ch.expected
                    cells.append(Text(_cell((rec or {}).get(c)), style=style if ch.kind != "changed" else ""))
            table.add_row(*cells)
        more = len(diff.changes) - MAX_ROWS + diff.omitted
        if more > 0:
            self.query_one("#failure-diff-title", Static).update(self._diff_heading() + f"\n(… {more} more not shown)")

    def _fill_inputs(self) -> None:
        d = self.detail
        table = self.query_one("#failure-inputs", DataTable)
        rows = [i.record for i in d.inputs[:MAX_ROWS]]
        cols = self._columns(rows, d.checked_fields)
        table.add_column("source", key="_source")
        table.add_column("#", key="_index")
        for c in cols:
            table.add_column(c, key=c)
        for i in d.inputs[:MAX_ROWS]:
            table.add_row(i.source, str(i.index), *[_cell(i.record.get(c)) for c in cols])
        table.display = bool(rows)

    # -- actions ---------------------------------------------------------------------------------
    def action_explain(self) -> None:
        self.app.explain_leaf(self.leaf)  # type: ignore[attr-defined]

    def action_copy(self) -> None:
        text = failure_text(self.detail)
        self.app.copy_to_clipboard(text)
        self.notify(f"copied the failure ({len(text.splitlines())} lines) to the clipboard")

    def action_open_records(self) -> None:
        self.app.open_query(self.detail.app, self.detail.query)  # type: ignore[attr-defined]

    def action_go_to_spec(self) -> None:
        self.app.jump_to_spec(self.detail)  # type: ignore[attr-defined]

    def action_approve(self) -> None:
        if self.app.approve_leaf(self.leaf):  # type: ignore[attr-defined]
            self.app.pop_screen()

    def action_approve_all(self) -> None:
        if self.app.approve_all():  # type: ignore[attr-defined]
            self.app.pop_screen()
