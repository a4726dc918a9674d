"""Decimal field types: every precision and scale a schema may give is generated as written (the default
decimal context's 28 digits crashed 38 places, or 10 places of 1e20); one the generator cannot honour, or a
key inside {decimal: …} it does not know, is refused when the schema loads, at its line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from velotui.datagen import DataGenerator
from velotui.errors import SpecError
from velotui.spec import parse_data_schema

BASE = "name: s\nfields:\n  - name: id\n    type: integer\n  - name: price\n    type: {T}\n"


def _values(t: str, n: int = 300) -> list[Decimal]:
    schema = parse_data_schema(BASE.replace("{T}", t), "s.schema.yaml")
    return [r["price"] for r in DataGenerator({"s": schema}, seed=3, now_ms=0).generate(schema, n).records]


def _places(v: Decimal) -> int:
    return -v.as_tuple().exponent  # type: ignore[operator]


@pytest.mark.parametrize("t, places, biggest", [
    ("{decimal: {precision: 38, scale: 2}}", 2, 1000),  # SQL's DECIMAL(38, 2)
    ("decimal(38, 2)", 2, 1000),
    ("{decimal: {precision: 38}}", 38, 1000),  # precision alone: places (velo-test's shape)
    ("{decimal: {precision: 100}}", 100, 1000),
    ("{decimal: {precision: 10}}\n    constraints: {range: {min: 1e20, max: 1e25}}", 10, 1e25),
    ("{decimal: {precision: 3, scale: 1}}", 1, 99.9),  # no range: what the type holds
    ("{decimal: {precision: 3, scale: 1}}\n    constraints: {range: {min: 90, max: 99},"
     " distribution: {random_walk: {allow_above_max: true, volatility: 5}}}", 1, 99.9),
    ("decimal(5)", 0, 1000),
])
def test_every_precision_the_schema_allows_is_generated(t: str, places: int, biggest: float) -> None:
    vals = _values(t)
    assert all(isinstance(v, Decimal) and _places(v) == places for v in vals)
    assert max(vals) <= Decimal(repr(biggest)) and len(set(vals)) > 1


@pytest.mark.parametrize("t, words", [
    ("{decimal: {precision: 2, scale: 3}}", "decimal scale 3 is greater than its precision 2"),
    ("{decimal: {precision: -1}}", "must be 0 to 100, not -1"),
    ("{decimal: {scale: -2}}", "decimal scale (its decimal places) must be 0 to 100, not -2"),
    ("{decimal: {precision: 0, scale: 0}}", "digits in all) must be 1 to 100, not 0"),
    ("{decimal: {precision: 101}}", "must be 0 to 100, not 101"),
    ("{decimal: {precision: true}}", "must be a whole number"),
    ("{decimal: 5}", "is not a mapping"),
    ("{decimall: {precision: 2}}", "unknown structured type 'decimall' (did you mean 'decimal'?)"),
    ("decimal(3, 5)", "decimal scale 5 is greater than its precision 3"),
    ("decimalx", "unknown field type 'decimalx'"),
    ("{decimal: {precision: 4, scale: 2}}\n    constraints: {range: {min: 0, max: 1000}}",
     "does not fit DECIMAL(4, 2): it holds at most 2 digit(s) before the point"),
])
def test_a_decimal_the_generator_cannot_honour_is_refused_at_load(t: str, words: str) -> None:
    with pytest.raises(SpecError) as e:
        parse_data_schema(BASE.replace("{T}", t), "s.schema.yaml")
    assert words in e.value.message and e.value.file == "s.schema.yaml" and e.value.line in (5, 6)


def test_a_key_inside_decimal_is_checked_like_every_other_key() -> None:
    with pytest.raises(SpecError) as e:
        parse_data_schema(BASE.replace("{T}", "{decimal: {precison: 2}}"), "s.schema.yaml")
    assert e.value.message == "unknown key 'precison'; did you mean 'precision'?"
    assert (e.value.line, e.value.column) == (6, 22)
    far = parse_data_schema(BASE.replace("{T}", "{decimal: {precision: 2, vendor_hint: x}}"), "s.schema.yaml")
    assert [w.message for w in far.warnings] == ["unknown key 'vendor_hint' (known keys: precision, scale)"]
    with pytest.raises(SpecError, match="vendor_hint"):
        parse_data_schema(BASE.replace("{T}", "{decimal: {precision: 2, vendor_hint: x}}"), "s.schema.yaml",
                          strict=True)
