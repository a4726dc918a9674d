"""Derived fields computed a column at a time.

A derived expression (``round(price * volume, 2)``) is checked by the sandbox first; then, when every
name it reads is a numeric column without NULLs and every operation in it has a numpy equivalent that
gives exactly the value Python gives, it runs once over whole numpy columns. Anything else (strings,
NULLs, ``random()``, an integer that could overflow, a division by zero, NaN) runs row by row through
the same compiled sandbox expression, so the values never depend on which path ran.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any

import numpy as np

_INT_SAFE = 2**62  # int64 arithmetic below this magnitude cannot overflow in one + - * step
_FLOAT_EXACT = 2**53  # integers up to here convert to float64 and compare with floats exactly


class _NotVectorizable(Exception):
    """This expression (or these columns) must run row by row to give Python's exact values."""


def _kind(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return v.dtype.kind
    if isinstance(v, bool):
        return "b"
    if isinstance(v, int):
        return "i"
    if isinstance(v, float):
        return "f"
    raise _NotVectorizable


def _max_abs(v: Any) -> float:
    if isinstance(v, np.ndarray):
        return float(np.max(np.abs(v))) if v.size else 0.0
    return abs(float(v))


def _as_number(v: Any) -> Any:
    """Booleans take part in arithmetic as the integers 0 and 1, as in Python."""
    if _kind(v) == "b":
        return v.astype(np.int64) if isinstance(v, np.ndarray) else int(v)
    return v


def _as_float(v: Any) -> Any:
    if _kind(v) == "f":
        return v
    if _max_abs(v) > _FLOAT_EXACT:
        raise _NotVectorizable
    return v.astype(np.float64) if isinstance(v, np.ndarray) else float(v)


def _finite(v: Any) -> None:
    if _kind(v) == "f" and not np.all(np.isfinite(v)):
        raise _NotVectorizable  # NaN and infinities: Python's min/max/round/int differ from numpy's


class _Columns(ast.NodeVisitor):
    """Evaluates a checked expression tree over whole columns, or raises _NotVectorizable."""

    def __init__(self, arrays: Mapping[str, np.ndarray], n: int) -> None:
        self.arrays = arrays
        self.n = n

    def generic_visit(self, node: ast.AST) -> Any:
        raise _NotVectorizable

    def visit_Expression(self, node: ast.Expression) -> Any:
        return self.visit(node.body)

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in ("True", "False"):
            return node.id == "True"
        arr = self.arrays.get(node.id)
        if arr is None:
            raise _NotVectorizable
        return arr

    def visit_Constant(self, node: ast.Constant) -> Any:
        if isinstance(node.value, (bool, int, float)):
            return node.value
        raise _NotVectorizable

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        v = _as_number(self.visit(node.operand))
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.USub):
            if _kind(v) == "i" and _max_abs(v) >= _INT_SAFE:
                raise _NotVectorizable
            return -v
        raise _NotVectorizable

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        a, b = _as_number(self.visit(node.left)), _as_number(self.visit(node.right))
        op = node.op
        ints = _kind(a) == "i" and _kind(b) == "i"
        if isinstance(op, (ast.Add, ast.Sub, ast.Mult)):
            if ints:
                limit = _max_abs(a) * _max_abs(b) if isinstance(op, ast.Mult) else _max_abs(a) + _max_abs(b)
                if limit >= _INT_SAFE:
                    raise _NotVectorizable
            else:
                a, b = _as_float(a), _as_float(b)
            out = a + b if isinstance(op, ast.Add) else (a - b if isinstance(op, ast.Sub) else a * b)
            return out if isinstance(out, np.ndarray) else np.full(self.n, out)
        if isinstance(op, ast.Div):
            a, b = _as_float(a), _as_float(b)
            if np.any(np.asarray(b) == 0):
                raise _NotVectorizable  # the row-by-row path raises Python's error on the right record
            return np.broadcast_to(np.asarray(a / b, dtype=np.float64), (self.n,)).copy()
        if isinstance(op, (ast.FloorDiv, ast.Mod)) and ints:
            if np.any(np.asarray(b) == 0) or _max_abs(a) >= _INT_SAFE:
                raise _NotVectorizable
            out = np.floor_divide(a, b) if isinstance(op, ast.FloorDiv) else np.remainder(a, b)
            return np.broadcast_to(np.asarray(out, dtype=np.int64), (self.n,)).copy()
        raise _NotVectorizable

    def visit_Compare(self, node: ast.Compare) -> Any:
        if len(node.ops) != 1:
            raise _NotVectorizable  # chained comparisons short-circuit
        a, b = _as_number(self.visit(node.left)), _as_number(self.visit(node.comparators[0]))
        if _kind(a) != _kind(b):  # Python compares an int and a float exactly; numpy through float64
            a, b = _as_float(a), _as_float(b)
        ops: dict[type, Callable[[Any, Any], Any]] = {
            ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
            ast.Gt: np.greater, ast.GtE: np.greater_equal}
        fn = ops.get(type(node.ops[0]))
        if fn is None:
            raise _NotVectorizable
        return np.broadcast_to(fn(a, b), (self.n,)).copy()

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        test = self.visit(node.test)
        yes, no = self.visit(node.body), self.visit(node.orelse)
        if _kind(yes) != _kind(no):
            raise _NotVectorizable  # Python would give a mix of types row by row
        _finite(test)
        return _column(np.where(np.asarray(test) != 0, yes, no), self.n)

    def visit_Call(self, node: ast.Call) -> Any:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if node.keywords or name not in _FUNCTIONS:
            raise _NotVectorizable
        return _FUNCTIONS[name](self, [self.visit(a) for a in node.args])


