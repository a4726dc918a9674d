"""Serialization of keys and values on Kafka: JSON (orjson), Avro (fastavro, schemaless with an .avsc),
Protobuf (a .proto or descriptor set), and the Confluent Schema Registry wire format around Avro and
Protobuf when a config names ``schema.registry.url``.

Decoding never raises on bad data: it returns None and the caller keeps the raw bytes (the engine
dead-letters the record)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from velotui.bus.registry import RegistrySerde, registry_client, registry_conf
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
        from velotui.datafiles import json_bytes

        return json_bytes(value)  # DECIMAL as a number, integers beyond 64 bits exact

    def decode(self, data: bytes | None) -> Any:
        if data is None:
            return None
        from velotui.datafiles import json_loads

        try:
            return json_loads(data)  # integers beyond 64 bits stay exact
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
            from velotui import files

            raw = orjson.loads(files.read_bytes(self.schema_path, what="Avro schema"))
        except orjson.JSONDecodeError as e:
            raise SpecError(f"cannot read Avro schema: {e}", file=self.schema_path) from None
        self.schema_text = orjson.dumps(raw).decode()
        self._schema = fastavro.parse_schema(raw)

    def encode(self, value: Any) -> bytes | None:
        import fastavro

        if value is None:
            return None
        buf = io.BytesIO()
        if isinstance(value, dict):
            value = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in value.items()}
        elif isinstance(value, Decimal):
            value = float(value)
        fastavro.schemaless_writer(buf, self._schema, value)  # a record, or a primitive (a key)
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
        names = [full] + ([f"{target.package}.{full}"] if target.package and not full.startswith(target.package + ".")
                          else [])  # a name with or without the package (Book.Level or demo.Book.Level)
        desc = None
        for name in names:
            try:
                desc = pool.FindMessageTypeByName(name)
                break
            except KeyError:
                continue
        if desc is None:
            raise SpecError(f"no message {full!r} in {self.schema_path}", file=self.schema_path)
        self._cls = message_factory.GetMessageClass(desc)
        self.message_indexes = message_indexes(desc)

    @property
    def schema_text(self) -> str:
        if self.schema_path.suffix != ".proto":
            raise SpecError(f"{self.schema_path.name}: a schema registry needs the .proto source, not a "
                            "descriptor set", file=self.schema_path, hint="point protobuf.schema.file at the .proto")
        from velotui import files

        return files.read_text(self.schema_path, what="Protobuf schema")

    def _descriptor_set(self) -> bytes:
        from velotui import files

        if self.schema_path.suffix != ".proto":
            return files.read_bytes(self.schema_path, what="Protobuf descriptor set")
        files.read_text(self.schema_path, what="Protobuf schema")  # inside the suite, a regular UTF-8 file
        import subprocess
        import sys
        import tempfile

        import grpc_tools

        well_known = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "set.pb"
            proc = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{self.schema_path.parent}",
                                   f"-I{well_known}", "--include_imports", f"--descriptor_set_out={out}",
                                   str(self.schema_path)], capture_output=True, text=True)
            if proc.returncode != 0 or not out.exists():
                detail = "; ".join(proc.stderr.strip().splitlines()[:3]) or f"protoc exit {proc.returncode}"
                raise SpecError(f"cannot compile {self.schema_path.name}: {detail}", file=self.schema_path,
                                hint="fix the .proto, or give a descriptor set (.desc) instead")
            return out.read_bytes()

    def encode(self, value: Any) -> bytes | None:
        from google.protobuf.json_format import ParseDict

        if value is None:
            return None
        msg = self._cls()
        if not isinstance(value, dict):  # a key given as a bare value: the message's only field
            fields = msg.DESCRIPTOR.fields
            if len(fields) != 1:
                raise SpecError(f"a {type(value).__name__} cannot be written as {msg.DESCRIPTOR.full_name}, "
                                f"which has {len(fields)} fields", file=self.schema_path)
            value = {fields[0].name: value}
        ParseDict({k: (float(v) if isinstance(v, Decimal) else v) for k, v in value.items()}, msg,
                  ignore_unknown_fields=True)
        return msg.SerializeToString()

    def decode(self, data: bytes | None) -> Any:
        if data is None:
            return None
        try:
            msg = self._cls.FromString(data)
        except Exception:  # noqa: BLE001 - any decode failure is a dead letter, never a crash
            return None
        return _message_to_dict(msg)


def message_indexes(desc: Any) -> list[int]:
    """Where a message is declared in its .proto file, as the Confluent wire format's index list: its
    position among the file's top-level messages, then among each enclosing message's nested types
    (``Book.Level`` declared first inside the third message is [2, 0])."""
    path: list[int] = []
    while desc.containing_type is not None:
        parent = desc.containing_type
        path.append(list(parent.nested_types).index(desc))
        desc = parent
    path.append(list(desc.file.message_types_by_name.values()).index(desc))
    return path[::-1]


def _message_to_dict(msg: Any) -> dict[str, Any]:
    """A message as a record: field names as in the .proto, every field without presence at its default,
    64-bit integers as numbers (proto3 JSON would make them text, and a SUM over text is wrong), enums by
    name, bytes as base64, well-known types (Timestamp, Duration, …) in their JSON form."""
    out: dict[str, Any] = {}
    for f in msg.DESCRIPTOR.fields:
        v = getattr(msg, f.name)
        mt = f.message_type
        if mt is not None and mt.GetOptions().map_entry:
            vf = mt.fields_by_name["value"]
            out[f.name] = {k: _field_value(vf, x) for k, x in v.items()}
        elif _repeated(f):
            out[f.name] = [_field_value(f, x) for x in v]
        elif f.has_presence and not msg.HasField(f.name):
            if mt is None:
                out[f.name] = None  # an unset optional scalar
        else:
            out[f.name] = _field_value(f, v)
    return out


def _repeated(f: Any) -> bool:
    flag = getattr(f, "is_repeated", None)
    return bool(flag) if flag is not None else f.label == f.LABEL_REPEATED


def _field_value(f: Any, v: Any) -> Any:
    import base64

    if f.message_type is not None:
        if f.message_type.full_name.startswith("google.protobuf."):
            from google.protobuf.json_format import MessageToDict

            return MessageToDict(v, preserving_proto_field_name=True)
        return _message_to_dict(v)
    if f.enum_type is not None:
        ev = f.enum_type.values_by_number.get(v)
        return ev.name if ev is not None else v
    if f.type == f.TYPE_BYTES:
        return base64.b64encode(v).decode()
    return v


__all__ = ["AvroSerde", "JsonSerde", "KeySerde", "ProtobufSerde", "RegistrySerde", "key_serde_for", "registry_client",
           "registry_conf", "serde_for"]


def key_serde_for(config: dict[str, Any], base_dir: Path | None) -> Any:
    """The key serde a source/sink config asks for: ``key.format`` json (default: text as UTF-8, other
    values as JSON), avro (``key.avro.schema.file`` or ``key.schema.file``) or protobuf
    (``key.protobuf.schema.file`` or ``key.schema.file``, ``key.protobuf.message``); through the schema
    registry (subject ``{topic}-key``) when the config names one."""
    from velotui.spec.config import config_get

    fmt = str(config_get(config, "key.format") or "json").lower()
    if fmt in ("json", "string", "text"):
        return KeySerde()

    def schema(kind: str) -> Path | None:
        text = config_get(config, f"key.{kind}.schema.file") or config_get(config, "key.schema.file")
        if not text:
            return None
        p = Path(str(text))
        return p if p.is_absolute() or base_dir is None else base_dir / p

    registry = registry_conf(config)
    if fmt == "avro":
        path = schema("avro")
        if path is None and registry is None:
            raise SpecError("key.format avro needs key.avro.schema.file (an .avsc file)",
                            hint="or name a schema.registry.url to read the writer's schema from")
        inner = AvroSerde(path) if path else None
        return RegistrySerde("avro", inner, registry, part="key") if registry is not None else inner
    if fmt in ("protobuf", "proto"):
        path = schema("protobuf")
        if path is None:
            raise SpecError("key.format protobuf needs key.protobuf.schema.file (a .proto or descriptor set)")
        inner = ProtobufSerde(path, message=config_get(config, "key.protobuf.message"))
        return RegistrySerde("protobuf", inner, registry, part="key") if registry is not None else inner
    raise SpecError(f"key.format {fmt!r} is not supported", hint="use json, avro or protobuf")


def serde_for(config: dict[str, Any], base_dir: Path | None) -> Any:
    """The value serde a source/sink config asks for (``value.format``, its schema file, and the
    schema registry when one is named)."""
    from velotui.spec.config import config_get

    fmt = str(config_get(config, "value.format") or config_get(config, "format") or "json").lower()
    registry = registry_conf(config)
    if fmt == "avro":
        schema = config_get(config, "avro.schema.file") or config_get(config, "schema.file")
        if not schema and registry is None:
            raise SpecError("value.format avro needs avro.schema.file (an .avsc file)",
                            hint="or name a schema.registry.url to read the writer's schema from")
        p = Path(str(schema)) if schema else None
        inner = AvroSerde(p if p.is_absolute() or base_dir is None else base_dir / p) if p else None
        return RegistrySerde("avro", inner, registry) if registry is not None else inner
    if fmt in ("protobuf", "proto"):
        schema = config_get(config, "protobuf.schema.file") or config_get(config, "schema.file")
        if not schema:
            raise SpecError("value.format protobuf needs protobuf.schema.file (a .proto or descriptor set)")
        p = Path(str(schema))
        inner = ProtobufSerde(p if p.is_absolute() or base_dir is None else base_dir / p,
                              message=config_get(config, "protobuf.message"))
        return RegistrySerde("protobuf", inner, registry) if registry is not None else inner
    if fmt in ("json", "jsonl", "jsonlines"):
        return JsonSerde()
    raise SpecError(f"value.format {fmt!r} is not supported", hint="use json, avro or protobuf")
