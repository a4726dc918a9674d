"""Paths in specs, schemas and SQL may not leave the suite's folder (unless --allow-outside allows it):
a spec from elsewhere cannot make velotui read or write files outside the tree under test.

The mechanism is velotui.files (one resolver every reader goes through, active while an app is loaded
and run); this module computes the suite's folders and checks, before anything runs, every path an app
names, so a bad one is reported with the file and line that wrote it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from velotui import files
from velotui.files import SuiteFolders

FILE_ASSERTION_PATHS = {"file_exists": ("path",), "file_row_count": ("path",), "file_contains": ("path",),
                        "file_matches": ("actual_path", "expected_path")}


def suite_root(given: Path, files_: Any) -> Path:
    """The folder under test: the path given, widened to the folders its shared schemas/data sit in."""
    base = (given if given.is_dir() else given.parent).resolve()
    parts = [str(base)] + [str(d.resolve().parent) for d in [*files_.schema_dirs, *files_.data_dirs]]
    return Path(os.path.commonpath(parts))


class PathGuard:
    """Checks the paths an app names against the suite's folders (through velotui.files.resolve)."""

    def __init__(self, root: Path, allowed: list[Path] | None = None) -> None:
        self.folders = SuiteFolders.of(root, allowed)
        self.roots = list(self.folders.roots)

    def check(self, path: str | Path, *, base: Path | None = None, what: str, file: Any = None,
              line: int | None = None) -> Path:
        return files.resolve(path, base=base, what=what, named_in=file, line=line, folders=self.folders)


def check_app_paths(loaded: Any, guard: PathGuard) -> None:
    """Every path the app, its spec and its schemas name must stay inside the allowed folders."""
    sql_dir = loaded.sql_path.parent
    spec_dir = loaded.spec_path.parent
    sink_paths = set()
    for st in loaded.app.statements:
        for key, value in st.properties.items():
            if key.endswith((".config_file", ".path", "schema.file")):
                guard.check(base=sql_dir, path=value, what=f"'{key}'", file=loaded.sql_path, line=st.line)
        for src in st.sources:
            if src.path:
                guard.check(base=sql_dir, path=src.path, what=f"file source {src.name}", file=loaded.sql_path, line=st.line)
            _check_config(guard, getattr(src, "config", None), sql_dir, loaded.sql_path, st.line)
        for sink in st.sinks:
            if sink.path:
                sink_paths.add(str(sink.path))
                sink_paths.add(Path(str(sink.path)).name)
                guard.check(base=sql_dir, path=sink.path, what=f"file sink {sink.name}", file=loaded.sql_path, line=st.line)
            _check_config(guard, getattr(sink, "config", None), sql_dir, loaded.sql_path, st.line)
    for q in loaded.spec.queries:
        for inp in q.inputs:
            if inp.data_file:
                guard.check(base=spec_dir, path=inp.data_file, what="data_file", file=loaded.spec_path, line=inp.line)
            st_path = getattr(getattr(inp, "source_type", None), "path", None)
            if st_path:
                guard.check(base=sql_dir, path=st_path, what="source_type path", file=loaded.spec_path, line=inp.line)
        eo = q.expected_output
        eo_file = eo if isinstance(eo, str) else getattr(eo, "file", None)
        if eo_file:
            guard.check(base=spec_dir, path=eo_file, what="expected_output", file=loaded.spec_path, line=q.line)
        if getattr(q, "capture_schema", None):
            guard.check(base=spec_dir, path=q.capture_schema, what="capture_schema", file=loaded.spec_path, line=q.line)
        assertions = [*q.assertions, *getattr(q, "metric_assertions", []),
                      *(a for o in getattr(q, "outputs", []) or [] for a in o.assertions)]
        for a in assertions:
            for key in FILE_ASSERTION_PATHS.get(a.type, ()):
                value = a.params.get(key)
                if not isinstance(value, str) or "{{" in value:
                    continue
                if value in sink_paths or Path(value).name in sink_paths:
                    continue  # the app's own file sink: read from the run's temporary folder
                guard.check(base=spec_dir, path=value, what=f"{a.type} {key}", file=a.file or loaded.spec_path,
                            line=a.line or q.line)
            if a.type == "expected_output" and isinstance(a.params.get("file"), str):
                guard.check(base=spec_dir, path=a.params["file"], what="expected_output file", file=a.file or loaded.spec_path,
                            line=a.line or q.line)
    for schema in loaded.schemas.values():
        for f in schema.fields:
            ref = f.constraints.references
            if ref is not None and ref.file:
                base = schema.path.parent if schema.path else spec_dir
                guard.check(base=base, path=ref.file, what="references.file", file=schema.path, line=f.line)


def _check_config(guard: PathGuard, config: Any, base: Path, file: Path, line: int | None) -> None:
    """Files a source or sink config names: schema files (.avsc, .proto, descriptor sets) and paths."""
    if not isinstance(config, dict):
        return
    for key, value in _flat(config):
        if (key.endswith("schema.file") or key == "path" or key.endswith(".path")) and isinstance(value, str) \
                and value:
            guard.check(base=base, path=value, what=f"'{key}'", file=file, line=line)


def _flat(cfg: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in cfg.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _flat(v, key + ".")
        else:
            out.append((key, v))
    return out
