"""Event time and watermarks (SQL_SEMANTICS.md §3)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from velotui.sql.dialect import duration_text_ms
from velotui.timefmt import iso_to_ms

NEG_INF = -math.inf
POS_INF = math.inf


def parse_duration(text: str | None, default: int = 0) -> int:
    if text is None or str(text).strip() == "":
        return default
    t = str(text).strip()
    if t.upper().startswith("INTERVAL"):
        t = t[8:].replace("'", " ").strip()
    return duration_text_ms(t)


def event_time_reader(field: str | None, fmt: str | None):  # type: ignore[no-untyped-def]
    """A function (value dict, message timestamp) -> event time in ms (None when unreadable)."""
    fmt = (fmt or "").strip()

    def read(v: Any) -> int | None:
        if v is None or isinstance(v, bool):
            return None
        if isinstance(v, (int, float, Decimal)):
            if fmt == "epoch_seconds":
                return int(float(v) * 1000)
            return int(v)
        text = str(v).strip()
        if fmt in ("", "epoch_millis", "epoch_seconds") and text.lstrip("-").isdigit():
            return int(text) * (1000 if fmt == "epoch_seconds" else 1)
        custom = fmt if fmt and fmt not in ("iso8601", "epoch_millis", "epoch_seconds") else None
        return iso_to_ms(text, custom)

    def convert(v: Any) -> int | None:
        """The event time of a field's value, None when it has none: also NaN, an infinity, and digits ``int``
        refuses ('²', 5000 of them)."""
        try:
            return read(v)
        except (ValueError, OverflowError, ArithmeticError, TypeError):
            return None

    if not field:
        return lambda value, ts: ts
    return lambda value, ts: convert(value.get(field)) if value is not None else None


def message_time(t: Any) -> int | None:
    """A message timestamp as epoch milliseconds: an int as it is, a finite real number cut to an int; None
    when it is none (NaN, an infinity, text, a bool, None: a message only the Python API or another bus
    back-end can make, as files and Kafka give ints)."""
    if type(t) is int:
        return t
    if isinstance(t, bool) or not isinstance(t, (int, float, Decimal)):
        return None
    try:
        return int(t)
    except (ValueError, OverflowError, ArithmeticError):
        return None


class Watermark:
    """max event time seen − max out-of-orderness (``ascending``: the max itself; ``none``: −∞ until the end)."""

    def __init__(self, strategy: str = "bounded_out_of_orderness", max_out_of_orderness_ms: int = 0) -> None:
        self.strategy = (strategy or "bounded_out_of_orderness").lower()
        self.delay = 0 if self.strategy == "ascending" else max_out_of_orderness_ms
        self.max_seen: float = NEG_INF
        self.value: float = NEG_INF

    def observe(self, t: int) -> float:
        if t > self.max_seen:
            self.max_seen = t
            if self.strategy != "none":
                self.value = t - self.delay
        return self.value

    def finish(self) -> float:
        self.value = POS_INF
        return self.value
