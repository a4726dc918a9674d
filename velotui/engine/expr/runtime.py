"""Values and functions at run time: the NULL rules, numbers, CAST, and the function catalogue.

Every helper here is NULL-safe and never raises on bad data: a row error is reported through the
``RowErrors`` sink and the value becomes NULL (SQL_SEMANTICS.md §2, §10).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import orjson

DIV_SCALE = Decimal("0.00000001")


class RowErrors:
    """Collects row errors of a query as (error_type, message, context) entries. ``context`` is whatever
    the engine set before evaluating the row (the input message). A compiled row function that falls back
    from its fast path to its safe path first discards the entries the fast attempt made."""

    def __init__(self, sink: Callable[[str, str], None] | None = None) -> None:
        self.sink = sink
        self.entries: list[tuple[str, str, Any]] = []
        self.context: Any = None

    def __call__(self, kind: str, message: str) -> None:
        self.entries.append((kind, message, self.context))

    @property
    def count(self) -> int:
        return len(self.entries)

    def flush(self) -> list[tuple[str, str, Any]]:
        """Hand the collected entries to the sink (and return them)."""
        out, self.entries[:] = list(self.entries), []
        if self.sink is not None:
            for kind, message, _ in out:
                self.sink(kind, message)
        return out


# -- comparisons (reference NULL semantics: NULL = NULL is TRUE; ordering with NULL is FALSE) ---------
def _num(v: Any) -> Any:
    return v


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
        try:
            return type(b)(a) if not isinstance(b, Decimal) else Decimal(a), b
        except (ValueError, InvalidOperation):
            return a, str(b)
    if isinstance(b, str) and isinstance(a, (int, float, Decimal)):
        try:
            return a, (type(a)(b) if not isinstance(a, Decimal) else Decimal(b))
        except (ValueError, InvalidOperation):
            return str(a), b
    return a, b


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
        x, y = _coerce_pair(a, b)
        try:
            return op(x, y)
        except TypeError:
            return op(str(x), str(y))


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


# -- arithmetic --------------------------------------------------------------------------------
def _mix(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, Decimal) and not isinstance(b, Decimal):
        return a, Decimal(repr(b)) if isinstance(b, float) else Decimal(b)
    if isinstance(b, Decimal) and not isinstance(a, Decimal):
        return Decimal(repr(a)) if isinstance(a, float) else Decimal(a), b
    return a, b


def _numeric(v: Any, errors: RowErrors) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v) if v.strip().lstrip("+-").isdigit() else float(v)
        except ValueError:
            errors("wrong_type", f"{v!r} is not a number")
            return None
    return v


def make_arith(errors: RowErrors) -> dict[str, Callable[..., Any]]:
    def arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def f(a: Any, b: Any) -> Any:
            if a is None or b is None:
                return None
            try:
                return op(*_mix(a, b))
            except (TypeError, ValueError):
                x, y = _numeric(a, errors), _numeric(b, errors)
                if x is None or y is None:
                    return None
                try:
                    return op(*_mix(x, y))
                except (TypeError, ArithmeticError) as e:
                    errors("wrong_type", str(e))
                    return None
            except (ArithmeticError, InvalidOperation) as e:
                errors("arithmetic", str(e))
                return None

        return f

    def div(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        a, b = _numeric(a, errors), _numeric(b, errors)
        if a is None or b is None:
            return None
        try:
            if b == 0:
                errors("division_by_zero", "division by zero")
                return None
            if isinstance(a, Decimal) or isinstance(b, Decimal):
                x, y = _mix(a, b)
                return (x / y).quantize(DIV_SCALE, rounding=ROUND_HALF_EVEN)
            return a / b  # INTEGER / INTEGER gives FLOAT, as the reference engine does
        except (TypeError, ValueError, ArithmeticError, InvalidOperation) as e:
            errors("wrong_type", f"cannot divide {a!r} by {b!r}: {e}")
            return None

    def mod(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        a, b = _numeric(a, errors), _numeric(b, errors)
        if a is None or b is None:
            return None
        try:
            if b == 0:
                errors("division_by_zero", "modulo by zero")
                return None
            x, y = _mix(a, b)
            if isinstance(x, float) or isinstance(y, float):
                return math.fmod(x, y)
            if isinstance(x, Decimal):
                return x % y
            return int(math.fmod(x, y))  # sign of the dividend, as SQL
        except (TypeError, ValueError, ArithmeticError, InvalidOperation) as e:
            errors("wrong_type", f"cannot take {a!r} modulo {b!r}: {e}")
            return None

    def neg(a: Any) -> Any:
        if a is None:
            return None
        try:
            return -a
        except TypeError:
            x = _numeric(a, errors)
            try:
                return None if x is None else -x
            except TypeError:
                errors("wrong_type", f"cannot negate {a!r}")
                return None

    return {"add": arith(lambda x, y: x + y), "sub": arith(lambda x, y: x - y),
            "mul": arith(lambda x, y: x * y), "div": div, "mod": mod, "neg": neg}


def concat_op(a: Any, b: Any) -> Any:
    """``a || b``: NULL when either side is NULL."""
    if a is None or b is None:
        return None
    return to_text(a) + to_text(b)


def to_text(v: Any) -> str | None:
    """Canonical text of a value (CAST AS STRING)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, (dict, list)):
        return orjson.dumps(v, default=str).decode()
    return str(v)


