"""``--engine velostream`` and ``--compare`` over the real local broker, against the stand-in velo-sql
(tests/fixtures/velo_sql) and against the real binary wherever one is installed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from velotui.adapters.velostream.process import group_members
from velotui.core import events as ev
from velotui.core.run import RunOptions, SuiteRun
from velotui.infra import KafkaCluster
from velotui.report import junit_tree, report_dict

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]
STANDIN = ROOT / "tests" / "fixtures" / "velo_sql" / "velo-sql"
SUITE = ROOT / "tests" / "fixtures" / "velostream_suite"
TIERS = [ROOT / "demo" / "tier1_basic", ROOT / "demo" / "tier2_aggregations"]
NOW = 1_700_000_000_000


def _binaries() -> list[Path]:
    found = shutil.which("velo-sql")
    real = [Path(found)] if found and Path(found).resolve() != STANDIN.resolve() else []
    return [STANDIN, *real]  # the real binary wherever one is installed


def _run(path: Path, cluster: KafkaCluster, tmp_path: Path, **options: Any) -> tuple[Any, SuiteRun, list[ev.Event]]:
    events: list[ev.Event] = []
    opts = dict(seed=5, now_ms=NOW, kafka=cluster.bootstrap, velostream_bin=str(STANDIN), quiet_period_s=0.5,
                artifacts=tmp_path / "artifacts")
    opts.update(options)
    run = SuiteRun(path, RunOptions(**opts), on_event=events.append)
    return run.execute(), run, events


def _engine_pids(artifacts: Path) -> list[int]:
    return [int(p.read_text()) for p in artifacts.rglob("engine.pid")]


def _nothing_left_running(artifacts: Path) -> None:
    pids = _engine_pids(artifacts)
    assert pids, "no engine was started"
    assert {pid: group_members(pid) for pid in pids if group_members(pid)} == {}


def _run_topics(kafka: KafkaCluster, run_id: str) -> set[str]:
    """The run's topics still listed by the broker; a topic just deleted may be listed a moment longer (the
    broker's metadata follows the deletion), so this waits, bounded, for the list to empty."""
    admin = AdminClient(kafka.config())
    deadline = time.monotonic() + 10
    while True:
        left = {t for t in admin.list_topics(timeout=10).topics if t.startswith(f"test_{run_id}")}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _summary(report: Any) -> dict[str, tuple[str, int, int]]:
    return {f"{a.name}/{q.name}": (q.status, q.records_in, q.records_out) for a in report.apps for q in a.queries}


@pytest.mark.parametrize("binary", _binaries(), ids=lambda p: "stand-in" if p == STANDIN else "velo-sql")
def test_tiers_1_and_2_on_velostream_exact_counts_nothing_left_running(kafka: KafkaCluster, tmp_path: Path,
                                                                        binary: Path) -> None:
    for tier in TIERS:
        embedded, _, _ = _run(tier, kafka, tmp_path, kafka="embedded")
        report, run, events = _run(tier, kafka, tmp_path, engine="velostream", velostream_bin=str(binary))
        assert _summary(report) == _summary(embedded)  # the same records in and out, query by query
        assert report.exit_code == 0, [(q.name, q.error, [a.message for a in q.failed_assertions])
                                       for a in report.apps for q in a.queries]
        assert all(q.engine == "velostream" for a in report.apps for q in a.queries)
        assert not _run_topics(kafka, run.run_id)
        started = [e for e in events if isinstance(e, ev.Log) and "velo-sql started" in e.message]
        assert len(started) == len(_summary(report))
    _nothing_left_running(tmp_path / "artifacts")
    logs = list((tmp_path / "artifacts").rglob("engine.log"))
    assert len(logs) == 9 and all("Read " in p.read_text() for p in logs if "empty" not in str(p))


