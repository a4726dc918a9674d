"""dlq_count / error_rate: ``error_types`` names kinds of dead letters that exist (a misspelt one counted none,
so `equals: 0` passed whatever the app did), and ``topic`` is the statement's DLQ topic (another was ignored
and every dead letter counted)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import velotui
import velotui.assertions  # noqa: F401  (registers the assertion types spec validation reads)
from velotui.errors import SpecError
from velotui.records import DEAD_LETTER_KINDS
from velotui.spec import parse_test_spec

ROOT = Path(velotui.__file__).parent
# every way the engine names the kind of a dead letter it makes, as written in its source
_KIND_WRITTEN = re.compile(r"""(?:error_type=|errors\(|dead_letter\(|DropRecord\()\s*["']([a-z_]+)["']""")


def _kinds_in_source() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "engine").rglob("*.py"):
        text = path.read_text()
        found |= set(_KIND_WRITTEN.findall(text))
        if path.name == "sources.py":  # decoding and schema checks return their kind
            found |= set(re.findall(r'return \(?"([a-z_]+)"', text))
    return found


def test_every_kind_the_engine_and_the_fault_injector_produce_is_known() -> None:
    from velotui.core.faults import MALFORMED_TYPES

    found = _kinds_in_source()
    assert len(found) >= 14, found  # the scan finds them (a pattern that stopped matching would pass vacuously)
    assert found <= set(DEAD_LETTER_KINDS), found - set(DEAD_LETTER_KINDS)
    assert set(MALFORMED_TYPES) <= set(DEAD_LETTER_KINDS)
    adapter = (ROOT / "adapters" / "velostream" / "adapter.py").read_text()
    assert '"engine_error"' in adapter and "engine_error" in DEAD_LETTER_KINDS


def _spec(check: str) -> str:
    return f"application: f\nqueries:\n  - name: q\n    inputs: [{{source: s, records: 5}}]\n    assertions:\n{check}"


@pytest.mark.parametrize("check, words", [
    ("      - {type: dlq_count, error_types: [wrong_typ], equals: 0}\n",
     "unknown error type 'wrong_typ'; did you mean 'wrong_type'?"),
    ("      - {type: error_rate, error_types: [late_record, wrongtype], max_rate: 0}\n",
     "unknown error type 'wrongtype'; did you mean 'wrong_type'?"),
    ("      - {type: dlq_count, error_types: [nonsense_kind], equals: 0}\n", "unknown error type 'nonsense_kind'"),
])
def test_an_unknown_error_type_is_refused_at_load(check: str, words: str) -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec(_spec(check), "f.test.yaml")
    assert words in e.value.message and "the kinds of dead letters: invalid_json" in e.value.message
    assert e.value.line == 6


def test_every_known_error_type_is_accepted() -> None:
    kinds = ", ".join(DEAD_LETTER_KINDS)
    parse_test_spec(_spec(f"      - {{type: dlq_count, error_types: [{kinds}], equals: 0}}\n"), "f.test.yaml")
