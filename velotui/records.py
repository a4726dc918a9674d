"""The unit of data that flows through velotui: a message on a topic.

Records themselves are plain ``dict[str, Value]`` (the one place loose dicts cross package borders);
a ``Message`` wraps one with its Kafka-style envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Value = Any
Row = dict[str, Value]


@dataclass(slots=True)
class Message:
    """One message on a topic: value plus key, headers, timestamp (epoch ms), partition, offset."""

    value: Row | None
    key: Value = None
    headers: dict[str, str] = field(default_factory=dict)
    timestamp: int = 0
    partition: int = 0
    offset: int = -1
    topic: str = ""
    raw: bytes | None = None  # the undecodable payload when ``value`` could not be decoded
    event_time: int | None = None  # set by the engine once it has read the record's event time

    def envelope(self) -> dict[str, Any]:
        """The message as a JSON-friendly dict (for record detail views and exports)."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.timestamp,
            "key": self.key,
            "headers": dict(self.headers),
            "value": self.value,
        }
