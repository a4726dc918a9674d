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
from velotui.errors import SpecError, VelotuiError


@dataclass
class LoadedApp:
    """An app ready to run: the SQL app model, its spec, and the schemas its inputs use."""

    files: AppFiles
    app: Any  # velotui.sql.model.App
    spec: Any  # velotui.spec.TestSpec
    schemas: dict[str, Any] = field(default_factory=dict)  # name -> DataSchema
    warnings: list[Any] = field(default_factory=list)  # velotui.errors.VelotuiWarning (``query`` set: its own)
    extra_schema_dirs: list[Path] = field(default_factory=list)
    flags: dict[str, list[Any]] = field(default_factory=dict)  # statement → velotui.sql.reference.Flag
    folders: Any = None  # velotui.files.SuiteFolders: where the app's files may be (its run is confined to them)
    sql_text: str = ""  # the SQL and the spec as this load read them: what the run ran (explain sends these,
    spec_text: str = ""  # not the files as they are after an edit)

    def app_warnings(self) -> list[Any]:
        """Warnings about the app's files, not about one query."""
        return [w for w in self.warnings if getattr(w, "query", None) is None]

    def query_warnings(self, query: str) -> list[Any]:
        return [w for w in self.warnings if getattr(w, "query", None) == query]

    def query_flags(self, query: Any) -> list[Any]:
        """The divergence flags of the statement a spec query tests, each marked accepted when the query's
        ``accepted_divergences`` lists its id."""
        from dataclasses import replace

        accepted = set(getattr(query, "accepted_divergences", None) or [])
        st = self.statement_for(query.name)
        return [replace(f, accepted=f.id in accepted) for f in self.flags.get(st.name, [])]

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
                        allow_outside: list[Path] | None = None, dialect: str | None = None) -> LoadedApp:
    """Load SQL, spec and every schema an input needs; raise one VelotuiError listing what is wrong.

    ``dialect`` (the CLI's --dialect): ``reference`` refuses what the Velostream engine refuses, ``extended``
    accepts velotui's extensions; None: each statement's ``'sql.dialect'`` (or the spec's ``config:``).

    Every file is read through velotui.files, confined to the suite's folders (``root`` widened to its
    shared schemas/ and data/, plus ``allow_outside``, a ``--spec`` file's folder and ``--schemas``)."""
    from velotui import files as suite_files
    from velotui.core.paths import suite_root

    if spec_override is not None:
        files = AppFiles(sql_path=files.sql_path, spec_path=Path(spec_override), schema_dirs=files.schema_dirs,
                         data_dirs=files.data_dirs)
    allowed = list(allow_outside or [])
    if spec_override is not None:  # a spec given on the command line: its folder is the user's choice
        allowed.append(Path(spec_override).resolve().parent)
    allowed += [Path(d) for d in extra_schema_dirs or []]
    folders = suite_files.SuiteFolders.of(suite_root(root or files.sql_path.parent, files), allowed)
    with suite_files.confined_to(folders):
        return _load(files, strict=strict, extra_schema_dirs=extra_schema_dirs, dialect=dialect, folders=folders)


def _unchecked_query_warnings(spec: Any, app: Any, files: AppFiles) -> list[Any]:
    """A query with no check at all (``assertions: []``, none written, ``expected_output:`` left empty) and no
    golden file passes on any output: a warning in every report (--strict: an error). Not for a query whose
    output a later query reads (``from_previous``, ``dependencies``): a stage of a pipeline test."""
    from velotui.core.golden import golden_path
    from velotui.errors import VelotuiWarning

    read_later = {str(getattr(i, "from_previous", None)) for q in spec.queries for i in q.inputs} | {
        str(d) for q in spec.queries for d in getattr(q, "dependencies", None) or []}
    out = []
    for query in spec.queries:
        if any(cl.checks for cl in query.check_lists()) or query.name in read_later:
            continue
        if files.spec_path is not None and golden_path(files.spec_path, files.sql_path.stem, query.name).exists():
            continue
        out.append(VelotuiWarning(
            f"query {query.name!r} checks nothing: it has no assertions, so it passes on any output",
            file=files.spec_path, line=getattr(query, "line", None), column=getattr(query, "column", None),
            query=query.name,
            hint="add assertions (record_count, expected_output …; `velotui init` drafts them) or record a golden "
                 "file with --update-golden"))
    return out


