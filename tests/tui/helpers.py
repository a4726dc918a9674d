"""Shared helpers of the Pilot tests: a copy of the TUI fixture suite, an app on it, waiting for runs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from velotui.tui.app import VelotuiApp
from velotui.tui.keymap import TuiConfig
from velotui.tui.widgets.apps_tree import AppNode, AppsTree
from velotui.tui.widgets.results_tree import AssertionLeaf, ResultsTree

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_suite"
SIZE = (120, 40)
SMALL = (80, 24)

SECOND_FAILING_SQL = """\
-- @app: totals_fail
CREATE STREAM paid_orders AS
SELECT order_id, amount, status FROM orders
WHERE status = 'PAID'
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders',
      'paid_orders.type' = 'kafka_sink', 'paid_orders.topic.name' = 'paid_orders');
"""

SECOND_FAILING_SPEC = """\
application: totals_fail
queries:
  - name: paid_orders
    inputs:
      - source: orders
        schema: orders
        records: 20
    assertions:
      - type: record_count
        equals: 999
"""


def copy_suite(dest: Path, *, second_failing: bool = False) -> Path:
    shutil.copytree(FIXTURE, dest)
    if second_failing:
        (dest / "apps" / "totals_fail.sql").write_text(SECOND_FAILING_SQL)
        (dest / "apps" / "totals_fail.test.yaml").write_text(SECOND_FAILING_SPEC)
    return dest


def make_app(path: Path, **kw: Any) -> VelotuiApp:
    kw.setdefault("config", TuiConfig())
    return VelotuiApp(path, seed=5, now_ms=1_700_000_000_000, **kw)


async def wait_run(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def select_app(app: VelotuiApp, name: str) -> None:
    tree = app.query_one(AppsTree)
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and isinstance(node.data, AppNode) and node.data.name == name:
            tree.cursor_line = line
            return
    raise AssertionError(f"app {name} not in tree")


def results_line(app: VelotuiApp, predicate: Any) -> int:
    """The line of the first Results node whose data satisfies ``predicate``."""
    tree = app.query_one(ResultsTree)
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and predicate(node.data):
            return line
    raise AssertionError("no such line in Results")


def failure_line(app: VelotuiApp, app_name: str, kind: str | None = None) -> int:
    names = app.query_one(ResultsTree).label_of  # a row's app is its SQL file; found by the name it shows
    return results_line(app, lambda d: isinstance(d, AssertionLeaf) and names(d.app) == app_name and d.failed
                        and (kind is None or d.result.type == kind))


def footer_keys(app: VelotuiApp) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [k.key_display for k in app.screen.query(FooterKey)]


def app_file(app: VelotuiApp, name: str) -> str:
    """The SQL file of the suite's app ``name``: how the TUI knows an app (two apps may share a name)."""
    return next(str(f.sql_path) for f in app.suite.apps if f.sql_path.stem == name)