# -- CAST ----------------------------------------------------------------------------------------
def _parse_ts(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, Decimal)):
        return int(v)
    text = str(v).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    from velotui.timefmt import iso_to_ms

    return iso_to_ms(text)


def make_cast(target: str, precision: int | None, scale: int | None, errors: RowErrors) -> Callable[[Any], Any]:
    t = target.upper()

    def bad(v: Any) -> None:
        errors("cast", f"cannot CAST {v!r} AS {t}")

    if t in ("INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "LONG"):
        def to_int(v: Any) -> Any:
            if v is None:
                return None
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, int):
                return v
            if isinstance(v, (float, Decimal)):
                if isinstance(v, float) and not math.isfinite(v):
                    return bad(v)
                return int(v)  # truncates toward zero
            try:
                text = str(v).strip()
                return int(text) if re.fullmatch(r"[+-]?\d+", text) else int(float(text))
            except ValueError:
                return bad(v)
        return to_int
    if t in ("FLOAT", "DOUBLE", "REAL", "DOUBLE PRECISION"):
        def to_float(v: Any) -> Any:
            if v is None:
                return None
            if isinstance(v, bool):
                return float(v)
            try:
                return float(v)
            except (ValueError, TypeError):
                return bad(v)
        return to_float
    if t in ("DECIMAL", "NUMERIC"):
        q = Decimal(1).scaleb(-scale) if scale is not None else None

        def to_dec(v: Any) -> Any:
            if v is None:
                return None
            try:
                d = Decimal(repr(v)) if isinstance(v, float) else Decimal(str(v).strip()) if not isinstance(
                    v, bool) else Decimal(int(v))
            except InvalidOperation:
                return bad(v)
            return d.quantize(q, rounding=ROUND_HALF_EVEN) if q is not None else d
        return to_dec
    if t in ("STRING", "VARCHAR", "TEXT", "CHAR", "NVARCHAR"):
        return to_text
    if t in ("BOOLEAN", "BOOL"):
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
    if t in ("TIMESTAMP", "DATETIME", "TIMESTAMPTZ"):
        def to_ts(v: Any) -> Any:
            if v is None:
                return None
            out = _parse_ts(v)
            return bad(v) if out is None else out
        return to_ts
    if t == "DATE":
        def to_date(v: Any) -> Any:
            if v is None:
                return None
            ms = _parse_ts(v)
            if ms is None:
                return bad(v)
            return datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat()
        return to_date
    raise ValueError(t)


