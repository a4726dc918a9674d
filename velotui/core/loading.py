"""Load and validate one app under test: its SQL, its spec, the schemas and configs they name.

Validation never half-runs a test: everything an app needs is loaded (and every problem collected)
before anything is published.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from velotui.core.discovery import AppFiles, find_schema
from velotui.errors import SpecError, SqlError, VelotuiError


@dataclass
class LoadedApp:
    """An app ready to run: the SQL app model, its spec, and the schemas its inputs use."""

    files: AppFiles
    app: Any  # velotui.sql.model.App
    spec: Any  # velotui.spec.TestSpec
    schemas: dict[str, Any] = field(default_factory=dict)  # name -> DataSchema
    warnings: list[Any] = field(default_factory=list)
    extra_schema_dirs: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.application or self.app.name

    @property
    def sql_path(self) -> Path:
        return self.files.sql_path

    @property
    def spec_path(self) -> Path:
        assert self.files.spec_path is not None
        return self.files.spec_path

    def statement_for(self, query_name: str) -> Any:
        """The statement a spec query names (FORMATS.md §2: a lone statement is meant when none matches)."""
        st = self.app.statement(query_name)
        if st is not None:
            return st
        names = [s.name for s in self.app.statements]
        if len(names) == 1:
            return self.app.statements[0]
        query = next((q for q in self.spec.queries if q.name == query_name), None)
        raise SpecError(
            f"query {query_name!r} names no statement of {self.sql_path.name}",
            file=self.spec_path, line=getattr(query, "line", None), column=getattr(query, "column", None),
            hint="statements in the SQL: " + ", ".join(names),
        )

    def schema_path(self, name: str) -> Path | None:
        for d in self.extra_schema_dirs:
            for cand in (d / f"{name}.schema.yaml", d / f"{name}.yaml", d / f"{name}.schema.yml"):
                if cand.exists():
                    return cand
        return find_schema(self.files, name)


def load_app_under_test(files: AppFiles, *, strict: bool = False, spec_override: Path | None = None,
                        extra_schema_dirs: list[Path] | None = None, root: Path | None = None,
                        allow_outside: list[Path] | None = None) -> LoadedApp:
    """Load SQL, spec and every schema an input needs; raise one VelotuiError listing what is wrong."""
    from velotui.spec import load_data_schema, load_test_spec
    from velotui.sql import load_app

    if spec_override is not None:
        files = AppFiles(sql_path=files.sql_path, spec_path=Path(spec_override), schema_dirs=files.schema_dirs,
                         data_dirs=files.data_dirs)
    if files.spec_path is None:
        raise SpecError(f"no test spec for {files.sql_path.name}", file=files.sql_path,
                        hint=f"create {files.sql_path.with_suffix('.test.yaml').name} beside it "
                        "(velotui init can draft one)")
    spec = load_test_spec(files.spec_path, strict=strict)
    app = load_app(files.sql_path)
    problems = sql_problems(app, getattr(spec, "config", None))
    if problems:
        raise problems[0] if len(problems) == 1 else SqlProblems(problems)
    from velotui.sql.validate import property_problems, property_warnings

    near = property_problems(app)  # WITH keys one typo away from a known one
    if strict and near:  # --strict: what would be a warning is an error
        line, message = near[0]
        raise SqlError(message, file=app.path, line=line, hint="fix the key, or run without --strict")
    near_misses = property_warnings(app, near)
    loaded = LoadedApp(files=files, app=app, spec=spec, warnings=list(getattr(spec, "warnings", []) or [])
                       + near_misses,
                       extra_schema_dirs=list(extra_schema_dirs or []))
    statement_names = {s.name for s in app.statements}
    for query in spec.queries:
        loaded.statement_for(query.name)
        if query.name not in statement_names and len(app.statements) == 1:
            loaded.warnings.append(
                f"{files.spec_path}:{getattr(query, 'line', '?')}: query {query.name!r} names no statement; "
                f"using the app's only statement {app.statements[0].name!r}")
        for inp in query.inputs:
            if getattr(inp, "from_previous", None):
                continue
            if getattr(inp, "data_file", None):  # a data file is checked against its schema when there is one
                name = getattr(inp, "schema_name", None) or inp.source
                path = loaded.schema_path(name) if isinstance(name, str) and name not in loaded.schemas else None
                if path is not None:
                    loaded.schemas[name] = load_data_schema(path, strict=strict)
                continue
            source_type = getattr(inp, "source_type", None)
            if source_type is not None and getattr(source_type, "type", None) == "file":
                continue
            src = next((s for s in app.external_sources if s.name == inp.source), None)
            if src is not None and src.kind == "file":
                continue
            name = getattr(inp, "schema_name", None) or inp.source
            if not isinstance(name, str):
                name = inp.source
            if name in loaded.schemas:
                continue
            path = loaded.schema_path(name)
            if path is None:
                dirs = [*loaded.extra_schema_dirs, *files.schema_dirs]
                close = difflib.get_close_matches(name, _schema_names(dirs), n=1)
                guess = f"did you mean {close[0]!r}? " if close else ""
                if getattr(inp, "schema_name", None):
                    raise SpecError(
                        f"input {inp.source!r} names schema {name!r}, which is not found",
                        file=files.spec_path, line=getattr(inp, "line", None),
                        hint=guess + "looked in: " + ", ".join(str(d) for d in dirs))
                if not app.data_hints and getattr(inp, "records", None) != 0:
                    raise SpecError(  # what the run would say when it prepares the input, said now
                        f"no schema {name!r} for input {inp.source!r}", file=files.spec_path,
                        line=getattr(inp, "line", None),
                        hint=guess + f"add schemas/{name}.schema.yaml, give the input `schema:` or a data_file, "
                        "or put -- @data.<field>.<hint> lines in the SQL")
                continue  # generated from the SQL's @data hints, or no records: decided when inputs are prepared
            loaded.schemas[name] = load_data_schema(path, strict=strict)
            loaded.warnings.extend(getattr(loaded.schemas[name], "warnings", []) or [])
    _load_referenced_schemas(loaded, strict)
    from velotui.core.paths import PathGuard, check_app_paths, suite_root

    check_app_paths(loaded, PathGuard(suite_root(root or files.sql_path.parent, files), allow_outside))
    return loaded


def sql_problems(app: Any, properties: dict[str, Any] | None = None) -> list[VelotuiError]:
    """What is wrong with an app's SQL: its shape (velotui.sql), then what the engine refuses when it
    plans each statement (functions and their arguments, window kinds and sizes, WITH settings)."""
    from velotui.engine import plan_problems
    from velotui.sql import validate

    return list(validate(app) or plan_problems(app, properties))


def _schema_names(dirs: list[Path]) -> list[str]:
    names = []
    for d in dirs:
        if d.is_dir():
            names += [p.name.split(".")[0] for p in d.iterdir() if p.suffix in (".yaml", ".yml")]
    return sorted(set(names))


def _load_referenced_schemas(loaded: LoadedApp, strict: bool) -> None:
    """Foreign keys (``references: {schema: …}``) need the referenced schema loaded too."""
    from velotui.spec import load_data_schema

    pending = list(loaded.schemas.values())
    while pending:
        schema = pending.pop()
        for f in schema.fields:
            ref = getattr(getattr(f, "constraints", None), "references", None)
            ref_schema = getattr(ref, "schema_name", None)
            if not isinstance(ref_schema, str) or getattr(ref, "file", None) or ref_schema in loaded.schemas:
                continue
            path = loaded.schema_path(ref_schema)
            if path is None:
                raise SpecError(f"field {f.name!r} references schema {ref_schema!r}, which is not found",
                                file=getattr(schema, "path", None), line=getattr(f, "line", None),
                                hint="add schemas/" + ref_schema + ".schema.yaml or give references.file")
            loaded.schemas[ref_schema] = load_data_schema(path, strict=strict)
            pending.append(loaded.schemas[ref_schema])


class SqlProblems(VelotuiError):
    """Several validation errors of one SQL file, reported together."""

    def __init__(self, problems: list[VelotuiError]) -> None:
        first = problems[0]
        super().__init__("\n".join(str(p) for p in problems), file=None)
        self.problems = problems
        self.exit_code = first.exit_code
