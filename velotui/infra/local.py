"""A real Apache Kafka broker (KRaft) on 127.0.0.1 — one node, or a cluster of N nodes — started from
jars that ``scripts/kafka-local`` fetches from Maven Central into a cache (docs/KAFKA.md)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from velotui.errors import InfraError
from velotui.infra.cluster import KafkaCluster, check_reachable


def _script() -> Path:
    here = Path(__file__).resolve()
    for cand in (here.parents[2] / "scripts" / "kafka-local", here.parent / "kafka-local"):
        if cand.exists():
            return cand
    raise InfraError("scripts/kafka-local is missing from this installation",
                     hint="install velotui from its repository (make install)")


def _state_file() -> Path:
    base = Path(os.environ.get("VELOTUI_KAFKA_CACHE", Path.home() / ".cache" / "velotui" / "kafka"))
    return base / "reuse.json"


def _wait_gone(pid: int, timeout_s: float) -> None:
    """Wait (bounded) for a process to exit; it is not our child, so poll its existence."""
    import time

    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


class LocalBroker:
    """Starts (or, with ``reuse``, finds) a local broker, or with ``brokers=N`` a cluster of N nodes;
    ``stop`` ends every node it started unless kept or reused."""

    def __init__(self, *, reuse: bool = False, keep: bool = False, start_timeout_s: float = 120,
                 brokers: int = 1) -> None:
        if brokers < 1:
            raise InfraError(f"--brokers must be 1 or more, got {brokers}")
        self.reuse = reuse
        self.keep = keep
        self.start_timeout_s = start_timeout_s
        self.brokers = brokers
        self.dir: Path | None = None
        self.pids: list[int] = []  # one per node, node 1 first
        self.cluster: KafkaCluster | None = None
        self._reused = False

    @property
    def pid(self) -> int | None:
        return self.pids[0] if self.pids else None

    def start(self) -> KafkaCluster:
        for tool, hint in (("java", "install a JDK 17+ (apt-get install openjdk-17-jre-headless)"),
                           ("mvn", "install Maven (apt-get install maven) so the broker jars can be fetched")):
            if not shutil.which(tool):
                raise InfraError(f"--kafka local needs {tool}, which is not on PATH", hint=hint)
        if self.reuse and (found := self._reusable()) is not None:
            self._reused = True
            self.cluster = found
            return found
        self.dir = Path(tempfile.mkdtemp(prefix="velotui-kafka-"))
        args = [str(_script()), "start", str(self.dir)] + (["--brokers", str(self.brokers)] if self.brokers > 1 else [])
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=self.start_timeout_s + 300)
        except subprocess.TimeoutExpired:
            self._read_pids()
            self.stop(force=True)
            raise InfraError("the local Kafka broker did not start in time",
                             hint=f"see {self.dir}/broker.log") from None
        except BaseException:  # a second Ctrl-C (KeyboardInterrupt) mid-start: the nodes started so far go too
            self._read_pids()
            self.stop(force=True)
            raise
        lines = dict(x.split("=", 1) for x in proc.stdout.splitlines() if "=" in x)
        self._read_pids()
        if proc.returncode != 0 or "BOOTSTRAP" not in lines:
            tail = (proc.stderr or "").strip().splitlines()[-5:]
            for log in self._logs():
                tail += log.read_text(errors="replace").strip().splitlines()[-5:]
            tail = [t for t in tail if t.strip()] or [f"scripts/kafka-local exited {proc.returncode}"]
            self.stop(force=True)
            raise InfraError("the local Kafka broker failed to start:\n  " + "\n  ".join(tail),
                             hint="check Java 17+, Maven access to Maven Central, and free ports")
        self.cluster = KafkaCluster(bootstrap=lines["BOOTSTRAP"], mode="local", brokers=self.brokers)
        try:
            check_reachable(self.cluster, timeout_s=30)
            if self.brokers > 1:
                wait_for_brokers(self.cluster, self.brokers, timeout_s=self.start_timeout_s)
        except InfraError:
            self.stop(force=True)
            raise
        if self.reuse or self.keep:
            _state_file().parent.mkdir(parents=True, exist_ok=True)
            _state_file().write_text(json.dumps({"dir": str(self.dir), "pid": self.pids[0], "pids": self.pids,
                                                 "brokers": self.brokers, "bootstrap": self.cluster.bootstrap}))
        return self.cluster

    def _logs(self) -> list[Path]:
        if self.dir is None:
            return []
        names = ("format.log", "broker.log")
        return [p for n in names for p in [self.dir / n, *sorted(self.dir.glob(f"node-*/{n}"))] if p.exists()]

    def _read_pids(self) -> None:
        if self.dir is None:
            return
        files = [self.dir / "broker.pid"] if self.brokers == 1 else \
            [self.dir / f"node-{i}" / "broker.pid" for i in range(1, self.brokers + 1)]
        self.pids = [int(f.read_text()) for f in files if f.exists() and f.read_text().strip().isdigit()]

    def _reusable(self) -> KafkaCluster | None:
        try:
            state = json.loads(_state_file().read_text())
        except (OSError, ValueError):
            return None
        pids = [int(p) for p in state.get("pids") or [state.get("pid", 0)]]
        if int(state.get("brokers", 1)) != self.brokers or not all(_alive(p) for p in pids):
            return None  # a broker of another size, or a node of it is gone: start a new one
        cluster = KafkaCluster(bootstrap=state["bootstrap"], mode="local", brokers=self.brokers)
        try:
            check_reachable(cluster, timeout_s=5)
        except InfraError:
            return None
        self.dir, self.pids = Path(state["dir"]), pids
        return cluster

    def stop(self, force: bool = False) -> None:
        """Stop every node this object started (kept and reused brokers stay up for the next run)."""
        if (self.keep or self.reuse) and not force:
            return
        if not self.pids:  # stopped before a node started (Ctrl-C while formatting): its folder goes
            if self.dir is not None and not self._reused:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None
            return
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        try:
            for pid in self.pids:
                _wait_gone(pid, timeout_s=20)
        except BaseException:  # a second Ctrl-C while waiting: the nodes are killed, not left running
            self.kill()
            raise
        finally:
            if self.dir is not None:
                shutil.rmtree(self.dir, ignore_errors=True)
            self.pids = []

    def kill(self) -> None:
        """Kill every node at once (tests of a broker dying mid-run)."""
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def stop_node(self, node: int, *, hard: bool = True) -> None:
        """Stop node ``node`` (1-based) of a cluster: killed (a crash) or, with ``hard=False``, a clean
        shutdown that hands its partitions over first. The others keep serving (tests of a broker lost
        mid-run)."""
        pid = self.pids[node - 1]
        try:
            os.kill(pid, signal.SIGKILL if hard else signal.SIGTERM)
        except OSError:
            return
        _wait_gone(pid, timeout_s=30)


def wait_for_brokers(cluster: KafkaCluster, count: int, timeout_s: float = 60) -> None:
    """Wait (bounded) until the cluster's metadata lists ``count`` brokers: before that a topic
    replicated to all of them cannot be created."""
    import time

    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(cluster.config())
    deadline = time.monotonic() + timeout_s
    seen = 0
    while time.monotonic() < deadline:
        try:
            seen = len(admin.list_topics(timeout=5).brokers)
        except KafkaException:
            seen = 0
        if seen >= count:
            return
        time.sleep(0.2)
    raise InfraError(f"the local Kafka cluster has {seen} of its {count} brokers after {timeout_s:g} s",
                     hint="see the nodes' broker.log; a 2-core machine needs a minute for 3 nodes under load")
