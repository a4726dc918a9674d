"""``--kafka testcontainers``: a Kafka broker in a Docker container, started through testcontainers.

scripts/kafka-image gives the image: the official apache/kafka where Docker can pull it, else a stand-in
built on the spot (the same Kafka jars and KAFKA_* configuration convention; Docker Hub is out of reach
in this project's CI); scripts/docker-engine starts a Docker engine where only the client is installed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def image() -> Iterator[str]:
    for script in ("docker-engine", "kafka-image"):
        proc = subprocess.run([str(ROOT / "scripts" / script)], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"scripts/{script} failed:\n{proc.stdout}{proc.stderr}"
    yield proc.stdout.strip().splitlines()[-1]


def _env(**extra: str) -> dict[str, str]:
    # the reaper image (testcontainers/ryuk) would come from Docker Hub too
    return {**os.environ, "TESTCONTAINERS_RYUK_DISABLED": "true", **extra}


def _velotui_containers() -> list[str]:
    out = subprocess.run(["docker", "ps", "-q", "--filter", "label=velotui.kafka=1"], capture_output=True,
                         text=True, check=True).stdout
    return out.split()


def test_demo_tier_on_a_kafka_container(image: str) -> None:
    before = set(_velotui_containers())
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic", "--kafka",
                           "testcontainers", "--kafka-image", image, "--seed", "5"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, env=_env())
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "4 passed, 0 failed" in proc.stdout
    assert set(_velotui_containers()) == before  # the container is gone with the run


def test_keep_then_reuse_a_container(image: str) -> None:
    args = [sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic/01_passthrough.sql", "--kafka",
            "testcontainers", "--seed", "5"]
    before = set(_velotui_containers())
    kept: set[str] = set()
    try:
        proc = subprocess.run([*args, "--keep-containers"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                              env=_env(VELOTUI_KAFKA_IMAGE=image))
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        kept = set(_velotui_containers()) - before
        assert len(kept) == 1  # still running after the run
        ports = subprocess.run(["docker", "port", next(iter(kept))], capture_output=True, text=True).stdout
        assert ports.strip().startswith("9092/tcp -> 127.0.0.1:"), ports  # published on loopback only
        t0 = time.monotonic()
        proc = subprocess.run([*args, "--reuse-containers", "--use-testcontainers"], capture_output=True, text=True,
                              cwd=ROOT, timeout=300, env=_env(VELOTUI_KAFKA_IMAGE=image))
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert set(_velotui_containers()) - before == kept  # the same one, not a second
        assert time.monotonic() - t0 < 60
    finally:
        for cid in kept:
            subprocess.run(["docker", "rm", "-f", cid], capture_output=True)


def test_an_image_docker_cannot_get_is_exit_3(image: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic/01_passthrough.sql",
                           "--kafka", "testcontainers", "--kafka-image", "velotui/no-such-image:0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, env=_env())
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "cannot start the Kafka container velotui/no-such-image:0" in proc.stderr


def test_no_docker_engine_is_exit_3_with_what_to_do(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic/01_passthrough.sql",
                           "--kafka", "testcontainers"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=_env(DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "needs a running Docker engine" in proc.stderr and "--kafka local" in proc.stderr


def test_container_settings_follow_the_apache_kafka_image() -> None:
    from velotui.infra.containers import DEFAULT_IMAGE, broker_env, image_name

    env = broker_env(40123)
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://127.0.0.1:40123"
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller" and env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert DEFAULT_IMAGE.startswith("apache/kafka:")
    assert image_name("x/y:1") == "x/y:1"
