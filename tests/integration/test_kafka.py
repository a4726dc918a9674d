"""velotui on a real Kafka broker: topics, records, formats, failures, parallel runs, the demo."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from velotui.bus.kafka import KafkaBus, topic_name
from velotui.bus.serde import AvroSerde
from velotui.errors import InfraError, SpecError
from velotui.infra import KafkaCluster, LocalBroker, check_reachable
from velotui.records import Message

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]


def _topics(cluster: KafkaCluster) -> set[str]:
    return set(AdminClient(cluster.config()).list_topics(timeout=10).topics)


def test_topic_lifecycle_prefix_and_cleanup(kafka: KafkaCluster) -> None:
    bus = KafkaBus(kafka, run_id="life1")
    name = bus.topic_name("orders")
    assert name == "test_life1_orders"
    bus.create_topic(name, partitions=3)
    assert name in _topics(kafka)
    with pytest.raises(InfraError):
        bus.publish("someone_elses_topic", [Message(value={"a": 1})])
    bus.close()
    assert name not in _topics(kafka)


def test_topic_naming_rules() -> None:
    class Naming:
        pattern = "{namespace}_{branch}_{run_id}_{base}"
        namespace = "team"
        branch = "feat/x"
        user = None
        branch_from_env = None
        user_from_env = None
        hash_long_names = True
        max_topic_length = 30

    assert topic_name("orders", "r1", Naming()) == "team_feat_x_r1_orders"
    long = topic_name("a" * 60, "r1", Naming())
    assert len(long) == 30


def test_keys_headers_timestamps_round_trip(kafka: KafkaCluster) -> None:
    bus = KafkaBus(kafka, run_id="rt1")
    t = bus.topic_name("events")
    bus.create_topic(t, partitions=2)
    sent = [Message(value={"i": i, "d": 1.5}, key=f"k{i % 3}", headers={"trace": f"t{i}"}, timestamp=1_000 + i)
            for i in range(30)]
    bus.publish(t, sent)
    got = bus.read_all(t)
    assert len(got) == 30
    by_i = {m.value["i"]: m for m in got}
    for s in sent:
        g = by_i[s.value["i"]]
        assert (g.key, g.headers, g.timestamp) == (s.key, s.headers, s.timestamp)
    # same key, same partition; offsets increase within a partition
    parts = {m.key: m.partition for m in got}
    assert all(parts[m.key] == m.partition for m in got)
    for p in {m.partition for m in got}:
        offs = [m.offset for m in got if m.partition == p]
        assert offs == sorted(offs) == list(range(len(offs)))
    bus.close()


def test_undecodable_record_is_kept_raw(kafka: KafkaCluster) -> None:
    bus = KafkaBus(kafka, run_id="raw1")
    t = bus.topic_name("raw")
    bus.create_topic(t)
    bus.publish(t, [Message(value=None, raw=b"{not json"), Message(value={"ok": 1})])
    got = bus.read_all(t)
    assert got[0].value is None and got[0].raw == b"{not json" and got[1].value == {"ok": 1}
    bus.close()


def test_avro_round_trip(kafka: KafkaCluster, tmp_path: Path) -> None:
    schema = tmp_path / "trade.avsc"
    schema.write_text(json.dumps({"type": "record", "name": "Trade", "fields": [
        {"name": "symbol", "type": "string"}, {"name": "price", "type": "double"}]}))
    bus = KafkaBus(kafka, run_id="avro1")
    t = bus.topic_name("trades")
    bus.create_topic(t)
    bus.set_serde(t, AvroSerde(schema))
    bus.publish(t, [Message(value={"symbol": "AAPL", "price": 1.25})])
    assert [m.value for m in bus.read_all(t)] == [{"symbol": "AAPL", "price": 1.25}]
    bus.close()


def test_two_runs_in_parallel_on_one_broker(kafka: KafkaCluster) -> None:
    results: dict[str, list] = {}

    def run(run_id: str) -> None:
        bus = KafkaBus(kafka, run_id=run_id)
        t = bus.topic_name("shared_name")
        bus.create_topic(t)
        bus.publish(t, [Message(value={"run": run_id, "i": i}) for i in range(50)])
        results[run_id] = [m.value["run"] for m in bus.read_all(t)]
        bus.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in ("par1", "par2")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert results == {"par1": ["par1"] * 50, "par2": ["par2"] * 50}


def test_unreachable_cluster_is_exit_3_quickly(tmp_path: Path) -> None:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "tests/fixtures/tui_suite", "--kafka",
                           "127.0.0.1:1"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 3
    assert "cannot reach Kafka at 127.0.0.1:1" in proc.stderr
    assert time.monotonic() - t0 < 30


def test_broker_dying_mid_suite_is_exit_3_without_waiting_out_every_app(capfd: pytest.CaptureFixture[str]) -> None:
    from velotui.core import events as ev
    from velotui.core.run import RunOptions, SuiteRun

    broker = LocalBroker()
    cluster = broker.start()
    try:
        killed: list[bool] = []

        def on_event(e: ev.Event) -> None:
            if isinstance(e, ev.RecordsPublished) and not killed:
                broker.kill()  # right after the first app's inputs reached the broker
                killed.append(True)

        t0 = time.monotonic()
        run = SuiteRun(ROOT / "demo" / "tier1_basic", RunOptions(seed=3, kafka=cluster.bootstrap, timeout_s=10),
                       on_event=on_event)
        report = run.execute()
        elapsed = time.monotonic() - t0
        qs = [q for a in report.apps for q in a.queries]
        assert report.exit_code == 3 and len(report.apps) == 4
        assert qs[0].infra_error and "broker" in (qs[0].error or "")
        assert all(q.infra_error and (q.error or "").startswith("not run: cannot reach Kafka") for q in qs[1:])
        assert elapsed < 90, elapsed
        assert "rdkafka" not in capfd.readouterr().err  # librdkafka's reconnect lines go to a logger
    finally:
        broker.stop()


def test_broker_dying_mid_run_is_a_clear_error() -> None:
    broker = LocalBroker()
    cluster = broker.start()
    bus = KafkaBus(cluster, run_id="die1", timeout_s=5)
    t = bus.topic_name("x")
    bus.create_topic(t)
    bus.publish(t, [Message(value={"a": 1})])
    broker.kill()
    t0 = time.monotonic()
    with pytest.raises(InfraError) as e:
        bus.publish(t, [Message(value={"a": 2})])
        bus.read_all(t)
    assert "broker" in (e.value.hint or "") or "Kafka" in e.value.message
    assert time.monotonic() - t0 < 30
    with pytest.raises(InfraError):
        check_reachable(cluster, timeout_s=2)
    broker.stop()


def test_demo_on_kafka_matches_the_embedded_run(kafka: KafkaCluster) -> None:
    from velotui.core.run import RunOptions, SuiteRun

    def outputs(mode: str) -> dict:
        run = SuiteRun(ROOT / "demo", RunOptions(seed=11, now_ms=1_700_000_000_000, kafka=mode))
        report = run.execute()
        assert report.exit_code == 0, [(a.name, q.name, q.status, [x.message for x in q.assertions
                                                                   if x.status != "passed"])
                                       for a in report.apps for q in a.queries if q.status != "passed"]
        return {k: sorted(json.dumps(m.value, sort_keys=True, default=str) for m in rec.outputs)
                for k, rec in run.query_records.items()}

    embedded = outputs("embedded")
    on_kafka = outputs(kafka.bootstrap)
    assert embedded.keys() == on_kafka.keys() and len(embedded) == 27
    for key in embedded:
        assert embedded[key] == on_kafka[key], key
    assert not {t for t in _topics(kafka) if t.startswith("test_")} - {"test_life1_orders"}


def test_stress_on_kafka_with_two_producer_workers(kafka: KafkaCluster, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    proc = subprocess.run([sys.executable, "-m", "velotui", "stress", "demo/tier1_basic/01_passthrough.sql",
                           "--kafka", kafka.bootstrap, "--workers", "2", "--records", "4000", "--json", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())["stress"]
    assert data["records"] == 4000 and data["records_out"] == 4000
    assert not {t for t in _topics(kafka) if t.startswith("test_stress")}


def test_protobuf_round_trip(kafka: KafkaCluster, tmp_path: Path) -> None:
    from velotui.bus.serde import ProtobufSerde

    proto = tmp_path / "trade.proto"
    proto.write_text('syntax = "proto3";\npackage demo;\nmessage Trade {\n  string symbol = 1;\n  double price = 2;\n'
                     '  int64 volume = 3;\n}\n')
    bus = KafkaBus(kafka, run_id="proto1")
    t = bus.topic_name("trades")
    bus.create_topic(t)
    bus.set_serde(t, ProtobufSerde(proto))
    bus.publish(t, [Message(value={"symbol": "AAPL", "price": 1.5, "volume": 7})])
    bus.publish(t, [Message(value=None, raw=b"\xff\xff\xff")])
    got = bus.read_all(t)
    assert got[0].value == {"symbol": "AAPL", "price": 1.5, "volume": 7}  # int64 stays a number
    assert got[1].value is None and got[1].raw == b"\xff\xff\xff"
    bus.close()


def test_serde_chosen_from_config(tmp_path: Path) -> None:
    from velotui.bus.serde import AvroSerde, JsonSerde, ProtobufSerde, serde_for

    (tmp_path / "t.avsc").write_text(json.dumps({"type": "record", "name": "T", "fields": [
        {"name": "a", "type": "long"}]}))
    (tmp_path / "t.proto").write_text('syntax = "proto3";\nmessage T { int64 a = 1; }\n')
    assert isinstance(serde_for({}, tmp_path), JsonSerde)
    assert isinstance(serde_for({"value.format": "avro", "avro.schema.file": "t.avsc"}, tmp_path), AvroSerde)
    assert isinstance(serde_for({"value": {"format": "protobuf"}, "protobuf": {"schema": {"file": "t.proto"}}},
                                tmp_path), ProtobufSerde)


def test_external_engine_mode(kafka: KafkaCluster, tmp_path: Path) -> None:
    deploy = f"{sys.executable} tests/fixtures/external_engine.py {{sql}} {{bootstrap}} {{topics}} {{run_id}} {{statement}}"
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic/03_filter.sql",
                           "--kafka", kafka.bootstrap, "--engine", "external", "--deploy", deploy, "--seed", "2"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout


def test_external_engine_failure_is_reported(kafka: KafkaCluster) -> None:
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic/03_filter.sql",
                           "--kafka", kafka.bootstrap, "--engine", "external", "--deploy", "false"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1 and "the deploy command exited 1" in proc.stdout


def test_demo_with_kafka_local_from_the_cli(tmp_path: Path) -> None:
    """The issue's own command: a broker started (and stopped) by velotui for the run."""
    junit = tmp_path / "out.xml"
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "demo/", "--kafka", "local", "--junit",
                           str(junit), "--seed", "8", "-q"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    import xml.etree.ElementTree as ET

    root = ET.parse(junit).getroot()
    assert len(root.findall("testsuite")) == 24 and root.get("failures") == "0" and root.get("errors") == "0"


