"""Subqueries against tables (SQL_SEMANTICS.md §9): ``x IN (SELECT k FROM t …)``, ``EXISTS (SELECT … FROM
t WHERE t.k = s.k)`` and scalar ``(SELECT MAX(v) FROM t)``, evaluated per record against the table's state.

The compiler calls these handlers when it meets a subquery; they compile the subquery's own expressions
and generate a call to a function that reads the table's rows, which the driver loads before the first
stream record (``SubqueryTable.load``). Uncorrelated subqueries are computed once, when the table loads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from velotui.engine.expr.aggregates import AGGREGATES, NotANumber
from velotui.engine.expr.compiler import ExpressionCompiler, position
from velotui.engine.expr.values import key_of
from velotui.errors import SqlError
from velotui.records import Message
from velotui.sql.analysis import call_args, call_name, find_aggregates

Handler = Callable[[exp.Expression, ExpressionCompiler], str]
_META = Message(value=None)


class SubqueryTable:
    """The rows of one table a subquery reads, filled by the driver before the stream starts."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: list[dict] = []
        self._on_load: list[Callable[[], None]] = []

    def load(self, rows: list[dict]) -> None:
        self.rows = rows
        for hook in self._on_load:
            hook()

    def when_loaded(self, hook: Callable[[], None]) -> None:
        self._on_load.append(hook)


