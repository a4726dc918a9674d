"""Snapshot tests of each screen at a fixed size (pytest-textual-snapshot; update with --snapshot-update).

The app runs with a fixed seed and frozen clock so every run draws the same screen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tui.helpers import app_file
from velotui.tui.app import VelotuiApp
from velotui.tui.keymap import TuiConfig
from velotui.tui.widgets.apps_tree import AppNode, AppsTree

# a relative path keeps the snapshots independent of where the repository is cloned
ROOT = Path(__file__).resolve().parents[2]
SUITE = Path("tests/fixtures/tui_suite")
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from types import SimpleNamespace

    import velotui.core.run as core_run

    monkeypatch.chdir(ROOT)
    # query durations are shown on screen: a still clock makes them (and the snapshots) repeatable
    monkeypatch.setattr(core_run, "time", SimpleNamespace(perf_counter=lambda: 0.0, time=time.time))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("VELOTUI_CONFIG", os.devnull + ".toml")


def _app() -> VelotuiApp:
    return VelotuiApp(SUITE, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)


def _select(app: VelotuiApp, name: str) -> None:
    tree = app.query_one(AppsTree)
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and isinstance(node.data, AppNode) and node.data.name == name:
            tree.cursor_line = line
            return


async def _no_blink(pilot) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import TextArea

    for ta in pilot.app.query(TextArea):
        ta.cursor_blink = False
    await pilot.pause()


def test_main_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), terminal_size=SIZE, run_before=_no_blink)


def test_main_screen_after_run(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_all(pilot) -> None:  # type: ignore[no-untyped-def]
        await _no_blink(pilot)
        await pilot.press("R")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        pilot.app.query_one("#stress").display = False  # live rates and memory differ between runs
        pilot.app.query_one("#tail").styles.width = "1fr"
        pilot.app.query_one("#tail").border_subtitle = ""
        pilot.app.query_one("#apps").focus()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=SIZE, run_before=run_all)


def test_schema_tab(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def schema(pilot) -> None:  # type: ignore[no-untyped-def]
        _select(pilot.app, "orders_pass")
        await pilot.pause()
        pilot.app.query_one("#source").active = "tab-schema"
        await _no_blink(pilot)

    assert snap_compare(_app(), terminal_size=SIZE, run_before=schema)


def test_records_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def records(pilot) -> None:  # type: ignore[no-untyped-def]
        _select(pilot.app, "orders_pass")
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        pilot.app.open_query(app_file(pilot.app, "orders_pass"), "orders_out")
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=SIZE, run_before=records)


def test_help_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), terminal_size=SIZE, press=["question_mark"], run_before=_no_blink)


def test_small_terminal(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_no_blink)


GOLDEN_SUITE = Path("tests/fixtures/tui_golden")


def _cursor_on_failure(app: VelotuiApp, kind: str) -> None:
    from velotui.tui.widgets.results_tree import AssertionLeaf, ResultsTree

    tree = app.query_one(ResultsTree)
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and isinstance(node.data, AssertionLeaf) and node.data.result.type == kind:
            tree.cursor_line = line
            return
    raise AssertionError(f"no {kind} failure in Results")


def _open_failure(app_name: str, kind: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _no_blink(pilot)
        _select(pilot.app, app_name)
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("4")
        await pilot.pause()
        _cursor_on_failure(pilot.app, kind)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x40", "80x24"])
def test_failure_detail(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), terminal_size=size, run_before=_open_failure("orders_fail", "field_values"))


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x40", "80x24"])
def test_golden_diff(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = VelotuiApp(GOLDEN_SUITE, config=TuiConfig(), now_ms=1_700_000_000_000)
    assert snap_compare(app, terminal_size=size, run_before=_open_failure("orders_round", "golden"))


MUTANTS_SUITE = Path("tests/fixtures/tui_mutants")


def _mutants_view(survivor: str | None = "M3", jump: bool = False):  # type: ignore[no-untyped-def]
    """`m` on the weak-spec app; the cursor on one survivor (its detail shows); `enter` on it with ``jump``."""
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        from velotui.tui.screens.mutants import MutantsTree, SurvivorItem

        await _no_blink(pilot)
        _select(pilot.app, "big_orders")
        await pilot.pause()
        await pilot.press("m")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        tree = pilot.app.screen.query_one(MutantsTree)
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            if node is not None and isinstance(node.data, SurvivorItem) and node.data.mutant == survivor:
                tree.cursor_line = line
        await pilot.pause()
        if jump:
            await pilot.press("enter")
            await pilot.pause()
            pilot.app.query_one("#stress").display = False
            pilot.app.query_one("#tail").styles.width = "1fr"
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x40", "80x24"])
def test_mutants_view(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = VelotuiApp(MUTANTS_SUITE, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    assert snap_compare(app, terminal_size=size, run_before=_mutants_view())


def test_sql_gutter_marks(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = VelotuiApp(MUTANTS_SUITE, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    assert snap_compare(app, terminal_size=SIZE, run_before=_mutants_view("M2", jump=True))
