"""A safe expression evaluator for spec and schema expressions (template assertions, derived fields).

A spec file must never be able to run code. Expressions are parsed with ``ast`` and only a whitelist of
node types is accepted: literals, names, boolean/comparison/arithmetic operators, conditional
expressions, calls of whitelisted functions, ``r.x`` field access (reads a key, never a Python
attribute), subscripts, list/tuple/dict literals, and comprehensions/generator expressions. No import,
lambda, assignment, attribute starting with ``_``, or name that is not provided. Work is bounded: the
expression length, the size of numbers and strings built by ``*`` and ``**``, and the number of steps a
comprehension may take (and wall time).
"""

from __future__ import annotations

import ast
import math
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from velotui.errors import SandboxError

MAX_SOURCE = 10_000  # characters of one expression
MAX_DEPTH = 100  # levels of its syntax tree (checked without recursion before anything walks it)
MAX_STEPS = 5_000_000  # comprehension/generator steps of one evaluation
MAX_RESULT_LEN = 1_000_000  # items (or characters) of any one string, list or other sequence built
MAX_ALLOCATED = 10_000_000  # items (or characters) built in total by one evaluation
MAX_INT_BITS = 100_000  # bits of any integer computed (about 30,000 decimal digits)
MAX_POW_EXPONENT = 1_000  # kept for the docs: the exponent of a power is bounded by MAX_INT_BITS anyway
MAX_FORMAT_WIDTH = 1_000  # width or precision in a '%' format
MAX_ROUND_DIGITS = 1_000  # the ndigits of round()
DEFAULT_SECONDS = 2.0  # wall time of one evaluation (a template, one record's derived field)


def _avg(xs: Iterable[Any]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def _count(xs: Iterable[Any] | None = None) -> int:
    if xs is None:
        return 0
    if isinstance(xs, (list, tuple, set, dict, str)):
        return len(xs)
    return sum(1 for _ in xs)


def _concat(*parts: Any) -> str:
    return "".join("" if p is None else str(p) for p in parts)


def _sum(xs: Iterable[Any], start: Any = 0) -> Any:
    if not isinstance(start, (int, float, Decimal)) or isinstance(start, bool):
        raise SandboxError("sum() adds numbers: its start must be a number")
    return sum((x for x in xs if x is not None), start)


def _round(x: Any, ndigits: Any = None) -> Any:
    if ndigits is not None and isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise SandboxError(f"round() to {ndigits} digits is too many (limit {MAX_ROUND_DIGITS})")
    return round(x) if ndigits is None else round(x, ndigits)


DEFAULT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sum": _sum,
    "count": _count, "avg": _avg, "min": min, "max": max, "len": len, "abs": abs, "round": _round,
    "floor": math.floor, "ceil": math.ceil, "concat": _concat, "str": str, "int": int, "float": float,
    "bool": bool, "any": any, "all": all, "sorted": sorted, "set": set, "list": list,
    "sqrt": math.sqrt, "zip": zip, "enumerate": enumerate, "reversed": reversed,
}
# functions whose result can be much larger than their arguments' top level: their result is measured
# (and charged to the evaluation's budget) before it is built
_SIZED = {"str", "concat", "sorted", "set", "list"}

_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.Compare, ast.Eq, ast.NotEq,
    ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.IfExp, ast.Call,
    ast.Constant, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Subscript, ast.Slice, ast.List,
    ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp,
    ast.comprehension, ast.keyword,
)


class Record(dict):  # type: ignore[type-arg]
    """A dict whose keys read as attributes in expressions (``r.price``); missing keys read as None."""

    __slots__ = ()


def _refuse(node: ast.AST, what: str, text: str) -> SandboxError:
    col = getattr(node, "col_offset", 0) + 1
    return SandboxError(f"{what} is not allowed in expressions (column {col} of {text!r})",
                        hint="expressions may use fields, literals, operators and the listed functions only")


