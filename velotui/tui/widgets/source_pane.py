"""SQL / Schema pane: the selected app's SQL (highlighted), a live-validating schema editor, and its spec.

The schema editor owns every printable key while it has focus (digits and letters type; they are not
pane keys there); ``esc`` leaves it (focus goes to the pane's tabs), ``alt+1``…``alt+5`` jump to a pane,
``ctrl+s`` saves. Unsaved changes are marked in the tab ("Schema ●") and the app asks before it quits or
replaces them."""

from __future__ import annotations

from pathlib import Path

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable, Select, Static, TabbedContent, TabPane, TextArea
from textual.widgets.text_area import Selection

from velotui.core.discovery import AppFiles
from velotui.tui.keymap import widget_binding
from velotui.tui.shown import shown
from velotui.tui.widgets.gutter import Gutter, GutterMark, file_text, glyphs, lanes_of, text_digest


class SearchableText(TextArea):
    """A read-only, highlighted file view that `/` searches (`n` for the next match). Its gutter shows the
    line numbers and the marks of velotui.tui.widgets.gutter (surviving mutants, …) for the text shown."""

    BINDINGS = [widget_binding("next_match")]

    def __init__(self, language: str, **kwargs: object) -> None:
        self.gutter_marks = Gutter()
        self._digest = ""
        self._shown: dict[int, list[GutterMark]] = {}  # line -> the marks drawn for the text shown
        self._lanes: list[str] = []
        super().__init__("", language=language, read_only=True, show_line_numbers=True, **kwargs)  # type: ignore[arg-type]
        self.path: Path | None = None
        self.last_search = ""

    def show_file(self, path: Path) -> None:
        self.path = path
        from velotui.errors import VelotuiError

        try:  # through the path resolver: a FIFO or a device is refused, never waited on
            self.load_text(file_text(path))
        except VelotuiError as e:
            self.load_text(f"-- cannot read {path}: {e.message}")

    # -- gutter marks ---------------------------------------------------------------------------------
    def load_text(self, text: str) -> None:
        self._digest = text_digest(text)
        self._update_marks(redraw=False)  # before the text is wrapped: the gutter's width depends on them
        super().load_text(text)

    def set_marks(self, group: str, path: Path, digest: str, marks: list[GutterMark]) -> None:
        """Marks of ``group`` for ``path`` as it was when they were computed (``digest`` of its text)."""
        self.gutter_marks.set(group, path, digest, marks)
        self._update_marks()

    def clear_marks(self, group: str, path: Path | None = None) -> None:
        self.gutter_marks.clear(group, path)
        self._update_marks()

    def marks_at(self, line: int) -> list[GutterMark]:
        """The marks drawn on a (1-based) line of the text shown."""
        return list(self._shown.get(line, []))

    @property
    def marked_lines(self) -> dict[int, list[GutterMark]]:
        return {line: list(marks) for line, marks in sorted(self._shown.items())}

    def _update_marks(self, redraw: bool = True) -> None:
        shown = self.gutter_marks.shown(getattr(self, "path", None), self._digest)
        if shown == self._shown:
            return
        self._shown, self._lanes = shown, lanes_of(shown)
        if redraw:
            self._line_cache.clear()
            self._rewrap_and_refresh_virtual_size()
            self.refresh()

    @property
    def gutter_width(self) -> int:
        base = super().gutter_width
        return base + len(self._lanes) if base and self._lanes else base

    def _render_line(self, y: int) -> Strip:
        strip = super()._render_line(y)
        if not self._lanes or not self.show_line_numbers:
            return strip
        info = self.wrapped_document._offset_to_line_info
        offset = y + self.scroll_offset.y
        if offset >= len(info) or info[offset] is None:
            return strip
        line_index, section = info[offset]
        theme = self._theme
        width = self.gutter_width
        digits = width - 2 - len(self._lanes)
        on_cursor = self.selection.end[0] == line_index and self.highlight_cursor_line and self._has_cursor
        base = (theme.base_style if theme and theme.base_style else None) or Style()
        gutter_style = (theme.cursor_line_gutter_style if on_cursor else theme.gutter_style) if theme else None
        plain = base + (gutter_style or Style())
        number = str(line_index + self.line_number_start) if section == 0 else ""
        segments = [Segment(f"{number:>{digits}} ", plain)]
        kinds = glyphs(self._shown.get(line_index + 1, []), self._lanes) if section == 0 else [None] * len(self._lanes)
        for kind in kinds:
            mark = theme.syntax_styles.get(f"gutter.{kind.id}") if theme and kind else None
            segments.append(Segment(kind.glyph if kind else " ", plain + mark if mark else plain))
        segments.append(Segment(" ", plain))
        return Strip.join([Strip(segments, cell_length=width), strip.crop(width)])

    def find(self, needle: str) -> tuple[int, int]:
        """Select the next match of ``needle`` (case-insensitive) after the cursor, wrapping around; returns
        (match number, number of matches), (0, 0) when there is none."""
        self.last_search = needle
        if not needle:
            return 0, 0
        text, low = self.text, needle.lower()
        hay = text.lower()
        starts = []
        i = hay.find(low)
        while i >= 0:
            starts.append(i)
            i = hay.find(low, i + 1)
        if not starts:
            return 0, 0
        here = self.document.get_index_from_location(self.selection.end)
        nxt = next((k for k, s in enumerate(starts) if s >= here), 0)
        if self.selection.start != self.selection.end and starts[nxt] == here - len(needle):
            nxt = (nxt + 1) % len(starts)
        start = self.document.get_location_from_index(starts[nxt])
        end = self.document.get_location_from_index(starts[nxt] + len(needle))
        self.selection = Selection(start, end)
        self.scroll_cursor_visible(center=True)
        return nxt + 1, len(starts)

    def action_next_match(self) -> None:
        if not self.last_search:
            self.notify("no search yet: / searches", severity="warning")
            return
        n, total = self.find(self.last_search)
        self.notify(f"match {n} of {total}: {self.last_search!r}" if total else f"no match for {self.last_search!r}")

    def go_to(self, line: int, column: int | None = None) -> None:
        """The cursor on a (1-based) line and column, the line in the middle of the view."""
        row = max(0, min(line - 1, self.document.line_count - 1))
        col = max(0, min((column or 1) - 1, len(self.document.get_line(row))))
        self.selection = Selection((row, col), (row, col))
        self.scroll_cursor_visible(center=True)

    def reload(self) -> None:
        """Read the file again (it changed on disk); the cursor stays on its line where it can."""
        if self.path is None:
            return
        row, col = self.selection.end
        self.show_file(self.path)
        row = min(row, self.document.line_count - 1)
        here = (row, min(col, len(self.document.get_line(row))))
        self.selection = Selection(here, here)

    def go_to_line(self, line: int) -> None:
        row = max(0, min(line - 1, self.document.line_count - 1))
        self.selection = Selection((row, 0), (row, len(self.document.get_line(row))))
        self.scroll_cursor_visible(center=True)


