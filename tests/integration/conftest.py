"""A real Apache Kafka broker for the integration tests, started through the project's own script
(the first run downloads the jars from Maven Central; later runs reuse the cache)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from velotui.infra import KafkaCluster, LocalBroker


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaCluster]:
    broker = LocalBroker()
    cluster = broker.start()
    try:
        yield cluster
    finally:
        broker.stop()