class _Checker(ast.NodeVisitor):
    def __init__(self, text: str, names: Collection[str] | None, functions: Collection[str]) -> None:
        self.text = text
        self.names = names
        self.functions = functions
        self.bound: list[set[str]] = []

    def generic_visit(self, node: ast.AST) -> None:
        if not isinstance(node, _ALLOWED):
            raise _refuse(node, type(node).__name__.lower(), self.text)
        super().generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            raise _refuse(node, f"attribute {node.attr!r} (names starting with '_')", self.text)
        self.visit(node.value)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("_"):
            raise _refuse(node, f"name {node.id!r} (names starting with '_')", self.text)
        if isinstance(node.ctx, ast.Store):
            return
        if any(node.id in b for b in self.bound) or node.id in ("True", "False", "None"):
            return
        if node.id in self.functions:
            return
        if self.names is not None and node.id not in self.names:
            known = ", ".join(sorted(set(self.names) | set(self.functions)))
            raise SandboxError(f"unknown name {node.id!r} in {self.text!r}", column=node.col_offset + 1,
                               hint=f"available: {known}")

    def visit_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
            what = ast.unparse(node.func)
            raise _refuse(node, f"calling {what!r}", self.text)
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise _refuse(a, "argument unpacking", self.text)
            self.visit(a)
        for k in node.keywords:
            if k.arg is None:
                raise _refuse(k, "keyword unpacking", self.text)
            self.visit(k.value)

    def _visit_comp(self, node: ast.AST, elts: list[ast.AST]) -> None:
        scope: set[str] = set()
        self.bound.append(scope)
        for gen in node.generators:  # type: ignore[attr-defined]
            self.visit(gen.iter)
            for t in ast.walk(gen.target):
                if isinstance(t, ast.Name):
                    if t.id.startswith("_"):
                        raise _refuse(t, f"name {t.id!r}", self.text)
                    scope.add(t.id)
                elif not isinstance(t, (ast.Tuple, ast.List, ast.Store)):
                    raise _refuse(t, "this loop target", self.text)
            for cond in gen.ifs:
                self.visit(cond)
            if gen.is_async:
                raise _refuse(node, "async comprehension", self.text)
        for e in elts:
            self.visit(e)
        self.bound.pop()

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._visit_comp(node, [node.elt])

    visit_SetComp = visit_ListComp  # type: ignore[assignment]
    visit_GeneratorExp = visit_ListComp  # type: ignore[assignment]

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._visit_comp(node, [node.key, node.value])


class _Guard(ast.NodeTransformer):
    """Rewrites the tree so that work is bounded at run time, and so that a ``Watch`` can see what ``all`` of
    a filtered comprehension looked at."""

    def __init__(self) -> None:
        self.filters: list[str] = []  # the conditions of each filtered comprehension that all() reads, as written

    def visit_Call(self, node: ast.Call) -> ast.AST:
        """``all(P for r in xs if F)``: every condition is counted (``__seen``) and every item that passes them
        (``__kept``), so that a filter that kept nothing (all() of nothing is true) is seen as such."""
        arg = node.args[0] if len(node.args) == 1 else None
        filtered = (isinstance(node.func, ast.Name) and node.func.id == "all"
                    and isinstance(arg, (ast.GeneratorExp, ast.ListComp, ast.SetComp))
                    and any(gen.ifs for gen in arg.generators))
        text = " and ".join(ast.unparse(c) for gen in arg.generators for c in gen.ifs) if filtered else ""  # as written
        self.generic_visit(node)
        if filtered and isinstance(arg, (ast.GeneratorExp, ast.ListComp, ast.SetComp)):
            k = len(self.filters)
            self.filters.append(text)
            first = next(gen for gen in arg.generators if gen.ifs)
            first.ifs[0] = ast.Call(func=ast.Name(id="__seen", ctx=ast.Load()), args=[ast.Constant(k), first.ifs[0]],
                                    keywords=[])
            arg.elt = ast.Call(func=ast.Name(id="__kept", ctx=ast.Load()), args=[ast.Constant(k), arg.elt],
                               keywords=[])
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, (ast.Pow, ast.Mult, ast.Add, ast.Mod)):
            name = {ast.Pow: "__pow", ast.Mult: "__mul", ast.Add: "__add", ast.Mod: "__mod"}[type(node.op)]
            return ast.copy_location(ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[node.left, node.right],
                                              keywords=[]), node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        return ast.copy_location(ast.Call(func=ast.Name(id="__field", ctx=ast.Load()),
                                          args=[node.value, ast.Constant(node.attr)], keywords=[]), node)

    def _guard_comp(self, node: Any) -> ast.AST:
        self.generic_visit(node)
        for gen in node.generators:
            gen.iter = ast.Call(func=ast.Name(id="__iter", ctx=ast.Load()), args=[gen.iter], keywords=[])
        return node

    visit_ListComp = _guard_comp
    visit_SetComp = _guard_comp
    visit_GeneratorExp = _guard_comp
    visit_DictComp = _guard_comp


