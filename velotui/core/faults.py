"""Fault injection (the spec's ``fault_injection`` block): malformed records, duplicates, out-of-order
delivery and field corruption, injected into generated inputs deterministically from the seed.

Malformed payloads (invalid JSON, bad encoding, truncated, empty) fail to decode; records with a missing
field, a wrong type, an unexpected NULL or an overflowing number fail the engine's schema check on decode.
Either way they reach the query's dead-letter list with their error type — the run goes on."""

from __future__ import annotations

import random
import zlib
from typing import Any

import orjson

from velotui.records import Message
from velotui.spec.test_spec import MALFORMED_KINDS

SLOW_HEADER = "x-velotui-delay-ms"  # the engine takes this long over the record (slow_processing)
MALFORMED_TYPES = MALFORMED_KINDS  # the kinds of malformed record, as the spec declares them


def _rng(seed: int, source: str, what: str) -> random.Random:
    return random.Random(seed * 1_000_003 + zlib.crc32(f"{source}/{what}".encode()))


def _malform(m: Message, kind: str, rng: random.Random, fields: list[str]) -> Message:
    value = dict(m.value or {})
    raw: bytes | None = None
    new_value: dict[str, Any] | None = value
    if kind == "invalid_json":
        raw, new_value = b'{"broken" 1}', None
    elif kind == "empty_record":
        raw, new_value = b"", None
    elif kind == "invalid_encoding":
        raw, new_value = b"\xff\xfe\xfd", None
    elif kind == "truncated":
        data = orjson.dumps(value, default=str)
        raw, new_value = data[: max(1, len(data) // 2)], None
    elif fields:
        f = rng.choice(fields)
        if kind == "missing_field":
            value.pop(f, None)
        elif kind == "wrong_type":
            value[f] = {"unexpected": "object"}
        elif kind == "overflow":
            value[f] = 10**30
        elif kind == "unexpected_null":
            value[f] = None
    headers = {**m.headers, "x-velotui-fault": kind}
    return Message(value=new_value, key=m.key, headers=headers, timestamp=m.timestamp, raw=raw)


def inject(messages: list[Message], faults: Any, *, seed: int, source: str,
           required_fields: list[str]) -> tuple[list[Message], dict[str, int]]:
    """Return the messages with faults applied, and how many of each were injected."""
    counts: dict[str, int] = {}
    if faults is None or not messages:
        return messages, counts
    base_seed = faults.seed if faults.seed is not None else seed
    out = list(messages)
    mr = faults.malformed_records
    if mr is not None and mr.enabled and mr.rate > 0:
        rng = _rng(base_seed, source, "malformed")
        types = list(mr.types) or list(MALFORMED_TYPES)
        for i, m in enumerate(out):
            if rng.random() < mr.rate:
                kind = types[rng.randrange(len(types))]
                out[i] = _malform(m, kind, rng, required_fields)
                counts[kind] = counts.get(kind, 0) + 1
    fc = faults.field_corruption
    if fc is not None and fc.enabled and fc.rate > 0:
        rng = _rng(base_seed, source, "corruption")
        targets = list(fc.target_fields or fc.fields) or required_fields
        for i, m in enumerate(out):
            if m.value is not None and targets and rng.random() < fc.rate:
                kind = rng.choice(list(fc.corruption_types) or ["wrong_type", "unexpected_null"])
                kind = kind if kind in MALFORMED_TYPES else "wrong_type"
                out[i] = _malform(m, kind, rng, targets)
                counts[kind] = counts.get(kind, 0) + 1
    du = faults.duplicates
    if du is not None and du.enabled and du.rate > 0:
        rng = _rng(base_seed, source, "duplicates")
        dup: list[Message] = []
        for m in out:
            dup.append(m)
            if rng.random() < du.rate:
                for _ in range(rng.randint(1, max(1, du.max_duplicates))):
                    dup.append(Message(value=dict(m.value) if m.value is not None else None, key=m.key,
                                       headers={**m.headers, "x-velotui-fault": "duplicate"},
                                       timestamp=m.timestamp + du.delay_ms, raw=m.raw))
                    counts["duplicate"] = counts.get("duplicate", 0) + 1
        out = dup
    sp = faults.slow_processing
    if sp is not None and sp.enabled and sp.rate > 0:
        rng = _rng(base_seed, source, "slow")
        for m in out:
            if rng.random() < sp.rate:
                delay = rng.randint(sp.min_delay_ms, max(sp.min_delay_ms, sp.max_delay_ms))
                m.headers = {**m.headers, SLOW_HEADER: str(delay)}
                counts["slow_processing"] = counts.get("slow_processing", 0) + 1
    oo = faults.out_of_order
    if oo is not None and oo.enabled and oo.rate > 0:
        rng = _rng(base_seed, source, "out_of_order")
        window = max(1, oo.window_size or 10)
        for i in range(len(out)):
            if rng.random() < oo.rate:
                j = min(len(out) - 1, i + rng.randint(1, window))
                out[i], out[j] = out[j], out[i]  # delivered later than its event time says
                counts["out_of_order"] = counts.get("out_of_order", 0) + 1
    return out, counts
