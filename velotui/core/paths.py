"""Paths in specs, schemas and SQL may not leave the suite's folder (unless --allow-outside allows it):
a spec from elsewhere cannot make velotui read or write files outside the tree under test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from velotui.errors import SpecError


def suite_root(given: Path, files: Any) -> Path:
    """The folder under test: the path given, widened to the folders its shared schemas/data sit in."""
    base = (given if given.is_dir() else given.parent).resolve()
    parts = [str(base)] + [str(d.resolve().parent) for d in [*files.schema_dirs, *files.data_dirs]]
    return Path(os.path.commonpath(parts))


class PathGuard:
    def __init__(self, root: Path, allowed: list[Path] | None = None) -> None:
        self.roots = [root.resolve(), *(Path(p).resolve() for p in (allowed or []))]

    def check(self, path: Path, *, what: str, file: Any = None, line: int | None = None) -> Path:
        real = path.resolve()
        if any(real == r or r in real.parents for r in self.roots):
            return real
        raise SpecError(f"{what} {path} is outside the suite folder {self.roots[0]}", file=file, line=line,
                        hint="keep data, configs and sinks inside the folder under test, or pass "
                        f"--allow-outside {real.parent}")


def check_app_paths(loaded: Any, guard: PathGuard) -> None:
    """Every path the app, its spec and its schemas name must stay inside the allowed folders."""
    sql_dir = loaded.sql_path.parent
    spec_dir = loaded.spec_path.parent
    for st in loaded.app.statements:
        for key, value in st.properties.items():
            if key.endswith((".config_file", ".path")):
                guard.check(sql_dir / value, what=f"'{key}'", file=loaded.sql_path, line=st.line)
        for src in st.sources:
            if src.path:
                guard.check(sql_dir / src.path, what=f"file source {src.name}", file=loaded.sql_path, line=st.line)
        for sink in st.sinks:
            if sink.path:
                guard.check(sql_dir / sink.path, what=f"file sink {sink.name}", file=loaded.sql_path, line=st.line)
    for q in loaded.spec.queries:
        for inp in q.inputs:
            if inp.data_file:
                guard.check(spec_dir / inp.data_file, what="data_file", file=loaded.spec_path, line=inp.line)
        eo = q.expected_output
        eo_file = eo if isinstance(eo, str) else getattr(eo, "file", None)
        if eo_file:
            guard.check(spec_dir / eo_file, what="expected_output", file=loaded.spec_path, line=q.line)
    for schema in loaded.schemas.values():
        for f in schema.fields:
            ref = f.constraints.references
            if ref is not None and ref.file:
                base = schema.path.parent if schema.path else spec_dir
                guard.check(base / ref.file, what="references.file", file=schema.path, line=f.line)
