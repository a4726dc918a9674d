"""Time text shared by the engine, the assertions and the generator: ISO 8601 to epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime


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
