"""In-memory topics: the default bus, instant and exact."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

from velotui.bus.base import TopicListener
from velotui.records import Message, MessageBlock


def partition_for(key: object, partitions: int) -> int:
    """Stable partition of a key (crc32 of its text), 0 for no key."""
    if partitions <= 1 or key is None:
        return 0
    data = key if isinstance(key, bytes) else str(key).encode()
    return zlib.crc32(data) % partitions


class _Topic:
    __slots__ = ("name", "partitions", "released", "blocks", "in_blocks")

    def __init__(self, name: str, partitions: int) -> None:
        self.name = name
        self.partitions: list[list[Message]] = [[] for _ in range(max(1, partitions))]
        self.released = [0] * len(self.partitions)  # per partition: messages taken off by drain()
        # the last messages of partition 0 as the engine's blocks that nobody has read yet (after those of
        # ``partitions[0]``, in offset order): made into messages when a reader needs them (``settle``)
        self.blocks: list[MessageBlock] = []
        self.in_blocks = 0

    def settle(self) -> None:
        """Partition 0 holds every message as a message object."""
        if self.blocks:
            part = self.partitions[0]
            for b in self.blocks:
                part.extend(b.messages())
            self.blocks = []
            self.in_blocks = 0


class MemoryBus:
    """Topics held in lists, per partition. Offsets are assigned on publish."""

    keeps_values = True  # a reader gets the very message objects published (nothing is serialized)

    def __init__(self) -> None:
        self._topics: dict[str, _Topic] = {}
        self._listeners: list[TopicListener] = []

    def create_topic(self, name: str, partitions: int = 1) -> None:
        if name not in self._topics:
            self._topics[name] = _Topic(name, partitions)

    def publish(self, topic: str, messages: Iterable[Message]) -> int:
        self.create_topic(topic)
        t = self._topics[topic]
        t.settle()
        parts, released = t.partitions, t.released
        n_parts = len(parts)
        if n_parts == 1:  # the common case, without per-message partitioning
            batch = messages if isinstance(messages, list) else list(messages)
            part = parts[0]
            base = released[0] + len(part)
            for i, m in enumerate(batch, start=base):
                m.partition = 0
                m.topic = topic
                m.offset = i
            part.extend(batch)
            if batch:
                for listener in self._listeners:
                    listener(topic, batch)
            return len(batch)
        batch = []
        for m in messages:
            if n_parts == 1:
                p = 0
            elif m.key is not None:
                p = partition_for(m.key, n_parts)
            else:
                p = m.partition if 0 <= m.partition < n_parts else 0
            m.partition = p
            m.topic = topic
            m.offset = released[p] + len(parts[p])
            parts[p].append(m)
            batch.append(m)
        if batch:
            for listener in self._listeners:
                listener(topic, batch)
        return len(batch)

    def next_offset(self, topic: str) -> int | None:
        """The offset the next message published to ``topic`` gets, when it has one partition (else None)."""
        t = self._topics.get(topic)
        if t is None or len(t.partitions) != 1:
            return None
        return t.released[0] + len(t.partitions[0]) + t.in_blocks

    def append_stamped(self, topic: str, messages: Sequence[Message]) -> int:
        """Publish messages made for ``topic`` with its name, partition 0 and their offsets from
        ``next_offset`` on set already (the engine's fused outputs: velotui.engine.operators.base.InlineOutput),
        appended as they are; any that are not (the first or the last has another topic, partition or offset
        than publishing would give it) are published as ``publish`` does, which stamps every one. A block
        (MessageBlock) placed so is kept as it is, its messages unmade, until someone reads the topic (or at
        once, when someone listens to it)."""
        base = self.next_offset(topic)
        if not messages:
            return 0
        if isinstance(messages, MessageBlock):
            if base is None or messages.topic != topic or messages.first_offset != base:
                return self.publish(topic, messages.messages())
            t = self._topics[topic]
            if self._listeners or messages.made:
                t.settle()
                messages = messages.messages()
            else:
                t.blocks.append(messages)
                t.in_blocks += len(messages)
                return len(messages)
        first, last = messages[0], messages[-1]
        if (base is None or first.offset != base or last.offset != base + len(messages) - 1
                or first.topic != topic or last.topic != topic or first.partition or last.partition):
            return self.publish(topic, messages)
        t = self._topics[topic]
        t.settle()
        t.partitions[0].extend(messages)
        for listener in self._listeners:
            listener(topic, messages)
        return len(messages)

    def read_all(self, topic: str) -> list[Message]:
        t = self._topics.get(topic)
        if t is None:
            return []
        t.settle()
        if len(t.partitions) == 1:
            return list(t.partitions[0])
        out: list[Message] = []
        for part in t.partitions:
            out.extend(part)
        return out

    def drain(self, topic: str) -> Sequence[Message]:
        """Every message on ``topic`` now (as ``read_all`` gives them), taken off it: the topic holds none of
        them afterwards and its offsets go on from where they were. The reader of a topic nobody else reads
        releases what it has read, so a run that publishes, runs and captures block by block holds one
        block at a time. When the topic holds nothing but the engine's blocks, nobody of which has been read,
        they come as one block (its messages unmade: a reader of the values makes none)."""
        t = self._topics.get(topic)
        if t is None:
            return []
        if t.blocks and not t.partitions[0] and len(t.partitions) == 1 and not any(b.made for b in t.blocks):
            out: Sequence[Message] = MessageBlock.joined(t.blocks)
            t.released[0] += t.in_blocks
            t.blocks, t.in_blocks = [], 0
            return out
        out = self.read_all(topic)
        for p, part in enumerate(t.partitions):
            t.released[p] += len(part)
            t.partitions[p] = []
        return out

    def partitions(self, topic: str) -> int:
        """How many partitions ``topic`` has (0: no such topic)."""
        t = self._topics.get(topic)
        return len(t.partitions) if t is not None else 0

    def topics(self) -> list[str]:
        return list(self._topics)

    def delete_topic(self, name: str) -> None:
        self._topics.pop(name, None)

    @property
    def watched(self) -> bool:
        """Someone listens to what is published (the topic tail): then every record must be published."""
        return bool(self._listeners)

    def add_listener(self, listener: TopicListener) -> None:
        self._listeners.append(listener)

    def close(self) -> None:
        self._topics.clear()
