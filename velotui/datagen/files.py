"""Fixed inputs and reference tables (CSV/TSV with a header row, JSON lines): read by velotui.datafiles,
the one reader every part of velotui shares, so a value is typed the same way wherever a file is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from velotui.datafiles import CSV_FORMATS, JSON_LINES_FORMATS, parse_scalar, read_rows
from velotui.errors import DataError

FILE_FORMATS = (*JSON_LINES_FORMATS, *CSV_FORMATS)


def load_data_file(path: str | Path, *, fmt: str | None = None, limit: int | None = None,
                   types: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The records of a CSV/TSV or JSON lines file (``fmt`` or the suffix says which); a bad line is an
    error naming the file and line. ``limit``: only the first ones (to learn a file's fields); ``types``:
    declared field types (a schema's), so a CSV cell reads as its field's type (``007`` stays text in a
    string field)."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file not found: {p}", file=p, hint="paths are relative to the file that names them")
    return read_rows(p, fmt, types=types, limit=limit)


__all__ = ["CSV_FORMATS", "FILE_FORMATS", "JSON_LINES_FORMATS", "load_data_file", "parse_scalar"]
