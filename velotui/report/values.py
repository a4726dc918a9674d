"""One normalisation step between the report model and every writer: writers are fed values they can
always write (docs/FORMATS.md, "Values in reports").

- integers beyond 64 bits: their decimal digits, as a string (``"123456789012345678901234567890"``);
- NaN and the infinities: the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``;
- lone surrogates (text that is not valid Unicode): ``\\udNNN`` written out, as six characters;
- Decimal: a number when it has at most 15 significant digits (a float holds it), else its digits as a string;
- bytes: text, undecodable bytes as ``\\xNN``;
- mapping keys: text; tuples and sets: lists; anything else: ``str()`` of it;
- nesting deeper than :data:`MAX_DEPTH`: the deeper part as the string ``"…"`` (JSON readers have limits).

JSON keeps control characters (escaped by JSON itself) and huge values whole. The text report, JUnit
and the TUI show at most :data:`TEXT_WIDTH` characters of a value, and say so when they cut
(:func:`short`); control characters are shown escaped there (velotui.terminal).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import orjson

MAX_DEPTH = 100
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TEXT_WIDTH = 200  # characters of one value in the text report, JUnit and the TUI
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(s: str) -> str:
    if not _SURROGATE.search(s):
        return s
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)


def normalise(v: Any, _depth: int = 0) -> Any:
    """``v`` made of JSON's own types (dict with str keys, list, str, int within 64 bits, finite float,
    bool, None), per the rules above."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if INT64_MIN <= v <= INT64_MAX else str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, str):
        return _text(v)
    if _depth >= MAX_DEPTH:
        return "…"
    if isinstance(v, dict):
        return {_text(k) if isinstance(k, str) else str(normalise(k, _depth + 1)): normalise(x, _depth + 1)
                for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(v, key=repr) if isinstance(v, (set, frozenset)) else v
        return [normalise(x, _depth + 1) for x in items]
    if isinstance(v, Decimal):
        if not v.is_finite():
            return "NaN" if v.is_nan() else ("Infinity" if v > 0 else "-Infinity")
        f = float(v)
        return f if math.isfinite(f) and len(v.as_tuple().digits) <= 15 else str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", errors="backslashreplace")
    return _text(str(v))


def to_text(v: Any) -> str:
    """A value as one line of text: JSON for containers, the value itself for scalars."""
    n = normalise(v)
    if isinstance(n, (dict, list)):
        return orjson.dumps(n).decode()
    return str(n)


def short(v: Any, width: int = TEXT_WIDTH) -> str:
    """At most ``width`` characters of ``to_text(v)``; when cut, the cut is said:
    ``… [cut: 12,345 characters in all]``."""
    text = v if isinstance(v, str) else to_text(v)
    text = _text(text)
    if len(text) <= width:
        return text
    return text[:width] + f"… [cut: {len(text):,} characters in all]"


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe_json(data: bytes) -> bytes:
    """JSON for a terminal (``--output json``): C1 and bidi characters written as ``\\uNNNN`` escapes, which
    JSON reads back as the same characters (JSON itself escapes the C0 controls)."""
    text = data.decode()
    if not _JSON_UNSAFE.search(text):
        return data
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()
