"""Records screen: captured records of a query or topic in a table; `/` filters, enter shows one."""

from __future__ import annotations

from pathlib import Path

import orjson
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static

from velotui.records import Message


def _text(v: object) -> str:
    if isinstance(v, (dict, list)):
        return orjson.dumps(v, default=str).decode()
    return "NULL" if v is None else str(v)


def filter_messages(messages: list[Message], text: str) -> list[Message]:
    """Substring filter over the record's JSON; a leading `!` inverts."""
    if not text:
        return list(messages)
    invert = text.startswith("!")
    needle = text[1:] if invert else text
    out = []
    for m in messages:
        hit = needle in orjson.dumps(m.envelope(), default=str).decode()
        if hit != invert:
            out.append(m)
    return out


def export_messages(messages: list[Message], path: Path) -> Path:
    """Write records as JSON lines (``.jsonl``/``.json``: each message's envelope) or CSV (``.csv``: the
    values, one column per field), through the reader and writer every part of velotui shares."""
    from velotui.datafiles import json_bytes, write_rows

    if path.suffix == ".csv":
        write_rows(path, (m.value for m in messages), "csv")
    else:
        path.write_bytes(b"".join(json_bytes(m.envelope()) + b"\n" for m in messages))
    return path


class RecordDetail(ModalScreen[None]):
    """One record as pretty JSON with key, headers, partition, offset and timestamp."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, message: Message) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        text = orjson.dumps(self.message.envelope(), default=str, option=orjson.OPT_INDENT_2).decode()
        with VerticalScroll(id="detail"):
            yield Static(text, id="detail-json", markup=False)


class RecordsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("slash", "filter", "Filter"),
        Binding("enter", "detail", "Record"),
        Binding("ctrl+e", "export", "Export JSONL"),
        Binding("E", "export_csv", "Export CSV"),
    ]

    def __init__(self, title: str, messages: list[Message], export_dir: Path | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.messages = list(messages)
        self.shown: list[Message] = list(messages)
        self.export_dir = export_dir or Path.cwd()

    def compose(self) -> ComposeResult:
        yield Static(f"{self.title_text} — {len(self.messages)} records", id="records-title")
        yield Input(placeholder="filter (substring; ! inverts)", id="records-filter", classes="hidden")
        yield DataTable(id="records-table", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        cols: list[str] = []
        for m in self.shown[:2000]:
            for k in (m.value or {}):
                if k not in cols:
                    cols.append(k)
        table.add_columns("offset", "p", "key", "timestamp", *cols)
        for m in self.shown:  # DataTable renders only the visible rows
            v = m.value or {}
            table.add_row(str(m.offset), str(m.partition), _text(m.key), str(m.timestamp),
                          *[_text(v.get(c)) for c in cols])
        self.query_one("#records-title", Static).update(
            f"{self.title_text} — {len(self.shown)} of {len(self.messages)} records")

    def action_filter(self) -> None:
        inp = self.query_one("#records-filter", Input)
        inp.remove_class("hidden")
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.shown = filter_messages(self.messages, event.value)
        self._fill()
        self.query_one(DataTable).focus()

    def action_detail(self) -> None:
        table = self.query_one(DataTable)
        if self.shown and 0 <= table.cursor_row < len(self.shown):
            self.app.push_screen(RecordDetail(self.shown[table.cursor_row]))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_detail()

    def _export(self, suffix: str) -> None:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.title_text)[:60]
        path = export_messages(self.shown, self.export_dir / f"{safe}{suffix}")
        self.notify(f"exported {len(self.shown)} records to {path}")

    def action_export(self) -> None:
        self._export(".jsonl")

    def action_export_csv(self) -> None:
        self._export(".csv")
