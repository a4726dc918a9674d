"""In-memory topics: the default bus, instant and exact."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from velotui.bus.base import TopicListener
from velotui.records import Message


def partition_for(key: object, partitions: int) -> int:
    """Stable partition of a key (crc32 of its text), 0 for no key."""
    if partitions <= 1 or key is None:
        return 0
    data = key if isinstance(key, bytes) else str(key).encode()
    return zlib.crc32(data) % partitions


class _Topic:
    __slots__ = ("name", "partitions", "released")

    def __init__(self, name: str, partitions: int) -> None:
        self.name = name
        self.partitions: list[list[Message]] = [[] for _ in range(max(1, partitions))]
        self.released = [0] * len(self.partitions)  # per partition: messages taken off by drain()


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
        return t.released[0] + len(t.partitions[0])

    def append_stamped(self, topic: str, messages: list[Message]) -> int:
        """Publish messages made for ``topic`` with its name, partition 0 and their offsets from
        ``next_offset`` on set already (the engine's fused outputs: velotui.engine.operators.base.InlineOutput),
        appended as they are; any that are not (the first or the last has another topic, partition or offset
        than publishing would give it) are published as ``publish`` does, which stamps every one."""
        base = self.next_offset(topic)
        if not messages:
            return 0
        first, last = messages[0], messages[-1]
        if (base is None or first.offset != base or last.offset != base + len(messages) - 1
                or first.topic != topic or last.topic != topic or first.partition or last.partition):
            return self.publish(topic, messages)
        self._topics[topic].partitions[0].extend(messages)
        for listener in self._listeners:
            listener(topic, messages)
        return len(messages)

    def read_all(self, topic: str) -> list[Message]:
        t = self._topics.get(topic)
        if t is None:
            return []
        if len(t.partitions) == 1:
            return list(t.partitions[0])
        out: list[Message] = []
        for part in t.partitions:
            out.extend(part)
        return out

    def drain(self, topic: str) -> list[Message]:
        """Every message on ``topic`` now (as ``read_all`` gives them), taken off it: the topic holds none of
        them afterwards and its offsets go on from where they were. The reader of a topic nobody else reads
        releases what it has read, so a run that publishes, runs and captures block by block holds one
        block at a time."""
        t = self._topics.get(topic)
        if t is None:
            return []
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