def _config_key_warnings(spec: Any, app: Any, spec_path: Path) -> list[Any]:
    """The spec's ``config:`` keys override the statements' WITH keys: a near-miss among them is the same
    warning as in WITH (velotui.sql.validate.key_problem), at the key's line of the spec."""
    from velotui.errors import VelotuiWarning
    from velotui.sql.validate import config_problems

    doc = spec.doc
    out = []
    for key, message in config_problems(app, spec.config or {}):
        where = doc.key_locations.get(("config", key)) if doc is not None else None
        out.append(VelotuiWarning(message, file=spec_path, line=where[0] if where else None,
                                  column=where[1] if where else None,
                                  hint="fix the key's spelling: a key velotui does not read changes nothing here"))
    return out


def _application_name_warnings(spec: Any, app: Any, spec_path: Path) -> list[Any]:
    """The spec's ``application`` and the SQL's ``-- @app:`` name one app (FORMATS.md §2): a spec that names
    another is a spec written for another app, or a name mistyped — a warning naming both, in every report."""
    from velotui.errors import VelotuiWarning

    declared = app.annotations.get("app")
    if not declared or not isinstance(spec.application, str) or spec.application == declared:
        return []
    doc = spec.doc
    where = doc.key_locations.get(("application",)) if doc is not None else None
    return [VelotuiWarning(
        f"the spec's application {spec.application!r} is not the SQL's '-- @app: {declared}'",
        file=spec_path, line=where[0] if where else None, column=where[1] if where else None,
        hint=f"is this spec for {app.path.name if app.path else 'this SQL'}? write 'application: {declared}', "
             "or change the SQL's -- @app: line")]


