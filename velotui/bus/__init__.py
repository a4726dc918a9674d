"""Topics: where inputs are published, where the engine reads and writes, where sinks are captured.

Two implementations share the ``Bus`` protocol: ``MemoryBus`` (default, in-process) and ``KafkaBus``
(real Kafka, ``velotui.bus.kafka``). Operators never know which one they run on.
"""

from __future__ import annotations

from velotui.bus.base import Bus, TopicListener
from velotui.bus.memory import MemoryBus

__all__ = ["Bus", "MemoryBus", "TopicListener"]
