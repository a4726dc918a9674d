"""The engine's block-by-block run (velotui.engine.StatementStream) and the memory bus's ``drain``: the same
outputs, dead letters and offsets as a bounded run over everything at once, one block held at a time; and
the statements it refuses, with the reason."""

from __future__ import annotations

import pytest

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, StatementStream, StreamRefused, run_app
from velotui.records import Message
from velotui.sql import parse_app


def test_drain_takes_what_is_on_a_topic_and_offsets_go_on() -> None:
    bus = MemoryBus()
    bus.publish("t", [Message(value={"i": i}) for i in range(3)])
    first = bus.drain("t")
    assert [m.offset for m in first] == [0, 1, 2] and bus.read_all("t") == []
    bus.publish("t", [Message(value={"i": 3})])
    assert [m.offset for m in bus.read_all("t")] == [3]
    assert bus.drain("missing") == [] and bus.partitions("missing") == 0
    bus.create_topic("p", 3)
    bus.publish("p", [Message(value={"k": k}, key=k) for k in "abcdefabc"])
    drained = bus.drain("p")
    assert len(drained) == 9 and bus.partitions("p") == 3
    bus.publish("p", [Message(value={"k": "a"}, key="a")])
    (again,) = bus.read_all("p")
    assert again.offset == sum(1 for m in drained if m.partition == again.partition)


SQL = ("CREATE STREAM o AS SELECT id, CAST(code AS INTEGER) AS n, v * 2 AS w FROM s WHERE v > 1 "
       "WITH ('s.type' = 'kafka_source', 'o.type' = 'kafka_sink', 'o.topic.name' = 'o');")


def records(n: int) -> list[Message]:
    return [Message(value={"id": i, "code": str(i) if i % 7 else "x", "v": i % 5} if i % 11 else {"id": i, "v": "?"},
                    timestamp=1000 + i) for i in range(n)]


@pytest.mark.parametrize("sql", [SQL, SQL.replace("SELECT id, CAST(code AS INTEGER) AS n, v * 2 AS w",
                                                  "SELECT v, COUNT(*) AS c").replace(" WITH", " GROUP BY v WITH")])
def test_block_by_block_is_the_bounded_run(sql: str) -> None:
    app = parse_app(sql)
    schemas = {"s": {"id": ("integer", False), "code": ("string", True), "v": ("integer", False)}}
    whole_bus = MemoryBus()
    whole_bus.publish("s", records(10_000))
    whole = run_app(app, whole_bus, EngineOptions(source_schemas=schemas)).statements["o"]
    bus = MemoryBus()
    bus.create_topic("s")
    stream = StatementStream(app, bus, EngineOptions(source_schemas=schemas))
    out, held = [], []
    msgs = records(10_000)
    for start in range(0, len(msgs), 4096):
        bus.publish("s", msgs[start:start + 4096])
        stream.advance()
        held.append(len(bus.read_all("s")))
        out += bus.drain("o")
    result = stream.finish().statements["o"]
    out += bus.drain("o")
    assert held == [0, 0, 0]  # the engine took each block off its topic
    assert [(m.value, m.key, m.timestamp) for m in out] == \
           [(m.value, m.key, m.timestamp) for m in whole_bus.read_all("o")]
    assert [(d.error_type, d.message, d.offset) for d in result.dead_letters] == \
           [(d.error_type, d.message, d.offset) for d in whole.dead_letters]
    assert (result.records_in, result.records_out, result.row_errors) == \
           (whole.records_in, whole.records_out, whole.row_errors)
    assert result.dead_letters and result.outputs == []  # nothing held: the outputs are on the sink topic


@pytest.mark.parametrize("sql, why", [
    ("CREATE STREAM a AS SELECT x FROM s; CREATE STREAM b AS SELECT x FROM a;", "reads other statements"),
    ("CREATE STREAM o AS SELECT l.x, r.y FROM l JOIN r ON l.k = r.k "
     "WITH ('l.type' = 'kafka_source', 'r.type' = 'kafka_source');", "exactly one stream"),
    ("CREATE STREAM o AS SELECT x FROM s WITH ('s.type' = 'file_source', 's.path' = 'in.csv');", "not read from a topic"),
])
def test_what_cannot_run_block_by_block_is_refused_with_the_reason(sql: str, why: str) -> None:
    app = parse_app(sql)
    name = app.statements[-1].name
    with pytest.raises(StreamRefused, match=why):
        StatementStream(app, MemoryBus(), EngineOptions(statements=[name]))


def test_a_topic_of_several_partitions_is_refused() -> None:
    bus = MemoryBus()
    bus.create_topic("s", 2)
    with pytest.raises(StreamRefused, match="several partitions"):
        StatementStream(parse_app("CREATE STREAM o AS SELECT x FROM s;"), bus, EngineOptions())


def test_a_bus_that_cannot_release_is_refused() -> None:
    class Plain:  # the Bus protocol without drain (Kafka's bus)
        def create_topic(self, name: str, partitions: int = 1) -> None: ...

    with pytest.raises(StreamRefused, match="cannot release"):
        StatementStream(parse_app("CREATE STREAM o AS SELECT x FROM s;"), Plain(), EngineOptions())
