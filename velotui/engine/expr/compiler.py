"""Compile sqlglot expressions to Python source, once per query.

Each expression becomes Python expression text over three locals: ``r`` (the row dict), ``m`` (the
velotui.records.Message it came from) and ``t`` (its event time, ms). A projection (WHERE + select items)
becomes one generated function. Two versions are generated: a *fast* one using plain Python operators,
and a *safe* one using NULL-aware helpers that never raise; the fast one runs first and any exception (a
NULL in arithmetic, a missing field, a string compared with a number, a division by zero) re-runs that row
on the safe one. Results are the same; the fast path only makes the common case quick. The fast path
never applies a Python operator whose meaning differs from SQL's: ``+`` and ``*`` run directly only on
operands that are numbers (statically, or checked with ``type(x) is float or type(x) is int``), so ``'3' * 2`` takes the
safe path and follows the string rule of values.py.

Every call is checked against the function registry here (arity, literal argument types), every literal
against its type's bounds, and expression depth is bounded: the planner compiles each expression once, so
each of these refusals is a SqlError with line and column at planning, never a row error.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import CodeType
from typing import Any

from sqlglot import exp

from velotui.engine.expr import values as vals
from velotui.engine.expr.aggregates import AGGREGATES, WINDOW_FUNCTIONS
from velotui.engine.expr.errors import DropRecord, RowErrors
from velotui.engine.expr.functions import EXTRACT_PARTS, FUNCTIONS, Env, Function, extract, set_header
from velotui.errors import SqlError
from velotui.sql.analysis import call_args, call_name, is_aggregate
from velotui.sql.dialect import node_position


@functools.lru_cache(maxsize=256)
def compiled(src: str, filename: str) -> CodeType:
    """Generated source as a code object, compiled once per process (a query run again — the TUI's re-run,
    stress, shrinking, the benchmarks — costs no second compile; the same text is the same code, and the
    namespace it is run in is the query's own)."""
    return compile(src, filename, "exec")


SYSTEM_META = {"_timestamp": "m.timestamp", "_event_time": "t", "_partition": "m.partition",
               "_offset": "m.offset", "_key": "m.key"}
# what makes the fast body hand a row to the safe body: any error (a NULL, a missing field, a wrong type, and
# one nobody foresaw: the safe body then records it as the row's expression error, and the query goes on).
# Not a BaseException: a watchdog's Stopped, Ctrl-C and SystemExit pass through. _Drop (a failed CAST) is
# caught before it, everywhere.
FAST_ERRORS = (Exception,)
MAX_EXPR_DEPTH = 120  # nesting of one expression (AND/OR chains and CASE branches count once)
MAX_DECIMAL_DIGITS = 38  # a DECIMAL literal's digits (as DECIMAL(38, s))
INT64 = (-(2**63), 2**63 - 1)
NUMERIC = frozenset({"integer", "float", "number"})  # static types a Python +, -, * runs on directly
RowFn = Callable[[dict, Any, Any], Any]


def position(node: exp.Expression | None) -> tuple[int | None, int | None]:
    """Line and column where a node starts in the SQL text (velotui.sql's rule, one for every message)."""
    return node_position(node)


def expression_depth(node: exp.Expression) -> tuple[int, exp.Expression]:
    """(depth, deepest node) of an expression, without recursion; AND/OR chains and the branches of a
    CASE count as one level (they are generated flat)."""
    best, deepest = 0, node
    stack: list[tuple[exp.Expression, int]] = [(node, 1)]
    while stack:
        n, d = stack.pop()
        if d > best:
            best, deepest = d, n
        for child in n.iter_expressions():
            same_chain = isinstance(n, (exp.And, exp.Or)) and type(child) is type(n)
            stack.append((child, d if same_chain or isinstance(n, exp.If) else d + 1))
    return best, deepest


class ExpressionCompiler:
    """Compiles expressions of one query. See the module docstring for the generated code's shape."""

    def __init__(self, resolve_column: Callable[[str | None, str], str], *, now_ms: int = 0,
                 null_semantics: str = "reference",
                 special: Mapping[type, Callable[[exp.Expression, ExpressionCompiler], str]] | None = None,
                 file: str | None = None, errors: RowErrors | None = None,
                 column_types: Mapping[str, str] | None = None, coverage: Any = None) -> None:
        self.resolve_column = resolve_column
        self.now_ms = now_ms
        self.standard = str(null_semantics).lower() == "standard"
        self.errors = errors if errors is not None else RowErrors()
        self.special = dict(special or {})
        self.file = file
        self.column_types = dict(column_types or {})
        self._ids = itertools.count()
        self._safe = False
        self._types: dict[int, str] = {}
        env = Env(self.errors, now_ms)
        self.namespace: dict[str, Any] = {
            "Decimal": Decimal, "_truth": vals.truth, "_concat": vals.concat_op, "_eq": vals.eq, "_ne": vals.ne,
            "_lt": vals.lt, "_le": vals.le, "_gt": vals.gt, "_ge": vals.ge, "_eq3": vals.eq3, "_ne3": vals.ne3,
            "_lt3": vals.lt3, "_le3": vals.le3, "_gt3": vals.gt3, "_ge3": vals.ge3, "_and3": vals.and3,
            "_or3": vals.or3, "_not3": vals.not3, "_text": vals.to_text, "_in": vals.in_list,
            "_in3": vals.in_list3, "_extract": extract, "_set_header": set_header,
            "_FAST_ERRORS": FAST_ERRORS, "_Drop": DropRecord, "_elog": self.errors.entries, "_errs": self.errors,
        }
        for k, f in vals.make_arith(self.errors).items():
            self.namespace[f"_{k}"] = f
        self.namespace.update(_fail=vals.fail, _fdiv=vals.fast_div, _fmod=vals.fast_mod, _fneg=vals.fast_neg,
                              _fadd=vals.fast_add, _fsub=vals.fast_sub, _fmul=vals.fast_mul, _ohdr=None)
        self._env = env
        self._bound: set[tuple[str, str]] = set()
        # data coverage (velotui/engine/coverage.py): probes wrap the nodes they watch; the fast body is then
        # the safe one, so that no record is counted twice by a fast body that fails and its re-run
        self._probes: dict[int, list[tuple[str, int]]] | None = None
        self._fast_is_safe = False
        self._columns: dict[str, str] | None = None  # in a column body: field -> its local ("" until read)
        if coverage is not None:
            self._probes = coverage.by_node
            self._fast_is_safe = True
            self.namespace.update(coverage.namespace())

    # -- public ---------------------------------------------------------------------------------
    def provide(self, **names: Any) -> None:
        """Give the generated code names of an operator's own (its helpers, its state). A name the namespace
        holds already for something else is refused: the safe body's ``_add`` is SQL's addition, and an
        operator's ``_add`` of its own would silently change what every expression computes (a placeholder
        None, as ``_ohdr``'s, may be filled)."""
        for name, value in names.items():
            old = self.namespace.get(name)
            if old is not None and old is not value and old != value:
                raise RuntimeError(f"generated code: {name!r} names something else already")
        self.namespace.update(names)

    def const(self, value: Any) -> str:
        name = f"_k{next(self._ids)}"
        self.namespace[name] = value
        return name

    def temp(self) -> str:
        return f"_t{next(self._ids)}"

    def to_source(self, node: exp.Expression) -> str:
        return self._src(node)

    def check(self, node: exp.Expression) -> None:
        """Refuse what this expression cannot compute (unknown functions, wrong arity, bad literals, too
        deep), with line and column; generates the source without running it."""
        self._check_depth(node)
        self._safe = self._fast_is_safe
        self._src(node)
        self._safe = True
        self._src(node)
        self._safe = False

    def compile(self, node: exp.Expression) -> RowFn:
        self._check_depth(node)
        return self._function(lambda: f"    return {self._src(node)}")

    def compile_predicate(self, node: exp.Expression) -> RowFn:
        self._check_depth(node)
        return self._function(lambda: f"    return {self._pred(node)}")

    def projection_body(self, items: list[tuple[str, exp.Expression]], where: exp.Expression | None, *,
                        star: bool) -> Callable[[], list[str]]:
        """A body maker: lines that ``return None`` when WHERE fails, else set ``o`` to the output row."""
        for _, e in items:
            self._check_depth(e)
        if where is not None:
            self._check_depth(where)

        def body() -> list[str]:
            lines = []
            if where is not None:
                lines.append(f"if not ({self._pred(where)}): return None")
            fields = ", ".join(f"{name!r}: {self._src(e)}" for name, e in items)
            if star and self._columns is not None:  # a column body: the record's fields are the columns
                every = ", ".join(f"{name!r}: {self._field(name)}" for name in list(self._columns))
                lines.append(f"o = {{{every}, {fields}}}" if items else f"o = {{{every}}}")
            elif star:
                lines.append(f"o = {{**r, {fields}}}" if items else "o = dict(r)")
            else:
                lines.append(f"o = {{{fields}}}")
            return lines

        return body

    def compile_projection(self, items: list[tuple[str, exp.Expression]], where: exp.Expression | None = None, *,
                           star: bool = False) -> RowFn:
        make = self.projection_body(items, where, star=star)
        return self._function(lambda: "\n".join(f"    {line}" for line in make()) + "\n    return o")

    def fast_and_safe(self, make_body: Callable[[], list[str]], params: str = "r, m, t") -> tuple[list[str], str, bool]:
        """(the fast body's lines, the name of the generated safe function ``(params)``, whether the fast
        body calls a helper that may record a row error). Used by operators that generate their own loop."""
        self._safe = self._fast_is_safe
        fast = make_body()
        self._safe = True
        safe = make_body()
        self._safe = False
        n = next(self._ids)
        src = f"def _safe{n}({params}):\n" + "\n".join(f"    {line}" for line in safe) + "\n    return o\n"
        self.exec(src)
        text = "\n".join(fast)
        logs = _LOGS.search(text) is not None
        return fast, f"_safe{n}", logs

    def column_body(self, make_body: Callable[[], list[str]], names: Sequence[str]
                    ) -> tuple[list[str], list[str]] | None:
        """The fast body of ``make_body`` over records held as columns (velotui.records.RecordColumns): each
        field it reads is a local of its own (``_v0``, ``_v1``… in the order of the fields returned), not an
        item of a record dict. None when the body needs more than the fields of ``names``: the record or
        its message as a whole (a field that is no column, ``_offset``), or a function that records row errors
        (those name the record they belong to), or coverage probes. A ``*`` is every column."""
        if self._probes is not None:
            return None
        self._columns = {n: "" for n in names}
        self._safe = False
        try:
            lines = make_body()
            used = [n for n, var in self._columns.items() if var]
            used.sort(key=lambda n: int(self._columns[n][2:]))
        finally:
            self._columns = None
        text = "\n".join(lines)
        if _LOGS.search(text) is not None or _names_in(text) & {"r", "m"}:
            return None
        return lines, used

    def exec(self, src: str) -> None:
        self._bind_functions(src)
        code = compiled(src, f"<velotui query {self.file or ''}>")
        exec(code, self.namespace)  # noqa: S102 - source generated from a parsed SQL AST, not from user text

    # -- code generation --------------------------------------------------------------------------
    def _check_depth(self, node: exp.Expression) -> None:
        depth, deepest = expression_depth(node)
        if depth > MAX_EXPR_DEPTH:
            line, col = position(deepest)
            raise SqlError(f"expression nested {depth} levels deep (at most {MAX_EXPR_DEPTH})", file=self.file,
                           line=line, column=col, hint="simplify it, or compute part of it in an earlier statement")

    def _bind_functions(self, src: str) -> None:
        for kind, name in set(re.findall(r"_(fn|ff)_(\w+)\(", src)) - self._bound:
            fn = FUNCTIONS[name]
            self.namespace[f"_{kind}_{name}"] = fn.bind(self._env, fast=kind == "ff")
            self._bound.add((kind, name))

    def _function(self, make_body: Callable[[], str]) -> RowFn:
        self._safe = self._fast_is_safe
        fast = make_body()
        self._safe = True
        safe = make_body()
        self._safe = False
        n = next(self._ids)
        # the fast body is inlined in the entry function (one call per row), the safe one is its fallback;
        # the error-log mark is taken only when the fast body calls a helper that may log a row error
        logs = _LOGS.search(fast) is not None
        src = (f"def _safe{n}(r, m, t):\n{safe}\n"
               f"def _run{n}(r, m, t=None):\n" + ("    mark = len(_elog)\n" if logs else "") + "    try:\n"
               + "\n".join("    " + line for line in fast.splitlines())
               + "\n    except _Drop:\n        raise\n    except _FAST_ERRORS:\n"
               + ("        del _elog[mark:]\n" if logs else "")
               + f"        try:\n            return _safe{n}(r, m, t)\n"
               f"        except _Drop:\n            raise\n"
               f"        except Exception as e:\n"
               f"            _elog.append(('expression_error', repr(e), _errs.context))\n            return None\n")
        self.exec(src)
        fn = self.namespace[f"_run{n}"]
        fn.__velotui_source__ = src  # type: ignore[attr-defined]
        return fn  # type: ignore[no-any-return]

    def _error(self, node: exp.Expression, message: str, hint: str | None = None) -> SqlError:
        line, col = position(node)
        return SqlError(message, file=self.file, line=line, column=col, hint=hint)

    def _unsupported(self, node: exp.Expression, what: str | None = None) -> SqlError:
        return self._error(node, f"unsupported: {what or node.sql()}", "see docs/SQL.md for what velotui supports")

    def _pred(self, node: exp.Expression) -> str:
        """Source of a boolean test (WHERE, HAVING, CASE WHEN): only TRUE passes."""
        src = self._src(node)
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.Like, exp.Between,
                             exp.In, exp.Exists, exp.And, exp.Or, exp.Not, exp.Boolean)) and not self.standard:
            return src
        if isinstance(node, exp.Paren):
            return self._pred(node.this)
        return f"_truth({src})"

    def _src(self, node: exp.Expression) -> str:
        if self._probes is not None and node is not None:
            roles = self._probes.get(id(node))
            if roles:
                src = self._src_plain(node)
                for role, slot in roles:
                    if role in _VALUE_PROBES:
                        src = f"_cv_{role}({slot}, {src})"
                return src
        return self._src_plain(node)

    def _src_plain(self, node: exp.Expression) -> str:
        if node is None:  # sqlglot left a part of a construct empty (a mangled CASE, an operator without a side)
            raise SqlError("an expression is incomplete here: a part of it is missing", file=self.file,
                           hint="check the statement against docs/SQL.md")
        for cls, handler in self.special.items():
            if isinstance(node, cls):
                return handler(node, self)
        method = getattr(self, f"_c_{type(node).__name__}", None)
        if method is not None and not (_is_plain_call(node) and type(node).__name__ not in _SYNTAX_NODES):
            return method(node)
        name = call_name(node)
        if name is not None:
            return self._call(node, name)
        if isinstance(node, exp.Window):
            raise self._error(node, f"window function {node.this.sql()} is not allowed here",
                              "window functions (OVER) go in the SELECT list")
        raise self._unsupported(node)

    # -- static types (for the fast path and for checking calls) ---------------------------------------
    def static_type(self, node: exp.Expression) -> str:
        t = self._types.get(id(node))
        if t is None:
            t = self._types[id(node)] = self._infer(node)
        return t

    def _infer(self, node: exp.Expression) -> str:
        if isinstance(node, exp.Literal):
            if node.is_string:
                return "string"
            text = str(node.this)
            return "float" if "e" in text.lower() else "decimal" if "." in text else "integer"
        if isinstance(node, exp.Null):
            return "null"
        if isinstance(node, exp.Boolean):
            return "boolean"
        if isinstance(node, exp.Paren):
            return self.static_type(node.this)
        if isinstance(node, exp.Neg):
            return self.static_type(node.this) if self.static_type(node.this) in NUMERIC | {"decimal"} else "any"
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            a, b = self.static_type(node.this), self.static_type(node.expression)
            if a == b == "integer":
                return "integer"
            if a in NUMERIC and b in NUMERIC:
                return "float" if "float" in (a, b) else "number"
            return "any"
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.Like, exp.ILike,
                             exp.Between, exp.In, exp.Exists, exp.And, exp.Or, exp.Not)):
            return "boolean"
        if isinstance(node, exp.DPipe):
            return "string"
        if isinstance(node, exp.Column) and not node.table:
            return self.column_types.get(node.name, "any")
        if isinstance(node, exp.Cast):
            kind = vals.cast_kind(_cast_target(node)[0])
            return {"INTEGER": "integer", "FLOAT": "float", "DECIMAL": "decimal", "STRING": "string",
                    "BOOLEAN": "boolean", "TIMESTAMP": "integer", "DATE": "string"}.get(kind or "", "any")
        name = call_name(node)
        fn = FUNCTIONS.get(name or "")
        if fn is not None and fn.result in ("integer", "float", "string", "boolean"):
            return fn.result
        return "any"

    # -- leaves ------------------------------------------------------------------------------------
    def _c_Column(self, node: exp.Column) -> str:
        name = node.name
        if isinstance(node.this, exp.Star):
            raise self._error(node, f"{node.sql()} is only allowed as a select item", "list the columns instead")
        if not node.table and name.lower() in SYSTEM_META:
            return SYSTEM_META[name.lower()]
        key = self.resolve_column(node.table or None, name)
        return self._field(key)

    def _field(self, key: str) -> str:
        """A record field's value: an item of the record ``r``, or in a column body (``column_body``) the local
        that holds the field's column value."""
        if self._columns is not None and key in self._columns:
            var = self._columns[key] or f"_v{sum(1 for v in self._columns.values() if v)}"
            self._columns[key] = var
            return var
        return f"r.get({key!r})" if self._safe else f"r[{key!r}]"

    def _c_Literal(self, node: exp.Literal) -> str:
        text = str(node.this)
        if node.is_string:
            return repr(text)
        low = text.lower()
        digits = len(re.sub(r"[^0-9]", "", low.split("e")[0]).lstrip("0"))
        if "e" in low:
            v = float(text) if digits <= 400 else math.inf
            if not math.isfinite(v):
                raise self._error(node, f"the FLOAT literal {_short(text)} is out of range",
                                  "a FLOAT holds about 1.8e308 at most")
            return repr(v)
        if "." in text:
            if digits > MAX_DECIMAL_DIGITS:
                raise self._error(node, f"the DECIMAL literal {_short(text)} has {digits} digits "
                                  f"(at most {MAX_DECIMAL_DIGITS})", "round it, or write it as a FLOAT (1.5e40)")
            return self.const(Decimal(text))
        if digits > 19 or not INT64[0] <= int(text) <= INT64[1]:
            raise self._error(node, f"the INTEGER literal {_short(text)} does not fit 64 bits",
                              "INTEGER is 64-bit (at most 9223372036854775807); write a DECIMAL (add .0) or a FLOAT")
        return repr(int(text))

    def _c_Boolean(self, node: exp.Boolean) -> str:
        return "True" if node.this else "False"

    def _c_Null(self, node: exp.Null) -> str:
        return "None"

    def _c_Tuple(self, node: exp.Tuple) -> str:
        return "(" + "".join(f"{self._src(e)}, " for e in node.expressions) + ")"

    def _c_Paren(self, node: exp.Paren) -> str:
        return f"({self._src(node.this)})"

    def _c_Identifier(self, node: exp.Identifier) -> str:
        return self._field(self.resolve_column(None, node.name))

    def _c_Var(self, node: exp.Var) -> str:
        return self._c_Identifier(node)  # type: ignore[arg-type]

    def _c_Star(self, node: exp.Star) -> str:
        raise self._error(node, "* is only allowed as a select item or in COUNT(*)")

    # -- arithmetic ---------------------------------------------------------------------------------
    def _binop(self, node: exp.Expression, op: str, helper: str) -> str:
        """The safe body calls the helper (the rules of values.py, row errors included). The fast body never
        records a row error: it computes what Python computes the same way as SQL, and anything else
        raises (``_fail``, ``_fdiv``, …) so that the row is re-run on the safe body."""
        a, b = self._src(node.this), self._src(node.expression)
        if self._safe:
            return f"{helper}({a}, {b})"
        if helper in ("_div", "_mod"):
            return f"_f{helper[1:]}({a}, {b})"
        ta, tb = self.static_type(node.this), self.static_type(node.expression)
        if ta in NUMERIC and tb in NUMERIC:
            return f"({a} {op} {b})"
        fast = f"_f{helper[1:]}"
        if ta == "decimal" or tb == "decimal":
            return f"{fast}({a}, {b})"
        # an operand of unknown type is tested where it is computed, with two identity tests of its type (a
        # third of the cost of a set lookup): each operand evaluated once, left to right, on every path; the
        # fast helper (which raises for what Python would compute otherwise than SQL) takes any other type
        if ta in NUMERIC:
            y = self.temp()
            return f"({a} {op} {y} if {self._is_number(y, b)} else {fast}({a}, {y}))"
        x = self.temp()
        if tb in NUMERIC:
            return f"({x} {op} {b} if {self._is_number(x, a)} else {fast}({x}, {b}))"
        y = self.temp()
        inner = f"({x} {op} {y} if {self._is_number(y, b)} else {fast}({x}, {y}))"
        return f"({inner} if {self._is_number(x, a)} else {fast}({x}, {b}))"

    def _is_number(self, name: str, src: str) -> str:
        """``src`` computed into ``name``, and whether it is a plain int or float (not a bool, not a str)."""
        c = self.temp()
        return f"((({c} := type({name} := {src})) is float) or {c} is int)"

    def _c_Add(self, node: exp.Add) -> str:
        return self._binop(node, "+", "_add")

    def _c_Sub(self, node: exp.Sub) -> str:
        return self._binop(node, "-", "_sub")

    def _c_Mul(self, node: exp.Mul) -> str:
        return self._binop(node, "*", "_mul")

    def _c_Div(self, node: exp.Div) -> str:
        return self._binop(node, "/", "_div")

    def _c_IntDiv(self, node: exp.Expression) -> str:
        if self._safe:
            return f"_fn_FLOOR(_div({self._src(node.this)}, {self._src(node.expression)}))"
        return f"_ff_FLOOR(_fdiv({self._src(node.this)}, {self._src(node.expression)}))"

    def _c_Mod(self, node: exp.Mod) -> str:
        return self._binop(node, "%", "_mod")

    def _c_Neg(self, node: exp.Neg) -> str:
        inner = node.this
        if isinstance(inner, exp.Literal) and not inner.is_string:
            return f"(-{self._src(inner)})"
        return f"_neg({self._src(inner)})" if self._safe else f"_fneg({self._src(inner)})"

    def _c_DPipe(self, node: exp.DPipe) -> str:
        return f"_concat({self._src(node.this)}, {self._src(node.expression)})"

    # -- comparisons and logic ------------------------------------------------------------------------
    def _cmp(self, node: exp.Expression, op: str, helper: str) -> str:
        a, b = self._src(node.this), self._src(node.expression)
        if self.standard:
            return f"_{helper}3({a}, {b})"
        lit = node.expression
        if not self._safe and op in ("<", "<=", ">", ">=") and isinstance(lit, exp.Literal) and not lit.is_string:
            t = self.temp()
            return f"(({t} := {a}) is not None and {t} {op} {b})"
        if not self._safe and op == "==" and isinstance(lit, exp.Literal) and lit.is_string:
            # text against text is Python's ==; anything else against text follows the rules of _eq (text that
            # reads as a number compares as a number, 'true' as a boolean)
            t = self.temp()
            return f"(({t} := {a}) == {b} if type({t}) is str else _eq({t}, {b}))"
        return f"_{helper}({a}, {b})"

    def _c_EQ(self, node: exp.EQ) -> str:
        return self._cmp(node, "==", "eq")

    def _c_NEQ(self, node: exp.NEQ) -> str:
        return self._cmp(node, "!=", "ne")

    def _c_GT(self, node: exp.GT) -> str:
        return self._cmp(node, ">", "gt")

    def _c_GTE(self, node: exp.GTE) -> str:
        return self._cmp(node, ">=", "ge")

    def _c_LT(self, node: exp.LT) -> str:
        return self._cmp(node, "<", "lt")

    def _c_LTE(self, node: exp.LTE) -> str:
        return self._cmp(node, "<=", "le")

    def _chain(self, node: exp.Expression) -> list[exp.Expression]:
        out, stack = [], [node]
        while stack:
            n = stack.pop()
            if type(n) is type(node):
                stack.append(n.expression)
                stack.append(n.this)
            else:
                out.append(n)
        return out

    def _c_And(self, node: exp.And) -> str:
        parts = self._chain(node)
        if self.standard:
            out = self._src(parts[0])
            for p in parts[1:]:
                out = f"_and3({out}, {self._src(p)})"
            return out
        return "(" + " and ".join(self._pred(p) for p in parts) + ")"

    def _c_Or(self, node: exp.Or) -> str:
        parts = self._chain(node)
        if self.standard:
            out = self._src(parts[0])
            for p in parts[1:]:
                out = f"_or3({out}, {self._src(p)})"
            return out
        return "(" + " or ".join(self._pred(p) for p in parts) + ")"

    def _c_Not(self, node: exp.Not) -> str:
        inner = node.this
        if isinstance(inner, exp.Is):
            return f"({self._operand(inner.this)} is not None)"
        if self.standard:
            return f"_not3({self._src(inner)})"
        return f"(not {self._pred(inner)})"

    def _c_Is(self, node: exp.Is) -> str:
        target = node.expression
        if isinstance(target, exp.Null):
            return f"({self._operand(node.this)} is None)"
        if isinstance(target, exp.Boolean):
            return f"({self._operand(node.this)} is {'True' if target.this else 'False'})"
        raise self._unsupported(node)

    def _operand(self, node: exp.Expression) -> str:
        """The left side of an ``is``: a literal goes through a temporary, since ``1 is None`` makes Python
        warn at compile time (a SyntaxWarning on the user's stderr)."""
        src = self._src(node)
        return f"({self.temp()} := {src})" if isinstance(node, (exp.Literal, exp.Boolean, exp.Null)) else src

    def _c_Between(self, node: exp.Between) -> str:
        t = self.temp()
        x, lo, hi = self._src(node.this), self._src(node.args["low"]), self._src(node.args["high"])
        if self.standard:
            return f"_and3(_ge3(({t} := {x}), {lo}), _le3({t}, {hi}))"
        return f"(_ge(({t} := {x}), {lo}) and _le({t}, {hi}))"

    def _c_In(self, node: exp.In) -> str:
        if node.args.get("query") is not None or node.args.get("field") is not None:
            raise self._unsupported(node, "IN (SELECT …) here")
        values = "(" + "".join(f"{self._src(v)}, " for v in node.expressions) + ")"
        helper = "_in3" if self.standard else "_in"
        return f"{helper}({self._src(node.this)}, {values})"

    def _c_Like(self, node: exp.Like) -> str:
        return self._like(node, ignore_case=False)

    def _c_ILike(self, node: exp.Expression) -> str:
        return self._like(node, ignore_case=True)

    def _like(self, node: exp.Expression, *, ignore_case: bool) -> str:
        if node.args.get("negate"):
            positive = node.copy()
            positive.set("negate", None)
            inner = self._like(positive, ignore_case=ignore_case)
            return f"_not3({inner})" if self.standard else f"(not {inner})"
        pattern = node.expression
        none = "None" if self.standard else "False"
        t = self.temp()
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            rx = self.const(vals.like_regex(str(pattern.this), ignore_case=ignore_case))
            return f"({none} if ({t} := {self._src(node.this)}) is None else {rx}.fullmatch(_text({t})) is not None)"
        dyn = self.const(lambda x, p: (None if self.standard else False) if x is None or p is None
                         else vals.like_regex(vals.to_text(p), ignore_case=ignore_case).fullmatch(vals.to_text(x))
                         is not None)
        return f"{dyn}({self._src(node.this)}, {self._src(pattern)})"

    def _c_Case(self, node: exp.Case) -> str:
        default = self._src(node.args["default"]) if node.args.get("default") is not None else "None"
        subject = node.this
        ifs = list(node.args.get("ifs") or [])
        if subject is not None and not ifs:
            return default
        t = self.temp() if subject is not None else None
        parts = []
        for i, branch in enumerate(ifs):
            if branch.args.get("true") is None or branch.this is None:
                raise self._error(node, "CASE: a WHEN needs a condition and a THEN value",
                                  "write CASE WHEN condition THEN value … [ELSE value] END")
            then = self._src(branch.args["true"])
            if subject is not None:
                left = f"({t} := {self._src(subject)})" if i == 0 else t
                cond = f"_eq({left}, {self._src(branch.this)})"
            else:
                cond = self._pred(branch.this)
            parts.append(f"{then} if {cond} else")
        return "(" + " ".join(parts) + f" {default})"

    def _c_If(self, node: exp.If) -> str:
        false = self._src(node.args["false"]) if node.args.get("false") is not None else "None"
        return f"({self._src(node.args['true'])} if {self._pred(node.this)} else {false})"

    def _c_Cast(self, node: exp.Cast) -> str:
        target, scale, text = _cast_target(node)
        try:
            fn = vals.make_cast(target, scale)
        except ValueError:
            raise self._error(node, f"cannot CAST to {text}",
                              "CAST targets: INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL, STRING, VARCHAR, BOOLEAN, "
                              "TIMESTAMP, DATE") from None
        inner = node.this
        if isinstance(inner, exp.Literal) and not self._safe:
            try:  # a literal that can never convert is a mistake in the SQL, not in the data
                fn(_literal_value(inner))
            except DropRecord as e:
                raise self._error(node, e.message, "a CAST of a literal must be able to succeed") from None
        return f"{self.const(fn)}({self._src(inner)})"

    def _c_TryCast(self, node: exp.Expression) -> str:
        return self._c_Cast(node)  # type: ignore[arg-type]

    def _c_Trim(self, node: exp.Trim) -> str:
        where = str(node.args.get("position") or "BOTH").upper()
        name = {"BOTH": "TRIM", "LEADING": "LTRIM", "TRAILING": "RTRIM"}.get(where, "TRIM")
        chars = node.args.get("expression")
        args = [node.this] + ([chars] if chars is not None else [])
        return self._emit_call(FUNCTIONS[name], node, args)

    def _c_Extract(self, node: exp.Extract) -> str:
        part_node = node.this
        part = part_node.name if isinstance(part_node, (exp.Var, exp.Column, exp.Identifier)) else str(part_node)
        if part.upper() not in EXTRACT_PARTS:
            raise self._error(node, f"EXTRACT({part} FROM …): {part} is not a date part",
                              "use one of " + ", ".join(EXTRACT_PARTS))
        return f"_extract({part.upper()!r}, {self._src(node.expression)})"

    def _c_Window(self, node: exp.Window) -> str:
        raise self._error(node, f"window function {node.this.sql()} is not allowed here",
                          "window functions (OVER) go in the SELECT list")

    # -- calls -------------------------------------------------------------------------------------------
    def _call(self, node: exp.Expression, name: str) -> str:
        if name in AGGREGATES or is_aggregate(node):
            raise self._error(node, f"aggregate {name}(…) is not allowed here",
                              "aggregates need GROUP BY or a window, and are not allowed in WHERE (use HAVING)")
        if name in WINDOW_FUNCTIONS:
            raise self._error(node, f"{name}(…) needs OVER (…)", f"write {WINDOW_FUNCTIONS[name].signature} OVER "
                              "(PARTITION BY … ORDER BY …)")
        fn = FUNCTIONS.get(name)
        if fn is None:
            known = sorted(set(FUNCTIONS) | set(AGGREGATES) | set(WINDOW_FUNCTIONS))
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
            raise self._error(node, f"unknown function {name}", (f"did you mean {close[0]}? " if close else "")
                              + "see docs/SQL.md for the function catalogue")
        return self._emit_call(fn, node, call_operands(node))

    def _emit_call(self, fn: Function, node: exp.Expression, args: list[exp.Expression]) -> str:
        problem = fn.arity_problem(len(args))
        if problem:
            raise self._error(node, problem, f"write {fn.signature()}")
        for i, a in enumerate(args):
            self._check_argument(fn, i, a, node)
        srcs = [self._src(a) for a in args]
        if self._probes is not None:  # COALESCE and NULLIF under coverage: the probe computes and counts
            for role, slot in self._probes.get(id(node), ()):
                if role in ("coalesce", "nullif"):
                    return f"_cv_{role}({slot}, {', '.join(srcs)})"
        if fn.inline is not None:
            return fn.inline(srcs, not self._safe)
        return f"_{'fn' if self._safe else 'ff'}_{fn.name}({', '.join(srcs)})"

    def _check_argument(self, fn: Function, i: int, arg: exp.Expression, call: exp.Expression) -> None:
        p = fn.param(i)
        value: Any = None
        literal = isinstance(arg, (exp.Literal, exp.Boolean)) or (isinstance(arg, exp.Neg) and
                                                                  isinstance(arg.this, exp.Literal))
        if literal:
            value = _literal_value(arg)
        st = self.static_type(arg)
        bad = None
        if p.type in ("number", "integer"):
            if st == "boolean":
                bad = "a BOOLEAN"
            elif literal and isinstance(value, str) and vals.number_from_text(value) is None:
                bad = f"the text {value!r}"
            elif p.type == "integer" and literal and isinstance(value, (float, Decimal)) and value != int(value):
                bad = f"{value}, which is not a whole number"
        elif p.type == "timestamp" and literal and isinstance(value, str) and vals.parse_timestamp(value) is None:
            bad = f"the text {value!r}, which is not a time"
        elif p.type == "boolean" and literal and not isinstance(value, bool):
            bad = f"{value!r}"
        if bad:
            kind = {"number": "a number", "integer": "an integer", "timestamp": "a timestamp",
                    "boolean": "a boolean"}.get(p.type, p.type)
            raise self._error(arg, f"{fn.name}: argument {i + 1} ({p.name}) must be {kind}, not {bad}",
                              f"write {fn.signature()}")
        if literal and p.check is not None and value is not None:
            problem = p.check(value)
            if problem:
                raise self._error(arg, f"{fn.name}: {problem}", f"write {fn.signature()}")


