"""Assertions compare numbers as the numbers they are (FORMATS.md §4): no float rounding makes two
different integers equal, and no value beyond what a float holds makes a check crash.

Every number used to become a float first: ids that differ by 1 beyond 2**53 (snowflake ids) compared
equal, so `field_values equals`, `aggregate_check MAX … tolerance: 0` and `expected_output` were green on
outputs that differ; an integer beyond a float (10**400) raised OverflowError out of the check, which the run
then reported as "engine crashed" for the whole query, losing every other assertion's result.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.unit.assertions.test_assertion_types import ctx, spec
from velotui.assertions import evaluate
from velotui.assertions.base import compare, values_equal

SNOW = 9007199254740993  # 2**53 + 1: the first integer a float cannot hold
BIG = 10**400


def test_integers_beyond_a_float_compare_exactly() -> None:
    assert not values_equal(SNOW, SNOW - 1)
    assert not values_equal(10**30 + 1, 10**30, tolerance=0)
    assert values_equal(10**30 + 1, 10**30, tolerance=1)
    assert values_equal(SNOW, str(SNOW))  # text that reads as the number
    assert not values_equal(str(SNOW), SNOW - 1)
    assert compare(SNOW, "greater_than", SNOW - 1) and not compare(SNOW - 1, "greater_than", SNOW - 1)
    assert compare(BIG, "greater_than", 1e308) and compare(-BIG, "less_than", -1e308)
    assert values_equal(Decimal("0.1"), 0.1) and not values_equal(Decimal("0.1"), 0.2)
    assert not values_equal(float("nan"), float("nan")) and values_equal(float("inf"), float("inf"))
    assert not compare(Decimal("NaN"), "greater_than", 1)  # in no order: never true, never an error


def _records(values: list[Any]) -> list[dict[str, Any]]:
    return [{"id": i, "v": v} for i, v in enumerate(values)]


@pytest.mark.parametrize(("type_", "params", "values", "status"), [
    ("field_values", {"field": "v", "operator": "equals", "value": SNOW - 1}, [SNOW], "failed"),
    ("field_values", {"field": "v", "operator": "not_equals", "value": SNOW - 1}, [SNOW], "passed"),
    ("aggregate_check", {"field": "v", "function": "MAX", "expected": SNOW - 1, "tolerance": 0}, [SNOW, 1], "failed"),
    ("aggregate_check", {"field": "v", "function": "SUM", "expected": SNOW + 1}, [SNOW, 1], "passed"),
    ("aggregate_check", {"field": "v", "function": "SUM", "expected": 1}, [BIG, 1.5], "failed"),
    ("aggregate_check", {"field": "v", "function": "AVG", "expected": 1}, [BIG, BIG], "failed"),
    ("field_values", {"field": "v", "operator": "greater_than", "value": 0}, [BIG, 1.5], "passed"),
    ("ordering", {"field": "v"}, [1, BIG, "x"], "passed"),
    ("percentile", {"field": "v", "p50": 10}, [BIG, 1, 2], "passed"),
    ("distribution", {"field": "v", "max_value": 10}, [BIG, 1, 2], "failed"),
    ("no_duplicates", {}, [BIG, BIG], "failed"),
])
def test_checks_over_big_numbers_give_a_verdict(tmp_path: Path, type_: str, params: dict[str, Any],
                                               values: list[Any], status: str) -> None:
    recs = _records(values)
    if type_ == "no_duplicates":
        recs = [{"v": v} for v in values]
    res = evaluate(spec(type_, **params), ctx(tmp_path, records=recs, messages=[]))
    assert res.status == status, res.message


def test_a_check_that_raises_is_its_own_error_and_the_others_stand(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A bug of ours in one assertion: that assertion's error, named; never the query's."""
    import velotui.assertions.records as records

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(records, "percentile", boom)
    res = evaluate(spec("percentile", field="v", p50=10), ctx(tmp_path, records=_records([1, 2]), messages=[]))
    assert res.status == "error" and "internal error while checking: RuntimeError('a bug')" in res.message
