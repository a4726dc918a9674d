"""A statement the engine refuses stops nothing but its app: `velotui validate` and a run both exit 2 with
file:line:column and the fix (TUMBLING(0s), a 5000-digit literal, SPLIT_PART(a)), and the suite's other
apps still run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import good_files, run_cli, write_suite

BAD = {
    "tumbling_zero": ("SELECT COUNT(*) AS n FROM orders WINDOW TUMBLING(0s)",
                      "WINDOW TUMBLING: the size must be at least 1 ms, not 0 ms"),
    "huge_literal": ("SELECT " + "9" * 5000 + " AS n FROM orders",
                     "the INTEGER literal 999999999999…999999 (5000 characters) does not fit 64 bits"),
    "arity": ("SELECT SPLIT_PART(order_id) AS n FROM orders", "SPLIT_PART takes 3 arguments, got 1"),
}


def _suite(tmp_path: Path, select: str) -> Path:
    files = good_files()
    files["apps/bad.sql"] = f"CREATE STREAM bad_out AS {select} WITH ('orders.type' = 'kafka_source');\n"
    files["apps/bad.test.yaml"] = ("application: bad\nqueries:\n  - name: bad_out\n    inputs:\n      - source: orders\n"
                                   "        schema: orders\n        records: 5\n    assertions:\n"
                                   "      - type: record_count\n        greater_than: 0\n")
    return write_suite(tmp_path, files)


@pytest.mark.parametrize("name", sorted(BAD))
def test_validate_exits_2_with_the_place_and_fix(name: str, tmp_path: Path, capsys) -> None:
    select, message = BAD[name]
    _suite(tmp_path, select)
    rc, out, err = run_cli(["validate", str(tmp_path / "apps")], capsys)
    assert rc == 2, out + err
    text = out + err
    assert f"{tmp_path / 'apps' / 'bad.sql'}:1:" in text and message in text
    assert "hint: " in text
    assert "1 valid, 1 invalid" in text  # the good app is still checked


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_run_exits_2_and_the_other_app_still_runs(name: str, tmp_path: Path, capsys) -> None:
    select, message = BAD[name]
    _suite(tmp_path, select)
    rc, out, err = run_cli(["--headless", str(tmp_path / "apps"), "-q"], capsys)
    assert rc == 2, out + err
    assert message in out + err
    assert "PASS  good_app / orders_out" in out