def _column(v: Any, n: int) -> np.ndarray:
    """A value as a column of ``n`` rows (a constant, or a 0-d result of constants, repeated)."""
    if isinstance(v, np.ndarray) and v.shape == (n,):
        return v
    return np.broadcast_to(np.asarray(v), (n,)).copy()


def _round(cols: _Columns, args: list[Any]) -> Any:
    if not args or len(args) > 2:
        raise _NotVectorizable
    x = _as_number(args[0])
    digits = args[1] if len(args) == 2 else None
    if digits is not None and (isinstance(digits, np.ndarray) or _kind(digits) != "i"):
        raise _NotVectorizable
    if _kind(x) == "i":
        if digits is not None and digits < 0:
            raise _NotVectorizable
        return _column(x, cols.n)
    _finite(x)
    if digits is None:  # round(float) is an int, halves to even like np.rint
        if _max_abs(x) >= _INT_SAFE:
            raise _NotVectorizable
        return _column(np.rint(x).astype(np.int64), cols.n)
    # Python's own round, exact to its decimal rounding, at C speed over the column
    return np.fromiter(map(round, _column(x, cols.n).tolist(), repeat(int(digits))), dtype=np.float64,
                       count=cols.n)


def _abs(cols: _Columns, args: list[Any]) -> Any:
    if len(args) != 1:
        raise _NotVectorizable
    x = _as_number(args[0])
    if _kind(x) == "i" and _max_abs(x) >= _INT_SAFE:
        raise _NotVectorizable
    return _column(np.abs(x), cols.n)


def _extreme(fn: Callable[[Any, Any], Any]) -> Callable[[_Columns, list[Any]], Any]:
    def call(cols: _Columns, args: list[Any]) -> Any:
        if len(args) < 2 or len({_kind(a) for a in args}) != 1:
            raise _NotVectorizable  # min(xs) of one iterable, or a mix of int and float
        for a in args:
            _finite(a)
            if _kind(a) == "f" and np.any(np.signbit(a) & (np.asarray(a) == 0)):
                raise _NotVectorizable  # which zero Python keeps depends on the argument order
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        return _column(out, cols.n)

    return call


def _floor_ceil(fn: Callable[[Any], Any]) -> Callable[[_Columns, list[Any]], Any]:
    def call(cols: _Columns, args: list[Any]) -> Any:
        if len(args) != 1:
            raise _NotVectorizable
        x = _as_number(args[0])
        if _kind(x) == "i":
            return _column(x, cols.n)
        _finite(x)
        if _max_abs(x) >= _INT_SAFE:
            raise _NotVectorizable
        return _column(fn(x).astype(np.int64), cols.n)

    return call


def _to_float(cols: _Columns, args: list[Any]) -> Any:
    if len(args) != 1:
        raise _NotVectorizable
    return _column(_as_float(_as_number(args[0])), cols.n)


def _to_int(cols: _Columns, args: list[Any]) -> Any:
    if len(args) != 1:
        raise _NotVectorizable
    x = _as_number(args[0])
    if _kind(x) == "i":
        return _column(x, cols.n)
    _finite(x)
    if _max_abs(x) >= _INT_SAFE:
        raise _NotVectorizable
    return _column(np.trunc(x).astype(np.int64), cols.n)


def _sqrt(cols: _Columns, args: list[Any]) -> Any:
    if len(args) != 1:
        raise _NotVectorizable
    x = _as_float(_as_number(args[0]))
    if np.any(np.asarray(x) < 0):
        raise _NotVectorizable  # math.sqrt raises; the row-by-row path says on which record
    return _column(np.sqrt(x), cols.n)


_FUNCTIONS: dict[str, Callable[[_Columns, list[Any]], Any]] = {
    "round": _round, "abs": _abs, "min": _extreme(np.minimum), "max": _extreme(np.maximum),
    "floor": _floor_ceil(np.floor), "ceil": _floor_ceil(np.ceil), "float": _to_float, "int": _to_int,
    "sqrt": _sqrt,
}


def evaluate_columns(expression: str, arrays: Mapping[str, np.ndarray], n: int) -> np.ndarray | None:
    """The expression's values for all ``n`` rows as one numpy column, or None when it must run row by
    row. ``arrays`` holds the numeric columns without NULLs (int64, float64 or bool)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        out = _Columns(arrays, n).visit(tree)
    except (_NotVectorizable, SyntaxError, RecursionError, OverflowError, FloatingPointError):
        return None
    if not isinstance(out, np.ndarray) or out.shape != (n,) or out.dtype.kind not in "bif":
        return None
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        return None
    return out


def coerce_column(values: np.ndarray, kind: str) -> list[Any] | None:
    """A computed column as the field's type, when that needs no per-value Python work; else None."""
    k = values.dtype.kind
    if kind not in ("integer", "float", "decimal", "boolean", "string"):
        return values.tolist()  # other kinds keep the computed value as it is
    if kind == "integer" and k in "ib":
        return values.astype(np.int64).tolist()
    if kind == "integer" and k == "f":
        if float(np.max(np.abs(values), initial=0.0)) >= _INT_SAFE:
            return None
        return np.trunc(values).astype(np.int64).tolist()  # int(float) truncates
    if kind == "float" and k == "f":
        return values.tolist()
    if kind == "float" and k in "ib":
        if float(np.max(np.abs(values.astype(np.float64)), initial=0.0)) > _FLOAT_EXACT:
            return None
        return values.astype(np.float64).tolist()
    if kind == "boolean" and k == "b":
        return values.tolist()
    return None


__all__ = ["coerce_column", "evaluate_columns"]
