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
from velotui.tui.shown import shown


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


def plural(n: int, word: str) -> str:
    """``1 record``, ``2 records``, ``0 records``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def exports_folder(configured: Path | None = None) -> Path:
    """Where exports go (docs/TUI.md): ``[tui] export_dir`` of the config, else ``$VELOTUI_EXPORT_DIR``,
    else ``$XDG_DATA_HOME/velotui/exports`` (``~/.local/share/velotui/exports``)."""
    import os

    if configured is not None:
        return configured
    if os.environ.get("VELOTUI_EXPORT_DIR"):
        return Path(os.path.expanduser(os.environ["VELOTUI_EXPORT_DIR"]))
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "velotui" / "exports"


def export_name(title: str, suffix: str) -> str:
    import time

    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in title).strip("_")[:60] or "records"
    return f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"


def record_json(message: Message) -> str:
    return orjson.dumps(message.envelope(), default=str, option=orjson.OPT_INDENT_2).decode()


class RecordDetail(ModalScreen[None]):
    """One record as pretty JSON with key, headers, partition, offset and timestamp."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close"), Binding("c", "copy", "Copy")]

    def __init__(self, message: Message) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(shown(record_json(self.message), width=None, one_line=False), id="detail-json", markup=False)

    def action_copy(self) -> None:
        text = record_json(self.message)
        self.app.copy_to_clipboard(text)
        self.notify(f"copied the record ({len(text)} characters) to the clipboard")


class RecordsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("slash", "filter", "Filter"),
        Binding("enter", "detail", "Record"),
        Binding("c", "copy", "Copy"),
        Binding("ctrl+e", "export", "Export JSONL"),
        Binding("E", "export_csv", "Export CSV"),
    ]

    def __init__(self, title: str, messages: list[Message], export_dir: Path | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.messages = list(messages)
        self.shown: list[Message] = list(messages)
        self.export_dir = export_dir or exports_folder()

    def compose(self) -> ComposeResult:
        yield Static(f"{self.title_text} — {plural(len(self.messages), 'record')}", id="records-title",
                     markup=False)
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
            table.add_row(str(m.offset), str(m.partition), shown(_text(m.key)), str(m.timestamp),
                          *[shown(_text(v.get(c))) for c in cols])
        self.query_one("#records-title", Static).update(
            f"{self.title_text} — {len(self.shown):,} of {plural(len(self.messages), 'record')}")

    def action_back(self) -> None:
        """esc: out of the filter line first, then back to where the records were opened from."""
        inp = self.query_one("#records-filter", Input)
        if inp.has_focus:
            inp.add_class("hidden")
            self.query_one(DataTable).focus()
            return
        self.app.pop_screen()

    def action_filter(self) -> None:
        inp = self.query_one("#records-filter", Input)
        inp.remove_class("hidden")
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.shown = filter_messages(self.messages, event.value)
        self._fill()
        event.input.add_class("hidden")
        self.query_one(DataTable).focus()

    def selected(self) -> Message | None:
        table = self.query_one(DataTable)
        if self.shown and 0 <= table.cursor_row < len(self.shown):
            return self.shown[table.cursor_row]
        return None

    def action_copy(self) -> None:
        m = self.selected()
        if m is None:
            self.notify("no record to copy", severity="warning")
            return
        text = record_json(m)
        self.app.copy_to_clipboard(text)
        self.notify(f"copied record at offset {m.offset} ({len(text)} characters) to the clipboard")

    def action_detail(self) -> None:
        m = self.selected()
        if m is not None:
            self.app.push_screen(RecordDetail(m))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_detail()

    def _export(self, suffix: str) -> None:
        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            path = export_messages(self.shown, self.export_dir / export_name(self.title_text, suffix))
        except OSError as e:
            self.notify(f"not exported: cannot write to {self.export_dir}: {e.strerror} (set export_dir in [tui] "
                        "of the config)", severity="error")
            return
        self.notify(f"exported {plural(len(self.shown), 'record')} to {path.resolve()}")

    def action_export(self) -> None:
        self._export(".jsonl")

    def action_export_csv(self) -> None:
        self._export(".csv")
