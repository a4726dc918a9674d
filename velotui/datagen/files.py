"""Fixed inputs and reference tables (CSV/TSV with a header row, JSON lines, a JSON array): read by
velotui.datafiles, the one reader every part of velotui shares, so a value is typed the same way wherever
a file is read, and every file is opened through the suite's path resolver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from velotui.datafiles import CSV_FORMATS, JSON_LINES_FORMATS, parse_scalar, read_rows
from velotui.errors import DataError

FILE_FORMATS = (*JSON_LINES_FORMATS, *CSV_FORMATS)


def load_data_file(path: str | Path, *, fmt: str | None = None, limit: int | None = None, what: str = "data file",
                   named_in: str | Path | None = None, line: int | None = None, allow_empty: bool = False,
                   types: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The records of a CSV/TSV (header row, typed cells), JSON lines or JSON (one array of objects) file
    (``fmt`` or the suffix says which); a bad line is an error naming the file and line. ``limit``: only
    the first ones (to learn a file's fields); ``types``: declared field types (a schema's), so a CSV cell
    reads as its field's type (``007`` stays text in a string field).

    The file is opened through the suite's path resolver (velotui.files): outside the suite, a FIFO or a
    device is refused; text must be UTF-8. An empty file is an error unless ``allow_empty`` (a sink that
    wrote nothing): an input with no records says ``records: 0`` instead."""
    p = Path(path)
    kind = (fmt or p.suffix.lstrip(".")).lower()
    if kind not in FILE_FORMATS:
        raise DataError(f"unsupported data file format {kind!r}", file=p,
                        hint="use csv, tsv, or JSON lines (jsonl, jsonlines, ndjson, json)")
    return read_rows(p, fmt, types=types, limit=limit, what=what, named_in=named_in, line=line,
                     allow_empty=allow_empty)


__all__ = ["CSV_FORMATS", "FILE_FORMATS", "JSON_LINES_FORMATS", "load_data_file", "parse_scalar"]
