"""Staging an app for velo-sql: every demo app and statement, the rewrites checked on the staged files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from velotui.adapters.velostream.staging import stage_app
from velotui.errors import SpecError
from velotui.sql import load_app
from velotui.sql.rewrite import application_name

ROOT = Path(__file__).resolve().parents[3]
DEMO = sorted((ROOT / "demo").rglob("*.sql"))


def _run_topics(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    names = {}
    for st in app.statements:
        for r in [*st.sources, *st.sinks]:
            if r.kind == "kafka" and r.topic:
                names[r.topic] = f"test_r1_{r.topic}"
    return names


CASES = [(p, st.name) for p in DEMO for st in load_app(p).statements]


@pytest.mark.parametrize(("sql", "statement"), CASES, ids=[f"{p.stem}-{s}" for p, s in CASES])
def test_staged_app_reads_and_writes_only_the_runs_topics(sql: Path, statement: str, tmp_path: Path) -> None:
    app = load_app(sql)
    topics = _run_topics(app)
    staged = stage_app(app, sql, statement, tmp_path / "run", topic_names=topics, bootstrap="127.0.0.1:9999",
                       dlq_topic=lambda st, written: f"test_r1_dlq_{st}")
    text = staged.sql_file.read_text()
    assert application_name(text) in (app.name, staged.app_name)
    assert text.count("SQL Application:") == 1
    again = load_app(staged.sql_file)
    assert [s.name for s in again.statements] == staged.statements and statement in staged.statements
    run_topics = set(topics.values()) | set(staged.dlq_topics.values())
    for st in again.statements:
        for r in [*st.sources, *st.sinks]:
            if r.kind == "kafka":
                assert r.topic in run_topics, (st.name, r.name, r.topic)
            if r.kind == "file" and hasattr(r, "is_table"):  # a file source: its data was copied in
                assert (staged.folder / r.path).is_file(), r.path
            elif r.kind == "file":
                assert r.path.startswith("sinks/"), r.path
    assert all(t in run_topics for t in staged.sink_topics)
    assert {r.topic for r in staged.readers} <= run_topics
    for cfg_file in (staged.folder / "configs").glob("*.yaml"):
        cfg = yaml.safe_load(cfg_file.read_text())
        text = cfg_file.read_text()
        assert "extends" not in cfg and "${" not in text and "low_latency" not in text, cfg_file.name
        if "topic" in cfg or "topic.name" in cfg:
            assert cfg["bootstrap.servers"] == "127.0.0.1:9999"
            name = cfg["topic"]["name"] if isinstance(cfg.get("topic"), dict) else cfg.get("topic.name")
            assert name in run_topics


def test_the_staged_config_is_the_merged_expanded_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_PARTS", "3")
    (tmp_path / "base.yaml").write_text("bootstrap.servers: ${KAFKA_X:localhost:9092}\nvalue.format: json\n"
                                        "performance_profile: low_latency\nconsumer:\n  group: g\n")
    (tmp_path / "orders.yaml").write_text("extends: base.yaml\ntopic:\n  name: orders\n  partitions: ${ORDERS_PARTS}\n")
    sql = tmp_path / "app.sql"
    sql.write_text("-- SQL Application: mine\nCREATE STREAM out AS SELECT * FROM orders\n"
                   "WITH ('orders.type' = 'kafka_source', 'orders.config_file' = 'orders.yaml', "
                   "'out.path' = '${OUT_DIR:out}/o.jsonl', 'out.type' = 'file_sink', 'out.format' = 'json')")
    app = load_app(sql)
    staged = stage_app(app, sql, "out", tmp_path / "run", topic_names={"orders": "test_q_orders"}, bootstrap="b:1")
    cfg = yaml.safe_load((staged.folder / "configs" / "orders.yaml").read_text())
    assert cfg == {"bootstrap.servers": "b:1", "value.format": "json", "performance_profile": "high_throughput",
                   "consumer": {"group": "g"}, "topic": {"name": "test_q_orders", "partitions": "3"}}
    assert any("low_latency -> high_throughput" in n for n in staged.notes)
    text = staged.sql_file.read_text()
    assert text.startswith("-- SQL Application: mine\n") and text.count("SQL Application") == 1
    assert staged.file_sinks == {"${OUT_DIR:out}/o.jsonl": staged.folder / "sinks" / "out.jsonl"}
    assert load_app(staged.sql_file).statements[0].sinks[0].path == "sinks/out.jsonl"


def test_a_variable_without_value_or_default_is_an_error_naming_the_config(tmp_path: Path) -> None:
    (tmp_path / "sink.yaml").write_text("bootstrap.servers: ${NO_SUCH_VELOTUI_VAR}\nclient.id: ${NO_SUCH_VELOTUI_VAR}\n")
    sql = tmp_path / "app.sql"
    sql.write_text("CREATE STREAM out AS SELECT * FROM s\nWITH ('out.type' = 'kafka_sink', "
                   "'out.config_file' = 'sink.yaml')")
    with pytest.raises(SpecError) as e:
        stage_app(load_app(sql), sql, "out", tmp_path / "run", topic_names={"s": "t_s", "out": "t_out"},
                  bootstrap="b:1")
    assert "${NO_SUCH_VELOTUI_VAR} has no value and no default" in e.value.message
    assert e.value.file.endswith("sink.yaml")


def test_only_the_statement_and_what_it_reads_are_deployed(tmp_path: Path) -> None:
    sql = ROOT / "demo" / "tier5_complex" / "40_pipeline.sql"
    app = load_app(sql)
    staged = stage_app(app, sql, "priced_orders", tmp_path / "run", topic_names=_run_topics(app), bootstrap="b:1")
    assert [s.name for s in load_app(staged.sql_file).statements] == ["paid_orders", "priced_orders"]
    assert [(r.statement, r.source, r.index) for r in staged.readers] == [("paid_orders", "orders", 0)]
    assert "large_orders" not in staged.sql_file.read_text()


def test_the_dlq_topic_is_the_runs(tmp_path: Path) -> None:
    sql = ROOT / "demo" / "tier1_basic" / "04_casting.sql"
    app = load_app(sql)
    staged = stage_app(app, sql, "casting_output", tmp_path / "run", topic_names=_run_topics(app), bootstrap="b:1",
                       dlq_topic=lambda st, written: f"test_r1_dlq_{st}_{written}")
    assert staged.dlq_topics == {"casting_output": "test_r1_dlq_casting_output_casting_dead_letters"}
    assert load_app(staged.sql_file).statements[0].properties["dlq.topic"] == staged.dlq_topics["casting_output"]