class SqlView(SearchableText):
    """Read-only, highlighted SQL of the selected app."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("sql", **kwargs)


class SpecView(SearchableText):
    """Read-only view of the app's test spec (the detail view's `g` jumps to a line here)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("yaml", **kwargs)


class SchemaEditor(Vertical):
    """Edits a schema YAML; validates as you type; previews generated records; ctrl+s saves."""

    BINDINGS = [widget_binding("save"), widget_binding("leave_editor")]

    class DirtyChanged(Message):
        def __init__(self, editor: SchemaEditor) -> None:
            super().__init__()
            self.editor = editor

    class SwitchRequested(Message):
        """The user picked another schema file while this one has unsaved changes."""

        def __init__(self, editor: SchemaEditor, path: Path) -> None:
            super().__init__()
            self.editor = editor
            self.path = path

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.path: Path | None = None
        self.valid = True
        self.dirty = False

    def compose(self) -> ComposeResult:
        yield Select[str]([], prompt="schema file", id="schema-select", allow_blank=True)
        yield TextArea("", language="yaml", show_line_numbers=True, id="schema-text")
        yield Static("", id="schema-status")
        yield DataTable(id="schema-preview", zebra_stripes=True)

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#schema-text", TextArea)

    def _mark_unsaved(self, dirty: bool) -> None:
        if dirty != self.dirty:
            self.dirty = dirty
            self.post_message(self.DirtyChanged(self))

    def set_schemas(self, paths: list[Path]) -> None:
        select = self.query_one("#schema-select", Select)
        select.set_options([(p.name, str(p)) for p in paths])
        if paths:
            select.value = str(paths[0])
            self.open(paths[0])
        else:
            self.path = None
            self._replace_text("")
            self._mark_unsaved(False)
            self._status("no schema files for this app", ok=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str) or (self.path is not None and event.value == str(self.path)):
            return
        if self.dirty:  # the app asks first; the select shows the open file until then
            self.post_message(self.SwitchRequested(self, Path(event.value)))
            if self.path is not None:
                with self.prevent(Select.Changed):
                    event.select.value = str(self.path)
            return
        self.open(Path(event.value))

    def _replace_text(self, text: str) -> None:
        with self.prevent(TextArea.Changed):
            self.text_area.load_text(text)

    def open(self, path: Path) -> None:
        self.path = path
        select = self.query_one("#schema-select", Select)
        if select.value != str(path):
            with self.prevent(Select.Changed):
                select.value = str(path)
        from velotui import files
        from velotui.errors import VelotuiError

        try:  # through the path resolver: a FIFO or a device is refused, never waited on
            self._replace_text(files.read_text(path, what="data schema"))
        except VelotuiError as e:
            self._replace_text("")
            self._status(f"cannot read {path}: {e.message}", ok=False)
            self._mark_unsaved(False)
            return
        self._mark_unsaved(False)
        self.validate_text()

    def reload(self) -> None:
        """Read the open file again (after an outside editor saved it), dropping the buffer."""
        if self.path is not None:
            self.open(self.path)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "schema-text" and self.path is not None:
            self._mark_unsaved(True)
            self.validate_text()

    def validate_text(self) -> bool:
        """Parse the editor's text as a data schema; show errors with their line, or a preview."""
        from velotui.errors import VelotuiError
        from velotui.spec import parse_data_schema

        if self.path is None:
            return True
        try:
            schema = parse_data_schema(self.text_area.text, self.path)
        except VelotuiError as e:
            self.valid = False
            self._status(str(e), ok=False)
            return False
        self.valid = True
        warnings = [str(w) for w in getattr(schema, "warnings", []) or []]
        try:
            self._preview(schema)
        except VelotuiError as e:
            self.valid = False
            self._status(str(e), ok=False)
            return False
        self._status("valid" + ("" if not warnings else "  ·  " + "; ".join(warnings)), ok=True)
        return True

    def _preview(self, schema: object) -> None:
        from velotui.datagen import DataGenerator

        gen = DataGenerator({getattr(schema, "name", "preview"): schema}, seed=1, now_ms=0,
                            base_dir=self.path.parent if self.path else None)
        try:
            data = gen.generate(schema, 5)
        except Exception as e:  # references to other schemas cannot be previewed alone
            from velotui.errors import VelotuiError

            if isinstance(e, VelotuiError):
                raise
            return
        table = self.query_one("#schema-preview", DataTable)
        table.clear(columns=True)
        if not data.records:
            return
        cols = list(data.records[0])
        table.add_columns(*[shown(c) for c in cols])
        for r in data.records:
            table.add_row(*[shown(r.get(c)) for c in cols])

    def _status(self, text: str, *, ok: bool) -> None:
        status = self.query_one("#schema-status", Static)
        status.update(shown(text, width=None, one_line=False))
        status.set_class(not ok, "error")

    def save(self) -> str:
        if self.path is None:
            return "no schema open"
        if not self.validate_text():
            return "not saved: the schema has errors (see the message under the editor)"
        try:
            self.path.write_text(self.text_area.text, encoding="utf-8")
        except OSError as e:
            return f"not saved: cannot write {self.path}: {e.strerror}"
        self._mark_unsaved(False)
        return f"saved {self.path}"

    def action_save(self) -> None:
        message = self.save()
        self.notify(message, severity="information" if message.startswith("saved") else "error")

    def action_leave(self) -> None:
        """esc: stop editing; the pane's tabs take the focus (pane keys work again)."""
        pane = next((a for a in self.ancestors if isinstance(a, SourcePane)), None)
        if pane is not None:
            pane.focus_tabs()