def test_reuse_keeps_the_broker_for_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELOTUI_KAFKA_CACHE", str(Path.home() / ".cache" / "velotui" / "kafka"))
    first = LocalBroker(reuse=True)
    cluster = first.start()
    first.stop()  # a reused broker stays up
    check_reachable(cluster, timeout_s=5)
    second = LocalBroker(reuse=True)
    t0 = time.monotonic()
    again = second.start()
    assert again.bootstrap == cluster.bootstrap and time.monotonic() - t0 < 10
    second.reuse = False  # now really stop it
    second.kill()


def test_ctrl_c_on_kafka_deletes_the_run_topics(kafka: KafkaCluster) -> None:
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", "tests/fixtures/isolation", "-k", "slow",
                             "--timeout", "120", "--kafka", kafka.bootstrap], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    run_id = line.split("velotui run ", 1)[1].split(":", 1)[0]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert not {t for t in _topics(kafka) if t.startswith(f"test_{run_id}")}


def test_ctrl_c_stops_the_local_broker_it_started(tmp_path: Path) -> None:
    import os
    import signal

    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", "tests/fixtures/isolation", "-k", "slow",
                             "--timeout", "120", "--kafka", "local"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    proc.stderr.readline()  # the run has started: the broker is up
    assert list(tmp_path.glob("velotui-kafka-*"))
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert not list(tmp_path.glob("velotui-kafka-*"))  # stopped, and its log dir removed