_SYNTAX_NODES = {"Cast", "TryCast", "Case", "Extract", "Window", "Column", "Literal"}
_SPECIAL_ARGS: dict[type, tuple[str, ...]] = {exp.StrPosition: ("substr", "this", "position", "occurrence"),
                                              exp.Substring: ("this", "start", "length")}
# calls in a fast body that may record a row error: the safe helpers and functions (the fast body uses
# neither unless a subquery's own expressions run), and the subqueries' functions
def _names_in(code: str) -> set[str]:
    """The names (identifiers) Python code uses, strings and comments apart."""
    import io
    import tokenize

    return {t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.NAME}


_LOGS = re.compile(r"(?<![\w.])(_fn_\w+|_add|_sub|_mul|_div|_mod|_neg|_sub(in|exists|scalar)\d+)\(")


_VALUE_PROBES = ("truth", "hit", "null", "distinct")  # probes that wrap a value (velotui/engine/coverage.py)


def call_operands(node: exp.Expression) -> list[exp.Expression]:
    """The arguments of a call as the compiler compiles them: as written, or, for a call with its own syntax
    (POSITION(a IN b), SUBSTRING(s FROM 1 FOR 2)), its parts in the order of the function's parameters."""
    args = call_args(node)
    if args is None:
        keys = _SPECIAL_ARGS.get(type(node), tuple(type(node).arg_types))
        args = [node.args[k] for k in keys if isinstance(node.args.get(k), exp.Expression)]
    return args