def _load(files: AppFiles, *, strict: bool, extra_schema_dirs: list[Path] | None, dialect: str | None,
          folders: Any) -> LoadedApp:
    if files.spec_path is None:
        raise SpecError(f"no test spec for {files.sql_path.name}", file=files.sql_path,
                        hint=f"create {files.sql_path.with_suffix('.test.yaml').name} beside it "
                        "(velotui init can draft one)")
    from velotui import files as suite_files
    from velotui.errors import SqlError
    from velotui.spec import doc_text, parse_test_spec
    from velotui.sql import parse_app

    spec_text = doc_text(files.spec_path, "test spec")
    spec = parse_test_spec(spec_text, files.spec_path, strict=strict)
    sql_text = suite_files.read_text(files.sql_path, what="SQL file", error=SqlError)
    app = parse_app(sql_text, files.sql_path)
    from velotui.sql.reference import flags as divergence_flags

    overrides = {str(k): str(v) for k, v in (spec.config or {}).items()}
    problems = sql_problems(app, overrides, dialect)
    if problems:
        raise problems[0] if len(problems) == 1 else SqlProblems(problems)
    from velotui.errors import VelotuiWarning
    from velotui.sql.validate import property_problems

    near_misses = [VelotuiWarning(message, file=app.path, line=line) for line, message in property_problems(app)]
    near_misses += _config_key_warnings(spec, app, files.spec_path)
    loaded = LoadedApp(files=files, app=app, spec=spec, warnings=list(getattr(spec, "warnings", []) or [])
                       + near_misses,
                       extra_schema_dirs=list(extra_schema_dirs or []), sql_text=sql_text, spec_text=spec_text)
    loaded.warnings += _application_name_warnings(spec, app, files.spec_path)
    loaded.warnings += _unchecked_query_warnings(spec, app, files)
    loaded.flags = {st.name: divergence_flags(st, app.path, app) for st in app.statements}
    loaded.warnings += _reference_format_warnings(app, dialect, overrides)
    from velotui.golden import golden_warnings

    # a golden file no query is compared with (a query renamed, out_s.json for out_s.jsonl): said in the report
    loaded.warnings += golden_warnings(files.spec_path, files.sql_path.stem, [q.name for q in spec.queries])
    statement_names = {s.name for s in app.statements}
    for query in spec.queries:
        st = loaded.statement_for(query.name)
        if query.name not in statement_names and len(app.statements) == 1:
            loaded.warnings.append(VelotuiWarning(
                f"query {query.name!r} names no statement; using the app's only statement {st.name!r}",
                file=files.spec_path, line=getattr(query, "line", None), column=getattr(query, "column", None),
                query=query.name))
        _check_query_against_app(loaded, query, st)
        loaded.warnings += _output_warnings(loaded, query, st)
        for inp in query.inputs:
            if getattr(inp, "from_previous", None):
                continue
            if getattr(inp, "data_file", None):  # a data file is checked against its schema when there is one
                name = getattr(inp, "schema_name", None) or inp.source
                path = loaded.schema_path(name) if isinstance(name, str) and name not in loaded.schemas else None
                if path is not None:
                    _load_schema(loaded, name, path, strict)
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
                named = _schema_named(dirs, name)  # a file whose `name:` is the name asked: the file is the name
                close = [named[0]] if named else difflib.get_close_matches(name, _schema_names(dirs), n=1)
                guess = f"did you mean {close[0]!r}? " if close else ""
                if named:
                    guess += (f"({named[1]} says 'name: {name}', but a schema is found by its file's name); ")
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
            _load_schema(loaded, name, path, strict)
    _load_referenced_schemas(loaded, strict)
    _check_inputs(loaded)
    from velotui.core.paths import PathGuard, check_app_paths

    loaded.folders = folders
    check_app_paths(loaded, PathGuard(folders.roots[0], list(folders.roots[1:])))
    _check_fields(loaded)
    if strict and loaded.app_warnings():  # --strict: every warning about the app's files is an error
        from velotui.spec.validation import raise_all

        raise_all([w.as_error() for w in loaded.app_warnings()])
    return loaded


def sql_problems(app: Any, overrides: dict[str, str] | None = None, dialect: str | None = None) -> list[Any]:
    """What is wrong with an app's SQL, in the order it appears: its shape (velotui.sql), what the reference
    dialect refuses (velotui.sql.reference), then what the engine refuses when it plans each statement
    (functions and their arguments, window kinds and sizes, WITH settings: velotui.engine.plan_problems)."""
    from velotui.engine import plan_problems
    from velotui.sql import validate
    from velotui.sql.reference import refusals

    problems: list[Any] = [*(validate(app) or []), *refusals(app, dialect=dialect, overrides=overrides)]
    if not problems:
        problems = list(plan_problems(app, overrides))
    problems.sort(key=lambda e: (e.line or 0, e.column or 0))
    return problems


def _reference_format_warnings(app: Any, dialect: str | None, overrides: dict[str, str]) -> list[Any]:
    """File sources whose format name the reference engine reads otherwise: it reads 'jsonl' as CSV and
    has no 'json' source format ('jsonlines' is its name for JSON lines). velotui reads them as JSON lines,
    so the test passes where production would not: said, unless the app opts out of the reference."""
    from velotui.errors import VelotuiWarning
    from velotui.sql.reference import statement_dialect

    out = []
    seen: set[str] = set()
    for st in app.statements:
        if statement_dialect(st, overrides, dialect) != "reference":
            continue
        for src in [*st.sources, *st.query.subquery_sources]:
            if src.kind != "file" or src.name in seen or src.format_written not in ("jsonl", "json", "ndjson"):
                continue
            seen.add(src.name)
            out.append(VelotuiWarning(
                f"file source {src.name!r}: format {src.format_written!r} is read as JSON lines here, but the "
                "reference engine reads 'jsonl' as CSV and has no 'json' source format",
                file=app.path, line=src.line or st.line, column=src.column,
                hint=f"write '{src.name}.format' = 'jsonlines' (both engines read it as JSON lines)"))
    return out


