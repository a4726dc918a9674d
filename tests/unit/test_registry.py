"""The Confluent Schema Registry wire format around Avro and Protobuf, on confluent-kafka's in-memory
registry (``mock://``): framing, lookup by id, evolution, and bad bytes as dead letters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from velotui.bus.serde import AvroSerde, RegistrySerde, registry_client, registry_conf, serde_for
from velotui.errors import SpecError

TRADE_V1 = {"type": "record", "name": "Trade", "fields": [
    {"name": "symbol", "type": "string"}, {"name": "price", "type": "double"}]}
TRADE_V2 = {"type": "record", "name": "Trade", "fields": [
    {"name": "symbol", "type": "string"}, {"name": "price", "type": "double"},
    {"name": "venue", "type": "string", "default": "XNYS"}]}


def _avsc(tmp_path: Path, name: str, schema: dict) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(schema))
    return p


def test_avro_through_the_registry_is_framed_and_round_trips(tmp_path: Path) -> None:
    _avsc(tmp_path, "trade.avsc", TRADE_V1)
    cfg = {"value.format": "avro", "avro.schema.file": "trade.avsc", "schema.registry.url": "mock://unit-a"}
    serde = serde_for(cfg, tmp_path).for_topic("test_r1_trades")
    data = serde.encode({"symbol": "AAPL", "price": 1.5})
    sid = int.from_bytes(data[1:5], "big")
    assert data[0] == 0 and sid >= 1
    schema = registry_client({"url": "mock://unit-a"}).get_latest_version("test_r1_trades-value").schema
    assert json.loads(schema.schema_str)["name"] == "Trade" and schema.schema_type == "AVRO"
    assert serde.decode(data) == {"symbol": "AAPL", "price": 1.5}
    assert data[5:] == AvroSerde(tmp_path / "trade.avsc").encode({"symbol": "AAPL", "price": 1.5})


def test_a_sink_decodes_by_the_writers_schema_without_a_local_file(tmp_path: Path) -> None:
    _avsc(tmp_path, "trade.avsc", TRADE_V1)
    writer = serde_for({"value.format": "avro", "avro.schema.file": "trade.avsc",
                        "schema.registry.url": "mock://unit-b"}, tmp_path).for_topic("t")
    reader = serde_for({"value": {"format": "avro"}, "schema": {"registry": {"url": "mock://unit-b"}}},
                       tmp_path).for_topic("t")
    assert reader.inner is None
    assert reader.decode(writer.encode({"symbol": "X", "price": 2.0})) == {"symbol": "X", "price": 2.0}


def test_avro_schema_evolution_resolves_writer_against_reader(tmp_path: Path) -> None:
    _avsc(tmp_path, "v1.avsc", TRADE_V1)
    _avsc(tmp_path, "v2.avsc", TRADE_V2)
    old = serde_for({"value.format": "avro", "avro.schema.file": "v1.avsc",
                     "schema.registry.url": "mock://unit-c"}, tmp_path).for_topic("t")
    new = serde_for({"value.format": "avro", "avro.schema.file": "v2.avsc",
                     "schema.registry.url": "mock://unit-c"}, tmp_path).for_topic("t")
    assert new.decode(old.encode({"symbol": "X", "price": 2.0})) == {"symbol": "X", "price": 2.0, "venue": "XNYS"}
    assert old.decode(new.encode({"symbol": "Y", "price": 3.0, "venue": "XLON"})) == {"symbol": "Y", "price": 3.0}


def test_protobuf_through_the_registry_carries_message_indexes(tmp_path: Path) -> None:
    (tmp_path / "t.proto").write_text('syntax = "proto3";\npackage demo;\nmessage Trade {\n  string symbol = 1;\n'
                                      '  double price = 2;\n}\n')
    serde = serde_for({"value.format": "protobuf", "protobuf.schema.file": "t.proto",
                       "schema.registry.url": "mock://unit-d"}, tmp_path).for_topic("t")
    data = serde.encode({"symbol": "AAPL", "price": 1.5})
    assert data[0] == 0 and data[5] == 0  # magic, id, then the index list [0] as a single zero byte
    assert serde.decode(data) == {"symbol": "AAPL", "price": 1.5}
    schema = registry_client({"url": "mock://unit-d"}).get_latest_version("t-value").schema
    assert schema.schema_type == "PROTOBUF" and "message Trade" in schema.schema_str


def test_bytes_that_are_not_the_wire_format_are_dead_letters(tmp_path: Path) -> None:
    _avsc(tmp_path, "trade.avsc", TRADE_V1)
    serde = serde_for({"value.format": "avro", "avro.schema.file": "trade.avsc",
                       "schema.registry.url": "mock://unit-e"}, tmp_path).for_topic("t")
    assert serde.decode(b'{"symbol": "X"}') is None  # plain JSON, no magic byte
    assert serde.decode(b"\x00\x00\x00\x03\xe7abc") is None  # an id the registry never issued
    assert serde.decode(b"\x00\x00") is None  # too short


def test_registry_settings_from_a_config() -> None:
    assert registry_conf({"value.format": "json"}) is None
    conf = registry_conf({"schema": {"registry": {"url": "https://sr:8081",
                                                  "basic.auth.user.info": "u:p"}}})
    assert conf == {"url": "https://sr:8081", "basic.auth.user.info": "u:p"}


def test_avro_needs_a_schema_file_or_a_registry(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="avro.schema.file"):
        serde_for({"value.format": "avro"}, tmp_path)
    assert isinstance(serde_for({"value.format": "avro", "schema.registry.url": "mock://unit-f"}, tmp_path),
                      RegistrySerde)


def test_a_registry_needs_the_proto_source(tmp_path: Path) -> None:
    (tmp_path / "t.proto").write_text('syntax = "proto3";\nmessage T { int64 a = 1; }\n')
    from velotui.bus.serde import ProtobufSerde

    desc = tmp_path / "t.desc"
    desc.write_bytes(ProtobufSerde(tmp_path / "t.proto")._descriptor_set())
    serde = serde_for({"value.format": "protobuf", "protobuf.schema.file": "t.desc",
                       "schema.registry.url": "mock://unit-g"}, tmp_path).for_topic("t")
    with pytest.raises(SpecError, match=r"\.proto source"):
        serde.encode({"a": 1})


def test_protobuf_records_keep_numbers_enums_nesting_and_defaults(tmp_path: Path) -> None:
    from velotui.bus.serde import ProtobufSerde

    (tmp_path / "o.proto").write_text(
        'syntax = "proto3";\npackage shop;\nimport "google/protobuf/timestamp.proto";\n'
        'enum Side { BUY = 0; SELL = 1; }\nmessage Line { string sku = 1; uint64 qty = 2; }\n'
        'message Order {\n  int64 id = 1;\n  Side side = 2;\n  repeated Line lines = 3;\n'
        '  map<string, int64> tags = 4;\n  optional double discount = 5;\n  bytes blob = 6;\n'
        '  google.protobuf.Timestamp at = 7;\n  Line first = 8;\n  fixed64 big = 9;\n}\n')
    serde = ProtobufSerde(tmp_path / "o.proto", message="Order")
    value = {"id": 9_007_199_254_740_993, "side": "SELL", "lines": [{"sku": "a", "qty": 2}],
             "tags": {"x": 5}, "blob": "AAE=", "at": "2024-01-02T03:04:05Z", "big": 18_000_000_000_000_000_000}
    got = serde.decode(serde.encode(value))
    assert got == {"id": 9_007_199_254_740_993, "side": "SELL", "lines": [{"sku": "a", "qty": 2}],
                   "tags": {"x": 5}, "discount": None, "blob": "AAE=", "at": "2024-01-02T03:04:05Z",
                   "big": 18_000_000_000_000_000_000}
    assert serde.decode(serde.encode({"id": 1}))["side"] == "BUY"  # a default is printed, not dropped


def test_a_broken_proto_names_the_file_and_line(tmp_path: Path) -> None:
    from velotui.bus.serde import ProtobufSerde

    (tmp_path / "bad.proto").write_text('syntax = "proto3";\nmessage T {\n  int64 a = 1\n}\n')
    with pytest.raises(SpecError) as e:
        ProtobufSerde(tmp_path / "bad.proto")
    assert "bad.proto:4:1" in str(e.value) and e.value.hint


def test_key_formats_from_a_config(tmp_path: Path) -> None:
    from velotui.bus.serde import KeySerde, ProtobufSerde, key_serde_for

    (tmp_path / "k.avsc").write_text('"string"')
    (tmp_path / "k.proto").write_text('syntax = "proto3";\nmessage OrderKey { string order_id = 1; }\n')
    assert isinstance(key_serde_for({}, tmp_path), KeySerde)
    avro = key_serde_for({"key.format": "avro", "key.avro.schema.file": "k.avsc"}, tmp_path)
    assert avro.decode(avro.encode("ORD-1")) == "ORD-1"
    proto = key_serde_for({"key": {"format": "protobuf", "schema": {"file": "k.proto"}}}, tmp_path)
    assert isinstance(proto, ProtobufSerde)
    assert proto.decode(proto.encode("ORD-2")) == {"order_id": "ORD-2"}  # a bare key fills the only field
    registered = key_serde_for({"key.format": "avro", "key.avro.schema.file": "k.avsc",
                                "schema.registry.url": "mock://unit-keys"}, tmp_path).for_topic("t")
    data = registered.encode("ORD-3")
    assert data[0] == 0 and registered.decode(data) == "ORD-3"
    assert registry_client({"url": "mock://unit-keys"}).get_subjects() == ["t-key"]
    with pytest.raises(SpecError, match="key.avro.schema.file"):
        key_serde_for({"key.format": "avro"}, tmp_path)


def _wire_indexes(body: bytes) -> tuple[list[int], bytes]:
    """The message-index list of the wire format (zigzag varints: a count, then each index)."""
    def varint(pos: int) -> tuple[int, int]:
        shift = result = 0
        while True:
            b = body[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return (result >> 1) ^ -(result & 1), pos
            shift += 7

    count, pos = varint(0)
    out = []
    for _ in range(count):
        i, pos = varint(pos)
        out.append(i)
    return (out or [0]), body[pos:]


@pytest.mark.parametrize(("message", "indexes"), [("Trade", [0]), ("Quote", [1]), ("Book", [2]),
                                                  ("Book.Level", [2, 0]), ("demo.Book.Level.Tick", [2, 0, 1])])
def test_protobuf_framing_uses_the_configured_messages_index(tmp_path: Path, message: str, indexes: list[int]) -> None:
    """The index list names the configured message, not always the file's first one (a registry-aware
    consumer would read a Quote as a Trade)."""
    (tmp_path / "t.proto").write_text(
        'syntax = "proto3";\npackage demo;\n'
        'message Trade { string symbol = 1; }\n'
        'message Quote { string symbol = 1; double bid = 2; }\n'
        'message Book {\n  message Level {\n    message Pad { int32 x = 1; }\n    message Tick { int64 n = 1; }\n'
        '    double price = 1;\n  }\n  repeated Level levels = 1;\n}\n')
    serde = serde_for({"value.format": "protobuf", "protobuf.schema.file": "t.proto", "protobuf.message": message,
                       "schema.registry.url": f"mock://unit-idx-{len(indexes)}-{indexes[-1]}"}, tmp_path).for_topic("t")
    value = {"symbol": "X"} if message == "Trade" else {"symbol": "X", "bid": 1.5} if message == "Quote" else \
        {"levels": []} if message == "Book" else {"price": 2.5} if message == "Book.Level" else {"n": 7}
    data = serde.encode(value)
    got, payload = _wire_indexes(data[5:])
    assert got == indexes
    assert serde.decode(data) == serde.inner.decode(payload)
