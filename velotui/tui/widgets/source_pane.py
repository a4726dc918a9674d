"""SQL / Schema pane: the selected app's SQL (highlighted) and a live-validating schema editor."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Select, Static, TabbedContent, TabPane, TextArea

from velotui.core.discovery import AppFiles
from velotui.tui.shown import shown


class SqlView(TextArea):
    """Read-only, highlighted SQL of the selected app."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", language="sql", read_only=True, show_line_numbers=True, **kwargs)  # type: ignore[arg-type]
        self.path: Path | None = None

    def show_file(self, path: Path) -> None:
        self.path = path
        from velotui import files
        from velotui.errors import VelotuiError

        try:  # through the path resolver: a FIFO or a device is refused, never waited on
            self.load_text(files.read_text(path, what="SQL file"))
        except VelotuiError as e:
            self.load_text(f"-- cannot read {path}: {e.message}")


class SchemaEditor(Vertical):
    """Edits a schema YAML; validates as you type; previews generated records; ctrl+s saves."""

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

    def set_schemas(self, paths: list[Path]) -> None:
        select = self.query_one("#schema-select", Select)
        select.set_options([(p.name, str(p)) for p in paths])
        if paths:
            select.value = str(paths[0])
            self.open(paths[0])
        else:
            self.path = None
            self.text_area.load_text("")
            self._status("no schema files for this app", ok=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and (self.path is None or event.value != str(self.path)):
            self.open(Path(event.value))

    def open(self, path: Path) -> None:
        from velotui import files
        from velotui.errors import VelotuiError

        self.path = path
        try:
            self.text_area.load_text(files.read_text(path, what="data schema"))
        except VelotuiError as e:
            self.text_area.load_text(f"# cannot read {path}: {e.message}")
        self.dirty = False
        self.validate_text()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "schema-text" and self.path is not None:
            self.dirty = True
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
            return "not saved: the schema has errors"
        self.path.write_text(self.text_area.text)
        self.dirty = False
        return f"saved {self.path.name}"


class SourcePane(Vertical):
    """The SQL and Schema tabs."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.files: AppFiles | None = None

    def compose(self) -> ComposeResult:
        with TabbedContent(id="source-tabs"):
            with TabPane("SQL", id="tab-sql"):
                yield SqlView(id="sql-view")
            with TabPane("Schema", id="tab-schema"):
                yield SchemaEditor(id="schema-editor")

    @property
    def active(self) -> str:
        return self.query_one(TabbedContent).active

    @active.setter
    def active(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def show_app(self, files: AppFiles) -> None:
        self.files = files
        self.query_one(SqlView).show_file(files.sql_path)
        self.query_one(SchemaEditor).set_schemas(_schemas_of(files))


def _schemas_of(files: AppFiles) -> list[Path]:
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
