"""A Kafka broker in a Docker container, through testcontainers (``--kafka testcontainers``).

One KRaft node of the official ``apache/kafka`` image (or ``VELOTUI_KAFKA_IMAGE`` / ``--kafka-image``:
any image configured the same way, by ``KAFKA_*`` environment variables), its client port published
on 127.0.0.1 at a free port and advertised there. ``keep`` leaves it running at exit; ``reuse`` finds
a running one by its labels instead of starting another (both turn testcontainers' reaper off, since
it would remove the container when this process ends).
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from velotui.errors import InfraError
from velotui.infra.cluster import KafkaCluster, check_reachable

DEFAULT_IMAGE = "apache/kafka:4.1.0"
LABEL = "velotui.kafka"
BOOTSTRAP_LABEL = "velotui.bootstrap"


def image_name(image: str | None = None) -> str:
    return image or os.environ.get("VELOTUI_KAFKA_IMAGE") or DEFAULT_IMAGE


def broker_env(host_port: int) -> dict[str, str]:
    """The apache/kafka image's settings for one combined broker+controller node whose clients connect
    to 127.0.0.1:``host_port`` (the published port)."""
    return {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,CONTROLLER://localhost:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{host_port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_NUM_PARTITIONS": "1",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _docker() -> Any:
    try:
        import docker
    except ImportError:  # pragma: no cover - a dependency of velotui
        raise InfraError("--kafka testcontainers needs the docker and testcontainers packages",
                         hint="pip install testcontainers, or use --kafka local") from None
    try:
        client = docker.from_env()
        client.ping()
    except Exception as e:  # noqa: BLE001 - no socket, no permission, engine down: all the same to the user
        raise InfraError(f"--kafka testcontainers needs a running Docker engine: {e}",
                         hint="start Docker (docker info must answer), or use --kafka local "
                         "(a real broker without Docker)") from None
    return client


class ContainerBroker:
    """Starts (or, with ``reuse``, finds) a Kafka container; ``stop`` removes it unless kept or reused."""

    def __init__(self, *, image: str | None = None, keep: bool = False, reuse: bool = False,
                 start_timeout_s: float = 120) -> None:
        self.image = image_name(image)
        self.keep = keep
        self.reuse = reuse
        self.start_timeout_s = start_timeout_s
        self.container: Any = None
        self.cluster: KafkaCluster | None = None

    def start(self) -> KafkaCluster:
        client = _docker()
        if self.reuse and (found := self._reusable(client)) is not None:
            self.cluster = found
            return found
        from testcontainers.core.config import testcontainers_config
        from testcontainers.core.container import DockerContainer

        if self.keep or self.reuse:
            testcontainers_config.ryuk_disabled = True  # the reaper would remove it when we exit
        port = _free_port()
        container = DockerContainer(self.image).with_envs(**broker_env(port))
        # published on loopback only, like --kafka local (with_bind_ports takes a port, not an address;
        # docker-py takes (address, port) for a binding)
        container.ports["9092/tcp"] = ("127.0.0.1", port)
        container.with_kwargs(labels={LABEL: "1", BOOTSTRAP_LABEL: f"127.0.0.1:{port}"})
        try:
            container.start()
        except Exception as e:  # noqa: BLE001 - an image that cannot be pulled, a port taken, …
            raise InfraError(f"cannot start the Kafka container {self.image}: {e}",
                             hint="check that Docker can pull the image (or set VELOTUI_KAFKA_IMAGE / "
                             "--kafka-image to one it has), or use --kafka local") from None
        self.container = container
        cluster = KafkaCluster(bootstrap=f"127.0.0.1:{port}", mode="testcontainers")
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            try:
                check_reachable(cluster, timeout_s=3)
                break
            except InfraError:
                if time.monotonic() > deadline or self._exited():
                    logs = self._logs()
                    self.stop(force=True)
                    raise InfraError(f"the Kafka container {self.image} did not become ready:\n  {logs}",
                                     hint="see the container's log above, or use --kafka local") from None
                time.sleep(0.5)
        self.cluster = cluster
        return cluster

    def _reusable(self, client: Any) -> KafkaCluster | None:
        for c in client.containers.list(filters={"label": f"{LABEL}=1", "status": "running"}):
            bootstrap = c.labels.get(BOOTSTRAP_LABEL)
            if not bootstrap:
                continue
            cluster = KafkaCluster(bootstrap=bootstrap, mode="testcontainers")
            try:
                check_reachable(cluster, timeout_s=5)
            except InfraError:
                continue
            return cluster
        return None

    def _exited(self) -> bool:
        try:
            wrapped = self.container.get_wrapped_container()
            wrapped.reload()
            return wrapped.status in ("exited", "dead")
        except Exception:  # noqa: BLE001
            return False

    def _logs(self) -> str:
        try:
            out, err = self.container.get_logs()
            lines = (out + err).decode(errors="replace").strip().splitlines()
            return "\n  ".join(lines[-8:])
        except Exception:  # noqa: BLE001
            return "(no log)"

    def stop(self, force: bool = False) -> None:
        """Remove the container this object started (kept and reused ones stay up for the next run)."""
        if self.container is None or ((self.keep or self.reuse) and not force):
            return
        try:
            self.container.stop()
        except Exception:  # noqa: BLE001 - best effort: it may be gone already
            pass
        self.container = None
