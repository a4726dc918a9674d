"""Time text shared by the engine, the assertions, the generator and the spec formats: ISO 8601 to epoch
milliseconds; relative times (``now``, ``-1h``, ``+30m``) and durations (``30s``, ``5m``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from velotui.errors import DataError


def iso_to_ms(text: str, fmt: str | None = None) -> int | None:
    """Epoch ms of an ISO 8601 text (a strftime ``fmt`` instead when given); naive times are UTC; None when
    the text is not a time."""
    try:
        dt = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)

_UNITS = {"ms": 1, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "hr": 3_600_000,
          "d": 86_400_000, "w": 604_800_000}
_REL = re.compile(r"^\s*(now)?\s*([+-])\s*(\d+(?:\.\d+)?)\s*(ms|sec|min|hr|s|m|h|d|w)\s*$", re.IGNORECASE)


def parse_duration_ms(text: str | float) -> int:
    if isinstance(text, (int, float)):
        return int(text)
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(ms|sec|min|hr|s|m|h|d|w)?\s*$", text, re.IGNORECASE)
    if not m:
        raise DataError(f"invalid duration {text!r}", hint="use e.g. 500ms, 30s, 5m, 1h, 2d")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "s").lower()])


def resolve_time(value: str | float | None, now_ms: int, *, default: int | None = None) -> int:
    """Epoch ms of ``value``: relative to ``now_ms`` (``-1h``, ``now``, ``+30m``), ISO 8601, or epoch ms."""
    if value is None:
        if default is None:
            raise DataError("a time is required")
        return default
    if isinstance(value, bool):
        raise DataError(f"invalid time {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if text.lower() == "now":
        return now_ms
    m = _REL.match(text)
    if m:
        amount = float(m.group(3)) * _UNITS[m.group(4).lower()]
        return int(now_ms + amount if m.group(2) == "+" else now_ms - amount)
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DataError(f"invalid time {text!r}",
                        hint="use now, a relative time like -1h or +30m, or ISO 8601 like 2024-01-01T10:00:00Z") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)