class _Budget:
    """The work one evaluation may do. Every step (a comprehension or generator item) and every value
    built by ``*``, ``+``, ``**``, ``%`` or a sized function is checked against it *before* the work is
    done, so no single step can be huge; the time is checked at every step, against the expression's own
    limit and the query's deadline (velotui.watchdog)."""

    def __init__(self, max_seconds: float) -> None:
        self.max_seconds = max_seconds
        self.steps = 0
        self.allocated = 0
        self.deadline = 0.0

    def start(self) -> None:
        from velotui import watchdog

        self.steps = 0
        self.allocated = 0
        self.deadline = time.monotonic() + self.max_seconds
        self.query_deadline = watchdog.deadline()

    def _clock(self) -> None:
        now = time.monotonic()
        if self.query_deadline is not None and now > self.query_deadline:
            from velotui import watchdog

            watchdog.check()  # the query's timeout: the whole query stops, not only this expression
        if now > self.deadline:
            raise SandboxError(f"expression exceeded its time budget ({self.max_seconds:g} s)",
                               hint="simplify the expression or assert over fewer records")

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise SandboxError(f"expression exceeded its step budget ({MAX_STEPS:,} steps)",
                               hint="simplify the expression or assert over fewer records")
        if not self.steps & 0x3F:
            self._clock()

    def charge(self, items: int) -> None:
        """Account for a value of ``items`` items about to be built."""
        if items > MAX_RESULT_LEN:
            raise SandboxError(f"result too large ({items:,} items, limit {MAX_RESULT_LEN:,})",
                               hint="build smaller values")
        self.allocated += items
        if self.allocated > MAX_ALLOCATED:
            raise SandboxError(f"expression built more than {MAX_ALLOCATED:,} items in total",
                               hint="build smaller values, or fewer of them")
        self._clock()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _len(v: Any) -> int:
    return len(v) if isinstance(v, (str, bytes, list, tuple)) else 0


def _deep_size(v: Any, limit: int) -> int:
    """Items (characters of strings, elements of containers, digits of ints) of ``v`` and everything in
    it, counting shared parts once per use; stops counting past ``limit``."""
    total = 0
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, (str, bytes)):
            total += len(x) + 2
        elif isinstance(x, Mapping):
            total += 2 + len(x)
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, (list, tuple, set, frozenset)):
            total += 2 + len(x)
            stack.extend(x)
        elif _is_int(x):
            total += x.bit_length() // 3 + 1
        else:
            total += 8
        if total > limit:
            return total
    return total


def _int_bits(a: int, b: int, op: str) -> None:
    if a > MAX_INT_BITS or b > MAX_INT_BITS or a + b > MAX_INT_BITS:
        raise SandboxError(f"integer too large: {op} would have about {a + b:,} bits (limit {MAX_INT_BITS:,})",
                           hint="integers in expressions are bounded; use float for huge magnitudes")


_FORMAT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")


