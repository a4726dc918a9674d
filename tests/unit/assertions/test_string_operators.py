"""Only ``matches`` is a regular expression: contains / starts_with / ends_with compare literal text,
whatever characters it holds (a value like '(USD' once crashed the assertion as a bad regex)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.assertions.test_assertion_types import ctx, spec
from velotui.assertions import evaluate
from velotui.assertions.base import compare

TRICKY = ["(USD", "[", "a*", "\\", "+1", "?", "$", "^x", "a.b", "{2}"]


@pytest.mark.parametrize("needle", TRICKY)
def test_contains_is_literal(needle: str) -> None:
    assert compare(f"price in {needle} today", "contains", needle) is True
    assert compare("nothing here", "contains", needle) is False


@pytest.mark.parametrize("needle", TRICKY)
def test_starts_and_ends_with_are_literal(needle: str) -> None:
    assert compare(f"{needle} tail", "starts_with", needle) is True
    assert compare(f"head {needle}", "ends_with", needle) is True
    assert compare("plain", "starts_with", needle) is False


def test_matches_is_a_regex() -> None:
    assert compare("EUR 12", "matches", r"^[A-Z]{3} \d+$") is True
    assert compare("a.b", "matches", "a.b") is True and compare("axb", "matches", "a.b") is True
    assert compare("axb", "contains", "a.b") is False


def test_field_values_contains_parenthesis_passes_and_fails(tmp_path: Path) -> None:
    records = [{"id": "a", "label": "10 (USD)"}, {"id": "b", "label": "12 (USD)"}]
    ok = evaluate(spec("field_values", field="label", operator="contains", value="(USD"), ctx(tmp_path, records=records))
    assert ok.status == "passed", ok.message
    bad = evaluate(spec("field_values", field="label", operator="contains", value="(EUR"), ctx(tmp_path, records=records))
    assert bad.status == "failed", bad.message
