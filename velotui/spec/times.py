"""Times written in specs and schemas (``start_time``, ``timestamp_range.start`` …): read when the file loads,
so a time the run could not read is an error at its line, not a failed run."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from velotui.errors import DataError
from velotui.timefmt import resolve_time


def _readable(v: Any) -> Any:
    """A time as written: relative (``-1h``, ``now``), ISO 8601 or epoch ms. An ISO date or date-time written
    without quotes (YAML reads it as a date) is that date; anything else resolve_time cannot read is refused."""
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if v is None:
        return v
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise ValueError(f"{v!r} is not a time: use now, a relative time like -1h or +30m, ISO 8601 like "
                         "2024-01-01T10:00:00Z, or epoch milliseconds")
    try:
        resolve_time(v, 0)
    except DataError as e:
        raise ValueError(f"{e.message}: use now, a relative time like -1h or +30m, ISO 8601 like "
                         "2024-01-01T10:00:00Z, or epoch milliseconds") from None
    return v


TimeText = Annotated[str | int, BeforeValidator(_readable)]
"""A time a spec or schema gives: checked readable when it loads."""


def check_order(start: Any, end: Any, what: str) -> None:
    """``start`` is not after ``end`` when both say so whatever 'now' is (both relative, or both absolute)."""
    if start is None or end is None:
        return
    early, late = -(10**15), 10**15  # 'now' some 30,000 years before and after today
    if resolve_time(start, early) > resolve_time(end, early) and resolve_time(start, late) > resolve_time(end, late):
        raise ValueError(f"{what} start ({start}) is after its end ({end})")
