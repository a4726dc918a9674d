"""The Confluent Schema Registry wire format around Avro and Protobuf: magic byte 0, the 4-byte schema id,
for Protobuf the message-index list, then the payload; the registry client is confluent-kafka's."""

from __future__ import annotations

import io
from typing import Any

import orjson

from velotui.errors import SpecError

_MAGIC = b"\x00"
_REGISTRIES: dict[tuple[tuple[str, str], ...], Any] = {}


def registry_client(conf: dict[str, str]) -> Any:
    """One Schema Registry client per registry and credentials for the process (``mock://NAME`` is
    confluent-kafka's in-memory registry: every serde of a run sees the same one)."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    key = tuple(sorted(conf.items()))
    if key not in _REGISTRIES:
        _REGISTRIES[key] = SchemaRegistryClient.new_client(dict(conf))
    return _REGISTRIES[key]


class RegistrySerde:
    """The Confluent wire format: magic byte 0, the schema id (4 bytes, big endian), for Protobuf the
    message-index list (where the message ``protobuf.message`` names — else the file's first — is declared
    in the .proto: ``index_list``), then
    the Avro or Protobuf payload. Encoding registers the local schema under ``{topic}-value``; decoding
    looks the writer's schema up by id, so a sink written by another producer decodes without a local
    schema file (Avro), and an Avro writer schema is resolved against the local one (schema evolution)."""

    def __init__(self, fmt: str, inner: Any, conf: dict[str, str], subject: str = "", part: str = "value") -> None:
        self.part = part  # "value" or "key": the subject is {topic}-{part}
        self.name = f"{fmt}+registry"
        self.fmt = fmt
        self.inner = inner
        self.conf = conf
        self.subject = subject
        self._id: int | None = None
        self._writers: dict[int, Any] = {}

    def for_topic(self, topic: str) -> RegistrySerde:
        return RegistrySerde(self.fmt, self.inner, self.conf, f"{topic}-{self.part}", self.part)

    def _client(self) -> Any:
        return registry_client(self.conf)

    def _schema_id(self) -> int:
        if self._id is None:
            from confluent_kafka.schema_registry import Schema

            if self.inner is None:
                raise SpecError(f"cannot write {self.fmt} through the schema registry without a local schema",
                                hint=f"set {self.fmt}.schema.file in the config")
            try:
                self._id = self._client().register_schema(
                    self.subject or f"velotui-{self.part}", Schema(self.inner.schema_text, self.fmt.upper()))
            except SpecError:
                raise
            except Exception as e:  # noqa: BLE001 - the registry's own error, with its URL
                from velotui.errors import InfraError

                raise InfraError(f"schema registry {self.conf.get('url')}: cannot register "
                                 f"{self.subject!r}: {e}", hint="is the registry running and the schema valid?") \
                    from None
        return self._id

    def encode(self, value: Any) -> bytes | None:
        if value is None:
            return None
        body = self.inner.encode(value) if self.inner is not None else None
        if body is None:
            return None
        head = _MAGIC + self._schema_id().to_bytes(4, "big")
        if self.fmt == "protobuf":
            head += index_list(getattr(self.inner, "message_indexes", [0]))
        return head + body

    def decode(self, data: bytes | None) -> Any:
        if data is None:
            return None
        if len(data) < 5 or data[:1] != _MAGIC:
            return None  # not the wire format: a dead letter
        sid = int.from_bytes(data[1:5], "big")
        body = data[5:]
        if self.fmt == "protobuf":
            body = _skip_message_indexes(body)
            return None if body is None or self.inner is None else self.inner.decode(body)
        try:
            writer = self._writer(sid)
        except Exception:  # noqa: BLE001 - an unknown id is a dead letter, never a crash
            return None
        import fastavro

        try:
            reader = self.inner._schema if self.inner is not None else None
            return fastavro.schemaless_reader(io.BytesIO(body), writer, reader)
        except Exception:  # noqa: BLE001
            return None

    def _writer(self, sid: int) -> Any:
        if sid not in self._writers:
            import fastavro

            schema = self._client().get_schema(sid)
            self._writers[sid] = fastavro.parse_schema(orjson.loads(schema.schema_str))
        return self._writers[sid]


def _varint(n: int) -> bytes:
    zz = (n << 1) ^ (n >> 63)  # zigzag
    out = bytearray()
    while True:
        b = zz & 0x7F
        zz >>= 7
        if zz:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def index_list(indexes: list[int]) -> bytes:
    """The Protobuf message-index list of the wire format: [0] (the file's first message) as the single byte
    0, any other as its count then each index, zigzag varints."""
    if indexes == [0]:
        return b"\x00"
    return _varint(len(indexes)) + b"".join(_varint(i) for i in indexes)


def _zigzag_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def _skip_message_indexes(body: bytes) -> bytes | None:
    try:
        count, pos = _zigzag_varint(body, 0)
        for _ in range(count):
            _, pos = _zigzag_varint(body, pos)
    except ValueError:
        return None
    return body[pos:]


def registry_conf(config: dict[str, Any]) -> dict[str, str] | None:
    """The Schema Registry client settings of a source/sink config: ``schema.registry.url`` and any
    other ``schema.registry.*`` key (``basic.auth.user.info``, ``ssl.*``), or None."""
    from velotui.spec.config import config_get

    url = config_get(config, "schema.registry.url")
    if not url:
        return None
    conf = {"url": str(url)}
    flat: dict[str, Any] = {}

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                walk(f"{prefix}.{k}" if prefix else str(k), sub)
        else:
            flat[prefix] = v

    walk("", config)
    for k, v in flat.items():
        if k.startswith("schema.registry.") and k != "schema.registry.url" and v is not None:
            conf[k[len("schema.registry."):]] = str(v)
    return conf
