"""A statement reads its upstream statement's output from that statement's sink topic on the bus (the
driver never hands data from engine memory), so what is on the topic is what the next statement sees,
and the intermediate topic's records are visible to the topic tail."""

from __future__ import annotations

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, Stepper, run_app
from velotui.records import Message
from velotui.sql import parse_app

SQL = """
CREATE STREAM paid AS SELECT id, amount FROM orders WHERE status = 'PAID'
  WITH ('paid.type' = 'kafka_sink', 'paid.topic.name' = 'paid_topic');
CREATE STREAM big AS SELECT id, amount * 2 AS doubled FROM paid WHERE amount > 10;
"""


def _bus() -> MemoryBus:
    bus = MemoryBus()
    bus.publish("orders", [Message(value={"id": i, "amount": a, "status": s}, timestamp=1000 + i)
                           for i, (a, s) in enumerate([(5, "PAID"), (20, "PAID"), (30, "NEW"), (40, "PAID")])])
    return bus


def test_the_downstream_statement_reads_the_upstream_sink_topic() -> None:
    app = parse_app(SQL)
    stepper = Stepper(app, bus := _bus(), EngineOptions())
    stepper.step()
    assert [m.value for m in bus.read_all("paid_topic")] == [{"id": 0, "amount": 5}, {"id": 1, "amount": 20},
                                                             {"id": 3, "amount": 40}]
    # what is on the topic is what the next statement sees: change it between the two steps
    bus.delete_topic("paid_topic")
    bus.publish("paid_topic", [Message(value={"id": 99, "amount": 1000}, timestamp=5)])
    res = stepper.step()
    assert [m.value for m in res.outputs] == [{"id": 99, "doubled": 2000}]
    assert res.records_in == 1


def test_running_the_downstream_statement_runs_its_upstream_onto_its_topic() -> None:
    app = parse_app(SQL)
    seen: list[tuple[str, int]] = []
    bus = _bus()
    bus.add_listener(lambda topic, batch: seen.append((topic, len(batch))))
    result = run_app(app, bus, EngineOptions(statements=["big"]))
    assert [m.value for m in result.statements["big"].outputs] == [{"id": 1, "doubled": 40}, {"id": 3, "doubled": 80}]
    assert ("paid_topic", 3) in seen  # the intermediate topic's records reached the topic tail
    assert result.statements["big"].dead_letters == []


def test_the_run_prefix_applies_to_intermediate_topics() -> None:
    app = parse_app(SQL)
    bus = _bus()
    names = {"orders": "orders", "paid_topic": "run7_paid_topic", "big": "run7_big"}
    run_app(app, bus, EngineOptions(topic_names=names))
    assert len(bus.read_all("run7_paid_topic")) == 3 and len(bus.read_all("run7_big")) == 2
    assert "paid_topic" not in bus.topics()


def test_input_pushed_in_chunks_gives_the_bounded_runs_outputs_as_they_come() -> None:
    """The driver takes input in chunks (push) and hands outputs on as they come (on_output), so a caller
    can bound what it holds; the result is the bounded run's."""
    from velotui.engine.driver import StatementRun
    from velotui.engine.runtime import plan_for

    sql = "CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;"
    records = [Message(value={"k": "abc"[i % 3]}, timestamp=i) for i in range(10)]
    app = parse_app(sql)
    plan = plan_for(app, EngineOptions()).statements[0]
    seen: list[int] = []
    run = StatementRun(plan, MemoryBus(), EngineOptions(keep_outputs=False), on_output=lambda m: seen.append(len(m)))
    run.load_tables()
    for start in range(0, 10, 4):
        run.push(0, records[start:start + 4])
    res = run.finish()
    assert seen == [4, 4, 2] and res.records_in == 10 and res.records_out == 10
    bus = MemoryBus()
    bus.publish("s", [Message(value=m.value, timestamp=m.timestamp) for m in records])
    bounded = run_app(app, bus, EngineOptions()).statements["o"]
    assert [m.value for m in bounded.outputs][-1] == {"k": "a", "n": 4}
