"""File formats: test specs, data schemas and source/sink configs (velo-test compatible)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from velotui.spec.config import config_get, load_config_file, substitute_env
from velotui.spec.schema import Constraints, DataSchema, SchemaField
from velotui.spec.test_spec import AssertionSpec, InputSpec, QueryTest, TestSpec, TimeSimulation
from velotui.spec.validation import SpecWarning, check_unknown, validate
from velotui.spec.yaml_source import parse_yaml, read_yaml  # noqa: F401 - part of the public surface


def _check_assertions(spec: TestSpec, doc: Any, strict: bool) -> list[SpecWarning]:
    """Every check of every list the spec holds: its type, keys and parameters (velotui.assertions knows
    each type's parameters). Errors are raised together; unknown far keys come back as warnings."""
    from velotui.errors import SpecError
    from velotui.spec.checks import validate_check
    from velotui.spec.validation import raise_all

    errors: list[SpecError] = []
    warnings: list[SpecWarning] = []
    for q in spec.queries:
        for cl in q.check_lists():
            for a in cl.checks:
                try:
                    warnings += validate_check(a, doc, strict=strict)
                except SpecError as e:
                    errors.append(e)
    raise_all(errors)
    return warnings


def _unique_query_names(spec: TestSpec, doc: Any) -> None:
    """Each query of a spec has its own name: queries are run, ordered and reported by name, so a second
    entry with a name already used would never run (its checks silently skipped)."""
    from velotui.errors import SpecError
    from velotui.spec.validation import raise_all

    first: dict[str, Any] = {}
    errors: list[SpecError] = []
    for q in spec.queries:
        if q.name not in first:
            first[q.name] = q
            continue
        where = doc.value_loc((*q.doc_path, "name"))
        line, column = where or (q.line, q.column)
        errors.append(SpecError(
            f"duplicate query name {q.name!r} (first used at line {first[q.name].line})", file=doc.file,
            line=line, column=column,
            hint="each entry of queries: tests one statement under its own name; merge the two entries' "
                 "inputs and assertions into one, or give this one another name"))
    raise_all(errors)


def _check_query_references(spec: TestSpec, doc: Any) -> None:
    """``dependencies`` and ``from_previous`` name queries of this spec: a name that is none (a typo, a
    query renamed) would be skipped by the run order and the query run without what it depends on."""
    import difflib

    from velotui.errors import SpecError
    from velotui.spec.validation import near_key, raise_all

    names = [q.name for q in spec.queries]
    errors: list[SpecError] = []

    def check(query: Any, name: Any, path: tuple[Any, ...], what: str) -> None:
        if name in names and name != query.name:
            return
        where = doc.value_loc(path)
        line, column = where or (query.line, query.column)
        if name == query.name:
            errors.append(SpecError(f"query {query.name!r}: {what} names the query itself", file=doc.file,
                                    line=line, column=column, hint=f"{what} names an earlier query of the spec"))
            return
        others = [n for n in names if n != query.name]
        close = near_key(str(name), others) or next(iter(difflib.get_close_matches(str(name), others, n=1)), None)
        errors.append(SpecError(
            f"query {query.name!r}: {what} names {name!r}, which is no query of this spec"
            + (f"; did you mean {close!r}?" if close else ""), file=doc.file, line=line, column=column,
            hint="the other queries of this spec: " + (", ".join(others) or "(none)")))

    for q in spec.queries:
        for i, dep in enumerate(q.dependencies):
            check(q, dep, (*q.doc_path, "dependencies", i), "dependencies")
        for inp in q.inputs:
            if inp.from_previous:
                check(q, inp.from_previous, (*inp.doc_path, "from_previous"), "from_previous")
    raise_all(errors)


def _not_empty(doc: Any, what: str, hint: str) -> None:
    from velotui.errors import SpecError

    if doc.data is None:
        raise SpecError(f"the {what} is empty", file=doc.file, line=1, hint=hint)


def parse_test_spec(text: str, path: str | Path | None = None, *, strict: bool = False) -> TestSpec:
    doc = parse_yaml(text, path)
    _not_empty(doc, "test spec", "a test spec needs application: and queries: (velotui init APP.sql drafts one)")
    spec = validate(TestSpec, doc)
    spec._path = Path(path) if path else None
    _unique_query_names(spec, doc)
    _check_query_references(spec, doc)
    spec._warnings = check_unknown(spec, doc, strict=strict)
    spec._warnings += _check_assertions(spec, doc, strict)
    starts = sorted((q.line, q.name) for q in spec.queries if q.line)
    for w in spec._warnings:  # a warning written inside a query's entry belongs to that query
        owner = [name for line, name in starts if w.line is not None and line <= w.line]
        if owner:
            w.query = owner[-1]
    return spec


def load_test_spec(path: str | Path, *, strict: bool = False) -> TestSpec:
    return parse_test_spec(doc_text(path, "test spec"), path, strict=strict)


def parse_data_schema(text: str, path: str | Path | None = None, *, strict: bool = False) -> DataSchema:
    doc = parse_yaml(text, path)
    _not_empty(doc, "data schema", "a data schema needs name: and fields: (velotui infer-schema drafts one)")
    schema = validate(DataSchema, doc)
    schema._path = Path(path) if path else None
    from velotui.spec.schema import check_derived, check_derived_cycles, check_enum_text

    check_enum_text(schema, doc, path)

    names = [f.name for f in schema.fields]
    for f in schema.fields:  # with locations attached: the error points at the field
        if f.constraints.derived is not None:
            check_derived(f, f.constraints.derived.expression, names, path)
    check_derived_cycles(schema.fields, path)
    schema._warnings = check_unknown(schema, doc, strict=strict)
    schema._warnings += _name_not_file_name(schema, doc, path)
    from velotui.spec.schema import unread_constraints

    unread = unread_constraints(schema, doc, path)
    if strict and unread:
        from velotui.spec.validation import raise_all

        raise_all([w.as_error("remove the constraint (constraints with no effect are errors under --strict)")
                   for w in unread])
    schema._warnings += unread
    for check in _SCHEMA_CHECKS:  # velotui.datagen's: a sample of its records, each value against its constraints
        check(schema, path)
    return schema


_SCHEMA_SUFFIXES = (".schema.yaml", ".schema.yml", ".yaml", ".yml")


def schema_file_name(path: str | Path) -> str:
    """The name a spec's ``schema:`` (or an input's source) finds a data schema by: its file's name without
    ``.schema.yaml`` (``.schema.yml``, ``.yaml``, ``.yml``), as velotui.core.discovery.find_schema looks."""
    name = Path(path).name
    for suffix in _SCHEMA_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _name_not_file_name(schema: DataSchema, doc: Any, path: str | Path | None) -> list[SpecWarning]:
    """``name: order`` in ``orders.schema.yaml``: the spec's ``schema: orders`` finds the file (FORMATS.md §3),
    and nothing reads ``order``; a schema renamed on one side only, or copied. A warning at the name's line."""
    if path is None or not isinstance(schema.name, str) or schema.name == schema_file_name(path):
        return []
    from velotui.errors import VelotuiWarning

    stem = schema_file_name(path)
    where = doc.key_locations.get(("name",))
    return [VelotuiWarning(
        f"schema name {schema.name!r} is not its file's name {stem!r}: a spec's 'schema: {stem}' finds this "
        f"file, 'schema: {schema.name}' does not", file=path, line=where[0] if where else None,
        column=where[1] if where else None,
        hint=f"write 'name: {stem}', or rename the file to {schema.name}.schema.yaml and the specs' "
             f"'schema: {stem}' to 'schema: {schema.name}'")]


_SCHEMA_CHECKS: list[Any] = []


def register_schema_check(check: Any) -> None:
    """``check(schema, path)`` raises a SpecError for a data schema that loads but cannot be generated as
    written. velotui.datagen registers its sample (velotui.datagen.selfcheck) when it is imported: it imports
    velotui.spec, never the other way round (velotui.core imports both, so every front door has it)."""
    if check not in _SCHEMA_CHECKS:
        _SCHEMA_CHECKS.append(check)


def load_data_schema(path: str | Path, *, strict: bool = False) -> DataSchema:
    return parse_data_schema(doc_text(path, "data schema"), path, strict=strict)


def doc_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of a spec or schema file, read through the suite's path resolver."""
    from velotui import files

    return files.read_text(path, what=what)


def json_schema(kind: str) -> dict[str, Any]:
    """JSON Schema of a YAML format: ``spec`` (test spec) or ``schema`` (data schema), for editors."""
    model = {"spec": TestSpec, "schema": DataSchema}.get(kind)
    if model is None:
        raise ValueError(f"unknown format {kind!r}: use 'spec' or 'schema'")
    out = model.model_json_schema(by_alias=True)
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = {"spec": "velotui test spec (*.test.yaml)", "schema": "velotui data schema (*.schema.yaml)"}[kind]
    if kind == "spec":
        from velotui.spec.checks import assertion_types

        defs = out.get("$defs", {})
        if "AssertionSpec" in defs:
            defs["AssertionSpec"]["properties"]["type"]["enum"] = assertion_types()
    return out


__all__ = [
    "AssertionSpec", "Constraints", "DataSchema", "InputSpec", "QueryTest", "SchemaField", "SpecWarning",
    "TestSpec", "TimeSimulation", "config_get", "json_schema", "load_config_file", "load_data_schema",
    "load_test_spec", "parse_data_schema", "parse_test_spec", "substitute_env",
]
