"""Checking what a statement reads from a topic: records that do not decode, and records whose fields
do not fit the source's schema, go to the dead letters (with the field and the value)."""

from __future__ import annotations

from typing import Any

import orjson

from velotui.engine.api import DeadLetter
from velotui.engine.expr.compiler import compiled
from velotui.records import FIELD_TYPES, INT64_MAX, Message


def _classify(raw: bytes) -> str:
    """Why a payload does not decode: empty, not UTF-8, cut short, or not JSON."""
    if not raw.strip():
        return "empty_record"
    try:
        raw.decode()
    except UnicodeDecodeError:
        return "invalid_encoding"
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        return "truncated" if "unexpected end of data" in str(e) else "invalid_json"
    return "wrong_type"  # valid JSON, but not a record


def decode(messages: list[Message], statement: str, source: str,
           dead: list[DeadLetter]) -> list[Message]:
    """Keep messages whose value is a record; the others go to the dead-letter list."""
    # the common case, at C speed (a comprehension reads a slot faster than attrgetter does)
    if set(map(type, [m.value for m in messages])) <= {dict}:
        return messages
    out = []
    for m in messages:
        if isinstance(m.value, dict):
            out.append(m)
        else:
            dead.append(undecodable(m, statement, source))
    return out


def undecodable(m: Message, statement: str, source: str) -> DeadLetter:
    """The dead letter of a message whose value is no record (``decode``; a fused operator that reads a
    source's messages straight checks each value itself, and sends the others here)."""
    v = m.value
    if v is None and m.raw is not None:
        kind, msg = _classify(m.raw), f"cannot decode the value at offset {m.offset}"
    elif v is None:
        kind, msg = "empty_record", f"empty value at offset {m.offset}"
    else:
        kind, msg = "wrong_type", f"value at offset {m.offset} is a {type(v).__name__}, not a record"
    return DeadLetter(statement=statement, error_type=kind, message=msg, source=source, offset=m.offset,
                      record=v if v is not None else (m.raw.decode(errors="replace") if m.raw else None))


INT64 = INT64_MAX
_TYPE_OK = {kind: ("type(v) is " + types[0].__name__ if len(types) == 1 else "type(v) in _NUMBERS")
            for kind, types in FIELD_TYPES.items()}  # a schema field's kind -> its test (velotui.records)
_NUMBERS = FIELD_TYPES["float"]


def _kind_ok(v: Any, kind: str) -> bool:
    return type(v) in FIELD_TYPES.get(kind, (str,))


def _shown(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "…"


def _problem(v: dict, fields: dict[str, tuple[str, bool]]) -> tuple[str, str] | None:
    """Why a record does not fit its schema (the first field that does not), with the field and value."""
    for name, (kind, nullable) in fields.items():
        if name not in v:
            return "missing_field", f"field {name!r} is missing"
        x = v[name]
        if x is None:
            if not nullable:
                return "unexpected_null", f"field {name!r} is NULL but not nullable"
        elif not _kind_ok(x, kind):
            got = {dict: "an object", list: "an array", str: "text", bool: "a boolean"}.get(type(x), type(x).__name__)
            return "wrong_type", f"field {name!r} should be {kind}, got {got}: {_shown(x)}"
        elif type(x) is int and abs(x) > INT64 and kind in ("integer", "timestamp"):
            return "overflow", f"field {name!r} does not fit 64 bits: {_shown(x)}"
    return None


def _checker(fields: dict[str, tuple[str, bool]]) -> Any:
    """One generated test per schema: True when a record fits (the common case, without building messages)."""
    parts = []
    for i, (name, (kind, nullable)) in enumerate(fields.items()):
        ok = _TYPE_OK.get(kind, "type(v) is str").replace("v", f"_v{i}")
        if kind in ("integer", "timestamp"):
            ok = f"({ok} and -{INT64} <= _v{i} <= {INT64})"
        none = f"_v{i} is None or " if nullable else ""
        parts.append(f"((_v{i} := r.get({name!r}, _MISSING)) is not _MISSING and ({none}{ok}))")
    src = "def fits(r):\n    return " + (" and ".join(parts) or "True") + "\n"
    ns: dict[str, Any] = {"_MISSING": object(), "_NUMBERS": _NUMBERS}
    exec(compiled(src, "<velotui schema check>"), ns)  # noqa: S102 - generated from field names (repr)
    return ns["fits"]


def check_schema(messages: list[Message], fields: dict[str, tuple[str, bool]], statement: str, source: str,
                 dead: list[DeadLetter]) -> list[Message]:
    """Keep records that fit their source's schema; the others go to the dead letters with the field and the
    value that does not fit (a string in an INTEGER field, an object where text belongs, a missing field, a
    NULL in a field that is not nullable, an integer beyond 64 bits)."""
    fits = _checker(fields)
    if all(fits(m.value) for m in messages):
        return messages
    out = []
    for m in messages:
        if fits(m.value):
            out.append(m)
            continue
        problem = _problem(m.value or {}, fields) or ("wrong_type", "the record does not fit its schema")
        dead.append(DeadLetter(statement=statement, error_type=problem[0], message=problem[1], source=source,
                               offset=m.offset, record=m.value))
    return out
