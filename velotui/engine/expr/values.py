"""Values and their rules: NULL logic, comparisons, numeric promotion, the string rule, text, CAST.

Every helper here is NULL-safe and never raises on bad data: a row error goes to the ``RowErrors`` sink
and the value becomes NULL (SQL_SEMANTICS.md §2, §10), except a failed CAST, which drops the whole record
to the dead letters (``DropRecord``, REFERENCE_BEHAVIOUR.md D16).

The rules, in one place (docs/SQL.md "Values and operators" says the same):
- Comparisons follow the reference engine: ``NULL = NULL`` is TRUE, ``x != NULL`` is TRUE for a non-NULL
  x, ordering with a NULL is FALSE. ``'sql.null_semantics' = 'standard'`` gives three-valued logic.
- Numbers: INTEGER op INTEGER stays INTEGER (Python ints: exact at any size); with FLOAT it is FLOAT; with
  DECIMAL it is DECIMAL (a FLOAT operand converted through its shortest repr); ``/`` of two INTEGERs is
  FLOAT; DECIMAL ``/`` rounds half-even to 8 places; division or modulo by zero is NULL plus a row error.
- The string rule: arithmetic is on numbers. A string operand that reads as a number (``'42'``,
  ``'-1.5'``, ``'2e3'``: no spaces, no NaN or infinity) is used as that number (integer syntax gives an
  INTEGER, any other a FLOAT); any other string, a BOOLEAN, an array or a map makes the result NULL with a
  ``wrong_type`` row error. ``'x' + 'y'`` is NULL, not ``'xy'``; ``'3' * 2`` is 6, not ``'33'``. Text is
  joined with ``||`` or CONCAT.
- Comparing a string with a number compares numbers when the string reads as one, else text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from velotui.engine.expr.errors import DropRecord, RowErrors

DIV_SCALE = Decimal("0.00000001")
_INT_TEXT = re.compile(r"[+-]?\d+")
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
MAX_NUMBER_TEXT = 400  # longer numeric text is not read as a number (Python's int() refuses > 4300 digits)


# -- reading text as a number (the string rule) -------------------------------------------------------
def number_from_text(text: str) -> int | float | None:
    """The number a string reads as (integer syntax → int, decimal/exponent syntax → float), else None."""
    if len(text) > MAX_NUMBER_TEXT:
        return None
    if _INT_TEXT.fullmatch(text):
        return int(text)
    if _NUMBER_TEXT.fullmatch(text):
        v = float(text)
        return v if math.isfinite(v) else None
    return None


def as_number(v: Any, errors: RowErrors) -> Any:
    """An arithmetic operand as a number, else None with a wrong_type row error (the string rule)."""
    t = type(v)
    if t is int or t is float or t is Decimal:
        return v
    if t is str:
        n = number_from_text(v)
        if n is None:
            errors("wrong_type", f"{v!r} is not a number")
        return n
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        errors("wrong_type", f"{to_text(v)!r} ({type_name(v)}) is not a number")
        return None
    return v


def type_name(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "BOOLEAN"
    if isinstance(v, int):
        return "INTEGER"
    if isinstance(v, float):
        return "FLOAT"
    if isinstance(v, Decimal):
        return "DECIMAL"
    if isinstance(v, str):
        return "STRING"
    if isinstance(v, list):
        return "ARRAY"
    if isinstance(v, dict):
        return "MAP"
    return type(v).__name__


# -- comparisons ---------------------------------------------------------------------------------
def _coerce_pair(a: Any, b: Any) -> tuple[Any, Any]:
    """Make two values comparable: numbers with numbers, Decimal with float, numeric strings with numbers."""
    ta, tb = type(a), type(b)
    if ta is tb:
        return a, b
    if isinstance(a, bool) or isinstance(b, bool):
        return (str(a).lower() if isinstance(a, bool) else a), (str(b).lower() if isinstance(b, bool) else b)
    if isinstance(a, Decimal) and isinstance(b, float):
        return float(a), b
    if isinstance(b, Decimal) and isinstance(a, float):
        return a, float(b)
    if isinstance(a, str) and isinstance(b, (int, float, Decimal)):
        n = number_from_text(a.strip())
        return (a, str(b)) if n is None else (_same_kind(n, b), b)
    if isinstance(b, str) and isinstance(a, (int, float, Decimal)):
        n = number_from_text(b.strip())
        return (str(a), b) if n is None else (a, _same_kind(n, a))
    return a, b


def _same_kind(n: int | float, like: Any) -> Any:
    if isinstance(like, Decimal):
        return Decimal(repr(n)) if isinstance(n, float) else Decimal(n)
    return n


def eq(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if a == b:
        return True
    x, y = _coerce_pair(a, b)
    try:
        return bool(x == y)
    except TypeError:
        return False


def ne(a: Any, b: Any) -> bool:
    return not eq(a, b)


def _ord(a: Any, b: Any, op: Callable[[Any, Any], bool]) -> bool:
    if a is None or b is None:
        return False
    try:
        return op(a, b)
    except TypeError:
        pass
    x, y = _coerce_pair(a, b)
    try:
        return op(x, y)
    except TypeError:
        return op(to_text(x), to_text(y))


def lt(a: Any, b: Any) -> bool:
    return _ord(a, b, lambda x, y: x < y)


def le(a: Any, b: Any) -> bool:
    return _ord(a, b, lambda x, y: x <= y)


def gt(a: Any, b: Any) -> bool:
    return _ord(a, b, lambda x, y: x > y)


def ge(a: Any, b: Any) -> bool:
    return _ord(a, b, lambda x, y: x >= y)


# three-valued variants ('sql.null_semantics' = 'standard')
def eq3(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else eq(a, b)


def ne3(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else not eq(a, b)


def lt3(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else lt(a, b)


def le3(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else le(a, b)


def gt3(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else gt(a, b)


def ge3(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else ge(a, b)


def and3(a: Any, b: Any) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return bool(a) and bool(b)


def or3(a: Any, b: Any) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return bool(a) or bool(b)


def not3(a: Any) -> bool | None:
    return None if a is None else not a


def truth(v: Any) -> bool:
    """WHERE/HAVING/CASE truth: only TRUE passes (NULL and FALSE do not)."""
    return v is True or (v is not None and v is not False and bool(v))


def in_list(x: Any, values: tuple[Any, ...]) -> bool:
    return any(eq(x, v) for v in values)


def in_list3(x: Any, values: tuple[Any, ...]) -> bool | None:
    if x is None:
        return None
    if any(v is not None and eq(x, v) for v in values):
        return True
    return None if any(v is None for v in values) else False


# -- exact keys (joins, IN (SELECT …), GROUP BY, DISTINCT) ----------------------------------------------
def key_of(v: Any) -> Any:
    """A hashable key that compares numbers by exact value: ``1``, ``1.0`` and ``Decimal('1.00')`` are one
    key, integers above 2**53 stay distinct (no float conversion), text stays text, arrays and maps become
    tuples."""
    t = type(v)
    if t is str or t is int or v is None or t is bool:
        return v
    if t is float:
        if v.is_integer() and math.isfinite(v):
            return int(v)  # 2.0 is the key of 2; exact, since the float's value is that integer
        return v  # a non-integral float: the Decimal of the same value hashes equal (Python's numeric hash)
    if t is Decimal:
        if v.is_finite() and v == v.to_integral_value():
            return int(v)
        return Decimal("NaN") if v.is_snan() else v  # a signaling NaN cannot be hashed: a NaN as any other
    if isinstance(v, (list, tuple)):
        return tuple(key_of(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((str(k), key_of(x)) for k, x in v.items()))
    return v


def less(a: Any, b: Any) -> bool:
    """``a < b`` where values are put in order (ORDER BY, RANK, DENSE_RANK): values of types Python cannot
    order against each other (a number and a text, an array and a map, a DECIMAL NaN) compare by their text.
    Never raises."""
    try:
        return bool(a < b)
    except (TypeError, ArithmeticError):  # ArithmeticError: decimal.InvalidOperation (a DECIMAL NaN)
        return str(a) < str(b)


# -- arithmetic ----------------------------------------------------------------------------------
def _mix(a: Any, b: Any) -> tuple[Any, Any]:
    if type(a) is Decimal and type(b) is not Decimal:
        return a, Decimal(repr(b)) if isinstance(b, float) else Decimal(b)
    if type(b) is Decimal and type(a) is not Decimal:
        return Decimal(repr(a)) if isinstance(a, float) else Decimal(a), b
    return a, b


def make_arith(errors: RowErrors) -> dict[str, Callable[..., Any]]:
    """``+ - * / %`` and unary minus under the rules of this module, reporting row errors to ``errors``."""

    def arith(op: Callable[[Any, Any], Any], sign: str) -> Callable[[Any, Any], Any]:
        def f(a: Any, b: Any) -> Any:
            if a is None or b is None:
                return None
            x, y = as_number(a, errors), as_number(b, errors)
            if x is None or y is None:
                return None
            try:
                return op(*_mix(x, y))
            except (ArithmeticError, InvalidOperation) as e:
                errors("arithmetic", f"{to_text(a)} {sign} {to_text(b)}: {e}")
                return None

        return f

    def div(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        x, y = as_number(a, errors), as_number(b, errors)
        if x is None or y is None:
            return None
        if y == 0:
            errors("division_by_zero", "division by zero")
            return None
        try:
            if type(x) is Decimal or type(y) is Decimal:
                p, q = _mix(x, y)
                return (p / q).quantize(DIV_SCALE, rounding=ROUND_HALF_EVEN)
            return x / y  # INTEGER / INTEGER gives FLOAT, as the reference engine does
        except (ArithmeticError, InvalidOperation) as e:
            errors("arithmetic", f"cannot divide {to_text(a)} by {to_text(b)}: {e}")
            return None

    def mod(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        x, y = as_number(a, errors), as_number(b, errors)
        if x is None or y is None:
            return None
        if y == 0:
            errors("division_by_zero", "modulo by zero")
            return None
        try:
            p, q = _mix(x, y)
            if isinstance(p, float) or isinstance(q, float):
                return math.fmod(p, q)
            if isinstance(p, Decimal):
                return p % q
            r = abs(p) % abs(q)  # exact at any size, with the sign of the dividend (as SQL)
            return -r if p < 0 else r
        except (ArithmeticError, InvalidOperation, ValueError) as e:  # ValueError: math.fmod of an infinity
            errors("arithmetic", f"cannot take {to_text(a)} modulo {to_text(b)}: {e}")
            return None

    def neg(a: Any) -> Any:
        if a is None:
            return None
        x = as_number(a, errors)
        return None if x is None else -x

    return {"add": arith(lambda x, y: x + y, "+"), "sub": arith(lambda x, y: x - y, "-"),
            "mul": arith(lambda x, y: x * y, "*"), "div": div, "mod": mod, "neg": neg}


# the fast path's arithmetic: what Python computes exactly as SQL does, else an exception (never a row
# error): the row is then re-run on the helpers above, which apply the rules and record the errors
_NUM = (int, float)


def fail() -> Any:
    raise TypeError("not plain numbers")


def _fast_arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def f(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        ta, tb = type(a), type(b)
        if (ta in _NUM or ta is Decimal) and (tb in _NUM or tb is Decimal):
            return op(*_mix(a, b))
        raise TypeError("not numbers")

    return f


fast_add = _fast_arith(lambda x, y: x + y)
fast_sub = _fast_arith(lambda x, y: x - y)
fast_mul = _fast_arith(lambda x, y: x * y)


def fast_div(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if type(a) in _NUM and type(b) in _NUM and b:
        return a / b
    raise TypeError("not plain numbers, or division by zero")


def fast_mod(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if type(a) is int and type(b) is int and b:
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    raise TypeError("not integers, or modulo by zero")


def fast_neg(a: Any) -> Any:
    if a is None:
        return None
    if type(a) in _NUM or type(a) is Decimal:
        return -a
    raise TypeError("not a number")


def concat_op(a: Any, b: Any) -> Any:
    """``a || b``: NULL when either side is NULL."""
    if a is None or b is None:
        return None
    return to_text(a) + to_text(b)


def to_text(v: Any) -> str | None:
    """Canonical text of a value (CAST AS STRING)."""
    if v is None:
        return None
    if type(v) is str:
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, (dict, list)):
        from velotui.datafiles import json_bytes

        return json_bytes(v).decode()
    return str(v)


# -- CAST (a failure drops the record: REFERENCE_BEHAVIOUR.md D16) --------------------------------------
def parse_timestamp(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, Decimal)):
        try:
            return int(v)
        except (ValueError, OverflowError):
            return None
    text = str(v).strip()
    if len(text) <= 30 and re.fullmatch(r"-?\d+", text):
        return int(text)
    from velotui.timefmt import iso_to_ms

    return iso_to_ms(text)


CAST_TARGETS = {
    "INTEGER": ("INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "LONG"),
    "FLOAT": ("FLOAT", "DOUBLE", "REAL", "DOUBLE PRECISION"),
    "DECIMAL": ("DECIMAL", "NUMERIC", "BIGDECIMAL"),
    "STRING": ("STRING", "VARCHAR", "TEXT", "CHAR", "NVARCHAR"),
    "BOOLEAN": ("BOOLEAN", "BOOL"),
    "TIMESTAMP": ("TIMESTAMP", "DATETIME", "TIMESTAMPTZ", "TIMESTAMPLTZ"),
    "DATE": ("DATE",),
}
_CAST_KIND = {alias: kind for kind, names in CAST_TARGETS.items() for alias in names}


def cast_kind(target: str) -> str | None:
    """The value type a CAST target names (``BIGINT`` → INTEGER), or None when it is not a target."""
    return _CAST_KIND.get(target.upper())


def make_cast(target: str, scale: int | None) -> Callable[[Any], Any]:
    """CAST to ``target``. A value that does not convert raises DropRecord: the record is not emitted and
    goes to the dead letters with the error (the reference engine's semantics, D16). A string converts to
    INTEGER only when it is an integer literal (``'7'``, ``'-12'``: no fraction, no exponent, no spaces),
    to FLOAT/DECIMAL when it is a number literal."""
    kind = cast_kind(target)
    if kind is None:
        raise ValueError(target)
    shown = {"INT": "INTEGER"}.get(target.upper(), target.upper())  # sqlglot writes INTEGER as INT

    def bad(v: Any, why: str = "") -> Any:
        raise DropRecord("cast", f"CAST({to_text(v)!r} AS {shown}) failed" + (f": {why}" if why else ""))

    if kind == "INTEGER":
        def to_int(v: Any) -> Any:
            if v is None:
                return None
            t = type(v)
            if t is int:
                return v
            if t is bool:
                return int(v)
            if t is float or t is Decimal:
                if not (math.isfinite(v) if t is float else v.is_finite()):
                    return bad(v)
                return int(v)  # truncates toward zero
            if t is str:
                if len(v) <= MAX_NUMBER_TEXT and _INT_TEXT.fullmatch(v):
                    return int(v)
                return bad(v, "only an integer literal converts to INTEGER")
            return bad(v)
        return to_int
    if kind == "FLOAT":
        def to_float(v: Any) -> Any:
            if v is None:
                return None
            if isinstance(v, (int, float, Decimal)):
                try:
                    return float(v)
                except OverflowError:
                    return bad(v, "too large")
            if isinstance(v, str) and len(v) <= MAX_NUMBER_TEXT and _NUMBER_TEXT.fullmatch(v):
                return float(v)
            return bad(v)
        return to_float
    if kind == "DECIMAL":
        q = Decimal(1).scaleb(-scale) if scale is not None else None

        def to_dec(v: Any) -> Any:
            if v is None:
                return None
            if isinstance(v, bool):
                d = Decimal(int(v))
            elif isinstance(v, float):
                if not math.isfinite(v):
                    return bad(v)
                d = Decimal(repr(v))
            elif isinstance(v, (int, Decimal)):
                d = Decimal(v)
            elif isinstance(v, str) and len(v) <= MAX_NUMBER_TEXT and _NUMBER_TEXT.fullmatch(v):
                d = Decimal(v)
            else:
                return bad(v)
            try:
                return d.quantize(q, rounding=ROUND_HALF_EVEN) if q is not None else d
            except InvalidOperation:
                return bad(v, "too many digits")
        return to_dec
    if kind == "STRING":
        return to_text
    if kind == "BOOLEAN":
        def to_bool(v: Any) -> Any:
            if v is None or isinstance(v, bool):
                return v
            if isinstance(v, (int, float, Decimal)):
                return v != 0
            text = str(v).strip().lower()
            if text in ("true", "t", "1", "yes"):
                return True
            if text in ("false", "f", "0", "no"):
                return False
            return bad(v)
        return to_bool
    if kind == "TIMESTAMP":
        def to_ts(v: Any) -> Any:
            if v is None:
                return None
            out = parse_timestamp(v)
            return bad(v) if out is None else out
        return to_ts

    def to_date(v: Any) -> Any:
        if v is None:
            return None
        ms = parse_timestamp(v)
        if ms is None:
            return bad(v)
        try:
            return datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return bad(v, "out of range")
    return to_date


# -- LIKE ------------------------------------------------------------------------------------------
def like_regex(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


__all__ = ["CAST_TARGETS", "DIV_SCALE", "DropRecord", "RowErrors", "and3", "as_number", "cast_kind",
           "concat_op", "eq", "eq3", "ge", "ge3", "gt", "gt3", "in_list", "in_list3", "key_of", "le", "le3",
           "like_regex", "lt", "lt3", "make_arith", "make_cast", "ne", "ne3", "not3", "number_from_text",
           "or3", "parse_timestamp", "to_text", "truth", "type_name"]
