"""The unit of data that flows through velotui: a message on a topic.

Records themselves are plain ``dict[str, Value]`` (the one place loose dicts cross package borders);
a ``Message`` wraps one with its Kafka-style envelope.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from typing import Any, overload

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


class MessageBlock(Sequence[Message]):
    """Messages held as columns: the outputs of the engine's fused operators (the value, a record and never
    None, the headers and the timestamp of each, no key), on partition 0 of ``topic`` from ``first_offset`` on
    (or, with no topic, not placed yet: offset -1). A ``Sequence[Message]``: the message objects are made (of
    class ``cls``, the timestamp also the event time, as ``cls(value, None, headers, timestamp, 0, offset,
    topic, None, timestamp)`` makes them) the first time anyone reads one, all at once and only once, so every
    reader gets the very same objects; a reader of the values alone (``values``) makes none. The memory bus
    holds a block as it is until a reader asks for messages (velotui.bus.memory)."""

    __slots__ = ("values", "headers", "timestamps", "topic", "first_offset", "cls", "_messages")

    def __init__(self, values: list[Row], headers: list[dict[str, str]], timestamps: list[int], topic: str = "",
                 first_offset: int = -1, cls: type[Message] = Message) -> None:
        self.values = values
        self.headers = headers
        self.timestamps = timestamps
        self.topic = topic
        self.first_offset = first_offset
        self.cls = cls
        self._messages: list[Message] | None = None

    @property
    def made(self) -> bool:
        """Whether its message objects exist already (someone has read one)."""
        return self._messages is not None

    def messages(self) -> list[Message]:
        """Its messages (made now if nobody has read one yet; the same list every time)."""
        out = self._messages
        if out is None:
            new, cls, topic = object.__new__, self.cls, self.topic
            out = []
            append = out.append
            o = self.first_offset if topic else -1
            step = 1 if topic else 0
            for v, h, t in zip(self.values, self.headers, self.timestamps):
                m = new(cls)
                m.value = v; m.key = None; m.headers = h; m.timestamp = t  # noqa: E702
                m.partition = 0; m.offset = o; m.topic = topic; m.raw = None; m.event_time = t  # noqa: E702
                o += step
                append(m)
            self._messages = out
        return out

    def __len__(self) -> int:
        return len(self.values)

    def __bool__(self) -> bool:
        return bool(self.values)

    @overload
    def __getitem__(self, i: int) -> Message: ...

    @overload
    def __getitem__(self, i: slice) -> list[Message]: ...

    def __getitem__(self, i: int | slice) -> Message | list[Message]:
        return self.messages()[i]

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (MessageBlock, list)):
            return self.messages() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MessageBlock({len(self)} messages, topic={self.topic!r}, first_offset={self.first_offset})"

    @classmethod
    def joined(cls, blocks: Sequence[MessageBlock]) -> MessageBlock:
        """One block of consecutive blocks of one topic, none of whose messages are made yet."""
        if len(blocks) == 1:
            return blocks[0]
        first = blocks[0]
        values: list[Row] = []
        headers: list[dict[str, str]] = []
        times: list[int] = []
        for b in blocks:
            values += b.values
            headers += b.headers
            times += b.timestamps
        return cls(values, headers, times, first.topic, first.first_offset, first.cls)


def values_of(messages: Sequence[Message]) -> list[Row | None]:
    """The value of every message, in order (a block's own list, without making its messages: read it, do not
    change it)."""
    if isinstance(messages, MessageBlock):
        return messages.values
    return [m.value for m in messages]


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
