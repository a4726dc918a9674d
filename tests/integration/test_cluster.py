"""`--kafka local --brokers 3`: a three-broker KRaft cluster of real Apache Kafka. Its topics are
replicated to all three brokers with the spec's partitions, and a run that loses a broker mid-run
completes with exactly the records of the embedded run. Every node a test starts, the test stops."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from velotui.core import events as ev
from velotui.core.run import RunOptions, SuiteRun

pytestmark = pytest.mark.kafka

SQL = """\
-- @app: cluster_app
CREATE STREAM big_orders AS
SELECT order_id, customer, amount * 2 AS doubled FROM orders WHERE amount > 100
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders', 'orders.topic.partitions' = '3',
      'big_orders.type' = 'kafka_sink', 'big_orders.topic.name' = 'big_orders');
"""

SPEC = """\
application: cluster_app
queries:
  - name: big_orders
    timeout_ms: 120000
    inputs:
      - {source: orders, schema: orders, records: 20000}
    assertions:
      - type: template
        expression: "len(records) == count(1 for o in inputs.orders.records if o.amount > 100)"
      - {type: no_nulls, fields: [order_id, doubled]}
"""

SCHEMA = """\
name: orders
fields:
  - {name: order_id, type: uuid}
  - name: customer
    constraints: {pattern: "C[0-9]{3}"}
  - name: amount
    type: float
    constraints: {range: {min: 1, max: 500}}
"""


def _suite(tmp: Path) -> Path:
    root = tmp / "suite"
    for rel, text in {"apps/cluster_app.sql": SQL, "apps/cluster_app.test.yaml": SPEC,
                      "apps/schemas/orders.schema.yaml": SCHEMA}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def _outputs(run: SuiteRun) -> dict:
    return {k: sorted(json.dumps(m.value, sort_keys=True, default=str) for m in rec.outputs)
            for k, rec in run.query_records.items()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_three_brokers_replicate_and_survive_losing_one_mid_run(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    suite = _suite(tmp_path)
    options = dict(seed=5, now_ms=1_700_000_000_000)
    embedded = SuiteRun(suite, RunOptions(**options))
    expected = embedded.execute()
    assert expected.exit_code == 0

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the cluster's folder lands here, to be found
    seen: dict = {}

    def on_event(e: ev.Event) -> None:
        if isinstance(e, ev.TopicCreated) and e.role == "source" and "nodes" not in seen:
            (cluster_dir,) = tmp_path.glob("velotui-kafka-*")
            seen["dir"] = cluster_dir
            seen["nodes"] = [int((cluster_dir / f"node-{i}" / "broker.pid").read_text()) for i in (1, 2, 3)]
            bootstrap = (cluster_dir / "bootstrap").read_text().strip()
            admin = AdminClient({"bootstrap.servers": bootstrap})
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the new topic's metadata reaches every broker
                parts = admin.list_topics(e.topic, timeout=10).topics[e.topic].partitions
                if len(parts) == 3 and all(p.leader >= 0 for p in parts.values()):
                    break
                time.sleep(0.2)
            seen["partitions"] = {p: (m.leader, sorted(m.replicas)) for p, m in parts.items()}
            seen["brokers"] = sorted(admin.list_topics(timeout=10).brokers)
        if isinstance(e, ev.Progress) and e.step == "publish" and "killed" not in seen:
            # the broker that leads the source's first partition crashes just as the inputs go out
            leader = seen["partitions"][0][0]
            os.kill(seen["nodes"][leader - 1], signal.SIGKILL)
            seen["killed"] = leader

    run = SuiteRun(suite, RunOptions(**options, kafka="local", brokers=3), on_event=on_event)
    report = run.execute()
    assert seen["brokers"] == [1, 2, 3]
    assert [r for _, r in sorted(seen["partitions"].items())] == [(seen["partitions"][p][0], [1, 2, 3]) for p in
                                                                  range(3)]  # 3 partitions, each on 3 brokers
    assert "killed" in seen
    q = report.apps[0].queries[0]
    assert report.exit_code == 0, (q.error, [a.message for a in q.assertions])
    assert q.records_in == 20000 and q.records_out == expected.apps[0].queries[0].records_out > 0
    assert _outputs(run) == _outputs(embedded)  # exactly the same records: none lost, none twice
    assert not seen["dir"].exists()  # every node stopped and its folder removed
    assert not any(_alive(pid) for pid in seen["nodes"])


def test_stress_on_three_brokers_with_three_producer_processes(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "s.json"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "velotui", "stress", "demo/tier1_basic/01_passthrough.sql",
                           "--kafka", "local", "--brokers", "3", "--workers", "3", "--records", "30000",
                           "--json", str(out)], cwd=root, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    stress = json.loads(out.read_text())["stress"]
    assert stress["records"] == 30000 and stress["records_out"] == 30000
    assert not list(tmp_path.glob("velotui-kafka-*"))  # the three nodes stopped, their folder removed
