"""Fixed inputs and reference tables: CSV (with a header row) and JSONL files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from velotui.errors import DataError


def parse_scalar(text: str) -> Any:
    """CSV cell → typed value: empty is NULL, then integer, float, boolean, else the text."""
    if text == "":
        return None
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    try:
        if t.lstrip("+-").isdigit():
            return int(t)
        if any(c.isdigit() for c in t):
            v = float(t)
            if low not in ("nan", "inf", "-inf", "infinity"):
                return v
    except ValueError:
        pass
    return text


JSON_LINES_FORMATS = ("jsonl", "jsonlines", "ndjson", "json")  # json: JSON lines, or one JSON array
CSV_FORMATS = ("csv", "tsv")
FILE_FORMATS = (*JSON_LINES_FORMATS, *CSV_FORMATS)


def load_data_file(path: str | Path, *, fmt: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The records of a CSV/TSV or JSON lines file (``fmt`` or the suffix says which); ``limit``: only the
    first ones (to learn a file's fields)."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file not found: {p}", file=p, hint="paths are relative to the file that names them")
    kind = (fmt or p.suffix.lstrip(".")).lower()
    if kind in JSON_LINES_FORMATS:
        rows: list[dict[str, Any]] = []
        with p.open("rb") as fh:
            data = fh.read()
        stripped = data.lstrip()
        if kind == "json" and stripped.startswith(b"["):
            try:
                items = orjson.loads(data)
            except orjson.JSONDecodeError as e:
                raise DataError(f"invalid JSON: {e}", file=p) from None
            return [dict(x) for x in items]
        for i, line in enumerate(data.splitlines(), start=1):
            if limit is not None and len(rows) >= limit:
                break
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise DataError(f"invalid JSON on this line: {e}", file=p, line=i,
                                hint="JSONL holds one JSON object per line") from None
            if not isinstance(obj, dict):
                raise DataError(f"expected a JSON object, got {type(obj).__name__}", file=p, line=i)
            rows.append(obj)
        return rows
    if kind in ("csv", "tsv"):
        delim = "\t" if kind == "tsv" else ","
        with p.open(newline="") as fh:
            reader = csv.reader(fh, delimiter=delim)
            try:
                header = next(reader)
            except StopIteration:
                return []
            out = []
            for i, row in enumerate(reader, start=2):
                if limit is not None and len(out) >= limit:
                    break
                if not row:
                    continue
                if len(row) != len(header):
                    raise DataError(f"row has {len(row)} columns, the header has {len(header)}", file=p, line=i)
                out.append({h.strip(): parse_scalar(v) for h, v in zip(header, row)})
            return out
    raise DataError(f"unsupported data file format {kind!r}", file=p,
                    hint="use csv, tsv, or JSON lines (jsonl, jsonlines, ndjson, json)")