def test_old_event_times_survive_the_brokers_retention(kafka: KafkaCluster) -> None:
    # CI once lost 92% of a 100k-record input: records stamped in 2023, spread over weeks, roll the log
    # into many segments, and the broker's time-based retention deleted the closed ones mid-run. The
    # local broker checks retention every second (scripts/kafka-local), so this fails fast without the fix.
    bus = KafkaBus(kafka, run_id="ret1")
    t = bus.topic_name("old")
    bus.create_topic(t)
    day = 86_400_000
    start = 1_690_000_000_000
    for batch in range(20):  # each batch is 10 days after the last: a new segment each time
        bus.publish(t, [Message(value={"i": batch * 25 + i}, timestamp=start + batch * 10 * day + i)
                        for i in range(25)])
    try:
        time.sleep(3)  # a few retention checks
        got = bus.read_all(t)
        assert len(got) == 500 and got[0].offset == 0
    finally:
        bus.close()


def _registry_app(root: Path, registry: str) -> Path:
    (root / "schemas").mkdir(parents=True)
    (root / "schemas" / "trade.schema.yaml").write_text(
        "name: trade\nfields:\n  - name: symbol\n    type: string\n    constraints:\n"
        "      enum_values: {values: [AAPL, MSFT, GOOG]}\n  - name: price\n    type: float\n"
        "    constraints:\n      range: {min: 1, max: 100}\n")
    (root / "trade.avsc").write_text(json.dumps({"type": "record", "name": "Trade", "fields": [
        {"name": "symbol", "type": "string"}, {"name": "price", "type": "double"}]}))
    for name in ("in", "out"):
        (root / f"{name}.yaml").write_text(f"value.format: avro\navro.schema.file: trade.avsc\n"
                                           f"schema.registry.url: {registry}\n")
    (root / "big.sql").write_text(
        "-- @app: big_trades_app\nCREATE STREAM big_trades AS SELECT symbol, price FROM trades WHERE price > 50\n"
        "EMIT CHANGES WITH ('trades.type' = 'kafka_source', 'trades.config_file' = 'in.yaml',\n"
        "'trades.topic.name' = 'trades', 'big_trades.type' = 'kafka_sink', 'big_trades.config_file' = 'out.yaml',\n"
        "'big_trades.topic.name' = 'big_trades');\n")
    (root / "big.test.yaml").write_text(
        "application: big_trades_app\nqueries:\n  - name: big_trades\n    inputs:\n      - source: trades\n"
        "        schema: trade\n        records: 300\n    assertions:\n      - type: template\n"
        "        expression: \"len(records) == count(1 for r in inputs.trades.records if r.price > 50)\"\n"
        "      - type: error_rate\n        max_rate: 0\n")
    return root


