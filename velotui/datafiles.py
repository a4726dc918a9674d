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
            d = Decimal(text.strip())
            return d if d.is_finite() else text  # 'NaN', 'Infinity': no DECIMAL, as CAST has it
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


_LONG_DIGITS = re.compile(rb"\d{19}")


def json_loads(data: bytes | str) -> Any:
    """JSON text as values, integers of any size exact (orjson would read one beyond 64 bits as a float);
    a number of more than 4,300 digits is a JSONDecodeError, like any other bad JSON."""
    raw = data.encode() if isinstance(data, str) else data
    if _LONG_DIGITS.search(raw) is None:
        return orjson.loads(raw)
    import json

    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise orjson.JSONDecodeError(e.msg, e.doc, e.pos) from None
    except ValueError as e:  # a number of more than 4,300 digits (Python's limit on int text)
        raise orjson.JSONDecodeError(str(e).split(";")[0], raw.decode(errors="replace"), 0) from None


def json_bytes(value: Any) -> bytes:
    """One value as compact JSON: DECIMAL as a number, integers beyond 64 bits exact (as JSON allows)."""
    try:
        return orjson.dumps(value, default=_json_default)
    except TypeError:  # an integer orjson cannot hold (beyond 64 bits): the standard library writes it exactly
        import json

        return json.dumps(value, default=_json_default, separators=(",", ":"), ensure_ascii=False).encode()


# -- reading ----------------------------------------------------------------------------------------
def read_rows(path: str | Path, fmt: str | None = None, *, types: dict[str, str] | None = None,
              has_headers: bool = True, on_bad_row: BadRow | None = None, limit: int | None = None,
              what: str = "file", named_in: str | Path | None = None, line: int | None = None,
              allow_empty: bool = True) -> list[dict[str, Any]]:
    """The records of a CSV or JSON-lines file (see the module docstring); ``limit``: the first ones only.

    The file is opened through the suite's path resolver (velotui.files): outside the suite, a FIFO or a
    device is refused, and so is a file beyond ``files.MAX_DATA_BYTES``; text must be UTF-8. ``what``,
    ``named_in`` and ``line`` say what names the file and where, for the errors. An empty file is an error
    unless ``allow_empty``."""
    from velotui import files

    p = Path(path)
    kind = file_format(p, fmt)
    real = files.resolve(p, what=what, named_in=named_in, line=line)
    if not real.exists():
        raise DataError(f"{what} not found: {p}", file=named_in or p, line=line if named_in else None,
                        hint="paths are relative to the file that names them")
    data = files.read_bytes(real, what=what, named_in=named_in, line=line, max_bytes=files.MAX_DATA_BYTES,
                            error=DataError)
    text = files.decode_text(data, p, error=DataError)
    if not text.strip():
        if allow_empty:
            return []
        raise DataError(f"{what} is empty", file=p, line=1,
                        hint="put the records in it (one JSON object per line, or a CSV header and rows), "
                        "or give the input records: 0")
    if kind == "jsonl":
        return _read_json_lines(p, data, text, fmt, on_bad_row, limit)
    return _read_csv(p, text, "\t" if kind == "tsv" else ",", types or {}, has_headers, on_bad_row, limit)


def _bad(p: Path, line: int | None, message: str, raw: str, on_bad_row: BadRow | None,
         hint: str | None = None) -> None:
    if on_bad_row is None:
        raise DataError(message, file=p, line=line, hint=hint)
    on_bad_row(line or 1, message, raw)


def _json_kind(v: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
            type(None): "null"}.get(type(v), type(v).__name__)


def _read_json_lines(p: Path, data: bytes, text: str, fmt: str | None, on_bad_row: BadRow | None,
                     limit: int | None = None) -> list[dict[str, Any]]:
    if text.lstrip().startswith("[") and (p.suffix == ".json" or str(fmt or "").lower() == "json"):
        try:
            items = json_loads(data)
        except orjson.JSONDecodeError as e:
            raise DataError(f"invalid JSON: {e}", file=p, line=getattr(e, "lineno", None),
                            hint="a .json data file holds one array of objects") from None
        if not isinstance(items, list):
            raise DataError("expected a JSON array of objects", file=p, line=1)
        out = []
        for i, x in enumerate(items):
            if isinstance(x, dict):
                out.append(x)
            else:
                _bad(p, _item_line(text, i), f"item {i} of the array is {_json_kind(x)}, not an object", str(x),
                     on_bad_row, hint='each record is an object: [{"id": 1}, {"id": 2}]')
        return out[:limit] if limit is not None else out
    rows: list[dict[str, Any]] = []
    for i, raw_line in enumerate(data.splitlines(), start=1):
        if limit is not None and len(rows) >= limit:
            break
        if not raw_line.strip():
            continue
        raw = raw_line.decode(errors="replace")
        try:
            obj = json_loads(raw_line)
        except orjson.JSONDecodeError as e:
            _bad(p, i, f"invalid JSON on this line: {e}", raw, on_bad_row, hint="JSONL holds one JSON object per line")
            continue
        if not isinstance(obj, dict):
            _bad(p, i, f"expected a JSON object, got {_json_kind(obj)}", raw, on_bad_row,
                 hint='JSONL holds one JSON object per line: {"id": 1}')
            continue
        rows.append(obj)
    return rows


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


def _read_csv(p: Path, text: str, delim: str, types: dict[str, str], has_headers: bool,
              on_bad_row: BadRow | None, limit: int | None = None) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    out: list[dict[str, Any]] = []
    try:
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
                _bad(p, line, f"row has {len(row)} columns, the header has {len(header)}", delim.join(row),
                     on_bad_row, hint="every row needs one value per header column (an empty cell is NULL)")
                continue
            out.append({h: typed_cell(v, types.get(h)) for h, v in zip(header, row)})
    except csv.Error as e:  # a field beyond the csv module's size limit, a NUL
        raise DataError(f"invalid CSV: {e}", file=p, line=reader.line_num) from None
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
