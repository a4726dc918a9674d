"""A run the user replaced or quit in the middle of: its last words (the query it was stopped in, its
cancelled report) never land in the run that replaced it, and quitting stops it instead of waiting for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.helpers import SIZE, copy_suite, make_app, select_app, wait_run
from velotui.tui.widgets.apps_tree import AppsTree
from velotui.tui.widgets.results_tree import ResultsTree

BIG = 2_000_000  # records of orders_pass: seconds of generating, so a run is still in it when the key comes


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    dest = copy_suite(tmp_path / "suite")
    spec = dest / "apps" / "orders_pass.test.yaml"
    spec.write_text(spec.read_text().replace("records: 20", f"records: {BIG}").replace("equals: 20", f"equals: {BIG}"))
    return dest


async def _into_the_big_query(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """R, and wait until orders_fail is done and orders_pass is being generated."""
    await pilot.press("R")
    for _ in range(600):
        await pilot.pause(0.05)
        if app._progress_done >= 1 and app.running:
            return
    raise AssertionError("the run never reached orders_pass")


def _labels(app) -> list[str]:  # type: ignore[no-untyped-def]
    tree = app.query_one(ResultsTree)
    return [str(tree.get_node_at_line(line).label) for line in range(tree.last_line + 1)]


async def test_a_superseded_run_leaves_nothing_in_the_run_that_replaced_it(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _into_the_big_query(app, pilot)
        select_app(app, "orders_fail")
        await pilot.pause()
        await pilot.press("r")  # only orders_fail now: the big run is cancelled mid-query
        await wait_run(pilot)
        await pilot.pause(0.3)
        await wait_run(pilot)
        labels = _labels(app)
        assert not any("orders_pass" in s or "orders_out" in s or "interrupted" in s for s in labels), labels
        assert [a.name for a in app.report.apps] == ["orders_fail"]
        status = str(app.query_one("#status-line").render())
        assert status.startswith("done: 0 passed, 1 failed —"), status
        tree = app.query_one(AppsTree)
        passing = next(f for f in tree.app_files() if f.sql_path.stem == "orders_pass")
        node = tree.app_node(str(passing.sql_path))
        assert node is not None and node.status is None  # no verdict: its run was stopped, not failed


async def test_quitting_mid_run_stops_the_run(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _into_the_big_query(app, pilot)
        run = app.current_run
        await pilot.press("ctrl+q")
    assert run is not None and run.cancelled  # the process does not wait for 2,000,000 records
