"""Fused outputs are made with the topic and offset they get on their sink topic (RunState.stamp), and the memory
bus takes them as they are (MemoryBus.append_stamped): every sink topic then holds exactly what publishing the
general operators' outputs gives it, in every field, however the statement's sinks are laid out and however
its input arrives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.engine.runtime import StatementStream
from velotui.records import Message
from velotui.sql import parse_app

STATEMENTS = {
    "filter_project": "SELECT id, a * 2 AS twice FROM s WHERE a > 1",
    "group_by": "SELECT k, COUNT(*) AS n, SUM(a) AS total FROM s GROUP BY k",
    "star": "SELECT * FROM s",
    "errors": "SELECT id, 10 / (a - 3) AS q FROM s",  # row errors: the safe path's outputs are stamped too
}
SINKS = {
    "one_topic": "'o.type' = 'kafka_sink'",
    "two_topics": "'o.type' = 'kafka_sink', 'p.type' = 'kafka_sink'",  # the second gets copies
    "topic_and_file": "'o.type' = 'kafka_sink', 'f.type' = 'file_sink', 'f.path' = 'out.jsonl'",
    "named_topic": "'o.type' = 'kafka_sink', 'o.topic' = 'renamed'",  # a topic that holds records already
    "pipeline": "'o.type' = 'kafka_sink'",  # a second statement reads the first one's topic
}


def _fields(m: Message) -> tuple[Any, ...]:
    return (m.value, m.key, m.headers, m.timestamp, m.partition, m.offset, m.topic, m.raw, m.event_time, type(m))


def _records(n: int) -> list[Message]:
    return [Message(value={"id": i, "k": f"k{i % 3}", "a": i % 7}, timestamp=1000 + i, headers={"h": str(i)})
            for i in range(n)]


def _app(select: str, sinks: str, pipeline: bool = False) -> Any:
    sql = f"CREATE STREAM o AS {select} WITH ('s.type' = 'kafka_source', {sinks});\n"
    if pipeline:
        sql += "CREATE STREAM o2 AS SELECT * FROM o WHERE 1 = 1;\n"
    return parse_app(sql)


def _topics(bus: MemoryBus) -> dict[str, list[tuple[Any, ...]]]:
    return {t: [_fields(m) for m in bus.read_all(t)] for t in sorted(bus.topics()) if t != "s"}


@pytest.mark.parametrize("sinks", list(SINKS))
@pytest.mark.parametrize("name", list(STATEMENTS))
def test_sink_topics_hold_what_publishing_gives(name: str, sinks: str, tmp_path: Path) -> None:
    got = {}
    for fuse in (True, False):
        bus = MemoryBus()
        bus.create_topic("renamed")
        bus.publish("renamed", [Message(value={"earlier": 1})])  # a topic that holds records already
        bus.publish("s", _records(300))
        res = run_app(_app(STATEMENTS[name], SINKS[sinks], sinks == "pipeline"), bus,
                      EngineOptions(fuse=fuse, base_dir=tmp_path))
        got[fuse] = (_topics(bus), {n: [_fields(m) for m in r.outputs] for n, r in res.statements.items()})
    assert got[True] == got[False]
    assert any(got[True][0].values())


@pytest.mark.parametrize("name", ["filter_project", "group_by", "star"])
def test_a_streamed_run_drained_block_by_block_gets_the_offsets_publishing_gives(name: str) -> None:
    got = {}
    for fuse in (True, False):
        bus = MemoryBus()
        app = _app(STATEMENTS[name], SINKS["one_topic"])
        stream = StatementStream(app, bus, EngineOptions(fuse=fuse, statements=["o"]))
        captured = []
        recs = _records(900)
        for start in range(0, 900, 250):
            bus.publish("s", recs[start:start + 250])
            stream.advance()
            captured += [_fields(m) for m in bus.drain("o")]
        stream.finish()
        got[fuse] = captured
    assert got[True] == got[False]
    assert [f[5] for f in got[True]] == list(range(len(got[True])))


def test_a_file_sink_alone_leaves_outputs_off_every_topic(tmp_path: Path) -> None:
    for fuse in (True, False):
        bus = MemoryBus()
        bus.publish("s", _records(10))
        sql = (f"CREATE STREAM o AS {STATEMENTS['filter_project']} WITH ('s.type' = 'kafka_source', "
               f"'o.type' = 'file_sink', 'o.path' = '{tmp_path / f'out{fuse}.jsonl'}', 'o.format' = 'jsonl');")
        res = run_app(parse_app(sql), bus, EngineOptions(fuse=fuse)).statements["o"]
        assert [(m.offset, m.topic, m.partition) for m in res.outputs] == [(-1, "", 0)] * 6  # a > 1: 6 of 10


def test_append_stamped_takes_stamped_messages_as_they_are_and_stamps_any_others() -> None:
    bus = MemoryBus()
    bus.publish("t", [Message(value={"x": 0})])
    stamped = [Message(value={"x": i}, topic="t", offset=i) for i in (1, 2, 3)]
    assert bus.append_stamped("t", stamped) == 3
    assert bus.read_all("t")[1:] == stamped and all(a is b for a, b in zip(bus.read_all("t")[1:], stamped))
    wrong = [Message(value={"x": i}, topic="t", offset=-1) for i in range(2)]  # not stamped: publish stamps them
    bus.append_stamped("t", wrong)
    assert [(m.offset, m.topic) for m in bus.read_all("t")] == [(i, "t") for i in range(6)]
    other = [Message(value={"x": 9}, topic="u", offset=6)]  # stamped for another topic
    bus.append_stamped("t", other)
    assert bus.read_all("t")[-1].topic == "t"
    bus.create_topic("p", partitions=2)
    two = [Message(value={"x": 1}, topic="p", offset=0)]
    bus.append_stamped("p", two)  # several partitions: as publish does
    assert bus.next_offset("p") is None and len(bus.read_all("p")) == 1


@pytest.mark.parametrize("name", ["filter_project", "group_by", "errors"])
def test_fused_outputs_are_not_stamped_again(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """(else the tests above compare publishing with itself: a stamp that is off by one falls back to it)"""
    published: list[str] = []
    real = MemoryBus.publish

    def spy(self: MemoryBus, topic: str, messages: Any) -> int:
        published.append(topic)
        return real(self, topic, messages)

    monkeypatch.setattr(MemoryBus, "publish", spy)
    bus = MemoryBus()
    bus.publish("s", _records(300))
    run_app(_app(STATEMENTS[name], SINKS["one_topic"]), bus, EngineOptions())
    assert published == ["s"] and bus.read_all("o")
