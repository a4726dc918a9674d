"""A real single-node Apache Kafka broker (KRaft) on 127.0.0.1, started from jars that
``scripts/kafka-local`` fetches from Maven Central into a cache (docs/KAFKA.md)."""

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
    """Starts (or, with ``reuse``, finds) a local broker; ``stop`` ends it unless kept or reused."""

    def __init__(self, *, reuse: bool = False, keep: bool = False, start_timeout_s: float = 120) -> None:
        self.reuse = reuse
        self.keep = keep
        self.start_timeout_s = start_timeout_s
        self.dir: Path | None = None
        self.pid: int | None = None
        self.cluster: KafkaCluster | None = None
        self._reused = False

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
        try:
            proc = subprocess.run([str(_script()), "start", str(self.dir)], capture_output=True, text=True,
                                  timeout=self.start_timeout_s + 300)
        except subprocess.TimeoutExpired:
            raise InfraError("the local Kafka broker did not start in time",
                             hint=f"see {self.dir}/broker.log") from None
        lines = dict(x.split("=", 1) for x in proc.stdout.splitlines() if "=" in x)
        if proc.returncode != 0 or "BOOTSTRAP" not in lines:
            tail = (proc.stderr or "").strip().splitlines()[-5:]
            for name in ("format.log", "broker.log"):
                log = self.dir / name
                if log.exists():
                    tail += log.read_text(errors="replace").strip().splitlines()[-5:]
            tail = [t for t in tail if t.strip()] or [f"scripts/kafka-local exited {proc.returncode}"]
            raise InfraError("the local Kafka broker failed to start:\n  " + "\n  ".join(tail),
                             hint="check Java 17+, Maven access to Maven Central, and free ports")
        self.pid = int((self.dir / "broker.pid").read_text())
        self.cluster = KafkaCluster(bootstrap=lines["BOOTSTRAP"], mode="local")
        check_reachable(self.cluster, timeout_s=30)
        if self.reuse or self.keep:
            _state_file().parent.mkdir(parents=True, exist_ok=True)
            _state_file().write_text(json.dumps({"dir": str(self.dir), "pid": self.pid,
                                                 "bootstrap": self.cluster.bootstrap}))
        return self.cluster

    def _reusable(self) -> KafkaCluster | None:
        try:
            state = json.loads(_state_file().read_text())
        except (OSError, ValueError):
            return None
        if not _alive(int(state.get("pid", 0))):
            return None
        cluster = KafkaCluster(bootstrap=state["bootstrap"], mode="local")
        try:
            check_reachable(cluster, timeout_s=5)
        except InfraError:
            return None
        self.dir, self.pid = Path(state["dir"]), int(state["pid"])
        return cluster

    def stop(self) -> None:
        """Stop the broker this object started (kept and reused brokers stay up for the next run)."""
        if self.keep or self.reuse or self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except OSError:
            pass
        else:
            _wait_gone(self.pid, timeout_s=20)
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.pid = None

    def kill(self) -> None:
        """Kill the broker at once (tests of a broker dying mid-run)."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
