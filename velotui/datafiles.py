"""CSV and JSON-lines files of records: the one reader and writer that the engine (file sources and
sinks), the generator (data files), the assertions (file checks) and the TUI export share, so a value is
typed the same way wherever a file is read.

Reading:
- JSON lines (``.jsonl``, ``.ndjson``, format ``jsonl``/``jsonlines``/``json``): one JSON object per line;
  blank lines are skipped. A ``.json`` file whose content is a JSON array holds the records as its items.
- CSV (``.csv``, ``.tsv``): a header row names the columns (or ``column1, column2, …`` without one). A cell
  is typed by the declared type of its column when one is known (``integer``, ``float``, ``decimal``,
  ``boolean``, ``string``, ``timestamp``, …), otherwise by ``parse_scalar``: empty is NULL, then integer,
  float, ``true``/``false``, else the text. A cell that does not read as its declared type stays text (a
  schema check downstream reports it).
- A bad line (invalid JSON, not an object, a CSV row with another number of cells than the header) is
  an error naming the file and line, or, when the caller passes ``on_bad_row``, reported to it and
  skipped (the engine turns it into a dead letter of the query reading the file).

Writing: JSON lines (DECIMAL as a JSON number, integers of any size exact) or CSV with a header row;
``append`` adds to an existing file (a CSV keeps the file's header and writes none).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson

from velotui.errors import DataError

JSON_LINES_FORMATS = ("jsonl", "jsonlines", "ndjson", "json")  # json: JSON lines, or one JSON array
CSV_FORMATS = ("csv", "tsv")
BadRow = Callable[[int, str, str], None]  # (line, message, the line's text)


def file_format(path: Path, fmt: str | None = None) -> str:
    """``jsonl`` or ``csv`` (or ``tsv``) for a format name or, without one, the file's suffix."""
    kind = str(fmt or path.suffix.lstrip(".") or "csv").lower()
    if kind in JSON_LINES_FORMATS:
        return "jsonl"
    if kind in CSV_FORMATS:
        return kind
    raise DataError(f"unsupported data file format {kind!r}", file=path,
                    hint="use csv, tsv, or JSON lines (jsonl, jsonlines, ndjson, json)")


# -- values -----------------------------------------------------------------------------------------
def parse_scalar(text: str) -> Any:
    """A CSV cell without a declared type: empty is NULL, then integer, float, boolean, else the text."""
    if text == "":
        return None
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    if len(t) <= 400:
        try:
            if t.lstrip("+-").isdigit():
                return int(t)
            if any(c.isdigit() for c in t):
                v = float(t)
                if low not in ("nan", "inf", "-inf", "infinity", "+inf", "-infinity"):
                    return v
        except ValueError:
            pass
    return text


_INTEGER = ("integer", "int", "bigint", "long", "smallint", "tinyint")
_FLOAT = ("float", "double", "real", "number")
_STRING = ("string", "varchar", "text", "str", "uuid", "date", "char")


def typed_cell(text: str, declared: str | None) -> Any:
    """A CSV cell as its column's declared type; text that does not read as that type stays text."""
    if not declared:
        return parse_scalar(text)
    if text == "":
        return None
    t = declared.lower()
    try:
        if t in _INTEGER:
            return int(text) if len(text) <= 400 else text
        if t in _FLOAT:
            return float(text)
        if t.startswith("decimal") or t == "numeric":
            return Decimal(text.strip())
        if t in ("boolean", "bool"):
            low = text.strip().lower()
            return True if low in ("true", "1", "yes") else False if low in ("false", "0", "no") else text
        if t in _STRING:
            return text
        if t == "timestamp":
            s = text.strip()
            return int(s) if s.lstrip("-").isdigit() and len(s) <= 30 else text
    except (ValueError, InvalidOperation):
        return text
    return parse_scalar(text)


