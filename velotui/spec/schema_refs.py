"""Foreign keys between data schemas (``references: {schema, field}``), checked when the schemas load:
the referenced field exists, its values can stand in the referencing field, and no chain of references
and the fields they need comes back to where it started (generation would never end)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from velotui.errors import SpecError

# a referencing field of this kind takes the values of a referenced field of these kinds (as they are, or
# as text): any other pair would put values of one type in a field of another, and the engine's schema
# check would send every record to the dead letters
_TAKES = {
    "string": {"string", "uuid", "integer", "date", "decimal", "float", "boolean", "timestamp"},
    "uuid": {"uuid", "string"},
    "integer": {"integer"},
    "timestamp": {"timestamp", "integer"},
    "float": {"float", "integer", "decimal"},
    "decimal": {"decimal", "integer", "float"},
    "boolean": {"boolean"},
    "date": {"date", "string"},
}


def generation_dependencies(field: Any, fields: list[Any]) -> list[str]:
    """The fields (of ``fields``, its schema's) that must be generated before ``field``: those a derived
    field reads, the field a random walk is grouped by."""
    from velotui.spec.schema import derived_dependencies

    names = [f.name for f in fields]
    out = derived_dependencies(field, names) if field.constraints.derived else []
    dist = field.constraints.distribution
    group_by = dist.random_walk.group_by if dist is not None and dist.random_walk is not None else None
    if group_by and group_by in names and group_by != field.name:
        out.append(group_by)
    return list(dict.fromkeys(out))


def needed_fields(schema: Any, name: str) -> list[str]:
    """``name`` and every field of ``schema`` it needs generated first (transitively), in schema order."""
    need = {name}
    todo = [name]
    while todo:
        f = schema.field(todo.pop())
        for d in generation_dependencies(f, schema.fields) if f is not None else []:
            if d not in need:
                need.add(d)
                todo.append(d)
    return [f.name for f in schema.fields if f.name in need]


def _error(schema: Any, field: Any, message: str, hint: str) -> SpecError:
    return SpecError(f"field {field.name!r}: {message}", file=getattr(schema, "path", None) or field.file,
                     line=field.line, column=field.column, hint=hint)


def check_references(schemas: Mapping[str, Any]) -> None:
    """Every ``references: {schema, field}`` of ``schemas`` (loaded by name) names a field of a loaded schema
    whose values fit the referencing field, and the references never form a cycle."""
    from velotui.spec.validation import near_key, raise_all

    errors: list[SpecError] = []
    for schema in schemas.values():
        for f in schema.fields:
            ref = f.constraints.references
            if ref is None or ref.file or not ref.schema_name or ref.schema_name not in schemas:
                continue  # a file is read when generating; a missing schema is said where it is looked for
            target = schemas[ref.schema_name]
            names = [t.name for t in target.fields]
            to = target.field(ref.field)
            if to is None:
                close = near_key(ref.field, names) or next(iter(difflib.get_close_matches(ref.field, names, n=1)),
                                                          None)
                errors.append(_error(schema, f, f"references {ref.schema_name}.{ref.field}, but schema "
                                     f"{ref.schema_name!r} has no field {ref.field!r}"
                                     + (f"; did you mean {close!r}?" if close else ""),
                                     f"fields of {ref.schema_name}: {', '.join(names)}"))
                continue
            if to.kind not in _TAKES.get(f.kind, {f.kind}):
                errors.append(_error(schema, f, f"is {f.kind} but references {ref.schema_name}.{ref.field}, which "
                                     f"is {to.kind}: every value would be of the wrong type",
                                     f"give {f.name!r} the type {to.kind} (or reference a field of type {f.kind})"))
    raise_all(errors)
    _check_cycles(schemas)


def _check_cycles(schemas: Mapping[str, Any]) -> None:
    """(schema, field) nodes; a field needs the fields it depends on in its schema and, when it references
    another, the referenced field (generated with what it needs): a cycle can never be generated."""
    def edges(node: tuple[str, str]) -> list[tuple[str, str]]:
        schema = schemas[node[0]]
        f = schema.field(node[1])
        if f is None:
            return []
        out = [(node[0], d) for d in generation_dependencies(f, schema.fields)]
        ref = f.constraints.references
        if ref is not None and not ref.file and ref.schema_name in schemas:
            out.append((ref.schema_name, ref.field))
        return out

    state: dict[tuple[str, str], int] = {}  # 1: on the path being followed, 2: done

    def visit(node: tuple[str, str], path: list[tuple[str, str]]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = path[path.index(node):] + [node]
            schema = schemas[cycle[0][0]]
            raise _error(schema, schema.field(cycle[0][1]), "references come back to it in a cycle: "
                         + " -> ".join(f"{s}.{n}" for s, n in cycle),
                         "one field of the cycle must be generated without references, or read from "
                         "references.file")
        state[node] = 1
        for nxt in edges(node):
            visit(nxt, [*path, node])
        state[node] = 2

    for name, schema in schemas.items():
        for f in schema.fields:
            visit((name, f.name), [])
