"""Reading a statement's inputs: topics (bounded), files, earlier statements; event time; merging."""

from __future__ import annotations

import csv
import heapq
import io
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson

from velotui.engine.api import DeadLetter
from velotui.errors import DataError
from velotui.records import Message


def _typed(v: str, declared: str | None = None) -> Any:
    if v == "":
        return None
    if declared:
        t = declared.lower()
        try:
            if t in ("integer", "int", "bigint", "long"):
                return int(v)
            if t in ("float", "double"):
                return float(v)
            if t.startswith("decimal"):
                return Decimal(v)
            if t in ("boolean", "bool"):
                return v.strip().lower() in ("true", "1", "yes")
            if t in ("string", "varchar", "text"):
                return v
        except (ValueError, InvalidOperation):
            return v
    from velotui.datagen.files import parse_scalar

    return parse_scalar(v)


def read_file_rows(path: Path, fmt: str | None, types: dict[str, str] | None = None,
                   has_headers: bool = True) -> list[dict[str, Any]]:
    """Rows of a CSV (header row, typed values) or JSONL file source (read through velotui.files)."""
    from velotui import files

    path = files.resolve(path, what="file source")
    if not path.exists():
        raise DataError(f"file source not found: {path}", file=path,
                        hint="file paths in WITH (…) are relative to the SQL file")
    kind = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if kind in ("json", "jsonl", "jsonlines", "ndjson"):  # the reference's name for JSON lines is jsonlines
        rows = []
        data = files.read_bytes(path, what="file source", max_bytes=files.MAX_DATA_BYTES, error=DataError)
        files.decode_text(data, path, error=DataError)
        for i, line in enumerate(data.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(orjson.loads(line))
                except orjson.JSONDecodeError as e:
                    raise DataError(f"invalid JSON: {e}", file=path, line=i) from None
        return rows
    text = files.decode_text(files.read_bytes(path, what="file source", max_bytes=files.MAX_DATA_BYTES,
                                              error=DataError), path, error=DataError)
    reader = csv.reader(io.StringIO(text))
    rows = []
    header: list[str] | None = None
    for row in reader:
        if not row:
            continue
        if header is None:
            if has_headers:
                header = [h.strip() for h in row]
                continue
            header = [f"column{i + 1}" for i in range(len(row))]
        rows.append({h: _typed(v, (types or {}).get(h)) for h, v in zip(header, row)})
    return rows


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
    if all(type(m.value) is dict for m in messages):
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


def _keyed(msgs: list[Message], si: int, p: int) -> Iterator[tuple[Any, ...]]:
    for i, m in enumerate(msgs):
        yield (m.event_time if m.event_time is not None else m.timestamp, si, p, m.offset, i, m)


def merge_by_event_time(streams: list[list[Message]]) -> Iterator[tuple[int, Message]]:
    """Bounded sources consumed in event-time order: a k-way merge of every (source, partition) sequence
    by the event time of its next record; ties by source order, then partition, then offset. Order within
    one partition is kept, so out-of-order records stay out of order (and can be late)."""
    if len(streams) == 1 and len({m.partition for m in streams[0]}) <= 1:  # one sequence: its own order
        for m in streams[0]:
            yield 0, m
        return
    seqs: list[Iterator[tuple[Any, ...]]] = []
    for si, msgs in enumerate(streams):
        parts: dict[int, list[Message]] = {}
        for m in msgs:
            parts.setdefault(m.partition, []).append(m)
        for p, plist in sorted(parts.items()):
            seqs.append(_keyed(plist, si, p))
    if len(seqs) == 1:
        for item in seqs[0]:
            yield item[1], item[5]
        return
    for item in heapq.merge(*seqs, key=lambda x: x[:5]):
        yield item[1], item[5]


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
