"""What a parsed statement contains, read from its tree: function calls, aggregates, window functions.

These are facts of the SQL language, not of an engine: which names aggregate (COUNT, SUM, …), which are
window functions (LAG, RANK, …), where the aggregate calls of an expression are. The engine's registries
(velotui/engine/expr/functions.py, velotui/engine/expr/aggregates.py) implement exactly these names;
a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

AGGREGATE_FUNCTIONS = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX", "STDDEV", "STDDEV_SAMP", "STDDEV_POP",
                                 "VARIANCE", "VAR_SAMP", "VAR_POP", "COUNT_DISTINCT", "FIRST_VALUE", "LAST_VALUE"})
WINDOW_FUNCTIONS = frozenset({"LAG", "LEAD", "ROW_NUMBER", "RANK", "DENSE_RANK"})

# sqlglot's own names for some calls, back to the name the user wrote (the dialect also keeps that name in
# the node's meta; this covers nodes built by sqlglot's special parsers, which have no such meta)
_SQLGLOT_NAMES = {"POW": "POWER", "STR_POSITION": "POSITION", "VARIANCE_POP": "VAR_POP"}

NAME_META = "velo_name"  # the function name as written (set by the dialect's parser)
ARGS_META = "velo_args"  # the call's arguments as written, in order (set by the dialect's parser)


def call_name(node: exp.Expression) -> str | None:
    """The upper-case name of a function call as the user wrote it (``SPLIT_PART``, ``POWER``), else None.
    Operators, CAST, CASE and other syntax are not calls."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    meta = node.meta if node._meta else {}
    if ARGS_META in meta and NAME_META in meta:  # a plain call f(…) as written (MOD(a, b) included)
        return str(meta[NAME_META]).upper()
    if not isinstance(node, exp.Func) or isinstance(node, (exp.Cast, exp.Case, exp.If, exp.Window)):
        return None
    written = meta.get(NAME_META)
    if written:
        return str(written).upper()
    name = node.sql_name().upper()
    return _SQLGLOT_NAMES.get(name, name)


def call_args(node: exp.Expression) -> list[exp.Expression] | None:
    """The arguments of a plain call ``f(a, b, …)`` as written (extra ones included), when the parser kept
    them; None for calls parsed by special syntax (``EXTRACT(x FROM t)``, ``POSITION(a IN b)``, …)."""
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    meta = node.meta if node._meta else {}
    args = meta.get(ARGS_META)
    return list(args) if args is not None else None


def is_aggregate(node: exp.Expression) -> bool:
    """An aggregate call (``SUM(x)``), not one inside an OVER (…) window (that is a window function)."""
    if isinstance(node, exp.Window) or call_name(node) in WINDOW_FUNCTIONS:  # LAG(x) without OVER: not one
        return False
    if isinstance(node, exp.AggFunc):  # sqlglot's aggregate classes; an unknown one is refused by name
        return True
    return isinstance(node, exp.Anonymous) and call_name(node) in AGGREGATE_FUNCTIONS


def find_aggregates(node: exp.Expression) -> list[exp.Expression]:
    """Aggregate calls in ``node``, outermost first, not looking inside OVER (…) windows or subqueries."""
    out: list[exp.Expression] = []
    stack = [node]
    while stack:  # depth-first, children in order (no recursion: deep expressions are bounded elsewhere)
        n = stack.pop()
        if isinstance(n, (exp.Window, exp.Subquery, exp.Select)):
            continue
        if is_aggregate(n):
            out.append(n)
            continue
        stack.extend(reversed(list(n.iter_expressions())))
    return out


def window_calls(node: exp.Expression) -> Iterator[exp.Window]:
    """The ``f(…) OVER (…)`` nodes of an expression."""
    yield from node.find_all(exp.Window)


def has_aggregates(items: list[exp.Expression], having: exp.Expression | None = None) -> bool:
    return any(find_aggregates(e) for e in items) or (having is not None and bool(find_aggregates(having)))


__all__ = ["AGGREGATE_FUNCTIONS", "ARGS_META", "NAME_META", "WINDOW_FUNCTIONS", "call_args", "call_name",
           "find_aggregates", "has_aggregates", "is_aggregate", "window_calls"]