def _check_query_against_app(loaded: LoadedApp, query: Any, statement: Any) -> None:
    """What a spec query names in the app must exist there: the sinks its ``outputs`` check, and the
    divergences its ``accepted_divergences`` accept (an id the statement does not have is a warning)."""
    import difflib

    from velotui.errors import VelotuiWarning
    from velotui.sql.reference import DIVERGENCES

    file = loaded.spec_path
    sinks = sorted({s.name for s in statement.sinks} | {s.topic for s in statement.sinks if s.topic})
    for out in getattr(query, "outputs", None) or []:
        if out.sink not in sinks:
            close = difflib.get_close_matches(out.sink, sinks, n=1)
            raise SpecError(f"query {query.name!r}: outputs names sink {out.sink!r}, which statement "
                            f"{statement.name!r} does not have" + (f"; did you mean {close[0]!r}?" if close else ""),
                            file=file, line=getattr(out, "line", None), column=getattr(out, "column", None),
                            hint="sinks of this statement: " + ", ".join(sinks))
    doc = getattr(loaded.spec, "doc", None)
    external = [src.name for src in loaded.app.external_sources]
    read = {src.name for st in loaded.app.statements for src in st.sources if src.kind == "stream"}
    for inp in query.inputs:
        if inp.source not in external and inp.source not in read:
            known = sorted({*external, *read})
            close = difflib.get_close_matches(inp.source, known, n=1)
            where = doc.value_loc((*inp.doc_path, "source")) if doc is not None else None
            raise SpecError(f"input source {inp.source!r} is not a source of {loaded.sql_path.name}"
                            + (f"; did you mean {close[0]!r}?" if close else ""), file=file,
                            line=where[0] if where else inp.line, column=where[1] if where else inp.column,
                            hint="sources the SQL reads: " + (", ".join(known) or "(none)"))
    for inp in query.inputs:
        fmt = getattr(inp, "topic_format", None)
        src = next((s for s in loaded.app.external_sources if s.name == inp.source), None)
        if fmt in ("avro", "protobuf") and src is not None:
            from velotui.bus.serde import serde_for

            try:
                serde_for({**src.config, "value.format": fmt}, loaded.sql_path.parent)
            except VelotuiError as e:
                where = doc.value_loc((*inp.doc_path, "format")) if doc is not None else None
                raise SpecError(f"input {inp.source!r}: format {fmt}: {e.message}", file=file,
                                line=where[0] if where else inp.line, column=where[1] if where else inp.column,
                                hint=f"give source {inp.source!r} its {fmt} schema file in its config") from None
    _check_dlq_topics(loaded, query, statement)
    ids = [d.id for d in DIVERGENCES]
    used = {f.id for f in loaded.flags.get(statement.name, [])}
    for i, accepted in enumerate(getattr(query, "accepted_divergences", None) or []):
        where = doc.value_loc((*query.doc_path, "accepted_divergences", i)) if doc is not None else None
        line, column = where or (query.line, query.column)
        if accepted not in ids:
            close = difflib.get_close_matches(str(accepted), ids, n=1)
            raise SpecError(f"query {query.name!r}: accepted_divergences names {accepted!r}, which is no divergence"
                            + (f"; did you mean {close[0]!r}?" if close else ""), file=file, line=line,
                            column=column, hint="the ids are D1 … D19 (docs/SQL.md, Differences from the reference)")
        if accepted not in used:
            loaded.warnings.append(VelotuiWarning(
                f"query {query.name!r} accepts divergence {accepted}, which statement {statement.name!r} does not "
                f"use", file=file, line=line, column=column, query=query.name,
                hint="remove it from accepted_divergences" + (f" (it uses: {', '.join(sorted(used))})" if used else "")))


