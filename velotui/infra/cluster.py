"""Choosing and checking a Kafka cluster for a run."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from velotui.errors import InfraError, SpecError

RDKAFKA_LOG = logging.getLogger("velotui.kafka")
RDKAFKA_LOG.addHandler(logging.NullHandler())  # silent unless the application configures logging


@dataclass
class KafkaCluster:
    bootstrap: str
    client_config: dict[str, str] = field(default_factory=dict)
    mode: str = "external"  # local | external | testcontainers
    brokers: int = 1  # nodes of a cluster velotui started (--kafka local --brokers N); 1 otherwise

    def config(self, **extra: Any) -> dict[str, Any]:
        """Client configuration for confluent-kafka: bootstrap servers plus the user's extra properties.
        librdkafka's own log lines go to the ``velotui.kafka`` logger, not straight to stderr: a broker
        that dies mid-run is one clear error, not hundreds of reconnect lines."""
        return {"bootstrap.servers": self.bootstrap, "logger": RDKAFKA_LOG, **self.client_config, **extra}


def _flatten(cfg: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in cfg.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v).lower() if isinstance(v, bool) else str(v)
    return out


def tcp_reachable(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """Whether any bootstrap address accepts a TCP connection (a killed broker refuses at once)."""
    import socket

    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        host = host.strip("[]") or "localhost"
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


class BrokerMonitor:
    """Watches a cluster while a run uses it: when no bootstrap address accepts a connection (within
    :data:`CONNECT_S`) :data:`MISSES` times in a row, checked every :data:`INTERVAL_S` — 1.5 s for a
    broker that refuses, about 7.5 s for one that no longer answers at all — ``on_down(message)`` is
    called once, from the monitor's
    thread. The run then stops the query in flight at once (velotui.watchdog) instead of letting it wait
    out Kafka client timeouts: a broker that dies mid-run is exit 3 within seconds."""

    INTERVAL_S = 0.5
    CONNECT_S = 2.0
    MISSES = 3

    def __init__(self, cluster: KafkaCluster, on_down: Any) -> None:
        import threading

        self.cluster = cluster
        self.on_down = on_down
        self.down: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="velotui-broker-monitor", daemon=True)

    def __enter__(self) -> BrokerMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    def _watch(self) -> None:
        misses = 0
        while not self._stop.wait(self.INTERVAL_S):
            if tcp_reachable(self.cluster.bootstrap, timeout_s=self.CONNECT_S):
                misses = 0
                continue
            misses += 1
            if misses >= self.MISSES:
                self.down = (f"cannot reach Kafka at {self.cluster.bootstrap}: the broker stopped accepting "
                             "connections mid-run")
                self.on_down(self.down)
                return


def check_reachable(cluster: KafkaCluster, timeout_s: float = 5.0) -> None:
    """Ask the cluster for its metadata; an InfraError within ``timeout_s`` when it does not answer."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(cluster.config(**{"socket.connection.setup.timeout.ms": int(timeout_s * 1000)}))
    try:
        admin.list_topics(timeout=timeout_s)
    except KafkaException as e:
        raise InfraError(f"cannot reach Kafka at {cluster.bootstrap}: {e.args[0].str() if e.args else e}",
                         hint="check the address, that the broker runs, and --kafka-config for SASL/SSL; "
                         "or run without --kafka (embedded) or with --kafka local") from None


MODES = ("embedded", "local", "testcontainers")


def check_mode(mode: str) -> str:
    """``mode`` stripped, when it is a mode of ``--kafka`` (embedded, local, testcontainers, external/env)
    or a bootstrap list of HOST:PORT entries; else a SpecError (exit 2) at once: a typo such as ``lcoal``
    is not tried as a host name for seconds and then reported as an unreachable cluster."""
    text = (mode or "").strip()
    if text in (*MODES, "external", "env"):
        return text
    entries = [e.strip() for e in text.split(",")]
    if text and all(e.rpartition(":")[0].strip("[]") and e.rpartition(":")[2].isdigit() for e in entries):
        return text
    import difflib

    close = difflib.get_close_matches(text.lower(), MODES, n=1, cutoff=0.6)
    hint = f"did you mean --kafka {close[0]}? " if close else ""
    raise SpecError(f"--kafka {mode!r}: not a mode (embedded, local, testcontainers) nor a HOST:PORT[,…] "
                    "bootstrap list", hint=hint + "e.g. --kafka local, or --kafka broker1:9092,broker2:9092")


def check_client_config(config: dict[str, str], source: Path | None) -> None:
    """librdkafka's verdict on the ``--kafka-config`` properties, before any broker is started or asked:
    a misspelt key (``sasl.mechanizm``) or a value it refuses is a config error (exit 2) naming the file,
    not an internal error of the first client the run creates."""
    if not config:
        return
    from confluent_kafka import KafkaException, Producer

    # a client is the only validator librdkafka has; this one is never used (its bootstrap is a port
    # nothing listens on, and it is dropped at once)
    try:
        Producer({**config, "bootstrap.servers": "127.0.0.1:9", "logger": RDKAFKA_LOG})
    except (KafkaException, TypeError, ValueError) as e:
        what = e.args[0].str() if e.args and hasattr(e.args[0], "str") else str(e)
        raise SpecError(f"--kafka-config {source}: librdkafka refuses it: {what}",
                        hint="keys are librdkafka client properties (security.protocol, sasl.mechanism, "
                        "sasl.username, ssl.ca.location…): see librdkafka's CONFIGURATION.md") from None


@contextmanager
def open_cluster(mode: str, *, config_file: Path | None = None, keep: bool = False,
                 reuse: bool = False, image: str | None = None, brokers: int = 1) -> Iterator[KafkaCluster | None]:
    """``embedded`` (None), ``local`` (``brokers`` nodes), ``testcontainers``, or ``HOST:PORT[,…]``."""
    mode = check_mode(mode) if (mode or "").strip() else "embedded"
    if brokers != 1 and mode != "local":
        raise InfraError(f"--brokers {brokers} needs --kafka local (velotui starts the cluster's nodes itself)",
                         hint="use --kafka local --brokers 3, or point --kafka at your own cluster")
    extra: dict[str, str] = {}
    if config_file is not None:
        from velotui.spec.config import load_config_file

        extra = _flatten(load_config_file(config_file))
        extra.pop("bootstrap.servers", None)
        if mode != "embedded":
            check_client_config(extra, config_file)
    if mode == "embedded":
        yield None
        return
    if mode in ("local", "testcontainers"):  # a broker this run starts (or reuses) and stops
        if mode == "local":
            from velotui.infra.local import LocalBroker

            broker: Any = LocalBroker(reuse=reuse, keep=keep, brokers=brokers)
        else:
            from velotui.infra.containers import ContainerBroker

            broker = ContainerBroker(image=image, keep=keep, reuse=reuse)
        cluster = broker.start()
        cluster.client_config.update(extra)
        try:
            yield cluster
        finally:
            broker.stop()
        return
    bootstrap = mode
    if mode in ("external", "env"):
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or os.environ.get("VELOSTREAM_KAFKA_BROKERS") or ""
        if not bootstrap:
            raise InfraError("no Kafka address: set KAFKA_BOOTSTRAP_SERVERS or pass --kafka HOST:PORT")
    cluster = KafkaCluster(bootstrap=bootstrap, client_config=extra, mode="external")
    check_reachable(cluster)
    yield cluster
