"""Checking what a statement reads from a topic: records that do not decode, and records whose fields
do not fit the source's schema, go to the dead letters (with the field and the value)."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter
from typing import Any

import orjson

from velotui.engine.api import DeadLetter
from velotui.records import Message

_VALUE = attrgetter("value")


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
    if set(map(type, map(_VALUE, messages))) <= {dict}:  # the common case, at C speed
        return messages
    out = []
    for m in messages:
        v = m.value
        if isinstance(v, dict):
            out.append(m)
            continue
        if v is None and m.raw is not None:
            kind, msg = _classify(m.raw), f"cannot decode the value at offset {m.offset}"
        elif v is None:
            kind, msg = "empty_record", f"empty value at offset {m.offset}"
        else:
            kind, msg = "wrong_type", f"value at offset {m.offset} is a {type(v).__name__}, not a record"
        dead.append(DeadLetter(statement=statement, error_type=kind, message=msg, source=source, offset=m.offset,
                               record=v if v is not None else (m.raw.decode(errors="replace") if m.raw else None)))
    return out


INT64 = 2**63 - 1


def _kind_ok(v: Any, kind: str) -> bool:
    if kind in ("integer", "timestamp"):
        return isinstance(v, int) and not isinstance(v, bool)
    if kind in ("float", "decimal"):
        return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)
    if kind == "boolean":
        return isinstance(v, bool)
    return isinstance(v, str)


def check_schema(messages: list[Message], fields: dict[str, tuple[str, bool]], statement: str, source: str,
                 dead: list[DeadLetter]) -> list[Message]:
    """Keep records that match their schema; dead-letter the others with the reason's error type."""
    out = []
    for m in messages:
        v = m.value or {}
        problem = None
        for name, (kind, nullable) in fields.items():
            if name not in v:
                problem = ("missing_field", f"field {name!r} is missing")
            elif v[name] is None:
                if not nullable:
                    problem = ("unexpected_null", f"field {name!r} is NULL but not nullable")
            elif isinstance(v[name], int) and not isinstance(v[name], bool) and abs(v[name]) > INT64:
                problem = ("overflow", f"field {name!r} does not fit 64 bits")
            elif not _kind_ok(v[name], kind):
                problem = ("wrong_type", f"field {name!r} should be {kind}, got {type(v[name]).__name__}")
            if problem:
                break
        if problem is None:
            out.append(m)
        else:
            dead.append(DeadLetter(statement=statement, error_type=problem[0], message=problem[1], source=source,
                                   offset=m.offset, record=m.value))
    return out
