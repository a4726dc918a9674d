"""Golden outputs in the TUI: a failed comparison opens its diff; `a` approves it (the golden file rewritten)
per query, `A` for the whole run; a later headless run passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.tui.helpers import SIZE, copy_suite, failure_line, make_app, results_line, wait_run
from velotui.cli import main
from velotui.tui.screens.failure import FailureScreen
from velotui.tui.widgets.results_tree import AssertionLeaf, QueryLeaf, ResultsTree

ROUNDED = "SELECT order_id, ROUND(amount, 0) AS amount FROM orders"


@pytest.fixture(autouse=True)
def _no_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture
def suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Golden files recorded, then the SQL of both failing-prone apps changed."""
    s = copy_suite(tmp_path / "suite", second_failing=True)
    assert main(["--headless", str(s), "--update-golden", "-q"]) in (0, 1)
    for name, old, new in (("orders_fail", "SELECT order_id, amount FROM orders", ROUNDED),
                           ("totals_fail", "WHERE status = 'PAID'", "WHERE status <> 'NEW'")):
        sql = s / "apps" / f"{name}.sql"
        sql.write_text(sql.read_text().replace(old, new))
    capsys.readouterr()
    return s


def golden(suite: Path, app: str, query: str) -> Path:
    return suite / "apps" / f"{app}.golden" / f"{query}.jsonl"


def _headless_golden(suite: Path, tmp_path: Path) -> dict[str, str]:
    out = tmp_path / "check.json"
    main(["--headless", str(suite), "-q", "--json", str(out)])
    report = json.loads(out.read_text())
    return {f"{a['name']}/{q['name']}": x["status"] for a in report["apps"] for q in a["queries"]
            for x in q["assertions"] if x["type"] == "golden"}


async def test_golden_diff_opens_and_a_approves_the_query(suite: Path, tmp_path: Path) -> None:
    before = golden(suite, "orders_fail", "big_orders").read_text()
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        results = app.query_one(ResultsTree)
        assert {(results.label_of(f.app), f.result.type) for f in results.golden_failures()} == {("orders_fail", "golden"),
                                                                               ("totals_fail", "golden")}
        await pilot.press("4")
        results.cursor_line = failure_line(app, "orders_fail", "golden")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FailureScreen) and screen.golden
        diff = screen.detail.result.diff
        assert diff.changed > 0 and diff.added == diff.removed == 0
        table = screen.query_one("#failure-diff", DataTable)
        assert table.row_count == len(diff.changes)
        first = table.get_row_at(0)
        assert str(first[0]) == "~ changed" and "→" in "".join(str(c) for c in first)
        assert "a" in [k.key for k in screen.query("FooterKey")]  # approve shows for a golden diff
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        leaf = next(f for f in results.failures if results.label_of(f.app) == "orders_fail" and f.result.type == "golden")
        assert leaf.approved and not leaf.failed
        assert "approved" in str(results._leaves[id(leaf)].label)
        # totals_fail's golden diff is still pending
        assert [results.label_of(f.app) for f in results.golden_failures()] == ["totals_fail"]
    after = golden(suite, "orders_fail", "big_orders").read_text()
    assert after != before
    lines = after.splitlines()
    assert json.loads(lines[0])["_golden"]["query"] == "big_orders"
    assert all(float(json.loads(line)["amount"]).is_integer() for line in lines[1:])  # the new, rounded output
    status = _headless_golden(suite, tmp_path)
    assert status == {"orders_fail/big_orders": "passed", "orders_pass/orders_out": "passed",
                      "totals_fail/paid_orders": "failed"}


async def test_A_approves_the_whole_run(suite: Path, tmp_path: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        await pilot.press("A")
        await pilot.pause()
        assert app.query_one(ResultsTree).golden_failures() == []
    assert set(_headless_golden(suite, tmp_path).values()) == {"passed"}


async def test_a_on_a_query_without_golden_file_records_one(tmp_path: Path) -> None:
    suite = copy_suite(tmp_path / "fresh")
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        await pilot.press("4")
        tree = app.query_one(ResultsTree)
        tree.cursor_line = results_line(app, lambda d: isinstance(d, QueryLeaf) and tree.label_of(d.app) == "orders_pass")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
    path = golden(suite, "orders_pass", "orders_out")
    assert path.exists() and len(path.read_text().splitlines()) == 21
    assert _headless_golden(suite, tmp_path)["orders_pass/orders_out"] == "passed"


async def test_a_on_a_plain_failed_assertion_explains_itself(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        await pilot.press("4")
        tree = app.query_one(ResultsTree)
        tree.cursor_line = results_line(app, lambda d: isinstance(d, AssertionLeaf) and d.result.type == "field_values")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert any("approves golden comparisons" in n.message for n in app._notifications)
