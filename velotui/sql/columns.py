"""Columns against the fields their sources are known to have.

When the harness knows a source's fields (its data schema, the header of its data file or file source, or
the output of the statement it comes from), a column that is not one of them is a validation error with
file:line:column and a did-you-mean — never a silent NULL per record. A source whose fields are not known
is not checked. Output fields of every statement follow from its select list (and ``*``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from velotui.errors import SqlError
from velotui.sql.dialect import node_position
from velotui.sql.model import App, SourceRef, Statement

SYSTEM_COLUMNS = frozenset({"_timestamp", "_event_time", "_partition", "_offset", "_key", "_window_start",
                            "_window_end"})


@dataclass(frozen=True)
class KnownFields:
    """The fields of a source and where that knowledge comes from (said in the error's hint)."""

    fields: tuple[str, ...]
    origin: str


def output_fields(st: Statement, source_fields: KnownFields | None) -> list[str] | None:
    """The fields a statement's records have: its select items' names, plus the main source's fields for
    ``*`` (None when ``*`` reads a source whose fields are not known)."""
    names = [i.name for i in st.query.items]
    if st.query.star:
        if source_fields is None or st.query.joins:
            return None
        return [*source_fields.fields, *(n for n in names if n not in source_fields.fields)]
    return names


def _enclosing_select(node: exp.Expression) -> exp.Expression | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent


@dataclass
class _Scope:
    refs: dict[str, tuple[str, KnownFields | None]]  # qualifier (alias and name) -> (source name, fields)
    order: list[tuple[str, KnownFields | None]]  # the scope's sources in FROM/JOIN order
    outer: _Scope | None = None


def _scope_of(sources: list[SourceRef], known: dict[str, KnownFields | None], outer: _Scope | None) -> _Scope:
    refs: dict[str, tuple[str, KnownFields | None]] = {}
    order = []
    for s in sources:
        entry = (s.name, known.get(s.name))
        refs[s.ref_name] = entry
        refs.setdefault(s.name, entry)
        order.append(entry)
    return _Scope(refs, order, outer)


def _describe(name: str, kf: KnownFields) -> str:
    shown = ", ".join(kf.fields[:30]) + (" …" if len(kf.fields) > 30 else "")
    return f"{name} ({kf.origin}: {shown})"


def check_columns(app: App, known: dict[str, KnownFields | None]) -> list[SqlError]:
    """Every column of every statement that no known source field (or system column, or output alias where
    SQL allows one) explains. ``known``: external source name → its fields, None when not known."""
    errors: list[SqlError] = []
    fields: dict[str, KnownFields | None] = dict(known)
    for st in app.statements:
        errors += _check_statement(app, st, fields)
        main = fields.get(st.query.source.name)
        out = output_fields(st, main)
        fields[st.name] = KnownFields(tuple(out), f"the output of statement {st.name}") if out is not None else None
    return errors


def _check_statement(app: App, st: Statement, fields: dict[str, KnownFields | None]) -> list[SqlError]:
    q = st.query
    if q.select is None:
        return []
    errors: list[SqlError] = []
    aliases = {i.name for i in q.items}
    late_clauses = [*(o.expr for o in q.order_by), *([q.having] if q.having is not None else []), *q.group_by]
    late_nodes = {id(n) for clause in late_clauses for n in clause.walk()}
    scope = _scope_of(st.sources, fields, None)
    subs = {s.ref_name: s for s in q.subquery_sources} | {s.name: s for s in q.subquery_sources}

    def err(col: exp.Column, why: str, hint: str | None) -> None:
        line, column = node_position(col)
        errors.append(SqlError(f"{st.name}: {why}", file=app.path, line=line or st.line, column=column, hint=hint))

    def check(col: exp.Column, scope: _Scope) -> None:
        name = col.name
        if not name or name.lower() in SYSTEM_COLUMNS or isinstance(col.this, exp.Star):
            return
        if col.table:
            s: _Scope | None = scope
            while s is not None and col.table not in s.refs:
                s = s.outer
            if s is None:
                return  # not a source qualifier (a map field, say): not this check's business
            src, kf = s.refs[col.table]
            if kf is not None and name not in kf.fields:
                close = difflib.get_close_matches(name, kf.fields, n=1)
                err(col, f"column {col.sql()}: {name!r} is not a field of {_describe(src, kf)}"
                    + (f"; did you mean {col.table}.{close[0]}?" if close else ""),
                    "fix the column name, or the source's schema / data file if the field is missing there")
            return
        if id(col) in late_nodes and name in aliases:
            return  # ORDER BY / HAVING / GROUP BY may name an output field
        s = scope
        candidates: list[tuple[str, KnownFields]] = []
        while s is not None:
            if any(kf is None for _, kf in s.order):
                return  # a source of unknown fields may have it
            if any(kf is not None and name in kf.fields for _, kf in s.order):
                return
            candidates += [(src, kf) for src, kf in s.order if kf is not None]
            s = s.outer
        if not candidates:
            return
        pool = sorted({f for _, kf in candidates for f in kf.fields})
        close = difflib.get_close_matches(name, pool, n=1)
        where = "; ".join(_describe(src, kf) for src, kf in candidates)
        err(col, f"column {name!r} is not a field of {where}" + (f"; did you mean {close[0]!r}?" if close else ""),
            "fix the column name, or the source's schema / data file if the field is missing there")

    def walk(select: exp.Select, scope: _Scope) -> None:
        for col in select.find_all(exp.Column):
            if _enclosing_select(col) is select:
                check(col, scope)
        for sub in select.find_all(exp.Select):
            if sub is select or _enclosing_select(sub) is not select:
                continue
            sub_from = sub.args.get("from_") or sub.args.get("from")
            table = sub_from.this if sub_from is not None else None
            ref = subs.get(table.alias or table.name) if isinstance(table, exp.Table) else None
            inner = _scope_of([ref], {**fields, **({ref.name: fields.get(ref.name)} if ref else {})}, scope) \
                if ref is not None else _Scope({}, [("?", None)], scope)
            walk(sub, inner)

    walk(q.select, scope)
    # (the WINDOW clause's column arguments are Column nodes of the tree: the walk checks them as any column)
    return errors


def fields_of_records(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for r in rows:
        if isinstance(r, dict):
            for k in r:
                seen.setdefault(str(k), None)
    return tuple(seen)


__all__ = ["KnownFields", "check_columns", "fields_of_records", "output_fields"]