def subquery_handlers(outer_refs: set[str], single_outer: str | None, tables: dict[str, SubqueryTable],
                      make_compiler: Callable[[Callable[[str | None, str], str]], ExpressionCompiler],
                      file: str | None) -> dict[type, Handler]:
    """Compiler handlers for IN (SELECT …), EXISTS (SELECT …) and scalar subqueries over ``tables``."""
    count = [0]
    done: dict[int, str] = {}  # id(subquery node) -> its generated function (the fast and safe bodies share it)

    def fresh(prefix: str) -> str:
        count[0] += 1
        return f"_{prefix}{count[0]}"

    def compile_sub(select: exp.Select) -> tuple[SubqueryTable, Any, Any, bool]:
        from_ = select.args.get("from_") or select.args.get("from")
        table = from_.this
        name, alias = table.name, table.alias or table.name
        holder = tables[name]
        correlated = any(c.table and c.table not in (name, alias) and c.table in outer_refs
                         for c in select.find_all(exp.Column))

        def resolve(qualifier: str | None, col: str) -> str:
            if qualifier is None or qualifier in (name, alias):
                return col
            if qualifier in outer_refs:
                return f"__outer.{qualifier}.{col}" if single_outer is None else f"__outer.{col}"
            line, column = position(select)
            raise SqlError(f"unknown source {qualifier!r} in a subquery", file=file, line=line, column=column,
                           hint=f"the subquery reads {name}; the statement's sources are {', '.join(sorted(outer_refs))}")

        sub = make_compiler(resolve)
        where = sub.compile_predicate(select.args["where"].this) if select.args.get("where") else None
        if len(select.expressions) != 1:
            line, column = position(select)
            raise SqlError("a subquery returns one column", file=file, line=line, column=column,
                           hint="SELECT one expression in the subquery")
        item = select.expressions[0]
        item = item.this if isinstance(item, exp.Alias) else item
        return holder, where, (sub, item), correlated

    def bind(outer: dict, inner: dict) -> dict:
        d = dict(inner)
        for k, v in outer.items():
            d[f"__outer.{k}"] = v
        return d

    def in_handler(node: exp.Expression, comp: ExpressionCompiler) -> str:
        query = node.args.get("query")
        if query is None:
            return comp._c_In(node)  # type: ignore[arg-type]
        if id(node) in done:
            return f"{done[id(node)]}({comp.to_source(node.this)}, r, m)"
        select = query.this if isinstance(query, exp.Subquery) else query
        holder, where, (sub, item), correlated = compile_sub(select)
        value = sub.compile(item)
        name = done[id(node)] = fresh("subin")
        if not correlated:
            values: set[Any] = set()

            def load() -> None:
                values.clear()
                values.update(key_of(value(r, _META, None)) for r in holder.rows if where is None or where(r, _META, None))
                values.discard(None)

            holder.when_loaded(load)
            comp.namespace[name] = lambda x, r, m: x is not None and key_of(x) in values
        else:
            def f(x: Any, r: dict, m: Message) -> bool:
                if x is None:
                    return False
                kx = key_of(x)
                for t in holder.rows:
                    b = bind(r, t)
                    if (where is None or where(b, m, None)) and key_of(value(b, m, None)) == kx:
                        return True
                return False

            comp.namespace[name] = f
        return f"{name}({comp.to_source(node.this)}, r, m)"

    def exists_handler(node: exp.Expression, comp: ExpressionCompiler) -> str:
        if id(node) in done:
            return f"{done[id(node)]}(r, m)"
        select = node.this
        select = select.this if isinstance(select, exp.Subquery) else select
        holder, where, _, correlated = compile_sub(select)
        name = done[id(node)] = fresh("subexists")
        if not correlated:
            hit = [False]
            holder.when_loaded(lambda: hit.__setitem__(0, any(where is None or where(r, _META, None)
                                                              for r in holder.rows)))
            comp.namespace[name] = lambda r, m: hit[0]
        else:
            comp.namespace[name] = lambda r, m: any(where is None or where(bind(r, t), m, None) for t in holder.rows)
        return f"{name}(r, m)"

    def scalar_handler(node: exp.Expression, comp: ExpressionCompiler) -> str:
        select = node.this
        if not isinstance(select, exp.Select):
            return f"({comp.to_source(select)})"
        if id(node) in done:
            return f"{done[id(node)]}(r, m)"
        holder, where, (sub, item), correlated = compile_sub(select)
        name = done[id(node)] = fresh("subscalar")
        aggs = find_aggregates(item)
        if aggs:
            if len(aggs) != 1 or aggs[0] is not item:
                line, column = position(select)
                raise SqlError("a scalar subquery may return one aggregate or one column", file=file, line=line,
                               column=column)
            agg_name = call_name(item) or ""
            agg = AGGREGATES.get(agg_name)
            if agg is None:
                line, column = position(item)
                raise SqlError(f"unsupported aggregate {agg_name}", file=file, line=line, column=column)
            args = call_args(item) or ([item.this] if item.args.get("this") is not None else [])
            arg = args[0] if args and not isinstance(args[0], exp.Star) else None
            if isinstance(arg, exp.Distinct):
                arg = arg.expressions[0]
            arg_fn = sub.compile(arg) if arg is not None else None
            make = agg.accumulator(star=arg is None)

            def agg_value(r: dict, m: Message) -> Any:
                acc = make()
                for t in holder.rows:
                    b = bind(r, t) if correlated else t
                    if where is None or where(b, m, None):
                        try:
                            acc.add(arg_fn(b, m, None) if arg_fn else None)
                        except NotANumber:
                            pass
                return acc.value()

            if not correlated:
                cached: list[Any] = [None]
                holder.when_loaded(lambda: cached.__setitem__(0, agg_value({}, _META)))
                comp.namespace[name] = lambda r, m: cached[0]
            else:
                comp.namespace[name] = agg_value
        else:
            vfn = sub.compile(item)

            def first(r: dict, m: Message) -> Any:
                for t in holder.rows:
                    b = bind(r, t) if correlated else t
                    if where is None or where(b, m, None):
                        return vfn(b, m, None)
                return None

            comp.namespace[name] = first
        return f"{name}(r, m)"

    return {exp.In: in_handler, exp.Exists: exists_handler, exp.Subquery: scalar_handler}


__all__ = ["SubqueryTable", "subquery_handlers"]