# -- LIKE, IN, BETWEEN -------------------------------------------------------------------------
def like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


# -- functions ---------------------------------------------------------------------------------
def _null_if_any(f: Callable[..., Any]) -> Callable[..., Any]:
    def g(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        return f(*args)

    return g


def _round(v: Any, d: Any = 0) -> Any:
    if v is None or d is None:
        return None
    d = int(d)
    if isinstance(v, Decimal):
        return v.quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)
    if isinstance(v, int) and d >= 0:
        return v
    q = Decimal(repr(float(v))).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)
    return float(q) if d > 0 or isinstance(v, float) else int(q)


def _substring(s: Any, start: Any, length: Any = None) -> Any:
    if s is None or start is None:
        return None
    s = to_text(s)
    i = max(int(start) - 1, 0)
    if length is None:
        return s[i:]
    return s[i:i + max(int(length), 0)]


def _split_part(s: Any, delim: Any, n: Any) -> Any:
    if s is None or delim is None or n is None:
        return None
    parts = to_text(s).split(to_text(delim))
    k = int(n)
    return parts[k - 1] if 1 <= k <= len(parts) else ""


def _json_path(doc: Any, path: Any) -> Any:
    if doc is None or path is None:
        return None
    if isinstance(doc, str):
        try:
            doc = orjson.loads(doc)
        except orjson.JSONDecodeError:
            return None
    p = str(path).strip()
    p = p.removeprefix("$")
    node = doc
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]|\['([^']+)'\]", p):
        key = part[0] or part[2]
        if key:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        else:
            idx = int(part[1])
            if not isinstance(node, list) or idx >= len(node):
                return None
            node = node[idx]
    return node


def _json_value(doc: Any, path: Any) -> Any:
    v = _json_path(doc, path)
    return None if isinstance(v, (dict, list)) else v


def _json_query(doc: Any, path: Any) -> Any:
    v = _json_path(doc, path)
    return orjson.dumps(v).decode() if isinstance(v, (dict, list)) else None


def _json_exists(doc: Any, path: Any) -> Any:
    if doc is None:
        return None
    return _json_path(doc, path) is not None


_EXTRACT = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d", "HOUR": "%H", "MINUTE": "%M", "SECOND": "%S"}


def _extract(part: str, ts: Any) -> Any:
    ms = _parse_ts(ts) if ts is not None else None
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    p = part.upper()
    if p in ("EPOCH",):
        return ms // 1000
    if p in ("DOW", "DAYOFWEEK"):
        return (dt.weekday() + 1) % 7
    if p in ("DOY", "DAYOFYEAR"):
        return dt.timetuple().tm_yday
    if p == "WEEK":
        return dt.isocalendar()[1]
    if p in ("MILLISECOND", "MILLISECONDS"):
        return ms % 1000
    if p == "QUARTER":
        return (dt.month - 1) // 3 + 1
    if p in _EXTRACT:
        return int(dt.strftime(_EXTRACT[p]))
    return None


