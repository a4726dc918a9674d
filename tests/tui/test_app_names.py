"""Two apps of one name (one ``application:`` in two specs) in the TUI: each has its own Results row, named by
its file as the reports name it, and x / enter / a on one's failure read that app's records, never the
other's (the Results rows, the runs' records and the topics are keyed by the app's SQL file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import write_suite
from tests.tui.helpers import SIZE, make_app, results_line, wait_run
from velotui.tui.screens.failure import FailureScreen
from velotui.tui.screens.modals import MarkdownModal
from velotui.tui.widgets.results_tree import AppRow, AssertionLeaf, ResultsTree

SQL = "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n"


def _spec(count: int, data: str) -> str:
    return (f"application: orders\nqueries:\n  - name: o\n    inputs: [{{source: s, data_file: {data}}}]\n"
            f"    assertions: [{{type: record_count, equals: {count}}}]\n")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """eu/orders.sql fails (expects 2 of its 1 record); us/orders.sql, loaded after it, passes."""
    return write_suite(tmp_path / "suite", {
        "eu/orders.sql": SQL, "eu/orders.test.yaml": _spec(2, "eu.jsonl"), "eu/eu.jsonl": '{"a": 1}\n',
        "us/orders.sql": SQL, "us/orders.test.yaml": _spec(3, "us.jsonl"),
        "us/us.jsonl": '{"a": 1}\n{"a": 2}\n{"a": 3}\n'})


async def test_two_apps_of_one_name_have_their_own_rows_and_their_own_explanation(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        tree = app.query_one(ResultsTree)
        rows = [str(tree.get_node_at_line(i).label) for i in range(tree.last_line + 1)  # type: ignore[union-attr]
                if isinstance(tree.get_node_at_line(i).data, AppRow)]  # type: ignore[union-attr]
        assert rows == ["✗ orders (eu/orders.sql)", "✓ orders (us/orders.sql)"]
        failures = [(tree.label_of(f.app), f.query, f.result.type) for f in tree.failures]
        assert failures == [("orders (eu/orders.sql)", "o", "record_count")]
        await pilot.press("4")
        tree.cursor_line = results_line(app, lambda d: isinstance(d, AssertionLeaf) and d.failed)
        await pilot.pause()
        await pilot.press("x")
        await wait_run(pilot)
        screen = app.screen
        assert isinstance(screen, MarkdownModal) and not screen.pending
        md = screen.markdown
        assert md.splitlines()[0] == "# orders (eu/orders.sql) / o / record_count", md
        assert "is gone" not in md and "eu/orders.test.yaml" in md and "us/orders" not in md
        assert "inputs: s = 1 records" in md  # eu's one input record, not us's three
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, FailureScreen)
        assert detail.detail.app_label == "orders (eu/orders.sql)"
        assert [r.record for r in detail.detail.inputs] == [{"a": 1}]
