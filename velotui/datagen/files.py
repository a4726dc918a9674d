"""Fixed inputs and reference tables (CSV with a header row, JSON lines): read by velotui.datafiles, the
one reader every part of velotui shares, so a value is typed the same way wherever a file is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from velotui.datafiles import parse_scalar, read_rows
from velotui.errors import DataError


def load_data_file(path: str | Path, *, fmt: str | None = None,
                   types: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The records of a data file; a bad line is an error naming the file and line. ``types``: declared
    field types (a schema's), so a CSV cell reads as its field's type (``007`` stays text in a string
    field)."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file not found: {p}", file=p, hint="paths are relative to the file that names them")
    return read_rows(p, fmt, types=types)


__all__ = ["load_data_file", "parse_scalar"]
