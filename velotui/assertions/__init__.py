"""Assertions: one small class per type of FORMATS.md §4, in a registry."""

from __future__ import annotations

from velotui.assertions import records as _records  # noqa: F401  (registers the record assertions)
from velotui.assertions import streaming as _streaming  # noqa: F401  (registers the streaming assertions)
from velotui.assertions.base import (
    ASSERTION_TYPES,
    Assertion,
    AssertionContext,
    AssertionResult,
    canonical_text,
    compare,
    evaluate,
    expects_no_records,
    fields_read_by,
    render,
    validate_assertion,
    values_equal,
)
from velotui.spec import checks as _checks

_checks.register(validate_assertion, lambda: sorted(ASSERTION_TYPES))  # spec validation reads the types here

__all__ = ["ASSERTION_TYPES", "Assertion", "AssertionContext", "AssertionResult", "canonical_text", "compare",
           "evaluate", "expects_no_records", "fields_read_by", "render", "validate_assertion", "values_equal"]
