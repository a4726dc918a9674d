"""The conventions: the palette's own commands, `/` search, `c` copy, the tail's pause and filter title, the
gauge headline, step mode with velotui debug's commands, exports, keymap warnings, theme errors, the narrow
layout."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from textual.widgets import OptionList

from tests.tui.helpers import SIZE, SMALL, app_file, copy_suite, make_app, select_app, wait_run
from velotui.cli import main
from velotui.errors import VelotuiError
from velotui.tui.app import VelotuiApp
from velotui.tui.keymap import TuiConfig, load_config
from velotui.tui.screens.modals import HelpScreen
from velotui.tui.screens.records import RecordsScreen
from velotui.tui.themes import ThemeError
from velotui.tui.widgets.apps_tree import AppsTree
from velotui.tui.widgets.results_tree import ResultsTree
from velotui.tui.widgets.source_pane import SourcePane, SqlView
from velotui.tui.widgets.stress_gauge import StressGauge
from velotui.tui.widgets.topic_tail import TopicTail

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")
    monkeypatch.setenv("VELOTUI_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return copy_suite(tmp_path / "suite")


async def _palette_options(app, pilot, query: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+p")
    await pilot.pause()
    if query:
        await pilot.press(*query)
    await app.workers.wait_for_complete()
    await pilot.pause()
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt).splitlines()[0] for i in range(options.option_count)]


async def test_palette_opened_empty_lists_velotuis_commands(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        shown = await _palette_options(app, pilot)
        for wanted in ("Run the selected app or query (r)", "Run all apps (R)", "Explain the failure under the cursor (x)",
                       "Open records of the selected query (enter)", "Stress the selected app (s)",
                       "Approve every golden diff of the run (A)", "Theme: light"):
            assert wanted in shown, shown
        assert not [s for s in shown if s in ("Change theme", "Keys", "Maximize", "Screenshot")]  # Textual's own
        await pilot.press("escape")
        await pilot.pause()
        found = await _palette_options(app, pilot, "orders_pass")
        assert "Run app: orders_pass" in found and "Run query: orders_pass / orders_out" in found


async def test_unknown_theme_is_exit_2_with_the_list(suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ThemeError) as e:
        VelotuiApp(suite, theme_name="solarized", config=TuiConfig())
    assert "dark, high-contrast, light" in str(e.value)
    assert main([str(suite), "--theme", "solarized"]) == 2
    err = capsys.readouterr().err
    assert "unknown theme 'solarized'" in err and "dark, high-contrast, light" in err and "Traceback" not in err
    with pytest.raises(ThemeError) as e2:
        VelotuiApp(suite, config=TuiConfig(theme="nope", path=Path("cfg.toml")))
    assert "cfg.toml" in str(e2.value)


def test_keymap_config_warns_about_unknown_ids_and_conflicts(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[keys]\nrunn = "f5"\nexplain = "r"\nhelp = 3\n[tui]\ntail_limt = 5\ntail_limit = -1\n'
                   '[colours]\nx = 1\n')
    c = load_config(cfg)
    text = "\n".join(c.warnings)
    assert "unknown action 'runn' (did you mean 'run'?)" in text
    assert "key 'r' is bound to run and explain" in text
    assert "[keys] help must be a key name" in text
    assert "unknown setting 'tail_limt' (did you mean 'tail_limit'?)" in text
    assert "tail_limit must be a whole number" in text and c.tail_limit == 200
    assert "unknown table [colours]" in text
    assert all(str(cfg) in w for w in c.warnings)
    assert c.keys == {"explain": "r"}


def test_a_config_that_is_not_toml_is_an_error_with_its_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[keys]\nrun = "f5"\nhelp = \n')
    with pytest.raises(VelotuiError) as e:
        load_config(cfg)
    assert e.value.file == str(cfg) and e.value.line == 3 and "not valid TOML" in str(e.value)


async def test_config_warnings_are_shown_when_the_ui_starts(suite: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[keys]\nrunn = "f5"\n')
    app = make_app(suite, config=load_config(cfg))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("unknown action 'runn'" in n.message for n in app._notifications)


async def test_tail_pause_holds_across_runs_and_the_filter_shows_in_the_title(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("r")
        await wait_run(pilot)
        tail = app.query_one(TopicTail)
        shown = [str(line.text) for line in tail.lines]
        assert shown
        await pilot.press("3", "p")
        await pilot.pause()
        assert "paused" in str(tail.border_title)
        await pilot.press("1", "r")  # a new run while paused
        await wait_run(pilot)
        assert [str(line.text) for line in tail.lines] == shown and tail.paused
        assert "20 new" in str(tail.border_title) or "40 new" in str(tail.border_title)
        await pilot.press("3", "p")
        await pilot.pause()
        assert not tail.paused and "paused" not in str(tail.border_title)
        await pilot.press("slash", *"ORD-", "enter")
        await pilot.pause()
        assert "filter 'ORD-'" in str(tail.border_title) and str(tail.border_title).startswith("3 Topic tail")


async def test_gauge_headline_shows_the_last_stress_result(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("s")
        await wait_run(pilot)
        gauge = app.query_one(StressGauge)
        gauge._count_since = 0
        gauge.tick()  # nothing flows any more
        await pilot.pause()
        text = str(app.query_one("#stress-rate").render())
        assert text.startswith("last stress: ") and "rec/s" in text and "p99" in text and not text.startswith("0")


async def test_step_mode_has_velotui_debugs_commands_and_breakpoints() -> None:
    from velotui.core.debug import COMMANDS
    from velotui.tui.screens.debug import DebugScreen

    app = make_app(ROOT / "demo" / "tier5_complex")
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "40_pipeline")
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DebugScreen)
        statements = screen.session.statements
        ol = screen.query_one(OptionList)
        ol.highlighted = statements.index("large_orders")
        await pilot.press("b")  # a breakpoint on the highlighted statement
        await pilot.pause()
        assert "large_orders" in screen.session.breakpoints
        assert "●" in str(ol.get_option_at_index(statements.index("large_orders")).prompt)
        await pilot.press("c")
        await pilot.pause()
        assert [r.statement for r in screen.session.history] == ["paid_orders", "priced_orders"]
        log = "\n".join(str(line.text) for line in screen.query_one("#debug-log").lines)
        assert "== stopped at breakpoint before large_orders" in log
        # the command line takes velotui debug's words
        await pilot.press("colon", *"st", "enter")
        await pilot.pause()
        log = "\n".join(str(line.text) for line in screen.query_one("#debug-log").lines)
        assert "paid_orders: out" in log and "priced_orders: out" in log
        await pilot.press(*"b large_orders", "enter", *"c", "enter")
        await pilot.pause()
        assert screen.session.stepper.done and "large_orders" not in screen.session.breakpoints
        assert {c[0] for c in COMMANDS} >= {"s", "c", "t", "st", "r", "l", "b", "h", "q"}


async def test_exports_go_to_the_folder_with_the_full_path_and_a_plural(suite: Path, tmp_path: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("r")
        await wait_run(pilot)
        await pilot.press("ctrl+e")
        await pilot.pause()
        folder = tmp_path / "exports"
        reports = list(folder.glob("velotui-report-*.json"))
        assert len(reports) == 1
        assert any(f"report exported to {reports[0].resolve()}" in n.message for n in app._notifications)
        app.open_query(app_file(app, "orders_pass"), "orders_out")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordsScreen)
        await pilot.press("ctrl+e")
        await pilot.pause()
        (jsonl,) = folder.glob("orders_pass___orders_out-*.jsonl")
        assert len(jsonl.read_text().splitlines()) == 20
        assert any(f"exported 20 records to {jsonl.resolve()}" in n.message for n in app._notifications)
        screen.shown = screen.shown[:1]
        time.sleep(1.01)  # a new file name (they carry the second)
        await pilot.press("E")
        await pilot.pause()
        assert any(n.message.startswith("exported 1 record to ") and n.message.endswith(".csv")
                   for n in app._notifications)
        assert not list(Path.cwd().glob("orders_pass*.jsonl"))  # nothing in the current folder


async def test_copy_a_record_and_a_failure(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("c")
        assert "orders_fail / big_orders / field_values" in app.clipboard
        app.open_query(app_file(app, "orders_pass"), "orders_out")
        await pilot.pause()
        await pilot.press("c")
        first = app.screen.shown[0]
        assert f'"offset": {first.offset}' in app.clipboard and first.value["order_id"] in app.clipboard


async def test_slash_searches_the_sql_the_results_and_the_help(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_fail")
        await pilot.press("r")
        await wait_run(pilot)
        await pilot.press("2")
        await pilot.pause()
        app.query_one(SqlView).focus()
        await pilot.press("slash", *"amount", "enter")
        await pilot.pause()
        view = app.query_one(SqlView)
        assert view.selected_text.lower() == "amount" and app.focused is view
        first = view.selection
        await pilot.press("n")
        await pilot.pause()
        assert view.selected_text.lower() == "amount" and view.selection != first
        await pilot.press("4", "slash", *"ORD-", "enter")
        await pilot.pause()
        tree = app.query_one(ResultsTree)
        assert "ORD-" in str(tree.cursor_node.label)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("slash", *"approve", "enter")
        await pilot.pause()
        shown = [r for _, rows in app.screen._shown() for r in rows]
        assert shown and all("approve" in " ".join(r).lower() for r in shown)


async def test_narrow_terminal_shows_one_pane_with_tabs(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        tabs = app.query_one("#pane-tabs")
        assert tabs.display and app.screen.has_class("-narrow")
        visible = [p for p in ("#apps", "#source", "#results", "#tail", "#stress")
                   if app.query_one(p).region.width > 0]
        assert visible == ["#apps"]
        await pilot.press("4")
        await pilot.pause()
        assert [p for p in ("#apps", "#source", "#results", "#tail", "#stress")
                if app.query_one(p).region.width > 0] == ["#results"]
        assert app.focused is app.query_one(ResultsTree) and tabs.active == "pane-results"
        assert app.query_one("#results").region.width == SMALL[0]
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert not tabs.display and all(app.query_one(p).region.width > 0
                                        for p in ("#apps", "#source", "#results", "#tail", "#stress"))


def test_every_app_in_the_demo_loads_in_the_tree() -> None:
    # a smoke check that discovery in the TUI sees what the headless run sees
    from velotui.core.discovery import discover

    app = make_app(ROOT / "demo")
    assert len(app.suite.apps) == len(discover(ROOT / "demo").apps) > 0
    assert isinstance(AppsTree, type) and isinstance(SourcePane, type) and os.sep


async def test_esc_in_the_records_filter_closes_the_filter_first(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("r")
        await wait_run(pilot)
        app.open_query(app_file(app, "orders_pass"), "orders_out")
        await pilot.pause()
        screen = app.screen
        await pilot.press("slash", *"qq")  # q types into the filter, it does not leave
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#records-filter").value == "qq"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#records-filter").has_class("hidden")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]


def test_unknown_ai_settings_are_said_when_the_ui_starts(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[ai]\nmodle = "m"\ntemperature = 1\n')
    text = "\n".join(load_config(cfg).warnings)
    assert "[ai] unknown setting 'modle'; did you mean 'model'?" in text and f"{cfg}:2" in text
    assert f"{cfg}:3: [ai] unknown setting 'temperature'" in text