def _fields_of_file(path: Path, fmt: str | None = None) -> Any:
    """The fields of a data file's first records (None: missing, unreadable or empty: said where it is read)."""
    from velotui.datagen import load_data_file
    from velotui.sql.columns import KnownFields, fields_of_records

    try:
        rows = load_data_file(path, fmt=fmt, limit=200)
    except (VelotuiError, OSError, UnicodeDecodeError, ValueError):
        return None  # a missing or unreadable file is reported where the run reads it
    fields = tuple(f for f in fields_of_records(rows) if f not in ("$ts", "$key"))
    return KnownFields(fields, f"the header of {path.name}") if fields else None


def _fields_of_schema(loaded: LoadedApp, name: str) -> Any:
    from velotui.sql.columns import KnownFields

    schema = loaded.schemas.get(name)
    if schema is None and loaded.app.data_hints and not loaded.schema_path(name):
        return KnownFields(tuple(loaded.app.data_hints), "the -- @data hints of the SQL")
    if schema is None:
        return None
    where = getattr(schema, "path", None)
    return KnownFields(tuple(f.name for f in schema.fields),
                       f"schema {name}" + (f" ({Path(where).name})" if where else ""))


def input_kind(loaded: LoadedApp, inp: Any) -> str:
    """What an input is made of, by the precedence of FORMATS.md §2: ``from_previous``, ``file`` (a file
    source_type, or a source the SQL declares as a file), ``data_file``, else ``generated``."""
    if getattr(inp, "from_previous", None):
        return "from_previous"
    source_type = getattr(inp, "source_type", None)
    src = next((s for s in loaded.app.external_sources if s.name == inp.source), None)
    if (source_type is not None and source_type.type == "file") or (src is not None and src.kind == "file"):
        return "file"
    return "data_file" if getattr(inp, "data_file", None) else "generated"


def input_fields(loaded: LoadedApp, inp: Any) -> Any:
    """The fields of one input's records as the harness knows them (KnownFields), None where it cannot know
    (an input fed from another query's output, a source nothing describes)."""
    kind = input_kind(loaded, inp)
    source_type = getattr(inp, "source_type", None)
    if kind == "from_previous":
        return None
    if kind == "file":
        if source_type is not None and source_type.type == "file" and source_type.path:
            return _fields_of_file(loaded.spec_path.parent / source_type.path, source_type.format)
        return None
    if kind == "data_file":
        return _fields_of_file(loaded.spec_path.parent / inp.data_file)
    name = inp.schema_name if isinstance(inp.schema_name, str) else inp.source
    return _fields_of_schema(loaded, name)


# the input keys each kind of input reads nothing from (FORMATS.md §2: the kinds and their precedence)
_NO_EFFECT = {
    "from_previous": ("data_file", "schema", "records", "key_field", "null_probability", "time_simulation"),
    "file": ("data_file", "records", "key_field", "null_probability", "time_simulation"),
    "data_file": ("records", "null_probability", "time_simulation"),
    "generated": (),
}
_KIND_TEXT = {"from_previous": "a from_previous input (the earlier query's captured records, as they are)",
              "file": "a file source (the engine reads the file itself)",
              "data_file": "a data_file input (its records, timestamps and keys are the file's)"}