def _json_default(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return str(v)


_LONG_DIGITS = re.compile(rb"\d{20}")


def json_loads(data: bytes | str) -> Any:
    """JSON text as values, integers of any size exact (orjson would read one beyond 64 bits as a float)."""
    raw = data.encode() if isinstance(data, str) else data
    if _LONG_DIGITS.search(raw) is None:
        return orjson.loads(raw)
    import json

    try:
        return json.loads(raw)
    except ValueError as e:
        raise orjson.JSONDecodeError(str(e), raw.decode(errors="replace"), 0) from None


def json_bytes(value: Any) -> bytes:
    """One value as compact JSON: DECIMAL as a number, integers beyond 64 bits exact (as JSON allows)."""
    try:
        return orjson.dumps(value, default=_json_default)
    except TypeError:  # an integer orjson cannot hold (beyond 64 bits): the standard library writes it exactly
        import json

        return json.dumps(value, default=_json_default, separators=(",", ":"), ensure_ascii=False).encode()


# -- reading ----------------------------------------------------------------------------------------
def read_rows(path: str | Path, fmt: str | None = None, *, types: dict[str, str] | None = None,
              has_headers: bool = True, on_bad_row: BadRow | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
    """The records of a CSV or JSON-lines file (see the module docstring); ``limit``: the first ones only."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p}", file=p, hint="paths are relative to the file that names them")
    kind = file_format(p, fmt)
    data = p.read_bytes()
    if kind == "jsonl":
        return _read_json_lines(p, data, fmt, on_bad_row, limit)
    try:
        text = data.decode()
    except UnicodeDecodeError as e:
        raise DataError(f"not UTF-8 text (byte {e.start})", file=p, hint="save the file as UTF-8") from None
    return _read_csv(p, text, "\t" if kind == "tsv" else ",", types or {}, has_headers, on_bad_row, limit)


def _bad(p: Path, line: int, message: str, raw: str, on_bad_row: BadRow | None, hint: str | None = None) -> None:
    if on_bad_row is None:
        raise DataError(message, file=p, line=line, hint=hint)
    on_bad_row(line, message, raw)


def _read_json_lines(p: Path, data: bytes, fmt: str | None, on_bad_row: BadRow | None,
                     limit: int | None = None) -> list[dict[str, Any]]:
    stripped = data.lstrip()
    if stripped.startswith(b"[") and (p.suffix == ".json" or str(fmt or "").lower() == "json"):
        try:
            items = json_loads(data)
        except orjson.JSONDecodeError as e:
            raise DataError(f"invalid JSON: {e}", file=p) from None
        out = []
        for i, x in enumerate(items, start=1):
            if isinstance(x, dict):
                out.append(x)
            else:
                _bad(p, 1, f"item {i} of the JSON array is a {type(x).__name__}, not an object", str(x), on_bad_row)
        return out
    rows: list[dict[str, Any]] = []
    for i, line in enumerate(data.splitlines(), start=1):
        if limit is not None and len(rows) >= limit:
            break
        if not line.strip():
            continue
        raw = line.decode(errors="replace")
        try:
            obj = json_loads(line)
        except orjson.JSONDecodeError as e:
            _bad(p, i, f"invalid JSON on this line: {e}", raw, on_bad_row, hint="JSONL holds one JSON object per line")
            continue
        if not isinstance(obj, dict):
            _bad(p, i, f"expected a JSON object, got {type(obj).__name__}", raw, on_bad_row)
            continue
        rows.append(obj)
    return rows


def _read_csv(p: Path, text: str, delim: str, types: dict[str, str], has_headers: bool,
              on_bad_row: BadRow | None, limit: int | None = None) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    out: list[dict[str, Any]] = []
    for row in reader:
        line = reader.line_num
        if limit is not None and len(out) >= limit:
            break
        if not row:
            continue
        if header is None:
            if has_headers:
                header = [h.strip() for h in row]
                continue
            header = [f"column{i + 1}" for i in range(len(row))]
        if len(row) != len(header):
            _bad(p, line, f"row has {len(row)} columns, the header has {len(header)}", delim.join(row), on_bad_row)
            continue
        out.append({h: typed_cell(v, types.get(h)) for h, v in zip(header, row)})
    return out


# -- writing ----------------------------------------------------------------------------------------
def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json_bytes(v).decode()
    return v


def _existing_header(p: Path, delim: str) -> list[str] | None:
    if not p.exists() or p.stat().st_size == 0:
        return None
    with p.open(newline="") as fh:
        first = next(csv.reader(fh, delimiter=delim), None)
    return [h.strip() for h in first] if first else None


def write_rows(path: str | Path, rows: Iterable[dict[str, Any] | None], fmt: str | None = None, *,
               append: bool = False) -> int:
    """Write records as JSON lines or CSV (see the module docstring); returns how many were written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    kind = file_format(p, fmt)
    items = [r if r is not None else {} for r in rows]
    if kind == "jsonl":
        with p.open("ab" if append else "wb") as fh:
            fh.write(b"".join(json_bytes(r) + b"\n" for r in items))
        return len(items)
    delim = "\t" if kind == "tsv" else ","
    header = _existing_header(p, delim) if append else None
    cols = list(header or [])
    if header is None:
        for r in items:
            for k in r:
                if k not in cols:
                    cols.append(k)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\n")
    if header is None:
        w.writerow(cols)
    for r in items:
        w.writerow([_csv_cell(r.get(c)) for c in cols])
    with p.open("a" if append and header is not None else "w", newline="") as fh:
        fh.write(buf.getvalue())
    return len(items)


__all__ = ["file_format", "json_bytes", "parse_scalar", "read_rows", "typed_cell", "write_rows"]
