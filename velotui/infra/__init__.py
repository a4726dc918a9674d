"""Kafka provisioning: a local Apache Kafka broker, an existing cluster, or testcontainers.

``open_cluster(mode)`` yields a ``KafkaCluster`` (or None for the embedded in-memory mode). Anything
unavailable (no Java, no Docker, an unreachable cluster) is an ``InfraError`` (exit code 3) that says
what to do, raised within seconds.
"""

from __future__ import annotations

from velotui.infra.cluster import KafkaCluster, check_reachable, open_cluster
from velotui.infra.local import LocalBroker

__all__ = ["KafkaCluster", "LocalBroker", "check_reachable", "open_cluster"]