def test_avro_app_through_a_schema_registry(kafka: KafkaCluster, tmp_path: Path) -> None:
    from velotui.bus.serde import registry_client
    from velotui.core.run import RunOptions, SuiteRun

    app = _registry_app(tmp_path / "app", "mock://it-registry")
    outputs = {}
    for mode in ("embedded", kafka.bootstrap):
        run = SuiteRun(app, RunOptions(seed=4, now_ms=1_700_000_000_000, kafka=mode))
        report = run.execute()
        assert report.exit_code == 0, [x.message for a in report.apps for q in a.queries for x in q.assertions]
        outputs[mode] = sorted(json.dumps(m.value, sort_keys=True) for m in
                               run.record(report.apps[0].file, "big_trades").outputs)
    assert outputs["embedded"] == outputs[kafka.bootstrap] and len(outputs["embedded"]) > 100
    subjects = registry_client({"url": "mock://it-registry"}).get_subjects()
    assert any(s.endswith("_trades-value") for s in subjects)  # the inputs went through the registry
    assert any(s.endswith("_big_trades-value") for s in subjects)  # and so did the engine's output


def test_unreachable_schema_registry_is_an_infrastructure_error(kafka: KafkaCluster, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = _registry_app(tmp_path / "app", f"http://127.0.0.1:{port}")
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", str(app), "--kafka", kafka.bootstrap],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert f"schema registry http://127.0.0.1:{port}" in proc.stdout + proc.stderr


def test_keys_in_avro_and_protobuf_round_trip(kafka: KafkaCluster, tmp_path: Path) -> None:
    from velotui.bus.serde import key_serde_for, serde_for

    (tmp_path / "k.avsc").write_text('"string"')
    (tmp_path / "k.proto").write_text('syntax = "proto3";\nmessage OrderKey { string order_id = 1; }\n')
    (tmp_path / "v.avsc").write_text(json.dumps({"type": "record", "name": "V", "fields": [
        {"name": "amount", "type": "double"}]}))
    bus = KafkaBus(kafka, run_id="keys2")
    try:
        for fmt, schema, registry in (("avro", "k.avsc", None), ("protobuf", "k.proto", None),
                                      ("avro", "k.avsc", "mock://it-keys")):
            cfg = {"key.format": fmt, f"key.{fmt}.schema.file": schema, "value.format": "avro",
                   "avro.schema.file": "v.avsc", **({"schema.registry.url": registry} if registry else {})}
            t = bus.topic_name(f"k_{fmt}_{bool(registry)}")
            bus.create_topic(t)
            bus.set_serde(t, serde_for(cfg, tmp_path), key_serde_for(cfg, tmp_path))
            bus.publish(t, [Message(value={"amount": 1.5}, key="ORD-1")])
            got = bus.read_all(t)
            want = {"order_id": "ORD-1"} if fmt == "protobuf" else "ORD-1"
            assert [(m.key, m.value) for m in got] == [(want, {"amount": 1.5})], (fmt, registry)
            if fmt == "avro" and not registry:  # on the wire: Avro's zigzag length 5 (0x0a), then the text
                plain = KafkaBus(kafka, run_id="keys2")
                assert plain.read_all(t)[0].key == "\nORD-1"
        from velotui.bus.serde import registry_client

        assert any(s.endswith("-key") for s in registry_client({"url": "mock://it-keys"}).get_subjects())
    finally:
        bus.close()


def test_topic_replication_follows_the_config_else_the_broker_default(kafka: KafkaCluster) -> None:
    bus = KafkaBus(kafka, run_id="rf1")
    try:
        default, explicit = bus.topic_name("default_rf"), bus.topic_name("explicit_rf")
        bus.create_topic(default)  # -1: the broker's default.replication.factor (1 on the local broker)
        bus.replication[explicit] = 1
        bus.create_topic(explicit, partitions=2)
        meta = AdminClient(kafka.config()).list_topics(timeout=10).topics
        assert [len(p.replicas) for p in meta[default].partitions.values()] == [1]
        assert sorted(meta[explicit].partitions) == [0, 1]
        bus.replication[bus.topic_name("too_many")] = 3  # more replicas than brokers: the spec's error, said so
        with pytest.raises(SpecError, match="refuses topic .*replication 3.*cannot be reached"):
            bus.create_topic(bus.topic_name("too_many"))
    finally:
        bus.close()


def test_parallel_workers_on_kafka_keep_the_run_prefix_and_the_report(kafka: KafkaCluster, tmp_path: Path) -> None:
    """-j 2 on a real broker: the workers' apps run at once under the one run's prefix without sharing a
    topic, and the report is the embedded one-process run's; no topic of the run is left behind."""
    from tests.cli.helpers import comparable_report

    def report(extra: list[str], name: str) -> dict:
        out = tmp_path / f"{name}.json"
        proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic", "-q", "--seed", "4",
                               "--now", "1700000000000", "--json", str(out), *extra], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        return json.loads(out.read_text())

    embedded = report(["-j", "1"], "embedded")
    parallel = report(["-j", "2", "--kafka", kafka.bootstrap], "kafka")
    assert comparable_report(parallel) == comparable_report(embedded)
    run_prefix = f"test_{parallel['run_id']}"
    assert not {t for t in _topics(kafka) if t.startswith(run_prefix)}