def compiled_children(node: exp.Expression) -> list[exp.Expression]:
    """The sub-expressions the compiler compiles for ``node``, the very node objects (a copied call keeps its
    arguments as written apart from its tree's children): coverage places its probes on these."""
    if isinstance(node, exp.Case):
        out = [node.this] if node.this is not None else []
        for branch in node.args.get("ifs") or []:
            out += [x for x in (branch.this, branch.args.get("true")) if x is not None]
        default = node.args.get("default")
        return out + ([default] if default is not None else [])
    name = type(node).__name__
    if (not hasattr(ExpressionCompiler, f"_c_{name}") or (_is_plain_call(node) and name not in _SYNTAX_NODES)) \
            and call_name(node) is not None:
        return call_operands(node)
    return list(node.iter_expressions())


def _is_plain_call(node: exp.Expression) -> bool:
    meta = node._meta or {}
    from velotui.sql.analysis import ARGS_META

    return ARGS_META in meta or isinstance(node, exp.Anonymous)


def _short(text: str) -> str:
    return text if len(text) <= 30 else f"{text[:12]}…{text[-6:]} ({len(text)} characters)"


def _literal_value(node: exp.Expression) -> Any:
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Neg):
        v = _literal_value(node.this)
        return -v if isinstance(v, (int, float, Decimal)) else v
    text = str(node.this)
    if node.is_string:  # type: ignore[attr-defined]
        return text
    if "e" in text.lower():
        return float(text) if len(text) < 400 else math.inf
    if "." in text:
        return Decimal(text) if len(text) < 400 else Decimal(0)
    return int(text) if len(text) < 400 else 0


def _cast_target(node: exp.Cast) -> tuple[str, int | None, str]:
    """(target type name, DECIMAL scale or None, the target as written)."""
    to = node.args["to"]
    tname = str(to.this.value if hasattr(to.this, "value") else to.this).upper()
    params = [int(p.this.this) if isinstance(p.this, exp.Literal) else None for p in to.expressions
              if isinstance(p, exp.DataTypeParam)]
    scale = params[1] if len(params) > 1 else (0 if params and tname in ("DECIMAL", "NUMERIC") else None)
    return tname, scale, to.sql()


__all__ = ["FAST_ERRORS", "MAX_EXPR_DEPTH", "ExpressionCompiler", "RowFn", "call_operands", "compiled_children",
           "expression_depth", "position"]
