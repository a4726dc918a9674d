"""Golden conformance cases of the embedded engine, written from SQL_SEMANTICS.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conformance.runner import Case, expected_value, load_cases, same, to_message
from velotui.engine import run_sql
from velotui.errors import SqlError

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    inputs = {name: [to_message(r) for r in recs] for name, recs in case.inputs.items()}
    if case.expected_error is not None:
        with pytest.raises(SqlError) as e:
            run_sql(case.sql, inputs, now_ms=case.now_ms, files=case.files, properties=case.properties)
        assert case.expected_error in str(e.value)
        if case.expected_error_line is not None:
            assert e.value.line == case.expected_error_line, str(e.value)
        return
    result = run_sql(case.sql, inputs, now_ms=case.now_ms, files=case.files, properties=case.properties)
    for statement, want in (case.expected or {}).items():
        got = result.statements[statement].outputs
        values = [m.value for m in got]
        wanted = [expected_value({k: v for k, v in w.items() if not k.startswith("$")}) for w in want]
        assert len(values) == len(wanted) and all(same(a, e) for a, e in zip(values, wanted)), (
            f"\nstatement {statement}\n got: {values}\nwant: {wanted}")
        for m, w in zip(got, want):
            if "$key" in w:
                assert m.key == w["$key"], (m.key, w["$key"], m.value)
            if "$ts" in w:
                assert m.timestamp == w["$ts"], (m.timestamp, w["$ts"], m.value)
    main = result.statements[list(result.statements)[-1]]
    if case.expected_late is not None:
        assert main.late_records == case.expected_late
    if case.expected_row_errors is not None:
        assert main.row_errors == case.expected_row_errors
    if case.expected_dead_letters is not None:
        assert len(main.dead_letters) == case.expected_dead_letters


def _checklist() -> set[str]:
    doc = Path(__file__).resolve().parents[3] / "shared" / "docs" / "SQL_SEMANTICS.md"
    if doc.exists():
        text = doc.read_text().split("## Conformance checklist", 1)[-1]
        return set(re.findall(r"\bC\d+\b", text))
    return {f"C{i}" for i in range(1, 95)}


def test_every_checklist_item_has_a_case() -> None:
    from tests.conformance.test_properties import CITES as PROPERTY_CITES
    from tests.conformance.test_sinks_and_volume import CITES as PY_CITES

    cited = {c for case in CASES for c in case.cites} | set(PY_CITES) | set(PROPERTY_CITES)
    missing = sorted(_checklist() - cited, key=lambda x: int(x[1:]))
    assert not missing, f"checklist items without a case: {missing}"


def test_at_least_200_cases() -> None:
    assert len(CASES) >= 200