def test_a_pipeline_reads_its_intermediate_topic_back_from_kafka(kafka: KafkaCluster) -> None:
    """Statement 2 reads statement 1's sink topic on the broker (not engine memory): the intermediate
    topic is real, holds statement 1's records, and what statement 2 sees went through Kafka (a DECIMAL
    comes back as the JSON number the topic holds)."""
    from decimal import Decimal

    from velotui.engine import EngineOptions, run_app
    from velotui.sql import parse_app

    app = parse_app("CREATE STREAM paid AS SELECT id, CAST(amount AS DECIMAL) AS amount FROM orders "
                    "WHERE status = 'PAID';\n"
                    "CREATE STREAM big AS SELECT id, amount FROM paid WHERE amount > 10;")
    bus = KafkaBus(kafka, run_id="pipe1")
    try:
        names = {n: bus.topic_name(n) for n in ("orders", "paid", "big")}
        for t in names.values():
            bus.create_topic(t)
        bus.publish(names["orders"], [Message(value={"id": i, "amount": a, "status": s}, timestamp=1000 + i)
                                      for i, (a, s) in enumerate([(5, "PAID"), (20, "PAID"), (30, "NEW")])])
        result = run_app(app, bus, EngineOptions(topic_names=names))
        assert [m.value for m in result.statements["paid"].outputs] == [{"id": 0, "amount": Decimal(5)},
                                                                        {"id": 1, "amount": Decimal(20)}]
        on_broker = bus.read_all(names["paid"])
        assert sorted(m.value["id"] for m in on_broker) == [0, 1]
        big = result.statements["big"].outputs
        assert [m.value for m in big] == [{"id": 1, "amount": 20}]
        assert type(big[0].value["amount"]) is float  # read back from the topic's JSON, not handed over in memory
        assert [m.value for m in bus.read_all(names["big"])] == [{"id": 1, "amount": 20}]
    finally:
        bus.close()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_broker_dying_mid_query_is_exit_3_within_10_s(tmp_path: Path, jobs: str) -> None:
    """The broker dies while a query is busy checking (no Kafka call in flight): the run's broker monitor
    stops the query at once, the queries to come are not run, the report is written, exit 3, in < 10 s.
    With -j 2 the apps of the other worker may be done already: each is then passed, or not run."""
    from tests.cli.helpers import write_suite

    busy = "".join("      - {type: template, expression: 'sum(1 for a in [1] * 2000 for b in [1] * 2000) > 0'}\n"
                   for _ in range(200))  # ~0.7 s each: minutes of checking
    suite = write_suite(tmp_path / "suite", {
        "schemas/rec.schema.yaml": "name: rec\nfields:\n  - {name: id, type: integer, constraints: {range: {min: 1, max: 9}}}\n",
        "a_first.sql": "CREATE STREAM a_out AS SELECT id FROM rec EMIT CHANGES;\n",
        "a_first.test.yaml": "application: a_first\nqueries:\n  - name: a_out\n    inputs: [{source: rec, records: 5}]\n"
                             "    assertions: [{type: record_count, equals: 5}]\n",
        "b_busy.sql": "CREATE STREAM b_out AS SELECT id FROM rec EMIT CHANGES;\n",
        "b_busy.test.yaml": "application: b_busy\ndefault_timeout_ms: 600000\nqueries:\n  - name: b_out\n"
                            "    inputs: [{source: rec, records: 5}]\n    assertions:\n" + busy,
        "c_later.sql": "CREATE STREAM c_out AS SELECT id FROM rec EMIT CHANGES;\n",
        "c_later.test.yaml": "application: c_later\nqueries:\n  - name: c_out\n    inputs: [{source: rec, records: 5}]\n"
                             "    assertions: [{type: record_count, equals: 5}]\n",
    })
    broker = LocalBroker()
    cluster = broker.start()
    junit = tmp_path / "out.xml"
    try:
        proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", str(suite), "--kafka", cluster.bootstrap,
                                 "--junit", str(junit), "-j", jobs], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        assert proc.stderr is not None
        seen = []
        while True:
            line = proc.stderr.readline()
            seen.append(line)
            assert line, "".join(seen)
            if "a_first / a_out" in line:
                break
        time.sleep(2.0)  # b_busy is publishing or checking now
        broker.kill()
        t0 = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - t0
    finally:
        broker.stop()
    print(f"broker killed -> exit {proc.returncode} in {took:.1f} s")
    assert proc.returncode == 3, out + err
    assert took < 10, took
    import xml.etree.ElementTree as ET

    root = ET.parse(junit).getroot()
    messages = [e.get("message") or "" for e in root.iter("error")]
    assert any("the broker stopped accepting connections mid-run" in m for m in messages), messages
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert {"a_out", "b_out", "c_out"} <= set(cases), sorted(cases)
    c_error = cases["c_out"].find("error")
    if jobs == "1":  # c_later comes after b_busy in the one process: not run, said at once
        assert c_error is not None and (c_error.get("message") or "").startswith("not run: cannot reach Kafka")
    else:  # c_later ran in the other worker: done before the broker died, or not run
        assert c_error is None or (c_error.get("message") or "").startswith("not run: cannot reach Kafka") or \
            "cannot reach Kafka" in (c_error.get("message") or ""), c_error.attrib if c_error is not None else None