def test_compare_tiers_1_and_2_same_in_every_format(kafka: KafkaCluster, tmp_path: Path) -> None:
    for tier in TIERS:
        report, run, events = _run(tier, kafka, tmp_path, compare=["embedded", "velostream"])
        assert report.exit_code == 0
        for app in report.apps:
            for q in app.queries:
                c = q.comparison
                assert c is not None and c.verdict == "same" and c.counts[0] == c.counts[1] == q.records_out, q.name
                assert c.other.engine == "velostream" and c.other.status == "passed"
        data = report_dict(report)
        assert {q["comparison"]["label"] for a in data["apps"] for q in a["queries"]} == {"same"}
        outs = [e.text or "" for e in junit_tree(report).iter("system-out")]
        assert outs and all("compare embedded,velostream: same" in t for t in outs)
        finished = [e.query for e in events if isinstance(e, ev.QueryFinished)]
        assert all(f"{q} [velostream]" in finished for q in finished if "[" not in q)
        assert not _run_topics(kafka, run.run_id)
    _nothing_left_running(tmp_path / "artifacts")


@pytest.mark.slow
def test_compare_the_rest_of_the_demo(kafka: KafkaCluster, tmp_path: Path) -> None:
    """Tiers 3-6: joins with file tables, subqueries over tables, a pipeline, 100,000 records (an engine
    that computes for seconds after reading, with a short quiet period), late records to a DLQ topic."""
    for tier in ("tier3_joins", "tier4_window_functions", "tier5_complex", "tier6_edge_cases"):
        report, _, _ = _run(ROOT / "demo" / tier, kafka, tmp_path, compare=["embedded", "velostream"])
        bad = {f"{a.name}/{q.name}": (q.status, q.error, q.comparison.label if q.comparison else None,
                                      [x.message for x in (q.comparison.other.failed_assertions
                                                           if q.comparison and q.comparison.other else [])])
               for a in report.apps for q in a.queries if q.status != "passed"}
        assert bad == {}, tier
        assert {q.comparison.verdict for a in report.apps for q in a.queries} == {"same"}, tier
    _nothing_left_running(tmp_path / "artifacts")


def test_open_windows_differ_explained_by_d18_without_closing_records(kafka: KafkaCluster, tmp_path: Path) -> None:
    app = ROOT / "demo" / "tier2_aggregations" / "12_tumbling_window.sql"
    report, _, _ = _run(app, kafka, tmp_path, compare=["embedded", "velostream"], close_windows=False)
    q = report.apps[0].queries[0]
    c = q.comparison
    assert c.verdict == "explained" and "D18" in c.flags and c.label == "differs, explained by flag " + ", ".join(c.flags)
    assert c.counts[0] > c.counts[1] and c.missing_right == c.counts[0] - c.counts[1] and c.only_left
    last_end = max(r["window_end"] for r in c.only_left)
    assert all(r["window_end"] == last_end for r in c.only_left)  # exactly the last, still open windows
    assert q.status == "failed" and c.other.failed_assertions  # the spec fails on the real engine: said so
    assert c.other.notes == []  # no closing record was added
    report, _, _ = _run(app, kafka, tmp_path, engine="velostream")  # closing records on (the default)
    q = report.apps[0].queries[0]
    assert q.status == "passed" and any("velotui added 1 record to market_data" in n for n in q.notes)
    assert q.records_in == 600  # the closing record is not an input of the spec
    d18 = next(f for f in q.flags if f.id == "D18")
    assert d18.accepted and "velotui added a closing record" in d18.text  # closed by velotui: never a --strict error


