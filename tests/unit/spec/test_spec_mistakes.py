"""Spec mistakes that used to pass silently (an attack found them): each is refused at load, naming the file,
the line and the fix."""

from __future__ import annotations

import pytest

import velotui.assertions  # noqa: F401  (registers the assertion types spec validation reads)
from velotui.errors import SpecError
from velotui.spec import parse_test_spec

DUPLICATE = """\
application: f
queries:
  - name: out_s
    inputs: [{source: s, records: 1}]
    assertions: [{type: record_count, equals: 2}]
  - name: other
    inputs: [{source: s, records: 1}]
  - name: out_s
    inputs: [{source: s, records: 1}]
    assertions: [{type: record_count, equals: 99}]
"""


def test_a_second_query_with_a_name_already_used_is_an_error_at_its_line() -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec(DUPLICATE, "f.test.yaml")
    err = e.value
    assert (err.file, err.line) == ("f.test.yaml", 8)
    assert "duplicate query name 'out_s'" in err.message and "first used at line 3" in err.message
