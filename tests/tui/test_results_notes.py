"""The results tree shows each query's divergence flags and warnings, as every report format does."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.tui.helpers import SIZE, make_app, wait_run
from velotui.tui.app import VelotuiApp
from velotui.tui.keymap import TuiConfig
from velotui.tui.widgets.apps_tree import AppNode, AppsTree
from velotui.tui.widgets.results_tree import ResultsTree

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_suite"


def _labels(node) -> list[str]:  # type: ignore[no-untyped-def]
    out = [str(node.label)]
    for child in node.children:
        out += _labels(child)
    return out


async def test_flags_and_warnings_are_leaves_under_their_query(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(FIXTURE, suite)
    sql = suite / "apps" / "orders_pass.sql"
    sql.write_text(sql.read_text().replace("FROM orders\n", "FROM orders\nWHERE NOT amount > 100000\n", 1))
    spec = suite / "apps" / "orders_pass.test.yaml"
    spec.write_text(spec.read_text().replace("queries:\n  - name: ", "queries:\n  - ticket: OPS-1\n    name: ", 1))
    app = VelotuiApp(suite, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(AppsTree)
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            if node is not None and isinstance(node.data, AppNode) and node.data.name == "orders_pass":
                tree.cursor_line = line
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        labels = _labels(app.query_one(ResultsTree).root)
        assert any("⚑1" in label for label in labels), labels  # the query's own line counts its flags
        assert any(label.startswith("⚑ ") and "D1 NOT before a comparison" in label for label in labels), labels
        assert any(label.startswith("⚠ ") and "unknown key 'ticket'" in label for label in labels), labels


async def test_a_long_warning_is_shown_whole(tmp_path: Path) -> None:
    """A warning's leaf was cut at 300 characters without a word (an unknown key's list of known keys lost its
    end): it is shown as the text report shows it (2,000 characters, then the cut said), through shown() like
    every other label (terminal-safe)."""
    from tests.tui.helpers import copy_suite

    suite = copy_suite(tmp_path / ("deep" * 30) / "suite")  # a long path: the warning's file:line is long
    spec = suite / "apps" / "orders_pass.test.yaml"
    spec.write_text(spec.read_text().replace("  - name: orders_out\n", "  - name: orders_out\n    owner_team: x\n"))
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        tree = app.query_one(ResultsTree)
        labels = [str(tree.get_node_at_line(i).label) for i in range(tree.last_line + 1)]
    warning = next(s for s in labels if "unknown key 'owner_team'" in s)
    assert len(warning) > 300 and warning.endswith("timeout_ms)"), warning