class _Ops:
    """The guarded operators and sized functions of one evaluation (bound to its budget)."""

    def __init__(self, budget: _Budget) -> None:
        self.b = budget

    def pow(self, a: Any, b: Any) -> Any:
        if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
            bits = (abs(a).bit_length() - 1) * b + 1
            if bits > MAX_INT_BITS:
                raise SandboxError(f"integer too large: {a if a.bit_length() < 64 else 'a huge number'} ** {b} "
                                   f"has about {bits:,} bits (limit {MAX_INT_BITS:,})",
                                   hint="integers in expressions are bounded; use float for huge magnitudes")
        elif isinstance(b, (int, float)) and isinstance(a, Decimal) and abs(b) > MAX_INT_BITS:
            raise SandboxError(f"exponent {b} is too large")
        try:
            return a**b
        except OverflowError as e:
            raise SandboxError(f"{e}: {type(a).__name__} ** {type(b).__name__}") from None

    def mul(self, a: Any, b: Any) -> Any:
        if _is_int(a) and _is_int(b):
            _int_bits(a.bit_length(), b.bit_length(), "this product")
        elif _len(a) and _is_int(b):
            self.b.charge(_len(a) * max(b, 0))
        elif _len(b) and _is_int(a):
            self.b.charge(_len(b) * max(a, 0))
        return a * b

    def add(self, a: Any, b: Any) -> Any:
        if _len(a) or _len(b):
            self.b.charge(_len(a) + _len(b))
        return a + b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, str):  # printf-style formatting: widths and the size of what is formatted
            for m in _FORMAT.finditer(a):
                for part in (m.group(1), m.group(2)):
                    if part == "*":
                        raise SandboxError("'*' widths are not allowed in '%' formats")
                    if part and int(part) > MAX_FORMAT_WIDTH:
                        raise SandboxError(f"format width {part} is too large (limit {MAX_FORMAT_WIDTH})")
            self.b.charge(len(a) + _deep_size(b, MAX_RESULT_LEN) + 16 * a.count("%"))
        return a % b

    def sized(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        budget = self.b

        def call(*args: Any, **kwargs: Any) -> Any:
            if name in ("str", "concat"):
                remaining = max(0, min(MAX_RESULT_LEN, MAX_ALLOCATED - budget.allocated))
                need = sum(_deep_size(a, remaining) for a in args)
                if need > remaining:
                    raise SandboxError(f"{name}() of this value would be too large (limit {MAX_RESULT_LEN:,} "
                                       "characters)", hint="format smaller values")
            elif args and isinstance(args[0], (str, bytes, list, tuple, set, frozenset, dict)):
                budget.charge(len(args[0]))
            out = fn(*args, **kwargs)
            if isinstance(out, (str, list, tuple, set)) and name in ("str", "concat"):
                budget.charge(len(out))
            elif isinstance(out, (list, set)) and not (args and isinstance(args[0], (str, bytes, list, tuple, set,
                                                                                     frozenset, dict))):
                budget.charge(len(out))  # built from a generator: each item was a step already
            return out

        return call


class Watch:
    """Observes an evaluation: which sequences were iterated to the end (and how many items they had) and
    which fields were read from which mappings. Template assertions use it to tell "checked nothing"
    (a loop over no records, a field no record has) from "checked and passed"."""

    def __init__(self) -> None:
        self.iterated: list[tuple[Any, int]] = []  # (sequence, items) for each loop that ran to its end
        self.hits: dict[str, list[Any]] = {}  # field -> the mappings it was read from that have it
        self.misses: dict[str, list[Any]] = {}  # field -> the mappings it was read from that lack it
        # all() of a filtered comprehension: its filter's text -> [items the filter looked at, items it kept]
        self.filters: dict[str, list[int]] = {}

    def vacuous(self) -> tuple[str, int] | None:
        """A filter of ``all(… if F)`` that looked at items and kept none (all() of nothing is true): its
        text and how many items it looked at."""
        return next(((text, seen) for text, (seen, kept) in self.filters.items() if seen and not kept), None)

    def field(self, obj: Any, name: str, present: bool) -> None:
        reads = self.hits if present else self.misses
        found = reads.get(name)
        if found is None:
            reads[name] = [obj]
        else:
            found.append(obj)


def _field(obj: Any, name: str, watch: Watch | None = None) -> Any:
    if type(obj) is dict or isinstance(obj, Mapping):  # a record (a dict) without the ABC check's cost
        if watch is not None:
            watch.field(obj, name, name in obj)
        return obj.get(name)
    getter = getattr(type(obj), "__sandbox_field__", None)
    if getter is not None:
        return getter(obj, name)
    raise SandboxError(f"'.{name}' can only read fields of records and template values, not of "
                       f"{type(obj).__name__}")


class CompiledExpression:
    """An expression checked and compiled once; ``evaluate`` runs it against an environment, under a
    fresh budget each time (one template, one record's derived field)."""

    def __init__(self, text: str, code: Any, functions: Mapping[str, Callable[..., Any]], max_seconds: float,
                 filters: Sequence[str] = ()) -> None:
        self.text = text
        self._filters = list(filters)
        self._code = code
        self._functions = dict(functions)
        self._budget = _Budget(max_seconds)

    def evaluate(self, env: Mapping[str, Any] | None = None, watch: Watch | None = None) -> Any:
        budget = self._budget
        budget.start()

        def guarded_iter(xs: Any) -> Any:
            n = 0
            for x in xs:
                budget.tick()
                n += 1
                yield x
            if watch is not None:
                watch.iterated.append((xs, n))

        scope = self._scope(_Ops(budget), guarded_iter, watch)
        if env:
            scope.update(env)
        return self._run(scope)

    def evaluate_rows(self, columns: Mapping[str, Sequence[Any]], count: int) -> Iterator[Any]:
        """The value for each of ``count`` rows, each name of ``columns`` bound to its value in that row.
        The scope is built once for all rows (expressions cannot assign, so no row sees another's
        names); each row has its own budget, as with ``evaluate``."""
        budget = self._budget

        def guarded_iter(xs: Any) -> Any:
            for x in xs:
                budget.tick()
                yield x

        scope = self._scope(_Ops(budget), guarded_iter, None)
        names = list(columns)
        cols = [columns[k] for k in names]
        for i in range(count):
            for k, col in zip(names, cols):
                scope[k] = col[i]
            budget.start()
            yield self._run(scope)

    def _scope(self, ops: _Ops, guarded_iter: Callable[[Any], Any], watch: Watch | None) -> dict[str, Any]:
        def field(obj: Any, name: str) -> Any:
            return _field(obj, name, watch)

        counts = [[0, 0] for _ in self._filters]
        if watch is not None:
            for text, c in zip(self._filters, counts):
                watch.filters[text] = c

        def seen(k: int, value: Any) -> Any:
            counts[k][0] += 1
            return value

        def kept(k: int, value: Any) -> Any:
            counts[k][1] += 1
            return value

        scope: dict[str, Any] = {"__builtins__": {}, "__field": field if watch is not None else _field,
                                 "__pow": ops.pow, "__mul": ops.mul, "__add": ops.add, "__mod": ops.mod,
                                 "__iter": guarded_iter, "__seen": seen, "__kept": kept}
        scope.update(self._functions)
        for name in _SIZED:
            if name in scope:
                scope[name] = ops.sized(name, scope[name])
        return scope

    def _run(self, scope: dict[str, Any]) -> Any:
        try:
            return eval(self._code, scope)
        except SandboxError:
            raise
        except RecursionError:
            raise SandboxError(f"expression {self.text!r} nests too deeply") from None
        except MemoryError:
            raise SandboxError(f"expression {self.text!r} ran out of memory") from None
        except Exception as e:
            raise SandboxError(f"{type(e).__name__} evaluating {self.text!r}: {e}") from None


def compile_expression(text: str, *, functions: Mapping[str, Callable[..., Any]] | None = None,
                       names: Collection[str] | None = None, max_seconds: float = DEFAULT_SECONDS) -> CompiledExpression:
    """Check ``text`` against the whitelist and compile it. ``names`` limits the free names (None: any)."""
    if not isinstance(text, str):
        raise SandboxError(f"expression must be text, got {type(text).__name__}")
    if len(text) > MAX_SOURCE:
        raise SandboxError(f"expression is too long ({len(text)} characters, limit {MAX_SOURCE})")
    funcs = dict(DEFAULT_FUNCTIONS if functions is None else functions)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        where = f"column {e.offset}" if e.offset and e.offset <= len(text.strip()) else "at the end: it stops too early"
        raise SandboxError(f"invalid expression {_shown(text)}: {e.msg} ({where})",
                           hint="expressions use Python-like syntax: a > 0 and b in ['x', 'y']") from None
    except (ValueError, RecursionError, MemoryError) as e:
        raise SandboxError(f"invalid expression {_shown(text)}: {e}") from None
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise SandboxError(f"expression nested too deeply ({depth} levels, limit {MAX_DEPTH}): {_shown(text)}",
                           hint="split it with variables, or write the repetition once")
    _Checker(text, names, funcs).visit(tree)
    guard = _Guard()
    guarded = ast.fix_missing_locations(guard.visit(tree))
    code = compile(guarded, "<expression>", "eval")
    return CompiledExpression(text, code, funcs, max_seconds, guard.filters)


def _shown(text: str, limit: int = 200) -> str:
    """An expression as an error message quotes it: at most ``limit`` characters of it."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} characters)"


def _depth(tree: ast.AST) -> int:
    """How deep the syntax tree goes, counted without recursion (a checker that recurses would hit Python's
    recursion limit on `not not … x` long before the expression's length limit)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


def evaluate(text: str, env: Mapping[str, Any] | None = None, **kw: Any) -> Any:
    """Compile and evaluate once (for one-off expressions)."""
    return compile_expression(text, **kw).evaluate(env)


def names_used(text: str) -> set[str]:
    """The free names an expression reads (for ordering derived fields); empty if it does not parse."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
