"""The Bus protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from velotui.records import Message

TopicListener = Callable[[str, Sequence[Message]], None]
"""Called with (topic, messages) after messages are appended to a topic (used by the topic tail)."""


class Bus(Protocol):
    """A set of topics. Bounded runs read a topic's whole content with ``read_all``."""

    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Create ``name`` (no-op when it exists)."""

    def publish(self, topic: str, messages: Iterable[Message]) -> int:
        """Append messages (partition from the message, or by key hash); return how many."""

    def read_all(self, topic: str) -> list[Message]:
        """Every message in ``topic`` now: per partition in offset order, partitions in order."""

    def topics(self) -> list[str]:
        """Names of the topics that exist."""

    def delete_topic(self, name: str) -> None:
        """Delete ``name`` (no-op when missing)."""

    def add_listener(self, listener: TopicListener) -> None:
        """Call ``listener`` for every batch of messages appended to any topic."""

    def close(self) -> None:
        """Release resources (topics of a memory bus are kept until then)."""
