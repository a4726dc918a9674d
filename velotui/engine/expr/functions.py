"""The function registry: every scalar function the engine knows, with its arity, argument types, NULL
policy and result type, and its implementation.

The expression compiler checks every call against this table at planning (a wrong number of arguments,
a literal of the wrong type, an unknown function: a SqlError with line and column, never a row error),
and binds the implementation once per query. Adding a function is one entry here (and a line in
docs/SQL.md); aggregates are in ``aggregates.py``, window functions in ``windowfns.py``.

Types are value kinds: ``any``, ``string``, ``number`` (INTEGER, FLOAT or DECIMAL), ``integer``, ``float``,
``decimal``, ``boolean``, ``timestamp`` (epoch ms, or ISO text), ``json`` (a map, an array or JSON text).

NULL policies:
- ``propagate``: a NULL argument makes the result NULL; the implementation never sees a NULL.
- ``skip``: NULL arguments are left out (CONCAT, GREATEST, LEAST).
- ``handled``: the implementation decides (COALESCE, NULLIF, …).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import orjson

from velotui.engine.expr.errors import RowErrors
from velotui.engine.expr.values import gt, lt, parse_timestamp, to_text
from velotui.patterns import sub as pattern_sub

NullPolicy = Literal["propagate", "skip", "handled"]


@dataclass(frozen=True)
class Env:
    """What an implementation may need from the query that runs it."""

    errors: RowErrors
    now_ms: int = 0


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "any"
    check: Callable[[Any], str | None] | None = None  # a literal argument's value → a problem, or None


@dataclass(frozen=True)
class Function:
    """One scalar function. ``impl`` is a plain callable, or (``needs_env``) a factory taking an Env;
    ``inline`` generates Python source instead of a call (functions that read the message: HEADER)."""

    name: str
    params: tuple[Param, ...]
    result: str = "any"
    nulls: NullPolicy = "propagate"
    optional: int = 0  # how many trailing params may be left out
    variadic: bool = False  # the last param repeats (at least once)
    impl: Callable[..., Any] | None = None
    needs_env: bool = False
    inline: Callable[[list[str], bool], str] | None = None  # (argument sources, fast body?) -> source
    summary: str = ""
    aliases: tuple[str, ...] = field(default=())

    @property
    def min_args(self) -> int:
        return len(self.params) - self.optional

    @property
    def max_args(self) -> int | None:
        return None if self.variadic else len(self.params)

    def signature(self) -> str:
        parts = []
        for i, p in enumerate(self.params):
            text = p.name + (", …" if self.variadic and i == len(self.params) - 1 else "")
            parts.append(f"[{text}]" if i >= len(self.params) - self.optional else text)
        return f"{self.name}({', '.join(parts)})"

    def arity_problem(self, n: int) -> str | None:
        lo, hi = self.min_args, self.max_args
        if lo <= n and (hi is None or n <= hi):
            return None
        if hi is None:
            want = f"at least {lo} argument{'s' if lo != 1 else ''}"
        elif lo == hi:
            want = f"{lo} argument{'s' if lo != 1 else ''}" if lo else "no arguments"
        else:
            want = f"{lo} to {hi} arguments"
        return f"{self.name} takes {want}, got {n}"

    def param(self, i: int) -> Param:
        return self.params[min(i, len(self.params) - 1)]

    def bind(self, env: Env, fast: bool = False) -> Callable[..., Any]:
        """The implementation, with the NULL policy applied. ``fast``: the variant for a compiled fast
        path, which raises on a bad value instead of recording a row error (the row is then re-run on
        the normal variant, which records it)."""
        raw = getattr(self.impl, "raw", None)
        if fast and raw is not None:
            fn = raw
        else:
            fn = self.impl(env) if self.needs_env else self.impl  # type: ignore[misc]
        assert fn is not None, self.name
        if self.nulls == "propagate":
            return _propagate(fn)
        if self.nulls == "skip":
            return _skip(fn)
        return fn


def _propagate(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        for a in args:
            if a is None:
                return None
        return fn(*args)

    return call


def _skip(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return fn(*[a for a in args if a is not None])

    return call


# -- implementations ----------------------------------------------------------------------------------
def _int(v: Any) -> int:
    """An integer argument (a position, a count): numbers and numeric text."""
    if isinstance(v, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(v, str):
        return int(float(v)) if not v.strip().lstrip("+-").isdigit() else int(v)
    return int(v)


def _num(v: Any) -> Any:
    if isinstance(v, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(v, str):
        from velotui.engine.expr.values import number_from_text

        n = number_from_text(v)
        if n is None:
            raise TypeError(f"{v!r} is not a number")
        return n
    return v


def _guarded(name: str, fn: Callable[..., Any]) -> Callable[[Env], Callable[..., Any]]:
    """An implementation whose failures on bad values are row errors (the value is NULL)."""

    def make(env: Env) -> Callable[..., Any]:
        errors = env.errors

        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except (TypeError, ValueError, ArithmeticError, OverflowError, IndexError, re.error) as e:
                errors("function_error", f"{name}({', '.join(repr(a) for a in args)}): {e}")
                return None

        return call

    make.raw = fn  # type: ignore[attr-defined]  # the fast path's variant: raises, never records
    return make


def _round(v: Any, d: Any = 0) -> Any:
    d = _int(d)
    v = _num(v)
    if abs(d) > 400:
        raise ValueError("the number of places is out of range")
    if isinstance(v, Decimal):
        return v.quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)
    if isinstance(v, int) and d >= 0:
        return v
    q = Decimal(repr(float(v))).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)
    return float(q) if d > 0 or isinstance(v, float) else int(q)


def _substring(s: Any, start: Any, length: Any = None) -> Any:
    s = to_text(s)
    i = max(_int(start) - 1, 0)
    if length is None:
        return s[i:]
    return s[i:i + max(_int(length), 0)]


def _split_part(s: Any, delim: Any, n: Any) -> Any:
    d = to_text(delim)
    if d == "":
        raise ValueError("the delimiter is empty")
    parts = to_text(s).split(d)
    k = _int(n)
    return parts[k - 1] if 1 <= k <= len(parts) else ""


def _json_path(doc: Any, path: Any) -> Any:
    if isinstance(doc, str):
        try:
            doc = orjson.loads(doc)
        except orjson.JSONDecodeError:
            return None
    p = str(path).strip().removeprefix("$")
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
    return _json_path(doc, path) is not None


def _check_json_path(v: Any) -> str | None:
    text = str(v).strip()
    if not text.startswith("$"):
        return f"{text!r} is not a JSON path (it starts with $, like '$.a.b' or '$.items[0]')"
    return None


EXTRACT_PARTS = ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MILLISECONDS", "EPOCH", "DOW",
                 "DAYOFWEEK", "DOY", "DAYOFYEAR", "WEEK", "QUARTER")
_STRFTIME = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d", "HOUR": "%H", "MINUTE": "%M", "SECOND": "%S"}


def extract(part: str, ts: Any) -> Any:
    ms = parse_timestamp(ts) if ts is not None else None
    if ms is None:
        return None
    try:
        dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    p = part.upper()
    if p == "EPOCH":
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
    return int(dt.strftime(_STRFTIME[p]))


DATE_TRUNC_UNITS = ("millisecond", "second", "minute", "hour", "day", "week", "month", "year")


def _check_unit(v: Any) -> str | None:
    u = str(v).lower().rstrip("s")
    return None if u in DATE_TRUNC_UNITS else f"{v!r} is not a unit: use one of {', '.join(DATE_TRUNC_UNITS)}"


def _date_trunc(unit: Any, ts: Any) -> Any:
    ms = parse_timestamp(ts)
    if ms is None:
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
    if not args:
        return None
    out = args[0]
    for v in args[1:]:
        if gt(v, out):
            out = v
    return out


def _least(*args: Any) -> Any:
    if not args:
        return None
    out = args[0]
    for v in args[1:]:
        if lt(v, out):
            out = v
    return out


def _sign(v: Any) -> Any:
    v = _num(v)
    return (v > 0) - (v < 0)


def _math(f: Callable[[float], float]) -> Callable[[Any], Any]:
    def g(v: Any) -> Any:
        return f(float(_num(v)))

    return g


def _power(a: Any, b: Any) -> Any:
    x, y = float(_num(a)), float(_num(b))
    out = x ** y
    if isinstance(out, complex):
        raise ValueError("the result is not a real number")
    return out


def _floor(v: Any) -> Any:
    v = _num(v)
    return v.to_integral_value(rounding="ROUND_FLOOR") if isinstance(v, Decimal) else math.floor(v)


def _ceil(v: Any) -> Any:
    v = _num(v)
    return v.to_integral_value(rounding="ROUND_CEILING") if isinstance(v, Decimal) else math.ceil(v)


def _abs(v: Any) -> Any:
    return abs(_num(v))


def _log(a: Any, b: Any = None) -> Any:
    if b is None:
        return math.log(float(_num(a)))
    return math.log(float(_num(b))) / math.log(float(_num(a)))


def _regexp_replace(s: Any, pattern: Any, repl: Any) -> Any:
    return pattern_sub(to_text(pattern), to_text(repl), to_text(s))  # a time budget: velotui.patterns


def _check_regex(v: Any) -> str | None:
    try:
        re.compile(str(v))
    except re.error as e:
        return f"{v!r} is not a regular expression: {e}"
    return None


def _right(s: Any, n: Any) -> Any:
    k = _int(n)
    return to_text(s)[-k:] if k > 0 else ""


def _trim(chars_where: str) -> Callable[..., Any]:
    def trim(v: Any, chars: Any = None) -> Any:
        s = to_text(v)
        c = None if chars is None else to_text(chars)
        return s.strip(c) if chars_where == "BOTH" else s.lstrip(c) if chars_where == "LEADING" else s.rstrip(c)

    return trim


def _coalesce(*args: Any) -> Any:
    for a in args:
        if a is not None:
            return a
    return None


def _nullif(a: Any, b: Any) -> Any:
    from velotui.engine.expr.values import eq

    return None if a is not None and eq(a, b) else a


def _now(env: Env) -> Callable[[], int]:
    now = env.now_ms
    return lambda: now


def _unix_timestamp(env: Env) -> Callable[..., Any]:
    now = env.now_ms

    def unix_timestamp(*t: Any) -> Any:
        if not t:
            return now // 1000
        ms = parse_timestamp(t[0])
        return None if ms is None else ms // 1000

    return unix_timestamp


def _from_unixtime(s: Any) -> Any:
    v = _num(s)
    if isinstance(v, int):
        return v * 1000
    return int(Decimal(repr(v)) * 1000) if isinstance(v, float) else int(v * 1000)


def _check_positive_int(v: Any) -> str | None:
    try:
        ok = int(str(v)) >= 0
    except ValueError:
        ok = False
    return None if ok else f"{v!r} is not a count (a whole number, 0 or more)"


S, N, INT, A, T, J = "string", "number", "integer", "any", "timestamp", "json"


def _p(name: str, type_: str = "any", check: Callable[[Any], str | None] | None = None) -> Param:
    return Param(name, type_, check)


def _headers_get(args: list[str], fast: bool) -> str:
    return f"m.headers.get(_text({args[0]}))"


FUNCTIONS: dict[str, Function] = {}


def register(fn: Function) -> Function:
    for name in (fn.name, *fn.aliases):
        FUNCTIONS[name] = fn
    return fn


for _f in [
    # string
    Function("UPPER", (_p("string", S),), S, impl=lambda s: to_text(s).upper(), summary="upper case"),
    Function("LOWER", (_p("string", S),), S, impl=lambda s: to_text(s).lower(), summary="lower case"),
    Function("LENGTH", (_p("string", S),), INT, impl=lambda s: len(to_text(s)), aliases=("CHAR_LENGTH",),
             summary="number of characters"),
    Function("TRIM", (_p("string", S), _p("characters", S)), S, optional=1, impl=_trim("BOTH"),
             summary="strip spaces (or the characters given) at both ends"),
    Function("LTRIM", (_p("string", S), _p("characters", S)), S, optional=1, impl=_trim("LEADING")),
    Function("RTRIM", (_p("string", S), _p("characters", S)), S, optional=1, impl=_trim("TRAILING")),
    Function("SUBSTRING", (_p("string", S), _p("start", INT), _p("length", INT)), S, optional=1, needs_env=True,
             impl=_guarded("SUBSTRING", _substring), aliases=("SUBSTR",), summary="characters from start (1-based)"),
    Function("REPLACE", (_p("string", S), _p("search", S), _p("replacement", S)), S,
             impl=lambda s, a, b: to_text(s).replace(to_text(a), to_text(b))),
    Function("CONCAT", (_p("string", S),), S, variadic=True, nulls="skip",
             impl=lambda *a: "".join(to_text(x) for x in a), summary="joins the texts, skipping NULLs"),
    Function("SPLIT_PART", (_p("string", S), _p("delimiter", S), _p("n", INT)), S, needs_env=True,
             impl=_guarded("SPLIT_PART", _split_part), summary="the n-th part (1-based), '' past the end"),
    Function("REGEXP_REPLACE", (_p("string", S), _p("pattern", S, _check_regex), _p("replacement", S)), S,
             needs_env=True, impl=_guarded("REGEXP_REPLACE", _regexp_replace)),
    Function("LEFT", (_p("string", S), _p("n", INT, _check_positive_int)), S, needs_env=True,
             impl=_guarded("LEFT", lambda s, n: to_text(s)[: max(_int(n), 0)])),
    Function("RIGHT", (_p("string", S), _p("n", INT, _check_positive_int)), S, needs_env=True,
             impl=_guarded("RIGHT", _right)),
    Function("POSITION", (_p("substring", S), _p("string", S)), INT,
             impl=lambda sub, s: to_text(s).find(to_text(sub)) + 1, summary="1-based position, 0 when absent"),
    # math
    Function("ABS", (_p("x", N),), N, needs_env=True, impl=_guarded("ABS", _abs)),
    Function("ROUND", (_p("x", N), _p("places", INT)), N, optional=1, needs_env=True, impl=_guarded("ROUND", _round),
             summary="half away from zero"),
    Function("FLOOR", (_p("x", N),), N, needs_env=True, impl=_guarded("FLOOR", _floor)),
    Function("CEIL", (_p("x", N),), N, needs_env=True, impl=_guarded("CEIL", _ceil), aliases=("CEILING",)),
    Function("SQRT", (_p("x", N),), "float", needs_env=True, impl=_guarded("SQRT", _math(math.sqrt))),
    Function("POWER", (_p("x", N), _p("y", N)), "float", needs_env=True, impl=_guarded("POWER", _power),
             aliases=("POW",)),
    Function("LN", (_p("x", N),), "float", needs_env=True, impl=_guarded("LN", _math(math.log))),
    Function("LOG10", (_p("x", N),), "float", needs_env=True, impl=_guarded("LOG10", _math(math.log10))),
    Function("LOG", (_p("base_or_x", N), _p("x", N)), "float", optional=1, needs_env=True, impl=_guarded("LOG", _log),
             summary="LOG(x) is LN(x); LOG(b, x) is the base-b logarithm"),
    Function("EXP", (_p("x", N),), "float", needs_env=True, impl=_guarded("EXP", _math(math.exp))),
    Function("SIGN", (_p("x", N),), INT, needs_env=True, impl=_guarded("SIGN", _sign)),
    # conditional
    Function("COALESCE", (_p("value"),), A, variadic=True, nulls="handled", impl=_coalesce,
             summary="the first non-NULL argument"),
    Function("IFNULL", (_p("value"), _p("default")), A, nulls="handled", impl=_coalesce, aliases=("NVL",)),
    Function("NULLIF", (_p("value"), _p("other")), A, nulls="handled", impl=_nullif),
    Function("GREATEST", (_p("value"),), A, variadic=True, nulls="skip", impl=_greatest, summary="skips NULLs"),
    Function("LEAST", (_p("value"),), A, variadic=True, nulls="skip", impl=_least, summary="skips NULLs"),
    # time
    Function("NOW", (), T, nulls="handled", needs_env=True, impl=_now, summary="the run's frozen clock (epoch ms)"),
    Function("CURRENT_TIMESTAMP", (), T, nulls="handled", needs_env=True, impl=_now),
    Function("TIMESTAMP", (), T, nulls="handled", needs_env=True, impl=_now),
    Function("DATE_TRUNC", (_p("unit", S, _check_unit), _p("t", T)), T, impl=_date_trunc),
    Function("FROM_UNIXTIME", (_p("seconds", N),), T, needs_env=True, impl=_guarded("FROM_UNIXTIME", _from_unixtime),
             summary="epoch seconds to epoch ms (exact)"),
    Function("UNIX_TIMESTAMP", (_p("t", T),), INT, optional=1, needs_env=True, impl=_unix_timestamp,
             summary="epoch seconds of t, or of NOW() without t"),
    # json
    Function("JSON_VALUE", (_p("json", J), _p("path", S, _check_json_path)), A, impl=_json_value),
    Function("JSON_EXTRACT", (_p("json", J), _p("path", S, _check_json_path)), A, impl=_json_value),
    Function("JSON_QUERY", (_p("json", J), _p("path", S, _check_json_path)), S, impl=_json_query),
    Function("JSON_EXISTS", (_p("json", J), _p("path", S, _check_json_path)), "boolean", impl=_json_exists),
    # headers (read or write the message, so generated inline)
    Function("HEADER", (_p("key", S),), S, nulls="handled", inline=_headers_get),
    Function("HEADER_KEYS", (), S, nulls="handled", inline=lambda a, fast: "','.join(m.headers)"),
    Function("HAS_HEADER", (_p("key", S),), "boolean", nulls="handled",
             inline=lambda a, fast: f"(_text({a[0]}) in m.headers)"),
    Function("SET_HEADER", (_p("key", S), _p("value")), A, nulls="handled",
             inline=lambda a, fast: f"_set_header(_ohdr, {a[0]}, {a[1]})", summary="sets a header on the output, returns value"),
    # written like calls, compiled as operators
    Function("MOD", (_p("x", N), _p("y", N)), N, nulls="handled", inline=lambda a, fast: f"{'_fmod' if fast else '_mod'}({a[0]}, {a[1]})"),
    Function("IF", (_p("condition", "boolean"), _p("then"), _p("else")), A, optional=1, nulls="handled",
             inline=lambda a, fast: f"({a[1]} if _truth({a[0]}) else {a[2] if len(a) > 2 else 'None'})"),
]:
    register(_f)


def set_header(headers: dict | None, key: Any, value: Any) -> Any:
    """SET_HEADER: the header goes on the output message (``headers`` is the output stage's dict of the
    row being projected; the input message is never changed)."""
    if key is not None and headers is not None:
        headers[str(key)] = to_text(value) if value is not None else ""
    return value


def lookup(name: str) -> Function | None:
    return FUNCTIONS.get(name.upper())


__all__ = ["DATE_TRUNC_UNITS", "EXTRACT_PARTS", "FUNCTIONS", "Env", "Function", "Param", "extract", "lookup",
           "register", "set_header"]
