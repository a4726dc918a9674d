"""Serialization of keys and values on Kafka: JSON (orjson), Avro (fastavro, schemaless with an .avsc).

Decoding never raises on bad data: it returns None and the caller keeps the raw bytes (the engine
dead-letters the record)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from velotui.errors import SpecError


def _default(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return str(v)


class JsonSerde:
    name = "json"

    def encode(self, value: Any) -> bytes | None:
        if value is None:
            return None
        return orjson.dumps(value, default=_default)

    def decode(self, data: bytes | None) -> Any:
        if data is None:
            return None
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return None


class KeySerde:
    """Message keys: text as UTF-8, everything else as JSON."""

    name = "key"

    def encode(self, key: Any) -> bytes | None:
        if key is None:
            return None
        if isinstance(key, bytes):
            return key
        if isinstance(key, str):
            return key.encode()
        return orjson.dumps(key, default=_default)

    def decode(self, data: bytes | None) -> Any:
        if data is None:
            return None
        try:
            text = data.decode()
        except UnicodeDecodeError:
            return data
        try:
            v = orjson.loads(data)
            return v if not isinstance(v, str) else text
        except orjson.JSONDecodeError:
            return text


@dataclass
class AvroSerde:
    schema_path: Path
    name: str = "avro"

    def __post_init__(self) -> None:
        import fastavro

        try:
            raw = orjson.loads(self.schema_path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as e:
            raise SpecError(f"cannot read Avro schema: {e}", file=self.schema_path) from None
        self._schema = fastavro.parse_schema(raw)

    def encode(self, value: Any) -> bytes | None:
        import fastavro

        if value is None:
            return None
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, self._schema, {k: (float(v) if isinstance(v, Decimal) else v)
                                                       for k, v in value.items()})
        return buf.getvalue()

    def decode(self, data: bytes | None) -> Any:
        import fastavro

        if data is None:
            return None
        try:
            return fastavro.schemaless_reader(io.BytesIO(data), self._schema)
        except Exception:  # noqa: BLE001 - any decode failure is a dead letter, never a crash
            return None


@dataclass
class ProtobufSerde:
    """Protobuf values from a ``.proto`` file (compiled at run time with grpcio-tools' protoc) or a
    descriptor set (``.desc``/``.pb``); ``message`` names the type (default: the file's first message)."""

    schema_path: Path
    message: str | None = None
    name: str = "protobuf"

    def __post_init__(self) -> None:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

        data = self._descriptor_set()
        fds = descriptor_pb2.FileDescriptorSet.FromString(data)
        pool = descriptor_pool.DescriptorPool()
        for fd in fds.file:
            pool.Add(fd)
        target = fds.file[-1]
        full = self.message or (f"{target.package}.{target.message_type[0].name}" if target.package
                                else target.message_type[0].name)
        if "." not in full and target.package:
            full = f"{target.package}.{full}"
        try:
            self._cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(full))
        except KeyError:
            raise SpecError(f"no message {full!r} in {self.schema_path}", file=self.schema_path) from None

    def _descriptor_set(self) -> bytes:
        if self.schema_path.suffix != ".proto":
            return self.schema_path.read_bytes()
        import tempfile

        from grpc_tools import protoc

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "set.pb"
            rc = protoc.main(["protoc", f"-I{self.schema_path.parent}", "--include_imports",
                              f"--descriptor_set_out={out}", str(self.schema_path)])
            if rc != 0 or not out.exists():
                raise SpecError(f"cannot compile {self.schema_path} (protoc exit {rc})", file=self.schema_path)
            return out.read_bytes()

    def encode(self, value: Any) -> bytes | None:
        from google.protobuf.json_format import ParseDict

        if value is None:
            return None
        msg = self._cls()
        ParseDict({k: (float(v) if isinstance(v, Decimal) else v) for k, v in value.items()}, msg,
                  ignore_unknown_fields=True)
        return msg.SerializeToString()

    def decode(self, data: bytes | None) -> Any:
        from google.protobuf.json_format import MessageToDict

        if data is None:
            return None
        try:
            msg = self._cls.FromString(data)
        except Exception:  # noqa: BLE001 - any decode failure is a dead letter, never a crash
            return None
        return MessageToDict(msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def serde_for(config: dict[str, Any], base_dir: Path | None) -> Any:
    """The value serde a source/sink config asks for (``value.format`` and its schema file)."""
    from velotui.spec.config import config_get

    fmt = str(config_get(config, "value.format") or config_get(config, "format") or "json").lower()
    if fmt == "avro":
        schema = config_get(config, "avro.schema.file") or config_get(config, "schema.file")
        if not schema:
            raise SpecError("value.format avro needs avro.schema.file (an .avsc file)")
        p = Path(str(schema))
        return AvroSerde(p if p.is_absolute() or base_dir is None else base_dir / p)
    if fmt in ("protobuf", "proto"):
        schema = config_get(config, "protobuf.schema.file") or config_get(config, "schema.file")
        if not schema:
            raise SpecError("value.format protobuf needs protobuf.schema.file (a .proto or descriptor set)")
        p = Path(str(schema))
        return ProtobufSerde(p if p.is_absolute() or base_dir is None else base_dir / p,
                             message=config_get(config, "protobuf.message"))
    if fmt in ("json", "jsonl"):
        return JsonSerde()
    raise SpecError(f"value.format {fmt!r} is not supported", hint="use json, avro or protobuf")
