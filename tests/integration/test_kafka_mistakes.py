"""A new user's mistakes with --kafka: each is said at once, with a non-zero exit code, in every report,
and leaves no broker (java process) or folder behind. The brokers are real (scripts/kafka-local)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from velotui.infra import KafkaCluster

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]


def _velotui(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "velotui", "--headless", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env=env)


@pytest.mark.parametrize(("mode", "suggestion"), [("lcoal", "did you mean --kafka local?"),
                                                  ("Local", "did you mean --kafka local?"),
                                                  ("testcontainer", "did you mean --kafka testcontainers?"),
                                                  ("", None), ("kafka:90x2", None)])
def test_a_mistyped_kafka_mode_is_a_usage_error_at_once(mode: str, suggestion: str | None) -> None:
    # before: "lcoal" was tried as a host name for seconds, then "cannot reach Kafka at lcoal" (exit 3);
    # "" ran everything in memory and passed (exit 0)
    t0 = time.monotonic()
    proc = _velotui("demo/tier1_basic", "--kafka", mode)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"--kafka {mode!r}: not a mode" in proc.stderr
    assert "passed" not in proc.stdout + proc.stderr
    if suggestion:
        assert suggestion in proc.stderr
    assert time.monotonic() - t0 < 15


def test_a_misspelt_kafka_config_key_is_a_config_error_in_every_report(kafka: KafkaCluster,
                                                                       tmp_path: Path) -> None:
    # before: "internal error: KafkaException(...) (a velotui bug ...)", exit 1
    config = tmp_path / "client.yaml"
    config.write_text("sasl.mechanizm: PLAIN\n")
    proc = _velotui("demo/tier1_basic", "--kafka", kafka.bootstrap, "--kafka-config", str(config),
                    "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    said = f"--kafka-config {config}: librdkafka refuses it: No such configuration property: \"sasl.mechanizm\""
    assert said in proc.stderr and "internal error" not in proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["exit_code"] == 2 and said in report["error"]
    assert "sasl.mechanizm" in (tmp_path / "r.xml").read_text()


def test_a_bad_kafka_config_starts_no_local_broker(tmp_path: Path) -> None:
    config = tmp_path / "client.yaml"
    config.write_text("security.protocl: SASL_SSL\n")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    t0 = time.monotonic()
    proc = _velotui("demo/tier1_basic", "--kafka", "local", "--kafka-config", str(config), env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "security.protocl" in proc.stderr
    assert not list(tmp_path.glob("velotui-kafka-*"))  # refused before any broker was started
    assert time.monotonic() - t0 < 15


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie of a process that is not ours is gone for every purpose
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("moment", ["formatting", "broker_started", "twice"])
def test_ctrl_c_while_the_local_broker_starts(tmp_path: Path, moment: str) -> None:
    """Ctrl-C from a terminal reaches the whole foreground process group: velotui, the start script and
    the broker's java. The run says it was interrupted (not 'the broker failed to start: check Java'),
    exits 130, and leaves neither a java process nor its folder."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    report = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic", "--kafka", "local",
                             "--json", str(report)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)  # its own group, as a terminal job
    marker = "server.properties" if moment == "formatting" else "broker.pid"
    deadline = time.monotonic() + 90
    while not list(tmp_path.glob(f"velotui-kafka-*/{marker}")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    found = list(tmp_path.glob(f"velotui-kafka-*/{marker}"))
    assert found, "the broker's start never began"
    java = None
    if marker == "broker.pid":
        while not found[0].read_text().strip().isdigit():
            time.sleep(0.01)
        java = int(found[0].read_text())
    os.killpg(proc.pid, signal.SIGINT)
    if moment == "twice":
        time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    deadline = time.monotonic() + 30
    while java is not None and _pid_alive(java) and time.monotonic() < deadline:
        time.sleep(0.1)
    if java is not None:
        alive = _pid_alive(java)
        if alive:
            os.kill(java, signal.SIGKILL)
        assert not alive, "the broker's java process was left running"
    assert not list(tmp_path.glob("velotui-kafka-*")), "the broker's folder was left behind"
    if moment != "twice":  # the second Ctrl-C aborts: no report, by design
        assert "failed to start" not in err
        assert "interrupted (Ctrl-C) while the Kafka cluster (--kafka local) was starting" in err
        data = json.loads(report.read_text())
        assert data["exit_code"] == 130 and data["interrupted"] and "interrupted (Ctrl-C)" in data["error"]


@pytest.mark.parametrize(("setting", "said"), [
    ("'simple_records.topic.partitions' = '2000000'", "num_partitions out of expected range"),
    ("'simple_records.topic.replication_factor' = '3'", "The target replication factor of 3 cannot be reached"),
])
def test_a_topic_the_cluster_refuses_is_the_specs_error(kafka: KafkaCluster, tmp_path: Path, setting: str,
                                                        said: str) -> None:
    # before: "engine crashed: ValueError(...)" (exit 1), or exit 3 with "is the broker still running?"
    import shutil

    from confluent_kafka.admin import AdminClient

    for part in ("configs", "schemas"):
        shutil.copytree(ROOT / "demo" / part, tmp_path / part)
    (tmp_path / "app").mkdir()
    for f in (ROOT / "demo" / "tier1_basic").glob("01_passthrough.*"):
        shutil.copy(f, tmp_path / "app" / f.name)
    sql = tmp_path / "app" / "01_passthrough.sql"
    sql.write_text(sql.read_text().replace("'simple_records.type' = 'kafka_source',",
                                           f"'simple_records.type' = 'kafka_source', {setting},"))
    proc = _velotui(str(tmp_path / "app"), "--kafka", kafka.bootstrap, "--json", str(tmp_path / "r.json"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert said in proc.stdout + proc.stderr
    assert "engine crashed" not in proc.stdout + proc.stderr and "broker still running" not in proc.stderr
    assert "topic.partitions and topic.replication_factor" in proc.stdout + proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["exit_code"] == 2 and said in report["apps"][0]["queries"][0]["error"]
    run_id = report["run_id"]
    topics = AdminClient(kafka.config()).list_topics(timeout=10).topics
    assert not [t for t in topics if t.startswith(f"test_{run_id}")]  # nothing of the run is left


def test_sigterm_stops_the_local_broker_and_writes_the_report(tmp_path: Path) -> None:
    # before: SIGTERM (a cancelled CI job, `timeout`) ended velotui at once: the broker's java kept running,
    # its folder stayed, and no report was written
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    report = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", "tests/fixtures/isolation", "-k", "slow",
                             "--timeout", "120", "--kafka", "local", "--json", str(report)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    proc.stderr.readline()  # the run has started: the broker is up
    pid_file = next(tmp_path.glob("velotui-kafka-*/broker.pid"))
    java = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    deadline = time.monotonic() + 30
    while _pid_alive(java) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _pid_alive(java)
    if alive:
        os.kill(java, signal.SIGKILL)
    assert not alive, "the broker's java process was left running"
    assert proc.returncode == 130, out + err
    assert not list(tmp_path.glob("velotui-kafka-*"))
    data = json.loads(report.read_text())
    assert data["interrupted"] and data["exit_code"] == 130
