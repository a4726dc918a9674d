"""The TUI driven with Textual's Pilot: panes, runs, records, filtering, schema editing, themes, explain.

No test sleeps: they wait for workers (``workers.wait_for_complete``) and for messages (``pilot.pause``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.tui.helpers import app_file
from velotui.tui.app import VelotuiApp
from velotui.tui.keymap import TuiConfig
from velotui.tui.screens.modals import ErrorModal, HelpScreen, MarkdownModal
from velotui.tui.screens.records import RecordDetail, RecordsScreen
from velotui.tui.widgets.apps_tree import AppNode, AppsTree
from velotui.tui.widgets.results_tree import ResultsTree
from velotui.tui.widgets.source_pane import SchemaEditor, SourcePane, SqlView
from velotui.tui.widgets.topic_tail import TopicTail

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_suite"
ROOT_DEMO = Path(__file__).resolve().parents[2] / "demo"
SIZE = (120, 40)


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    dest = tmp_path / "suite"
    shutil.copytree(FIXTURE, dest)
    return dest


def make_app(path: Path, **kw: object) -> VelotuiApp:
    return VelotuiApp(path, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000, **kw)  # type: ignore[arg-type]


async def wait_run(pilot) -> None:  # type: ignore[no-untyped-def]
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


async def test_panes_and_focus_keys(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused is app.query_one("#apps")
        for key, pane in (("2", "#source"), ("3", "#tail"), ("4", "#results"), ("1", "#apps")):
            await pilot.press(key)
            assert app.focused is not None
            assert app.focused is app.query_one(pane) or app.query_one(pane) in app.focused.ancestors_with_self
        await pilot.press("tab")
        assert app.focused is not app.query_one("#apps")


async def test_selecting_an_app_shows_its_sql(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_fail")
        await pilot.pause()
        assert "WHERE amount > 100" in app.query_one(SqlView).text


async def test_run_one_app_fills_results_and_tail(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("r")
        await wait_run(pilot)
        results = app.query_one(ResultsTree)
        labels = [str(n.label) for n in results.root.children]
        assert any("orders_pass" in label and "✓" in label for label in labels), labels
        assert app.query_one(TopicTail).topics()  # source and sink records shown
        assert app.report is not None and app.report.exit_code == 0


async def test_run_all_reports_every_app(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        names = {a.name for a in app.report.apps}
        assert names == {"orders_pass", "orders_fail"}
        assert app.query_one(ResultsTree).failures  # orders_fail fails


async def test_open_records_detail_and_filter(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("r")
        await wait_run(pilot)
        app.open_query(app_file(app, "orders_pass"), "orders_out")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordsScreen)
        assert len(screen.shown) == 20
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordDetail)
        await pilot.press("escape")
        await pilot.pause()
        status = screen.shown[0].value["status"]
        await pilot.press("slash")
        await pilot.press(*status)
        await pilot.press("enter")
        await pilot.pause()
        assert 0 < len(screen.shown) <= 20
        assert all(m.value["status"] == status or status in str(m.envelope()) for m in screen.shown)


async def test_tail_filter(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("r")
        await wait_run(pilot)
        await pilot.press("3", "slash")
        await pilot.press(*"!orders_out")
        await pilot.press("enter")
        await pilot.pause()
        tail = app.query_one(TopicTail)
        assert tail.filter_text == "!orders_out"
        assert all("orders_out" not in str(line.text) for line in tail.lines)


async def test_schema_editor_validates_as_you_type(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.pause()
        pane = app.query_one(SourcePane)
        pane.active = "tab-schema"
        await pilot.pause()
        editor = app.query_one(SchemaEditor)
        good = editor.text_area.text
        editor.text_area.load_text(good.replace("max: 500", "max: banana"))
        await pilot.pause()
        assert not editor.valid
        status = str(app.query_one("#schema-status").render())
        assert ".yaml:10:" in status  # the line of the bad value is named
        editor.text_area.load_text(good)
        await pilot.pause()
        assert editor.valid
        await pilot.press("ctrl+s")
        await pilot.pause()


async def test_theme_switch(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme_name == "dark"
        app.set_theme_name("light")
        await pilot.pause()
        assert app.theme == "textual-light"
        app.set_theme_name("high-contrast")
        await pilot.pause()
        assert app.theme_name == "high-contrast"


async def test_help_lists_bindings(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        assert {"run", "run_all", "explain", "quit"} <= ids
        everything = set(app.screen.rows)
        await pilot.press("escape")
        await pilot.press("4")  # the results tree has keys of its own (Tree's cursor keys)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and "Results" in app.screen.title_text
        pane = set(app.screen.rows)
        assert pane and pane < everything and not {"run", "quit"} & {row[2] for row in pane}


async def test_explain_on_failing_app(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_fail")
        await pilot.press("r")
        await wait_run(pilot)
        await pilot.press("x")
        await wait_run(pilot)
        assert isinstance(app.screen, MarkdownModal)
        assert "field_values" in app.screen.markdown


async def test_unreachable_kafka_shows_error_and_stays_usable(suite: Path) -> None:
    app = make_app(suite, kafka="127.0.0.1:1")
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("r")
        await wait_run(pilot)
        assert isinstance(app.screen, ErrorModal)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorModal)
        await pilot.press("2")
        assert app.focused is not None


async def test_rebinding_from_config(suite: Path) -> None:
    app = VelotuiApp(suite, config=TuiConfig(keys={"help": "f2"}), seed=1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_run_events_while_another_screen_is_on_top(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        app.action_run_all()  # events arrive while the help screen is on top
        await wait_run(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert app.report is not None and {a.name for a in app.report.apps} == {"orders_pass", "orders_fail"}
        app._check_files()  # the file watcher too


async def test_stress_key_drives_the_gauge(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.press("s")
        await wait_run(pilot)
        assert app.last_stress is not None and app.last_stress.records > 0
        gauge = app.query_one("#stress")
        assert gauge.latency and gauge.active
        assert "records/s" in str(app.query_one("#status-line").render())


async def test_step_mode_screen(tmp_path: Path) -> None:
    from velotui.tui.screens.debug import DebugScreen

    app = make_app(ROOT_DEMO / "tier5_complex")
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "40_pipeline")
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DebugScreen)
        await pilot.press("s")
        await pilot.pause()
        assert [r.statement for r in screen.session.history] == ["paid_orders"]
        await pilot.press("c")
        await pilot.pause()
        assert screen.session.stepper.done and len(screen.session.history) == 3
        text = "\n".join(str(line.text) for line in screen.query_one("#debug-log").lines)
        assert "== large_orders:" in text and "== end of app" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DebugScreen)


async def test_file_watch_tick_while_closing_is_harmless(suite: Path) -> None:
    # CI once saw the 1 s file-watch timer fire after the main screen's widgets were removed at exit
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await app.screen_stack[0].query_one("#top").remove()
        await pilot.pause()
        app._check_files()  # must not raise NoMatches
        assert not app.screen_stack[0].query(AppsTree)


async def test_watch_reruns_a_changed_app(suite: Path) -> None:
    app = make_app(suite, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        spec = suite / "apps" / "orders_pass.test.yaml"
        import os

        st = spec.stat()
        os.utime(spec, (st.st_atime, st.st_mtime + 10))  # the file changed
        app._check_files()
        await wait_run(pilot)
        assert app.report is not None and [a.name for a in app.report.apps] == ["orders_pass"]


async def test_changed_app_is_marked_stale_without_watch(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        sql = suite / "apps" / "orders_fail.sql"
        import os

        st = sql.stat()
        os.utime(sql, (st.st_atime, st.st_mtime + 10))
        app._check_files()
        await pilot.pause()
        assert app.query_one(AppsTree).app_node(str(sql)).status == "stale"
        assert app.report is None


async def test_edit_opens_the_editor_and_reloads(suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    editor = tmp_path / "editor.py"
    editor.write_text("import sys\nopen(sys.argv[1], 'a').write('-- edited\\n')\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {editor}")
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert (suite / "apps" / "orders_pass.sql").read_text().endswith("-- edited\n")
        assert "-- edited" in app.query_one(SqlView).text


async def test_files_the_run_left_out_are_in_the_status_line(suite: Path) -> None:
    """A spec no SQL file reads (the SQL renamed) is a warning of the run in every report: the TUI's status
    line says it too when the run is done."""
    (suite / "apps" / "renamed.test.yaml").write_text("application: renamed\nqueries:\n  - name: o\n    inputs: []\n")
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        status = str(app.query_one("#status-line").render())
        assert "⚠ 1 file not run: renamed.test.yaml" in status, status
        # before the counts of warnings and flags: an 80-column line still shows the file's name
        assert status.startswith("done: 1 passed, 1 failed — ⚠ 1 file not run: renamed.test.yaml — 1 warning —"), status


async def test_the_status_line_counts_what_the_headless_summary_counts(tmp_path: Path) -> None:
    """The run's last line in the headless report ('1 passed, 0 failed, 1 warning, 1 divergence flag') and
    the TUI's status line count the same things: the status line lost the warnings and the flags."""
    import shutil

    from velotui.report.writers import render_text
    from velotui.tui.app import summary_counts

    root = Path(__file__).resolve().parents[2] / "demo"
    suite = tmp_path / "demo"
    for sub in ("configs", "schemas"):
        shutil.copytree(root / sub, suite / sub)
    (suite / "tier4").mkdir()
    shutil.copy(root / "tier4_window_functions" / "30_lag_lead.sql", suite / "tier4")
    spec = (root / "tier4_window_functions" / "30_lag_lead.test.yaml").read_text()
    (suite / "tier4" / "30_lag_lead.test.yaml").write_text(spec.replace("records: 300", "records: 30").replace(
        "    accepted_divergences: [D5]", "    accepted_divergences: [D5]\n    owner_team: pricing"))  # a warning
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        status = str(app.query_one("#status-line").render())
        summary = app.report.summary
        assert summary["warnings"] == 1 and summary["flags"] == 1 and summary["failed"] == 0
        assert status.startswith("done: 1 passed, 0 failed, 1 warning, 1 divergence flag — seed"), status
        assert summary_counts(summary) in status
    from rich.console import Console

    console = Console(record=True, width=200)
    render_text(app.report, console)
    assert "1 passed, 0 failed, 1 warnings, 1 divergence flags" in console.export_text()  # the headless line


async def test_under_strict_the_files_not_run_say_they_failed_the_run(suite: Path) -> None:
    """--strict fails the run on a file it left out (exit 2 headless): the status line says so, not just ⚠."""
    (suite / "apps" / "renamed.test.yaml").write_text("application: renamed\nqueries:\n  - name: o\n    inputs: []\n")
    app = make_app(suite, strict=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        status = str(app.query_one("#status-line").render())
        assert app.report.exit_code == 2
        assert "⚠ 1 file not run (failed: --strict): renamed.test.yaml" in status, status