def _check_inputs(loaded: LoadedApp) -> None:
    """Each input's keys against what its kind reads: a ``key_field`` that names no field of the input's
    records (its schema, its data file) is an error with a did-you-mean; a key the input's kind never reads
    (``time_simulation`` on a data_file, ``records`` on a from_previous …) is a warning that says so."""
    from velotui.errors import VelotuiWarning
    from velotui.spec.validation import near_key, raise_all

    doc = getattr(loaded.spec, "doc", None)
    file = loaded.spec_path
    errors: list[SpecError] = []
    for query in loaded.spec.queries:
        for inp in query.inputs:
            kind = input_kind(loaded, inp)
            written = {(f.alias or n) for n, f in type(inp).model_fields.items() if n in inp.model_fields_set}
            for key in _NO_EFFECT[kind]:
                if key not in written:
                    continue
                where = doc.key_locations.get((*inp.doc_path, key)) if doc is not None else None
                line, column = where or (inp.line, inp.column)
                loaded.warnings.append(VelotuiWarning(
                    f"input {inp.source!r}: {key} has no effect on {_KIND_TEXT[kind]}", file=file, line=line,
                    column=column, query=query.name,
                    hint=f"remove {key}, or generate the input from a schema (no data_file, from_previous or "
                         "file source_type) for it to apply"))
            key_field = getattr(inp, "key_field", None)
            if not key_field or kind not in ("generated", "data_file"):
                continue
            known = input_fields(loaded, inp)
            if known is None or key_field in known.fields:
                continue
            names = list(known.fields)
            close = near_key(key_field, names) or next(iter(difflib.get_close_matches(key_field, names, n=1)), None)
            where = doc.value_loc((*inp.doc_path, "key_field")) if doc is not None else None
            line, column = where or (inp.line, inp.column)
            errors.append(SpecError(
                f"input {inp.source!r}: key_field {key_field!r} is not a field of {known.origin}"
                + (f"; did you mean {close!r}?" if close else ""), file=file, line=line, column=column,
                hint="fields: " + ", ".join(names)))
    raise_all(errors)


DLQ_KEYS = ("dlq.topic", "dlq.topic.name")


def _check_dlq_topics(loaded: LoadedApp, query: Any, statement: Any) -> None:
    """``dlq_count``'s ``topic`` is the DLQ topic the query's statement declares (``'dlq.topic'`` in its WITH
    clause or the spec's ``config:``): every dead letter of the statement goes there, so the check counts
    them all. A topic the statement does not declare is refused: it would count nothing of what it names."""
    overrides = {str(k): str(v) for k, v in (loaded.spec.config or {}).items()}
    props = {**statement.properties, **overrides}
    declared = [props[k] for k in DLQ_KEYS if k in props]
    doc = getattr(loaded.spec, "doc", None)
    for cl in query.check_lists():
        for a in cl.checks:
            topic = a.params.get("topic") if a.type == "dlq_count" else None
            if topic is None or str(topic) in declared:
                continue
            where = doc.value_loc((*a.doc_path, "topic")) if doc is not None else None
            line, column = where or (a.line, a.column)
            if declared:
                close = difflib.get_close_matches(str(topic), declared, n=1)
                raise SpecError(f"dlq_count: topic {topic!r} is not the DLQ topic of statement {statement.name!r}"
                                + (f"; did you mean {close[0]!r}?" if close else ""), file=a.file, line=line,
                                column=column, hint=f"its dead letters go to {declared[0]!r} ('dlq.topic'); write "
                                "that topic, or leave topic: out to count the query's dead letters")
            raise SpecError(f"dlq_count: topic {topic!r}: statement {statement.name!r} declares no DLQ topic",
                            file=a.file, line=line, column=column,
                            hint="leave topic: out (the check counts the query's dead letters), or declare it in "
                                 f"the statement's WITH clause: 'dlq.topic' = '{topic}'")


