"""Compile sqlglot expressions to Python source, once per query.

Each expression becomes Python expression text over two locals: ``r`` (the row dict) and ``m`` (the
velotui.records.Message it came from). A projection (WHERE + select items) becomes one generated
function. Two versions are generated: a *fast* one using plain Python operators, and a *safe* one using
NULL-aware helpers that never raise; the fast one runs first and any exception (a NULL in arithmetic,
a string compared with a number, a division by zero) re-runs that row on the safe one. Results are the
same; the fast path only makes the common case quick.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

from velotui.engine.expr import runtime as rt
from velotui.errors import SqlError
from velotui.records import Message

AGGREGATE_FUNCTIONS = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX", "STDDEV", "STDDEV_SAMP", "STDDEV_POP",
                                 "VARIANCE", "VAR_SAMP", "VAR_POP", "COUNT_DISTINCT", "FIRST_VALUE", "LAST_VALUE"})
WINDOW_FUNCTIONS = frozenset({"LAG", "LEAD", "ROW_NUMBER", "RANK", "DENSE_RANK"})
SYSTEM_META = {"_timestamp": "m.timestamp", "_event_time": "m.event_time", "_partition": "m.partition",
               "_offset": "m.offset", "_key": "m.key"}
_AGG_CLASSES: tuple[type, ...] = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Stddev, exp.StddevSamp,
                                  exp.StddevPop, exp.Variance, exp.VariancePop, exp.FirstValue, exp.LastValue)
_FAST_ERRORS = (TypeError, ValueError, AttributeError, ArithmeticError, InvalidOperation, KeyError, IndexError)

# sqlglot function classes -> (catalogue name, argument keys in call order)
_FUNCS: dict[type, tuple[str, tuple[str, ...]]] = {
    exp.Upper: ("UPPER", ("this",)), exp.Lower: ("LOWER", ("this",)), exp.Length: ("LENGTH", ("this",)),
    exp.Substring: ("SUBSTRING", ("this", "start", "length")),
    exp.Replace: ("REPLACE", ("this", "expression", "replacement")),
    exp.SplitPart: ("SPLIT_PART", ("this", "delimiter", "part_index")),
    exp.RegexpReplace: ("REGEXP_REPLACE", ("this", "expression", "replacement")),
    exp.Left: ("LEFT", ("this", "expression")), exp.Right: ("RIGHT", ("this", "expression")),
    exp.StrPosition: ("POSITION", ("substr", "this")),
    exp.Abs: ("ABS", ("this",)), exp.Round: ("ROUND", ("this", "decimals")), exp.Floor: ("FLOOR", ("this",)),
    exp.Ceil: ("CEIL", ("this",)), exp.Sqrt: ("SQRT", ("this",)), exp.Pow: ("POWER", ("this", "expression")),
    exp.Ln: ("LN", ("this",)), exp.Exp: ("EXP", ("this",)), exp.Sign: ("SIGN", ("this",)),
    exp.CurrentTimestamp: ("CURRENT_TIMESTAMP", ()), exp.Timestamp: ("TIMESTAMP", ()),
    exp.DateTrunc: ("DATE_TRUNC", ("unit", "this")),
}


def is_aggregate(node: exp.Expression) -> bool:
    if isinstance(node, exp.Window):
        return False
    if isinstance(node, _AGG_CLASSES):
        return True
    return isinstance(node, exp.Anonymous) and str(node.name).upper() in AGGREGATE_FUNCTIONS


def find_aggregates(node: exp.Expression) -> list[exp.Expression]:
    """Aggregate calls in ``node``, outermost first, not looking inside OVER (…) windows or subqueries."""
    out: list[exp.Expression] = []

    def walk(n: exp.Expression) -> None:
        if isinstance(n, (exp.Window, exp.Subquery, exp.Select)):
            return
        if is_aggregate(n):
            out.append(n)
            return
        for child in n.iter_expressions():
            walk(child)

    walk(node)
    return out


def _pos(node: exp.Expression) -> tuple[int | None, int | None]:
    for n in node.walk():
        meta = getattr(n, "meta", None) or {}
        if "line" in meta:
            return meta.get("line"), meta.get("col")
    return None, None


class ExpressionCompiler:
    """Compiles expressions of one query. See the module docstring for the generated code's shape."""

    def __init__(self, resolve_column: Callable[[str | None, str], str], *, now_ms: int = 0,
                 null_semantics: str = "reference", on_row_error: Callable[[str, str], None] | None = None,
                 special: Mapping[type, Callable[[exp.Expression, ExpressionCompiler], str]] | None = None,
                 file: str | None = None, errors: rt.RowErrors | None = None) -> None:
        self.resolve_column = resolve_column
        self.now_ms = now_ms
        self.standard = str(null_semantics).lower() == "standard"
        self.errors = errors if errors is not None else rt.RowErrors(on_row_error)
        self._immediate = errors is None and on_row_error is not None
        self.special = dict(special or {})
        self.file = file
        self._ids = itertools.count()
        self.namespace: dict[str, Any] = {"Decimal": Decimal, "_truth": rt.truth, "_concat": rt.concat_op,
                                          "_eq": rt.eq, "_ne": rt.ne, "_lt": rt.lt, "_le": rt.le, "_gt": rt.gt,
                                          "_ge": rt.ge, "_eq3": rt.eq3, "_ne3": rt.ne3, "_lt3": rt.lt3,
                                          "_le3": rt.le3, "_gt3": rt.gt3, "_ge3": rt.ge3, "_and3": rt.and3,
                                          "_or3": rt.or3, "_not3": rt.not3, "_text": rt.to_text}
        for k, f in rt.make_arith(self.errors).items():
            self.namespace[f"_{k}"] = f
        for k, f in rt.functions(self.errors, now_ms).items():
            self.namespace[f"_fn_{k}"] = f
        self.namespace["_set_header"] = _set_header
        self.namespace["_coalesce"] = _coalesce
        self.namespace["_nullif"] = lambda a, b: None if rt.eq(a, b) and a is not None else a
        self.namespace["_in"] = _in_ref
        self.namespace["_in3"] = _in_std
        self.namespace["_extract"] = rt._extract
        self.namespace["_trim"] = rt._trim
        self._safe = False

    # -- public ---------------------------------------------------------------------------------
    def const(self, value: Any) -> str:
        name = f"_k{next(self._ids)}"
        self.namespace[name] = value
        return name

    def temp(self) -> str:
        return f"_t{next(self._ids)}"

    def to_source(self, node: exp.Expression) -> str:
        return self._src(node)

    def compile(self, node: exp.Expression) -> Callable[[dict, Message], Any]:
        return self._lambda(lambda: self._src(node))

    def compile_predicate(self, node: exp.Expression) -> Callable[[dict, Message], bool]:
        return self._lambda(lambda: self._pred(node))

    def compile_projection(self, items: list[tuple[str, exp.Expression]], where: exp.Expression | None = None, *,
                           star: bool = False) -> Callable[[dict, Message], dict | None]:
        def body() -> str:
            lines = []
            if where is not None:
                lines.append(f"    if not ({self._pred(where)}): return None")
            if star:
                fields = ", ".join(f"{name!r}: {self._src(e)}" for name, e in items)
                lines.append(f"    return {{**r, {fields}}}" if items else "    return dict(r)")
            else:
                fields = ", ".join(f"{name!r}: {self._src(e)}" for name, e in items)
                lines.append(f"    return {{{fields}}}")
            return "\n".join(lines)

        return self._function(body)

    # -- code generation --------------------------------------------------------------------------
    def _lambda(self, make: Callable[[], str]) -> Callable[[dict, Message], Any]:
        return self._function(lambda: f"    return {make()}")

    def _function(self, make_body: Callable[[], str]) -> Callable[[dict, Message], Any]:
        self._safe = False
        fast = make_body()
        self._safe = True
        safe = make_body()
        self._safe = False
        n = next(self._ids)
        # the fast body is inlined in the entry function (one call per row), the safe one is its fallback.
        # Field reads go through a local `_g = r.get`; the error-log mark is taken only when the fast body
        # calls a helper that may log a row error (plain operators raise instead, and the row is re-run).
        logs = re.search(r"(?<![\w.])_(?!g\()[a-z]\w*\(", fast) is not None
        prologue = "    _g = r.get\n" + ("    mark = len(_elog)\n" if logs else "")
        src = (f"def _safe{n}(r, m):\n{safe}\n"
               f"def _run{n}(r, m):\n{prologue}    try:\n"
               + "\n".join("    " + line for line in fast.splitlines())
               + "\n    except _FAST_ERRORS:\n" + ("        del _elog[mark:]\n" if logs else "")
               + f"        try:\n            return _safe{n}(r, m)\n"
               f"        except Exception as e:\n"
               f"            _elog.append(('expression_error', repr(e), None))\n            return None\n")
        ns = self.namespace
        ns["_FAST_ERRORS"] = _FAST_ERRORS
        ns["_elog"] = self.errors.entries
        code = compile(src, f"<velotui query {self.file or ''}>", "exec")
        exec(code, ns)  # noqa: S102 - source generated from a parsed SQL AST, not from user text
        fn = ns[f"_run{n}"]
        if self._immediate:  # a standalone compiler reports each row's errors as soon as the row is done
            inner, errors = fn, self.errors

            def fn(r: dict, m: Message) -> Any:
                try:
                    return inner(r, m)
                finally:
                    errors.flush()

        fn.__velotui_source__ = src  # type: ignore[attr-defined]
        return fn  # type: ignore[no-any-return]

    def _unsupported(self, node: exp.Expression, what: str | None = None) -> SqlError:
        line, col = _pos(node)
        name = what or node.sql()
        return SqlError(f"unsupported: {name}", file=self.file, line=line, column=col,
                        hint="see docs/SQL.md for what velotui supports")

    def _pred(self, node: exp.Expression) -> str:
        """Source of a boolean test (WHERE, HAVING, CASE WHEN): only TRUE passes."""
        src = self._src(node)
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.Like, exp.Between,
                             exp.In, exp.Exists)) and not self.standard:
            return src
        if isinstance(node, (exp.And, exp.Or, exp.Not)) and not self.standard:
            return src
        if isinstance(node, exp.Paren):
            return self._pred(node.this)
        return f"_truth({src})"

    def _src(self, node: exp.Expression) -> str:
        for cls, handler in self.special.items():
            if isinstance(node, cls):
                return handler(node, self)
        method = getattr(self, f"_c_{type(node).__name__}", None)
        if method is not None:
            return method(node)
        spec = _FUNCS.get(type(node))
        if spec is not None:
            name, keys = spec
            args = [node.args.get(k) for k in keys]
            while args and args[-1] is None:
                args.pop()
            return f"_fn_{name}({', '.join(self._src(a) if a is not None else 'None' for a in args)})"
        if isinstance(node, exp.Window) or (isinstance(node, exp.Func) and
                                            type(node).__name__.upper() in ("LAG", "LEAD", "ROWNUMBER", "RANK",
                                                                            "DENSERANK")):
            raise self._unsupported(node, f"window function {node.sql()} here")
        if is_aggregate(node):
            raise self._unsupported(node, f"aggregate {node.sql()} here (aggregates need GROUP BY or a window)")
        raise self._unsupported(node)

    # leaves
    def _c_Column(self, node: exp.Column) -> str:
        name = node.name
        if not node.table and name.lower() in SYSTEM_META:
            return SYSTEM_META[name.lower()]
        key = self.resolve_column(node.table or None, name)
        return f"{self._getter}({key!r})"

    def _c_Literal(self, node: exp.Literal) -> str:
        text = str(node.this)
        if node.is_string:
            return repr(text)
        low = text.lower()
        if "e" in low:
            return repr(float(text))
        if "." in text:
            return self.const(Decimal(text))
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
        return f"{self._getter}({self.resolve_column(None, node.name)!r})"

    def _c_Var(self, node: exp.Var) -> str:
        return f"{self._getter}({self.resolve_column(None, node.name)!r})"

    @property
    def _getter(self) -> str:
        """How a field is read: the fast body binds ``_g = r.get`` once per row."""
        return "r.get" if self._safe else "_g"

    # arithmetic
    def _binop(self, node: exp.Expression, op: str, helper: str) -> str:
        a, b = self._src(node.this), self._src(node.expression)
        if self._safe or helper in ("_div", "_mod"):
            return f"{helper}({a}, {b})"
        return f"({a} {op} {b})"

    def _c_Add(self, node: exp.Add) -> str:
        return self._binop(node, "+", "_add")

    def _c_Sub(self, node: exp.Sub) -> str:
        return self._binop(node, "-", "_sub")

    def _c_Mul(self, node: exp.Mul) -> str:
        return self._binop(node, "*", "_mul")

    def _c_Div(self, node: exp.Div) -> str:
        return self._binop(node, "/", "_div")

    def _c_IntDiv(self, node: exp.Expression) -> str:
        return f"_fn_FLOOR(_div({self._src(node.this)}, {self._src(node.expression)}))"

    def _c_Mod(self, node: exp.Mod) -> str:
        return self._binop(node, "%", "_mod")

    def _c_Neg(self, node: exp.Neg) -> str:
        inner = node.this
        if isinstance(inner, exp.Literal) and not inner.is_string:
            return f"(-{self._src(inner)})"
        return f"_neg({self._src(inner)})"

    def _c_DPipe(self, node: exp.DPipe) -> str:
        return f"_concat({self._src(node.this)}, {self._src(node.expression)})"

    # comparisons and logic
    def _cmp(self, node: exp.Expression, op: str, helper: str) -> str:
        a, b = self._src(node.this), self._src(node.expression)
        if self.standard:
            return f"_{helper}3({a}, {b})"
        if not self._safe and op in ("<", "<=", ">", ">=") and isinstance(node.expression, exp.Literal) \
                and not node.expression.is_string:
            t = self.temp()
            return f"(({t} := {a}) is not None and {t} {op} {b})"
        if not self._safe and op == "==" and isinstance(node.expression, exp.Literal) and node.expression.is_string:
            return f"({a} == {b})"
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

    def _c_And(self, node: exp.And) -> str:
        if self.standard:
            return f"_and3({self._src(node.this)}, {self._src(node.expression)})"
        return f"({self._pred(node.this)} and {self._pred(node.expression)})"

    def _c_Or(self, node: exp.Or) -> str:
        if self.standard:
            return f"_or3({self._src(node.this)}, {self._src(node.expression)})"
        return f"({self._pred(node.this)} or {self._pred(node.expression)})"

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
        if node.args.get("negate"):
            positive = node.copy()
            positive.set("negate", None)
            inner = self._c_Like(positive)
            return f"_not3({inner})" if self.standard else f"(not {inner})"
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            rx = self.const(rt.like_regex(str(pattern.this)))
            t = self.temp()
            none = "None" if self.standard else "False"
            return f"({none} if ({t} := {self._src(node.this)}) is None else {rx}.fullmatch(_text({t})) is not None)"
        self.namespace["_like_dyn"] = lambda x, p: (None if self.standard else False) if x is None or p is None \
            else rt.like_regex(rt.to_text(p)).fullmatch(rt.to_text(x)) is not None
        return f"_like_dyn({self._src(node.this)}, {self._src(pattern)})"

    def _c_ILike(self, node: exp.Expression) -> str:
        import re

        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise self._unsupported(node, "ILIKE with a non-literal pattern")
        rx = self.const(re.compile(rt.like_regex(str(pattern.this)).pattern, re.DOTALL | re.IGNORECASE))
        t = self.temp()
        return f"(False if ({t} := {self._src(node.this)}) is None else {rx}.fullmatch(_text({t})) is not None)"

    def _c_Case(self, node: exp.Case) -> str:
        default = self._src(node.args["default"]) if node.args.get("default") is not None else "None"
        subject = node.this
        t = self.temp() if subject is not None else None
        out = default
        ifs = list(node.args.get("ifs") or [])
        for i, branch in reversed(list(enumerate(ifs))):
            then = self._src(branch.args["true"])
            cond_node = branch.this
            if subject is not None:
                left = f"({t} := {self._src(subject)})" if i == 0 else t
                cond = f"_eq({left}, {self._src(cond_node)})"
            else:
                cond = self._pred(cond_node)
            out = f"({then} if {cond} else {out})"
        if subject is not None and not ifs:
            return default
        return out

    def _c_If(self, node: exp.If) -> str:
        false = self._src(node.args["false"]) if node.args.get("false") is not None else "None"
        return f"({self._src(node.args['true'])} if {self._pred(node.this)} else {false})"

    def _c_Cast(self, node: exp.Cast) -> str:
        to = node.args["to"]
        tname = to.this.value if hasattr(to.this, "value") else str(to.this)
        tname = str(tname).upper()
        params = [int(p.this.this) if isinstance(p.this, exp.Literal) else None for p in to.expressions
                  if isinstance(p, exp.DataTypeParam)]
        precision = params[0] if params else None
        scale = params[1] if len(params) > 1 else (0 if params and tname in ("DECIMAL", "NUMERIC") else None)
        aliases = {"BIGDECIMAL": "DECIMAL", "DOUBLE": "DOUBLE", "TEXT": "STRING", "INT": "INT", "DATETIME": "TIMESTAMP",
                   "TIMESTAMPTZ": "TIMESTAMP", "TIMESTAMPLTZ": "TIMESTAMP", "VARCHAR": "VARCHAR", "CHAR": "CHAR",
                   "NVARCHAR": "VARCHAR", "BIGINT": "BIGINT"}
        tname = aliases.get(tname, tname)
        try:
            fn = rt.make_cast(tname, precision, scale, self.errors)
        except ValueError:
            raise self._unsupported(node, f"CAST to {to.sql()}") from None
        return f"{self.const(fn)}({self._src(node.this)})"

    def _c_TryCast(self, node: exp.Expression) -> str:
        return self._c_Cast(node)  # type: ignore[arg-type]

    def _c_Coalesce(self, node: exp.Coalesce) -> str:
        args = [node.this, *node.expressions]
        return f"_coalesce({', '.join(self._src(a) for a in args)})"

    def _c_Nullif(self, node: exp.Nullif) -> str:
        return f"_nullif({self._src(node.this)}, {self._src(node.expression)})"

    def _c_Greatest(self, node: exp.Greatest) -> str:
        return f"_fn_GREATEST({', '.join(self._src(a) for a in [node.this, *node.expressions])})"

    def _c_Least(self, node: exp.Least) -> str:
        return f"_fn_LEAST({', '.join(self._src(a) for a in [node.this, *node.expressions])})"

    def _c_Concat(self, node: exp.Concat) -> str:
        return f"_fn_CONCAT({', '.join(self._src(a) for a in node.expressions)})"

    def _c_Trim(self, node: exp.Trim) -> str:
        where = str(node.args.get("position") or "BOTH").upper()
        chars = node.args.get("expression")
        return f"_trim({self._src(node.this)}, {self._src(chars) if chars is not None else 'None'}, {where!r})"

    def _c_Log(self, node: exp.Log) -> str:
        base, value = node.this, node.expression
        if value is None:
            return f"_fn_LN({self._src(base)})"
        if isinstance(base, exp.Literal) and str(base.this) == "10":
            return f"_fn_LOG10({self._src(value)})"
        return f"_div(_fn_LN({self._src(value)}), _fn_LN({self._src(base)}))"

    def _c_Extract(self, node: exp.Extract) -> str:
        part = node.this.name if isinstance(node.this, (exp.Var, exp.Column, exp.Identifier)) else str(node.this)
        return f"_extract({part.upper()!r}, {self._src(node.expression)})"

    def _c_JSONExtract(self, node: exp.Expression) -> str:
        path = node.expression
        text = path.sql() if not isinstance(path, exp.Literal) else str(path.this)
        if isinstance(path, exp.JSONPath):
            text = "$" + "".join(f".{p.this}" if isinstance(p, exp.JSONPathKey) else
                                 f"[{p.this}]" if isinstance(p, exp.JSONPathSubscript) else ""
                                 for p in path.expressions if not isinstance(p, exp.JSONPathRoot))
        return f"_fn_JSON_VALUE({self._src(node.this)}, {text!r})"

    def _c_Anonymous(self, node: exp.Anonymous) -> str:
        name = str(node.name).upper()
        args = list(node.expressions)
        if name in ("HEADER",):
            return f"m.headers.get(_text({self._src(args[0])}))"
        if name == "HEADER_KEYS":
            return "','.join(m.headers)"
        if name == "HAS_HEADER":
            return f"(_text({self._src(args[0])}) in m.headers)"
        if name == "SET_HEADER":
            return f"_set_header(m, {self._src(args[0])}, {self._src(args[1])})"
        if name == "IFNULL":
            return f"_coalesce({', '.join(self._src(a) for a in args)})"
        if name in ("MOD",):
            return f"_mod({self._src(args[0])}, {self._src(args[1])})"
        if name in AGGREGATE_FUNCTIONS or name in WINDOW_FUNCTIONS:
            raise self._unsupported(node, f"{name}(…) here")
        if f"_fn_{name}" in self.namespace:
            return f"_fn_{name}({', '.join(self._src(a) for a in args)})"
        line, col = _pos(node)
        raise SqlError(f"unknown function {name}", file=self.file, line=line, column=col,
                       hint="see docs/SQL.md for the function catalogue")


def _set_header(m: Message, key: Any, value: Any) -> Any:
    if key is not None:
        m.headers[str(key)] = rt.to_text(value) if value is not None else ""
    return value


def _coalesce(*args: Any) -> Any:
    for a in args:
        if a is not None:
            return a
    return None


def _in_ref(x: Any, values: tuple[Any, ...]) -> bool:
    return any(rt.eq(x, v) for v in values)


def _in_std(x: Any, values: tuple[Any, ...]) -> bool | None:
    if x is None:
        return None
    if any(v is not None and rt.eq(x, v) for v in values):
        return True
    return None if any(v is None for v in values) else False
