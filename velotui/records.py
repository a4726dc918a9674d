"""The unit of data that flows through velotui: a message on a topic.

Records themselves are plain ``dict[str, Value]`` (the one place loose dicts cross package borders);
a ``Message`` wraps one with its Kafka-style envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from typing import Any

Value = Any
Row = dict[str, Value]


@dataclass(slots=True)
class Message:
    """One message on a topic: value plus key, headers, timestamp (epoch ms), partition, offset.

    ``headers`` is read-only: messages may share one dict (generated inputs with the same timestamp do, an
    output shares its input's); code that adds a header makes a new dict (``{**m.headers, k: v}``)."""

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


def messages_of(values: list[Row], headers: list[dict[str, str]], timestamps: list[int],
                keys: list[Value] | None = None) -> list[Message]:
    """``Message(value, key, headers, timestamp)`` for parallel lists, made in bulk: the same objects,
    without a call to the dataclass's ``__init__`` per message (``object.__new__`` and nine slot stores
    cost about a third of it). No keys: every key is None."""
    new, cls = object.__new__, Message
    out: list[Message] = []
    append = out.append
    for v, k, h, t in zip(values, keys if keys is not None else repeat(None), headers, timestamps):
        m = new(cls)
        m.value = v; m.key = k; m.headers = h; m.timestamp = t  # noqa: E702
        m.partition = 0; m.offset = -1; m.topic = ""; m.raw = None; m.event_time = None  # noqa: E702
        append(m)
    return out


@dataclass(slots=True)
class RecordColumns:
    """Records held as columns, one list per field (``names``), with each record's message envelope: what
    generation makes, and what the engine's stateless operators read as it is, with no dict and no message
    per record (velotui.engine.operators.stateless). ``record``/``message`` make one record or message
    (for an error that names it); ``messages`` makes them all, as ``messages_of`` would."""

    names: list[str]
    columns: list[list[Value]]
    timestamps: list[int]
    headers: list[dict[str, str]]
    keys: list[Value] | None = None

    def __len__(self) -> int:
        return len(self.timestamps)

    def record(self, i: int) -> Row:
        return dict(zip(self.names, [c[i] for c in self.columns]))

    def message(self, i: int, topic: str, offset: int) -> Message:
        """Record ``i`` as the message a topic would hold at ``offset`` (partition 0)."""
        return Message(self.record(i), self.keys[i] if self.keys is not None else None, self.headers[i],
                       self.timestamps[i], 0, offset, topic)

    def messages(self, records: list[Row], topic: str = "", first_offset: int = -1) -> list[Message]:
        """Every record (``records``: the rows of these columns, made by whoever holds them) as a message;
        with a topic, the offsets it would give them from ``first_offset`` on (partition 0)."""
        out = messages_of(records, self.headers, self.timestamps, self.keys)
        if topic:
            for i, m in enumerate(out, start=first_offset):
                m.topic = topic
                m.offset = i
        return out


INT64_MAX = 2**63 - 1
# a schema field's kind -> the Python types its values may have (any other kind: text)
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,), "timestamp": (int,), "float": (int, float, Decimal), "decimal": (int, float, Decimal),
    "boolean": (bool,),
}


def column_fits(values: list[Any], kind: str, nullable: bool) -> bool:
    """Every value of a column fits a field of ``kind``: its type (``type(v)``, so a bool is no integer), NULL
    only where the field may be NULL, integers within 64 bits. The column-wise form of the check the engine
    makes of each record it reads (velotui.engine.sources), at C speed."""
    types = set(map(type, values))
    if type(None) in types:
        if not nullable:
            return False
        types.discard(type(None))
        values = [v for v in values if v is not None]
    if not types <= set(FIELD_TYPES.get(kind, (str,))):
        return False
    if kind in ("integer", "timestamp") and values:
        return -INT64_MAX <= min(values) and max(values) <= INT64_MAX
    return True


# Every error_type a dead letter can have (the one list: dlq_count / error_rate refuse any other name). The
# embedded engine's: decoding and schema checks of what a statement reads (velotui/engine/sources.py), CSV rows
# and event times of file sources (engine/driver.py), failed CASTs, row errors of expressions and aggregates
# (engine/expr, engine/operators) and late records; the fault injector's malformed kinds (core/faults.py) are
# among them; ``engine_error`` is what a Velostream dead letter that names no kind is read as.
DEAD_LETTER_KINDS: tuple[str, ...] = (
    "invalid_json", "invalid_encoding", "truncated", "empty_record", "wrong_type", "missing_field",
    "unexpected_null", "overflow", "bad_row", "bad_timestamp", "cast", "division_by_zero", "arithmetic",
    "function_error", "late_record", "engine_error",
)
