"""Data generation from schemas (deterministic for a seed) and fixed-input files."""

from __future__ import annotations

from velotui.datagen.files import load_data_file, parse_scalar
from velotui.datagen.generator import DataGenerator, GeneratedData
from velotui.datagen.selfcheck import check_schema_generates
from velotui.datagen.timeparse import parse_duration_ms, resolve_time
from velotui.spec import register_schema_check

register_schema_check(check_schema_generates)  # a schema that loads is a schema that generates

__all__ = ["DataGenerator", "GeneratedData", "load_data_file", "parse_duration_ms", "parse_scalar",
           "resolve_time"]
