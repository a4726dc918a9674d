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
    if fmt in ("json", "jsonl"):
        return JsonSerde()
    raise SpecError(f"value.format {fmt!r} is not supported on Kafka here", hint="use json or avro")
