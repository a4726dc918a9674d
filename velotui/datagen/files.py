"""Fixed inputs and reference tables: CSV (with a header row) and JSONL files."""

from __future__ import annotations

import csv
import io
import re
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


def load_data_file(path: str | Path, *, fmt: str | None = None, limit: int | None = None, what: str = "data file",
                   named_in: str | Path | None = None, line: int | None = None,
                   allow_empty: bool = False) -> list[dict[str, Any]]:
    """The records of a CSV/TSV (header row, typed cells), JSON lines or JSON (one array of objects) file
    (``fmt`` or the suffix says which); ``limit``: only the first ones (to learn a file's fields).

    The file is opened through the suite's path resolver (velotui.files): outside the suite, a FIFO or a
    device is refused; text must be UTF-8. An empty file is an error unless ``allow_empty`` (a sink that
    wrote nothing): an input with no records says ``records: 0`` instead."""
    from velotui import files

    p = Path(path)
    real = files.resolve(p, what=what, named_in=named_in, line=line)
    if not real.exists():
        raise DataError(f"{what} not found: {p}", file=named_in or p, line=line if named_in else None,
                        hint="paths are relative to the file that names them")
    kind = (fmt or p.suffix.lstrip(".")).lower()
    if kind not in FILE_FORMATS:
        raise DataError(f"unsupported data file format {kind!r}", file=p,
                        hint="use csv, tsv, or JSON lines (jsonl, jsonlines, ndjson, json)")
    data = files.read_bytes(real, what=what, named_in=named_in, line=line, max_bytes=files.MAX_DATA_BYTES,
                            error=DataError)
    text = files.decode_text(data, p, error=DataError)
    if not text.strip():
        if allow_empty:
            return []
        raise DataError(f"{what} is empty", file=p, line=1,
                        hint="put the records in it (one JSON object per line, or a CSV header and rows), "
                        "or give the input records: 0")
    if kind in JSON_LINES_FORMATS:
        rows: list[dict[str, Any]] = []
        stripped = text.lstrip()
        if kind == "json" and stripped.startswith("["):
            try:
                items = _loads(data)
            except orjson.JSONDecodeError as e:
                raise DataError(f"invalid JSON: {e}", file=p, line=getattr(e, "lineno", None),
                                hint="a .json data file holds one array of objects") from None
            if not isinstance(items, list):
                raise DataError("expected a JSON array of objects", file=p, line=1)
            for i, x in enumerate(items):
                if not isinstance(x, dict):
                    raise DataError(f"item {i} of the array is {_json_kind(x)}, not an object", file=p,
                                    line=_item_line(text, i),
                                    hint='each record is an object: [{"id": 1}, {"id": 2}]')
            return items
        for i, raw in enumerate(data.splitlines(), start=1):
            if limit is not None and len(rows) >= limit:
                break
            if not raw.strip():
                continue
            try:
                obj = _loads(raw)
            except orjson.JSONDecodeError as e:
                raise DataError(f"invalid JSON on this line: {e}", file=p, line=i,
                                hint="JSONL holds one JSON object per line") from None
            if not isinstance(obj, dict):
                raise DataError(f"expected a JSON object, got {_json_kind(obj)}", file=p, line=i,
                                hint='JSONL holds one JSON object per line: {"id": 1}')
            rows.append(obj)
        return rows
    delim = "\t" if kind == "tsv" else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as e:
        raise DataError(f"cannot read the CSV header: {e}", file=p, line=1) from None
    out = []
    try:
        for row in reader:
            if limit is not None and len(out) >= limit:
                break
            if not row:
                continue
            i = reader.line_num
            if len(row) != len(header):
                raise DataError(f"row has {len(row)} columns, the header has {len(header)}", file=p, line=i,
                                hint="every row needs one value per header column (an empty cell is NULL)")
            out.append({h.strip(): parse_scalar(v) for h, v in zip(header, row)})
    except csv.Error as e:
        raise DataError(f"invalid CSV: {e}", file=p, line=reader.line_num) from None
    return out


_LONG_NUMBER = re.compile(rb"\d{19,}")


def _loads(data: bytes) -> Any:
    """orjson, except where a number has 19 digits or more: orjson would make an integer beyond 64 bits
    a float; the standard library keeps it exact (a Python int)."""
    if _LONG_NUMBER.search(data):
        import json

        try:
            return json.loads(data)
        except json.JSONDecodeError as e:
            raise orjson.JSONDecodeError(e.msg, e.doc, e.pos) from None
        except ValueError as e:  # a number of more than 4,300 digits
            raise orjson.JSONDecodeError(str(e).split(";")[0], data.decode(errors="replace"), 0) from None
    return orjson.loads(data)


def _json_kind(v: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
            type(None): "null"}.get(type(v), type(v).__name__)


def _item_line(text: str, index: int) -> int | None:
    """The line the array item ``index`` starts on (the file is one JSON array)."""
    depth, item, line, in_str, esc = 0, 0, 1, False, False
    for ch in text:
        if ch == "\n":
            line += 1
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if depth == 1 and item == index and not ch.isspace() and ch not in ",]":
            return line
        if ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 1:
            item += 1
    return None