def _output_warnings(loaded: LoadedApp, query: Any, statement: Any) -> list[Any]:
    """``output: {sink_type: …}`` (velo-test) never changes what is captured: a query's records are what its
    statement writes to the sinks its WITH clause declares. Saying another sink is a warning that it has no
    effect (saying the statement's own sink is harmless)."""
    from velotui.errors import VelotuiWarning

    sink_type = getattr(getattr(query, "output", None), "sink_type", None)
    if sink_type is None:
        return []

    def same(s: Any) -> bool:
        if sink_type.type != s.kind:
            return False
        if s.kind == "kafka":
            return sink_type.topic in (None, s.topic, s.name)
        return sink_type.path is None or Path(str(sink_type.path)) == Path(str(s.path))

    if any(same(s) for s in statement.sinks):
        return []
    doc = getattr(loaded.spec, "doc", None)
    where = doc.key_locations.get((*query.doc_path, "output", "sink_type")) if doc is not None else None
    line, column = where or (query.line, query.column)
    said = f"{sink_type.type}" + (f" topic {sink_type.topic!r}" if sink_type.topic else "") + \
        (f" path {sink_type.path!r}" if sink_type.path else "")
    sinks = ", ".join(f"{s.kind} " + (f"topic {s.topic!r}" if s.kind == "kafka" else f"path {s.path!r}")
                      for s in statement.sinks) or "none"
    return [VelotuiWarning(
        f"query {query.name!r}: output.sink_type ({said}) has no effect: the records checked are what statement "
        f"{statement.name!r} writes to its own sink ({sinks})", file=loaded.spec_path, line=line, column=column,
        query=query.name, hint="remove output:, or change the statement's sink in its WITH clause")]


def known_source_fields(loaded: LoadedApp) -> dict[str, Any]:
    """What the harness knows of each external (and subquery) source's fields: the data schema its inputs
    are generated from, the header of its data file or file source; None where it cannot know (an input
    fed from another query's output, a source nothing describes)."""
    from velotui.sql.columns import KnownFields

    from_file = _fields_of_file

    def from_schema(name: str) -> Any:
        return _fields_of_schema(loaded, name)

    fed: dict[str, list[KnownFields | None]] = {}
    for query in loaded.spec.queries:
        for inp in query.inputs:
            source_type = getattr(inp, "source_type", None)
            if getattr(inp, "from_previous", None):
                kf = None
            elif source_type is not None and source_type.type == "file" and source_type.path:
                kf = from_file((loaded.spec_path.parent / source_type.path), source_type.format)
            elif getattr(inp, "data_file", None):
                kf = from_file(loaded.spec_path.parent / inp.data_file)
            else:
                name = inp.schema_name if isinstance(inp.schema_name, str) else inp.source
                kf = from_schema(name)
            fed.setdefault(inp.source, []).append(kf)
    out: dict[str, Any] = {}
    sources = [*loaded.app.external_sources, *(s for st in loaded.app.statements for s in st.query.subquery_sources
                                               if s.kind != "stream")]
    for src in sources:
        if src.name in out:
            continue
        if src.kind == "file" and src.path:
            p = Path(src.path)
            out[src.name] = from_file(p if p.is_absolute() else loaded.sql_path.parent / p, src.format)
        elif src.name in fed:
            got = fed[src.name]
            if any(k is None for k in got):
                out[src.name] = None
            else:
                merged: dict[str, None] = {f: None for k in got if k for f in k.fields}
                out[src.name] = KnownFields(tuple(merged), " / ".join(sorted({k.origin for k in got if k})))
        else:
            out[src.name] = from_schema(src.name)
    return out


def _check_fields(loaded: LoadedApp) -> None:
    """Columns of the SQL against the sources' known fields, then the fields the spec's checks read against
    the statement's output fields: a name that is in neither is an error with a did-you-mean."""
    from velotui.spec.validation import raise_all
    from velotui.sql.columns import KnownFields, check_columns, output_fields

    known = known_source_fields(loaded)
    problems = check_columns(loaded.app, known)
    if problems:
        problems.sort(key=lambda e: (e.line or 0, e.column or 0))
        raise problems[0] if len(problems) == 1 else SqlProblems(problems)
    fields: dict[str, Any] = dict(known)
    outputs: dict[str, list[str] | None] = {}
    for st in loaded.app.statements:
        out = output_fields(st, fields.get(st.query.source.name))
        outputs[st.name] = out
        fields[st.name] = KnownFields(tuple(out), st.name) if out is not None else None
    errors = []
    for query in loaded.spec.queries:
        st = loaded.statement_for(query.name)
        names = outputs.get(st.name)
        if names is None:
            continue
        for cl in query.check_lists():
            for a in cl.checks:
                errors += _unknown_output_fields(loaded, query, st, a, names)
    raise_all(errors)