def _date_trunc(unit: Any, ts: Any) -> Any:
    ms = _parse_ts(ts) if ts is not None else None
    if ms is None or unit is None:
        return None
    u = str(unit).lower().rstrip("s")
    sizes = {"millisecond": 1, "second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
    if u in sizes:
        return ms - ms % sizes[u]
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if u == "week":
        start = dt.replace(hour=0, minute=0, second=0, microsecond=0)
        return int((start.timestamp() - start.weekday() * 86400) * 1000)
    if u == "month":
        return int(dt.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    if u == "year":
        return int(dt.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    return None


def _greatest(*args: Any) -> Any:
    vals = [a for a in args if a is not None]
    if not vals:
        return None
    out = vals[0]
    for v in vals[1:]:
        if gt(v, out):
            out = v
    return out


def _least(*args: Any) -> Any:
    vals = [a for a in args if a is not None]
    if not vals:
        return None
    out = vals[0]
    for v in vals[1:]:
        if lt(v, out):
            out = v
    return out


def _sign(v: Any) -> Any:
    if v is None:
        return None
    return (v > 0) - (v < 0)


def _math(f: Callable[[float], float], errors: RowErrors, name: str) -> Callable[[Any], Any]:
    def g(v: Any) -> Any:
        if v is None:
            return None
        try:
            return f(float(v))
        except (ValueError, OverflowError, TypeError):
            errors("arithmetic", f"{name}({v!r}) is undefined")
            return None

    return g


def _trim(v: Any, chars: Any = None, where: str = "BOTH") -> Any:
    if v is None:
        return None
    s = to_text(v)
    c = None if chars is None else to_text(chars)
    return s.strip(c) if where == "BOTH" else s.lstrip(c) if where == "LEADING" else s.rstrip(c)


def functions(errors: RowErrors, now_ms: int) -> dict[str, Callable[..., Any]]:
    """The scalar function catalogue (upper-case names)."""
    return {
        "UPPER": _null_if_any(lambda s: to_text(s).upper()),
        "LOWER": _null_if_any(lambda s: to_text(s).lower()),
        "LENGTH": _null_if_any(lambda s: len(to_text(s))),
        "CHAR_LENGTH": _null_if_any(lambda s: len(to_text(s))),
        "REPLACE": _null_if_any(lambda s, a, b: to_text(s).replace(to_text(a), to_text(b))),
        "SUBSTRING": _substring, "SUBSTR": _substring,
        "SPLIT_PART": _split_part,
        "REGEXP_REPLACE": _null_if_any(lambda s, p, r: re.sub(to_text(p), to_text(r), to_text(s))),
        "LEFT": _null_if_any(lambda s, n: to_text(s)[: max(int(n), 0)]),
        "RIGHT": _null_if_any(lambda s, n: to_text(s)[-int(n):] if int(n) > 0 else ""),
        "POSITION": _null_if_any(lambda sub, s: to_text(s).find(to_text(sub)) + 1),
        "CONCAT": lambda *a: "".join(to_text(x) for x in a if x is not None),
        "ABS": _null_if_any(abs),
        "ROUND": _round,
        "FLOOR": _null_if_any(lambda v: math.floor(v) if not isinstance(v, Decimal) else v.to_integral_value(
            rounding="ROUND_FLOOR")),
        "CEIL": _null_if_any(lambda v: math.ceil(v) if not isinstance(v, Decimal) else v.to_integral_value(
            rounding="ROUND_CEILING")),
        "SQRT": _math(math.sqrt, errors, "SQRT"),
        "LN": _math(math.log, errors, "LN"),
        "LOG10": _math(math.log10, errors, "LOG10"),
        "EXP": _math(math.exp, errors, "EXP"),
        "POWER": _null_if_any(lambda a, b: float(a) ** float(b)),
        "SIGN": _sign,
        "GREATEST": _greatest, "LEAST": _least,
        "NOW": lambda: now_ms, "CURRENT_TIMESTAMP": lambda: now_ms, "TIMESTAMP": lambda: now_ms,
        "FROM_UNIXTIME": _null_if_any(lambda s: int(float(s) * 1000)),
        "UNIX_TIMESTAMP": lambda t=None: (now_ms if t is None else (_parse_ts(t) or 0)) // 1000,
        "DATE_TRUNC": _date_trunc,
        "JSON_VALUE": _json_value, "JSON_EXTRACT": _json_value, "JSON_QUERY": _json_query,
        "JSON_EXISTS": _json_exists,
    }


SCALAR_NAMES = frozenset(functions(RowErrors(), 0)) | {"COALESCE", "NULLIF", "IFNULL", "EXTRACT", "CAST", "TRIM",
                                                       "LTRIM", "RTRIM", "MOD", "HEADER", "HEADER_KEYS",
                                                       "HAS_HEADER", "SET_HEADER", "CASE"}