def test_an_unexplained_difference_shows_the_first_differing_records(kafka: KafkaCluster, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELO_SQL_STANDIN_FAULT", "drop_last")  # the engine under test loses a record
    report, _, _ = _run(ROOT / "demo" / "tier2_aggregations" / "10_count.sql", kafka, tmp_path,
                        compare=["embedded", "velostream"])
    q = report.apps[0].queries[0]
    c = q.comparison
    assert c.verdict == "unexplained" and c.label == "differs, unexplained" and c.flags == []
    assert c.counts == (300, 299) and len(c.only_left) == 1 and c.only_right == []
    assert report.exit_code == 1 and q.status == "failed"
    failure = junit_tree(report).find(".//testcase/failure")
    assert failure is not None and "outputs differ: differs, unexplained" in failure.get("message")
    out = junit_tree(report).find(".//testcase/system-out").text
    assert "1 record(s) only embedded emitted" in out


def test_a_timeout_stops_the_whole_group(kafka: KafkaCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELO_SQL_STANDIN_FAULT", "stall")  # never reads
    t0 = time.monotonic()
    report, _, _ = _run(ROOT / "demo" / "tier1_basic" / "03_filter.sql", kafka, tmp_path, engine="velostream",
                        timeout_s=4)
    assert time.monotonic() - t0 < 20
    q = report.apps[0].queries[0]
    assert report.exit_code == 4 and q.timed_out
    assert "velo-sql was not done within 4 s: simple_records: read 0 of 400" in q.error
    assert "engine.log" in q.error  # where to look
    _nothing_left_running(tmp_path / "artifacts")


def test_a_log_level_that_hides_the_reads_is_named_on_the_timeout(kafka: KafkaCluster, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUST_LOG", "warn")  # the user's: the engine then never says what it read
    report, _, _ = _run(ROOT / "demo" / "tier1_basic" / "02_projection.sql", kafka, tmp_path, engine="velostream",
                        timeout_s=5)
    q = report.apps[0].queries[0]
    assert q.timed_out and "read 0 of 150" in q.error
    assert "logged no 'Read N records from reader' line" in q.error and "RUST_LOG='warn'" in q.error
    _nothing_left_running(tmp_path / "artifacts")


def test_an_engine_that_exits_shows_its_first_error(kafka: KafkaCluster, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELO_SQL_STANDIN_FAULT", "exit")
    report, _, _ = _run(ROOT / "demo" / "tier1_basic" / "01_passthrough.sql", kafka, tmp_path, engine="velostream")
    q = report.apps[0].queries[0]
    assert q.status == "error" and "velo-sql exited 1 before it was done" in q.error
    assert "velo-sql's first error: [" in q.error and "Error: job failed: injected fault" in q.error
    log = next((tmp_path / "artifacts").rglob("engine.log"))
    assert "injected fault" in log.read_text()
    _nothing_left_running(tmp_path / "artifacts")  # its helper child too


def test_ctrl_c_stops_the_engine_group_and_exits_130(kafka: KafkaCluster, tmp_path: Path) -> None:
    env = {**os.environ, "VELO_SQL_STANDIN_FAULT": "stall"}
    art = tmp_path / "artifacts"
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic/01_passthrough.sql",
                             "--engine", "velostream", "--velostream-bin", str(STANDIN), "--kafka", kafka.bootstrap,
                             "--artifacts", str(art), "--timeout", "120", "--json", str(tmp_path / "r.json")],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(art.rglob("engine.pid")) and time.monotonic() < deadline:
        time.sleep(0.1)
    pids = _engine_pids(art)
    assert pids and group_members(pids[0]), "the engine did not start"
    deadline = time.monotonic() + 20
    while len(group_members(pids[0])) < 2 and time.monotonic() < deadline:  # the stand-in and its helper child
        time.sleep(0.1)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 10  # not the engine's 30 s graceful shutdown
    assert group_members(pids[0]) == []
    run_id = json.loads((tmp_path / "r.json").read_text())["run_id"]
    assert not _run_topics(kafka, run_id)  # the run's topics are deleted


def test_engine_specific_inputs_metrics_file_sinks_and_variables(kafka: KafkaCluster, tmp_path: Path) -> None:
    report, _, _ = _run(SUITE, kafka, tmp_path, engine="velostream")
    assert report.exit_code == 0, [(q.name, q.error, [a.message for a in q.failed_assertions])
                                   for a in report.apps for q in a.queries]
    copy, buys = report.apps[0].queries[0], report.apps[1].queries[0]
    metric = next(a for a in copy.assertions if a.type == "metric_counter")
    assert metric.status == "passed" and metric.actual == 40  # read from velo-sql's metrics endpoint
    assert buys.records_out > 5  # read back from the staged folder, '{…},' lines
    staged = next((tmp_path / "artifacts").rglob("big_buys.json"))
    assert staged.read_text().splitlines()[0].endswith("},")
    cfg = next((tmp_path / "artifacts").rglob("configs/events.yaml")).read_text()
    assert "high_throughput" in cfg and "${" not in cfg and kafka.bootstrap in cfg


def test_a_check_the_engine_cannot_answer_is_an_error_that_says_why(kafka: KafkaCluster, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(SUITE, suite)
    sql = suite / "01_events_copy.sql"
    sql.write_text(sql.read_text().replace("-- @metric: events_copied_total\n-- @metric_type: counter\n", ""))
    spec = suite / "01_events_copy.test.yaml"
    spec.write_text(spec.read_text() + "      - type: dlq_count\n        equals: 0\n")
    report, _, _ = _run(suite / "01_events_copy.sql", kafka, tmp_path, engine="velostream")
    q = report.apps[0].queries[0]
    by_type = {a.type: a for a in q.assertions}
    assert by_type["record_count"].status == "passed"
    assert by_type["metric_counter"].status == "error" and "declares no -- @metric" in by_type["metric_counter"].message
    assert by_type["dlq_count"].status == "error" and "'dlq.topic'" in by_type["dlq_count"].message
    assert q.status == "failed"


def test_a_spec_that_says_engine_velostream_gets_a_local_broker(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "tests/fixtures/velostream_spec_engine",
                           "--velostream-bin", str(STANDIN), "--json", str(tmp_path / "r.json"), "--seed", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    q = json.loads((tmp_path / "r.json").read_text())["apps"][0]["queries"][0]
    assert (q["engine"], q["records_out"]) == ("velostream", 25)
    assert "on velostream" in proc.stdout


def test_the_config_file_chooses_the_engine(kafka: KafkaCluster, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[engine]\nname = "velostream"\n[velostream]\nbin = "{STANDIN}"\nquiet_period_s = 0.3\n')
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "demo/tier1_basic/02_projection.sql",
                           "--kafka", kafka.bootstrap, "--output", "json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "VELOTUI_CONFIG": str(cfg)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["apps"][0]["queries"][0]["engine"] == "velostream"


def test_health_shows_the_binary_and_its_version() -> None:
    from velotui.cli.main import main

    proc = subprocess.run([sys.executable, "-m", "velotui", "health", "--velostream-bin", str(STANDIN)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    line = next(ln for ln in proc.stdout.splitlines() if " velostream " in ln)
    assert proc.returncode == 0 and line.startswith("ok ") and "velo-sql 0.1.0-standin" in line
    assert main(["health", "--velostream-bin", "/nonexistent/velo-sql"]) == 3


# -- the stand-in follows the contract -------------------------------------------------------------------------
@pytest.fixture
def topic_app(kafka: KafkaCluster, tmp_path: Path) -> Any:
    """A factory of apps over fresh topics; the topics are deleted when the test ends."""
    from velotui.bus.kafka import KafkaBus

    buses: list[KafkaBus] = []

    def make(name: str, sink_config: str = "", source_config: str = "", records: int = 5) -> tuple[Path, str, str]:
        bus = KafkaBus(kafka, run_id=f"si{name}")
        buses.append(bus)
        return _topic_app(bus, kafka, tmp_path, name, sink_config, source_config, records)

    yield make
    for bus in buses:
        bus.close()


def _topic_app(bus: Any, kafka: KafkaCluster, tmp_path: Path, name: str, sink_config: str, source_config: str,
               records: int) -> tuple[Path, str, str]:
    """An app over two fresh topics with ``records`` inputs published; returns (sql, source topic, sink topic)."""
    from velotui.records import Message

    src, out = bus.topic_name("src"), bus.topic_name("out")
    bus.create_topic(src)
    bus.create_topic(out)
    bus.publish(src, [Message(value={"i": i}, timestamp=NOW + i) for i in range(records)])
    (tmp_path / "sink.yaml").write_text(sink_config or f"bootstrap.servers: {kafka.bootstrap}\n")
    (tmp_path / "source.yaml").write_text(source_config or "value.format: json\n")
    sql = tmp_path / "app.sql"
    sql.write_text(f"-- SQL Application: {name}\nCREATE STREAM out AS SELECT * FROM src EMIT CHANGES\n"
                   f"WITH ('src.type' = 'kafka_source', 'src.config_file' = 'source.yaml', 'src.topic.name' = '{src}',"
                   f" 'out.type' = 'kafka_sink', 'out.config_file' = 'sink.yaml', 'out.topic.name' = '{out}');\n")
    return sql, src, out


def _standin(sql: Path, kafka: KafkaCluster, group: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(STANDIN), "deploy-app", "--file", str(sql), "--brokers", kafka.bootstrap,
                             "--group-id", group], cwd=sql.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "RUST_LOG": "info", **env}, start_new_session=True)


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout_s: float = 30) -> list[str]:
    import selectors

    lines: list[str] = []
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sel.select(timeout=0.5):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if needle in line:
                return lines
    raise AssertionError(f"{needle!r} not in {lines}")


def _stop(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def test_standin_refuses_an_app_without_the_header(tmp_path: Path) -> None:
    sql = tmp_path / "app.sql"
    sql.write_text("CREATE STREAM out AS SELECT * FROM src")
    proc = subprocess.run([str(STANDIN), "deploy-app", "--file", str(sql), "--brokers", "127.0.0.1:1", "--group-id",
                           "g"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "missing '-- SQL Application: <name>' header" in proc.stdout


def test_standin_suffixes_the_group_commits_at_shutdown_and_waits_on_sigint(kafka: KafkaCluster,
                                                                              topic_app: Any) -> None:
    from confluent_kafka import ConsumerGroupTopicPartitions

    sql, src, _ = topic_app("grp", source_config="consumer:\n  group: ignored-group\n")
    proc = _standin(sql, kafka, "g7", VELO_SQL_STANDIN_SHUTDOWN_S="1")
    try:
        _wait_for_line(proc, "Read 5 records from reader: source_0_src")
        admin = AdminClient(kafka.config())
        groups = {g.group_id for g in admin.list_consumer_groups(request_timeout=10).result(timeout=10).valid}
        assert "g7-out-src" not in groups  # nothing committed while the job runs
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
        offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("g7-out-src")])
        committed = list(offsets.values())[0].result(timeout=10).topic_partitions
        assert [(tp.topic, tp.offset) for tp in committed] == [(src, 5)]
        groups = {g.group_id for g in admin.list_consumer_groups(request_timeout=10).result(timeout=10).valid}
        assert "ignored-group" not in groups and "g7" not in groups
    finally:
        _stop(proc)


@pytest.mark.slow
def test_standin_waits_30_s_after_sigint_by_default(kafka: KafkaCluster, tmp_path: Path, topic_app: Any) -> None:
    sql, _, _ = topic_app("wait")
    env = {k: v for k, v in os.environ.items() if k != "VELO_SQL_STANDIN_SHUTDOWN_S"}
    proc = subprocess.Popen([str(STANDIN), "deploy-app", "--file", str(sql), "--brokers", kafka.bootstrap,
                             "--group-id", "gw"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**env, "RUST_LOG": "info"}, start_new_session=True)
    try:
        _wait_for_line(proc, "Read 5 records")
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(25)
        assert proc.wait(20) == 0
        assert 29 <= time.monotonic() - t0 < 40
    finally:
        _stop(proc)


def test_standin_does_not_expand_variables_for_its_producer(kafka: KafkaCluster, topic_app: Any) -> None:
    sql, _, out = topic_app("var", sink_config=f"bootstrap.servers: ${{VELOTUI_TEST_UNSET_VAR:{kafka.bootstrap}}}\n")
    proc = _standin(sql, kafka, "gv")
    try:
        lines = _wait_for_line(proc, "Read 5 records")
        assert any("ERROR" in ln and "failed to resolve broker address" in ln for ln in lines)
    finally:
        _stop(proc)
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(kafka.config(**{"group.id": "probe"}))
    assert c.get_watermark_offsets(TopicPartition(out, 0), timeout=10)[1] == 0  # the sink wrote nothing
    c.close()


def test_standin_is_slow_with_low_latency(kafka: KafkaCluster, topic_app: Any) -> None:
    from confluent_kafka import Consumer, TopicPartition

    sql, _, out = topic_app("slow", source_config="performance_profile: low_latency\n", records=18)
    proc = _standin(sql, kafka, "gs")
    c = Consumer(kafka.config(**{"group.id": "probe"}))
    try:
        _wait_for_line(proc, "Read 18 records")
        t0 = time.monotonic()
        while c.get_watermark_offsets(TopicPartition(out, 0), timeout=10, cached=False)[1] < 18:
            time.sleep(0.1)
            assert time.monotonic() - t0 < 30
        assert time.monotonic() - t0 > 1.5  # about 9 records/s
    finally:
        c.close()
        _stop(proc)


def test_velotui_run_folder_keeps_failures_only_by_default(kafka: KafkaCluster, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    report, run, _ = _run(ROOT / "demo" / "tier1_basic" / "02_projection.sql", kafka, tmp_path, engine="velostream",
                          artifacts=None)
    assert report.exit_code == 0 and report.apps[0].queries[0].engine_log is None
    assert not (tmp_path / "velotui-runs" / f"run-{run.run_id}").exists()
    monkeypatch.setenv("VELO_SQL_STANDIN_FAULT", "drop_last")
    report, run, _ = _run(ROOT / "demo" / "tier1_basic" / "02_projection.sql", kafka, tmp_path, engine="velostream",
                          artifacts=None)
    q = report.apps[0].queries[0]
    assert q.status == "failed" and q.engine_log and Path(q.engine_log).is_file()
    assert str(tmp_path / "velotui-runs" / f"run-{run.run_id}") in q.engine_log
    ET.fromstring(ET.tostring(junit_tree(report)))  # still a valid report


async def test_tui_compare_run_and_view(kafka: KafkaCluster, tmp_path: Path) -> None:
    from velotui.tui.app import VelotuiApp
    from velotui.tui.keymap import TuiConfig
    from velotui.tui.screens.compare import CompareScreen
    from velotui.tui.widgets.results_tree import ResultsTree

    app = VelotuiApp(ROOT / "demo" / "tier1_basic" / "03_filter.sql", config=TuiConfig(), seed=5, now_ms=NOW,
                     kafka=kafka.bootstrap,
                     engine_options={"compare": ["embedded", "velostream"], "velostream_bin": str(STANDIN),
                                     "quiet_period_s": 0.5, "artifacts": tmp_path / "artifacts"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("R")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert app.report is not None and app.report.exit_code == 0
        labels = [str(n.label) for n in app.query_one(ResultsTree).root.children[0].children]
        assert any("filter_output [velostream]" in x for x in labels) and any(x.endswith("filter_output") or
                                                                              "filter_output " in x for x in labels)
        await pilot.press("C")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        row = [str(c) for c in app.screen.query_one("#compare-table").get_row_at(0)]
        assert row[1:3] == ["filter_output", "same"] and row[3] == row[4] and row[5] == "passed"
    _nothing_left_running(tmp_path / "artifacts")