class SourcePane(Vertical):
    """The SQL, Schema and Spec tabs."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.files: AppFiles | None = None

    def compose(self) -> ComposeResult:
        with TabbedContent(id="source-tabs"):
            with TabPane("SQL", id="tab-sql"):
                yield SqlView(id="sql-view")
            with TabPane("Schema", id="tab-schema"):
                yield SchemaEditor(id="schema-editor")
            with TabPane("Spec", id="tab-spec"):
                yield SpecView(id="spec-view")

    @property
    def active(self) -> str:
        return self.query_one(TabbedContent).active

    @active.setter
    def active(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @property
    def editor(self) -> SchemaEditor:
        return self.query_one(SchemaEditor)

    def focus_tabs(self) -> None:
        from textual.widgets import Tabs

        self.query_one(TabbedContent).query_one(Tabs).focus()

    def mark_dirty(self, dirty: bool) -> None:
        tab = self.query_one(TabbedContent).get_tab("tab-schema")
        tab.label = "Schema ●" if dirty else "Schema"  # type: ignore[assignment]

    def show_app(self, files: AppFiles) -> None:
        self.files = files
        self.query_one(SqlView).show_file(files.sql_path)
        if files.spec_path is not None:
            self.query_one(SpecView).show_file(files.spec_path)
        else:
            self.query_one(SpecView).load_text("# this app has no test spec (velotui init APP.sql drafts one)")
        self.editor.set_schemas(schemas_of(files))

    def reload_views(self) -> None:
        """The SQL and Spec tabs read their files again (one changed on disk)."""
        for view in (self.query_one(SqlView), self.query_one(SpecView)):
            view.reload()

    def show_spec_line(self, path: Path, line: int | None) -> None:
        view = self.query_one(SpecView)
        if view.path != path:
            view.show_file(path)
        self.active = "tab-spec"
        if line:
            view.go_to_line(line)
        view.focus()

    def searchable(self) -> SearchableText | None:
        """The view `/` searches: the SQL or the spec, whichever tab shows."""
        if self.active == "tab-sql":
            return self.query_one(SqlView)
        if self.active == "tab-spec":
            return self.query_one(SpecView)
        return None


def schemas_of(files: AppFiles) -> list[Path]:
    """Schema files the app's spec uses (else every schema in its schema folders)."""
    from velotui.core.discovery import find_schema

    names: list[str] = []
    if files.spec_path is not None:
        try:
            from velotui.spec import load_test_spec

            for q in load_test_spec(files.spec_path).queries:
                for i in q.inputs:
                    n = getattr(i, "schema_name", None) or i.source
                    if isinstance(n, str) and n not in names:
                        names.append(n)
        except Exception:
            pass
    found = [p for p in (find_schema(files, n) for n in names) if p is not None]
    if found:
        return list(dict.fromkeys(found))
    out: list[Path] = []
    for d in files.schema_dirs:
        if d.exists():
            out.extend(sorted(d.glob("*.y*ml")))
    return out
