"""Messages made in bulk (records.messages_of) and the engine's inline output messages are the very objects
their constructors make: every field set, equal, of the same class. A field added to Message that the bulk
paths do not set fails here (reading it raises)."""

from __future__ import annotations

from dataclasses import fields

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.engine.operators.base import OutputMessage
from velotui.records import Message, messages_of
from velotui.sql import parse_app


def _all_fields(m: Message) -> dict:
    return {f.name: getattr(m, f.name) for f in fields(Message)}


def test_messages_of_makes_what_the_constructor_makes() -> None:
    h1, h2 = {"a": "1"}, {"b": "2"}
    made = messages_of([{"x": 1}, {"x": 2}], [h1, h2], [10, 20], ["k", None])
    expected = [Message({"x": 1}, "k", h1, 10), Message({"x": 2}, None, h2, 20)]
    assert made == expected
    assert [_all_fields(m) for m in made] == [_all_fields(m) for m in expected]
    assert all(type(m) is Message for m in made)
    assert made[0].headers is h1  # shared, as the constructor shares it


def test_messages_of_without_keys_gives_none_keys() -> None:
    made = messages_of([{"x": 1}], [{}], [5])
    assert made == [Message({"x": 1}, None, {}, 5)]


def test_fused_outputs_are_the_output_messages_the_constructor_makes(tmp_path) -> None:
    for sql in ("CREATE STREAM o AS SELECT id, v * 2 AS w FROM s WHERE v > 1;",
                "CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;"):
        bus = MemoryBus()
        bus.publish("s", [Message({"id": i, "v": i, "k": i % 2}, None, {"h": "1"}, 1000 + i) for i in range(4)])
        res = run_app(parse_app(sql, tmp_path / "a.sql"), bus, EngineOptions(base_dir=tmp_path))
        outs = res.statements["o"].outputs
        assert outs, sql
        for m in outs:
            assert type(m) is OutputMessage
            ref = OutputMessage.of(m.value, m.key, m.headers, m.timestamp)
            ref.partition, ref.offset, ref.topic = m.partition, m.offset, m.topic
            assert _all_fields(m) == _all_fields(ref), sql
        assert [m.offset for m in outs] == list(range(len(outs)))
        assert bus.read_all("o") == outs
