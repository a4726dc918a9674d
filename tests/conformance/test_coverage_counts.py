"""Data coverage never changes what a query computes, and counts the same on every path: every golden case
runs with coverage counted, on the fused and on the general operators, and gives the case's expected
records; both paths give the same counts for every coverage item."""

from __future__ import annotations

import pytest

from tests.conformance.runner import Case, expected_value, load_cases, same, to_message
from velotui.engine import run_sql

CASES = [c for c in load_cases() if c.expected_error is None]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_coverage_changes_no_result_and_counts_alike_on_both_paths(case: Case) -> None:
    counts = []
    for fuse in (True, False):
        inputs = {name: [to_message(r) for r in recs] for name, recs in case.inputs.items()}
        result = run_sql(case.sql, inputs, now_ms=case.now_ms, files=case.files, properties=case.properties,
                         coverage=True, fuse=fuse)
        for statement, want in (case.expected or {}).items():
            values = [m.value for m in result.statements[statement].outputs]
            wanted = [expected_value({k: v for k, v in w.items() if not k.startswith("$")}) for w in want]
            assert len(values) == len(wanted) and all(same(a, e) for a, e in zip(values, wanted)), (
                f"\nfuse={fuse} statement {statement}\n got: {values}\nwant: {wanted}")
        counts.append({name: [(i.id, i.kind, [(o.name, o.count) for o in i.outcomes])
                              for i in (r.coverage or [])] for name, r in result.statements.items()})
        assert all(r.coverage is not None for r in result.statements.values())
    assert counts[0] == counts[1]
