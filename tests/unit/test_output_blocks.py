"""The fused operators' outputs are blocks (velotui.records.MessageBlock): values, headers and timestamps held as
columns, with no message object made until someone reads one. Every reader still gets exactly the messages
publishing gives (test_stamped_outputs.py compares every field with the general path); here: the block is a
sequence of messages in every way, its messages are made once (every reader gets the same objects), the
memory bus holds a block unmade until a reader asks, keeps offset order across blocks and plain publishes,
hands a listener messages at once, and a drain gives the values without making a message."""

from __future__ import annotations

from pathlib import Path

from velotui.bus import MemoryBus
from velotui.core.streamed import StreamedChecks
from velotui.engine import EngineOptions, run_app
from velotui.engine.operators.base import OutputMessage
from velotui.engine.runtime import StatementStream
from velotui.records import Message, MessageBlock, values_of
from velotui.sql import parse_app

SQL = ("CREATE STREAM o AS SELECT id, a * 2 AS twice FROM s WHERE a > 1 "
       "WITH ('s.type' = 'kafka_source', 'o.type' = 'kafka_sink');")


def _records(n: int, first: int = 0) -> list[Message]:
    return [Message(value={"id": i, "a": i % 7}, timestamp=1000 + i, headers={"h": str(i)})
            for i in range(first, first + n)]


def _block(n: int, topic: str = "t", first: int = 0) -> MessageBlock:
    return MessageBlock([{"x": i} for i in range(n)], [{"h": str(i)} for i in range(n)],
                        [100 + i for i in range(n)], topic, first, OutputMessage)


def test_a_block_is_a_sequence_of_the_messages_its_columns_describe() -> None:
    b = _block(3, "t", 5)
    assert not b.made and len(b) == 3 and b
    expected = [OutputMessage.of({"x": i}, None, {"h": str(i)}, 100 + i) for i in range(3)]
    for i, m in enumerate(expected):
        m.topic, m.offset = "t", 5 + i
    assert list(b) == expected and b == expected
    assert [type(m) for m in b] == [OutputMessage] * 3
    assert b[1] is b[1] and b[1:] == expected[1:] and b[-1].offset == 7
    assert b.made and list(b)[0] is b.messages()[0]  # made once: every reader the same objects
    assert values_of(b) is b.values and values_of(expected) == b.values
    unplaced = MessageBlock([{"x": 1}], [{}], [7])
    assert [(m.topic, m.offset, m.event_time) for m in unplaced] == [("", -1, 7)]
    assert not MessageBlock([], [], [])


def test_blocks_joined_keep_their_order_and_placement() -> None:
    a, b = _block(2, "t", 0), MessageBlock([{"x": 9}], [{}], [1], "t", 2, OutputMessage)
    j = MessageBlock.joined([a, b])
    assert not j.made and [m.offset for m in j] == [0, 1, 2] and j.values == [{"x": 0}, {"x": 1}, {"x": 9}]
    assert MessageBlock.joined([a]) is a


def test_the_bus_holds_a_block_unmade_until_read_and_keeps_offset_order() -> None:
    bus = MemoryBus()
    bus.create_topic("t")
    first = _block(3, "t", 0)
    assert bus.append_stamped("t", first) == 3
    assert not first.made and bus.next_offset("t") == 3
    bus.publish("t", [Message(value={"x": "published"})])  # after the block, in offset order
    assert first.made
    second = _block(2, "t", 4)
    bus.append_stamped("t", second)
    got = bus.read_all("t")
    assert [m.offset for m in got] == [0, 1, 2, 3, 4, 5]
    assert [m.value["x"] for m in got] == [0, 1, 2, "published", 0, 1]
    assert got[0] is first[0] and got[4] is second[0]
    misplaced = _block(1, "t", 99)  # not where the topic's next offset is: published (stamped) as any message
    bus.append_stamped("t", misplaced)
    assert bus.read_all("t")[-1].offset == 6


def test_a_drain_gives_the_blocks_values_without_making_a_message() -> None:
    bus = MemoryBus()
    bus.create_topic("t")
    a, b = _block(2, "t", 0), MessageBlock([{"x": 5}], [{}], [9], "t", 2, OutputMessage)
    bus.append_stamped("t", a)
    bus.append_stamped("t", b)
    out = bus.drain("t")
    assert isinstance(out, MessageBlock) and not out.made and out.values == [{"x": 0}, {"x": 1}, {"x": 5}]
    assert bus.read_all("t") == [] and bus.next_offset("t") == 3
    c = _block(1, "t", 3)
    bus.append_stamped("t", c)
    assert [m.offset for m in bus.drain("t")] == [3]


def test_a_listener_gets_the_fused_outputs_as_messages_when_they_are_published(tmp_path: Path) -> None:
    bus = MemoryBus()
    seen: list[tuple[str, list[Message]]] = []
    bus.publish("s", _records(20))
    bus.add_listener(lambda topic, msgs: seen.append((topic, list(msgs))))
    res = run_app(parse_app(SQL), bus, EngineOptions(base_dir=tmp_path))
    tail = [m for topic, msgs in seen if topic == "o" for m in msgs]
    assert tail and tail == bus.read_all("o") == res.statements["o"].outputs
    assert all(type(m) is OutputMessage for m in tail)


def test_the_results_outputs_are_the_very_messages_on_the_sink_topic(tmp_path: Path) -> None:
    bus = MemoryBus()
    bus.publish("s", _records(300))
    res = run_app(parse_app(SQL), bus, EngineOptions(base_dir=tmp_path)).statements["o"]
    outs = res.outputs
    assert len(outs) == res.records_out > 0 and res.outputs is outs
    on_topic = bus.read_all("o")
    assert all(x is y for x, y in zip(outs, on_topic)) and len(on_topic) == len(outs)
    assert [m.offset for m in on_topic] == list(range(len(outs)))


def test_streamed_checks_read_a_blocks_values_and_make_messages_only_for_a_check_that_reads_them() -> None:
    spec_checks = StreamedChecks()
    block = _block(4, "o", 0)
    spec_checks.add(block)
    assert spec_checks.records_out == 4 and not block.made


def test_a_streamed_run_drains_blocks_whose_values_are_the_outputs() -> None:
    for fuse in (True, False):
        bus = MemoryBus()
        stream = StatementStream(parse_app(SQL), bus, EngineOptions(fuse=fuse, statements=["o"]))
        got: list[dict] = []
        for start in range(0, 600, 200):
            bus.publish("s", _records(200, start))
            stream.advance()
            drained = bus.drain("o")
            assert isinstance(drained, MessageBlock) == fuse
            got += values_of(drained)
        stream.finish()
        assert got == [{"id": i, "twice": (i % 7) * 2} for i in range(600) if i % 7 > 1]
