"""The diagnosis of survivors: aligning outputs, and WHERE clauses recomputed over the inputs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from velotui.core.mutate.diagnosis import count_from_inputs, first_difference
from velotui.records import Message
from velotui.sandbox import compile_expression
from velotui.sql import parse_app


def _rec(values: list[dict], dead: list | None = None) -> SimpleNamespace:
    return SimpleNamespace(outputs=[Message(value=v) for v in values], dead_letters=dead or [], inputs={})


def test_one_extra_record_early_is_an_extra_record_not_every_later_one_shifted() -> None:
    a = _rec([{"id": i} for i in (2, 3, 4, 5)])
    b = _rec([{"id": i} for i in (1, 2, 3, 4, 5)])
    d = first_difference(["q"], {"q": a}, {"q": b})
    assert d is not None and (d.what, d.index, d.mutant) == ("extra", 0, {"id": 1})
    d = first_difference(["q"], {"q": b}, {"q": a})
    assert d is not None and (d.what, d.index, d.original) == ("missing", 0, {"id": 1})
    c = _rec([{"id": 2, "x": 1}, {"id": 3, "x": 9}])
    e = _rec([{"id": 2, "x": 1}, {"id": 3, "x": 8}])
    d = first_difference(["q"], {"q": c}, {"q": e})
    assert d is not None and (d.what, d.index, d.field) == ("value", 1, "x")
    assert "`x` is 8 instead of 9" in d.describe()
    assert first_difference(["q"], {"q": c}, {"q": _rec([{"id": 2, "x": 1}, {"id": 3, "x": 9}])}) is None
    nan = float("nan")
    assert first_difference(["q"], {"q": _rec([{"v": nan}])}, {"q": _rec([{"v": nan}])}) is None
    dl = SimpleNamespace(error_type="late_record", record={"id": 1})
    d = first_difference(["q"], {"q": _rec([], [dl])}, {"q": _rec([])})
    assert d is not None and d.what == "dead_letters" and d.original_count == 1


@pytest.mark.parametrize("where, keeps", [
    ("amount > 100", [150]),
    ("amount >= 100 AND status <> 'X'", [100, 150]),
    ("status IN ('A', 'B') OR amount BETWEEN 90 AND 120", [50, 100]),
    ("NOT amount < 100", [100, 150, None]),  # SQL: NOT NULL is NULL, dropped; the check says so when it matters
    ("note IS NULL", [50, 150]),
    ("amount > -5", [50, 100, 150]),
])
def test_a_where_clause_is_recomputed_over_the_inputs(where: str, keeps: list) -> None:
    app = parse_app(f"CREATE STREAM o AS SELECT * FROM orders WHERE {where}")
    rows = [{"amount": 50, "status": "A", "note": None}, {"amount": 100, "status": "C", "note": "n"},
            {"amount": 150, "status": "Y", "note": None}, {"amount": None, "status": "X", "note": "n"}]
    rec = SimpleNamespace(inputs={"orders": rows})
    found = count_from_inputs(app.statements[0], rec)
    assert found is not None
    expr = found["expression"].split(" == ", 1)[1]
    kept = [r["amount"] for r in rows if compile_expression(expr.replace("count(1 for", "list(r for"))
            .evaluate({"inputs": {"orders": {"records": [r]}}, "records": []})]
    assert kept == keeps


def test_no_count_is_recomputed_for_what_is_not_a_plain_filter() -> None:
    rec = SimpleNamespace(inputs={"orders": []})
    for sql in ("CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM orders GROUP BY k",
                "CREATE STREAM o AS SELECT * FROM orders WHERE UPPER(s) = 'A'",
                "CREATE STREAM o AS SELECT o.a FROM orders o JOIN c ON o.k = c.k"):
        assert count_from_inputs(parse_app(sql).statements[0], rec) is None