def _unknown_output_fields(loaded: LoadedApp, query: Any, st: Any, a: Any, names: list[str]) -> list[SpecError]:
    """A check that reads a field the statement never outputs can only check nothing."""
    from velotui.assertions import fields_read_by

    doc = getattr(loaded.spec, "doc", None)
    out = []
    for param, name in fields_read_by(a):
        if name in names:
            continue
        where = doc.value_loc((*a.doc_path, param)) if doc is not None else None
        line, column = where or (a.line, a.column)
        close = difflib.get_close_matches(name, names, n=1)
        out.append(SpecError(f"{a.type}: {param} {name!r} is not a field that statement {st.name!r} outputs"
                             + (f"; did you mean {close[0]!r}?" if close else ""), file=a.file, line=line,
                             column=column, hint=f"{st.name} outputs: {', '.join(names)}"))
    return out


def _schema_named(dirs: list[Path], name: str) -> tuple[str, str] | None:
    """(the file's name, the file) of a schema file of ``dirs`` whose ``name:`` is ``name`` (the first)."""
    import re

    from velotui import files as suite_files
    from velotui.spec import schema_file_name

    wanted = re.compile(rf"^name:\s*[\"']?{re.escape(name)}[\"']?\s*(#.*)?$", re.MULTILINE)
    for d in dirs:
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.suffix not in (".yaml", ".yml") or not p.is_file():
                continue
            try:
                text = suite_files.read_text(p, what="data schema")
            except VelotuiError:
                continue
            if wanted.search(text):
                return schema_file_name(p), p.name
    return None


def _schema_names(dirs: list[Path]) -> list[str]:
    names = []
    for d in dirs:
        if d.is_dir():
            names += [p.name.split(".")[0] for p in d.iterdir() if p.suffix in (".yaml", ".yml")]
    return sorted(set(names))


def _load_referenced_schemas(loaded: LoadedApp, strict: bool) -> None:
    """Foreign keys (``references: {schema: …}``) need the referenced schema loaded too; then every foreign
    key is checked (velotui.spec.schema_refs)."""
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
                dirs = [*loaded.extra_schema_dirs, *loaded.files.schema_dirs]
                close = difflib.get_close_matches(ref_schema, _schema_names(dirs), n=1)
                raise SpecError(f"field {f.name!r} references schema {ref_schema!r}, which is not found"
                                + (f"; did you mean {close[0]!r}?" if close else ""),
                                file=getattr(schema, "path", None), line=getattr(f, "line", None),
                                column=getattr(f, "column", None),
                                hint="add schemas/" + ref_schema + ".schema.yaml or give references.file")
            pending.append(_load_schema(loaded, ref_schema, path, strict))
    from velotui.spec.schema_refs import check_references

    check_references(loaded.schemas)


def _load_schema(loaded: LoadedApp, name: str, path: Path, strict: bool) -> Any:
    """Load the data schema ``name`` (at ``path``) for the app: its warnings join the app's, whatever made the
    app need it (an input generated from it, a data file checked against it, a foreign key into it)."""
    from velotui.spec import load_data_schema

    schema = loaded.schemas[name] = load_data_schema(path, strict=strict)
    loaded.warnings.extend(getattr(schema, "warnings", []) or [])
    return schema


class SqlProblems(VelotuiError):
    """Several validation errors of one SQL file, reported together."""

    def __init__(self, problems: list[VelotuiError]) -> None:
        first = problems[0]
        super().__init__("\n".join(str(p) for p in problems), file=None)
        self.problems = problems
        self.exit_code = first.exit_code
