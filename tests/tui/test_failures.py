"""The failure at a glance: the detail view (enter / z), explain under the cursor (with two failing apps),
the spinner while the model answers, the SDK imported in a worker, the answer headed by the failure."""

from __future__ import annotations

import importlib.abc
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import DataTable, LoadingIndicator

from tests.tui.helpers import (
    SIZE,
    SMALL,
    copy_suite,
    failure_line,
    make_app,
    results_line,
    select_app,
    wait_run,
)
from tests.unit.ai.fake_anthropic import FakeAnthropic
from velotui.tui.screens.failure import FailureScreen
from velotui.tui.screens.modals import MarkdownModal
from velotui.tui.screens.records import RecordsScreen
from velotui.tui.widgets.results_tree import AppRow, ResultsTree
from velotui.tui.widgets.source_pane import SourcePane, SpecView


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return copy_suite(tmp_path / "suite", second_failing=True)


async def _run_all(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("R")
    await wait_run(pilot)


async def _to_results_line(app, pilot, line: int) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("4")
    await pilot.pause()
    tree = app.query_one(ResultsTree)
    tree.cursor_line = line
    await pilot.pause()


async def test_x_explains_the_failure_under_the_cursor_with_two_failing_apps(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _run_all(pilot)
        assert {app.query_one(ResultsTree).label_of(f.app) for f in app.query_one(ResultsTree).failures} == {"orders_fail", "totals_fail"}
        for name, query, kind in (("totals_fail", "paid_orders", "record_count"),
                                  ("orders_fail", "big_orders", "field_values")):
            await _to_results_line(app, pilot, failure_line(app, name))
            await pilot.press("x")
            await wait_run(pilot)
            screen = app.screen
            assert isinstance(screen, MarkdownModal) and not screen.pending
            first = screen.markdown.splitlines()[0]
            assert first == f"# {name} / {query} / {kind}", first
            await pilot.press("escape")
            await pilot.pause()
        # an app row: its first failure
        await _to_results_line(app, pilot, results_line(app, lambda d: isinstance(d, AppRow) and app.query_one(ResultsTree).label_of(d.app) == "totals_fail"))
        await pilot.press("x")
        await wait_run(pilot)
        assert app.screen.markdown.startswith("# totals_fail / paid_orders / record_count")
        await pilot.press("escape")
        # the Apps pane: the selected app's first failure
        await pilot.press("1")
        select_app(app, "totals_fail")
        await pilot.pause()
        await pilot.press("x")
        await wait_run(pilot)
        assert app.screen.markdown.startswith("# totals_fail / paid_orders")


async def test_x_on_a_passing_row_says_so(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _run_all(pilot)
        await _to_results_line(app, pilot, results_line(app, lambda d: isinstance(d, AppRow) and app.query_one(ResultsTree).label_of(d.app) == "orders_pass"))
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, MarkdownModal)
        assert any("nothing failed under the cursor" in n.message for n in app._notifications)


class _ImportWatch(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.threads: list[str] = []

    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        if name == "anthropic":
            self.threads.append(threading.current_thread().name)
        return None


async def test_spinner_while_the_model_answers_and_the_sdk_is_imported_in_a_worker(
        suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    watch = _ImportWatch()
    saved = {k: v for k, v in sys.modules.items() if k == "anthropic" or k.startswith("anthropic.")}
    for k in saved:
        del sys.modules[k]
    sys.meta_path.insert(0, watch)
    try:
        with FakeAnthropic(answer="## Cause\nthe threshold\n\n## Fix\nuse 100", gate=gate) as fake:
            cfg = tmp_path / "velotui.toml"
            cfg.write_text(f'[ai]\nbase_url = "{fake.url}"\nmax_retries = 0\n')
            monkeypatch.setenv("VELOTUI_CONFIG", str(cfg))
            monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
            app = make_app(suite)
            async with app.run_test(size=SIZE) as pilot:
                await _run_all(pilot)
                await _to_results_line(app, pilot, failure_line(app, "orders_fail"))
                await pilot.press("x")
                await pilot.pause()
                screen = app.screen
                assert isinstance(screen, MarkdownModal) and screen.pending  # at once, before the answer
                assert screen.query(LoadingIndicator)  # the spinner
                assert screen.heading.startswith("# orders_fail / big_orders / field_values")
                gate.set()
                await wait_run(pilot)
                assert not screen.pending and not screen.query(LoadingIndicator)
                assert screen.markdown.startswith("# orders_fail / big_orders / field_values")
                assert "use 100" in screen.markdown and "explained by the Anthropic" in screen.markdown
                await pilot.press("c")
                assert app.clipboard == screen.markdown
    finally:
        sys.meta_path.remove(watch)
        gate.set()
        for k, v in saved.items():
            sys.modules.setdefault(k, v)
    assert watch.threads and "MainThread" not in watch.threads, watch.threads


async def test_detail_view_contents(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _run_all(pilot)
        await _to_results_line(app, pilot, failure_line(app, "orders_fail"))
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FailureScreen)
        d = screen.detail
        spec = suite / "apps" / "orders_fail.test.yaml"
        assert (d.app_label, d.query, d.spec_file, d.spec_line) == ("orders_fail", "big_orders", str(spec), 9)
        assert d.app == str(suite / "apps" / "orders_fail.sql")  # the app is its SQL file
        text = lambda sel: str(screen.query_one(sel).render())  # noqa: E731
        assert "field_values" in text("#failure-title")
        assert f"{spec}:9" in text("#failure-where")
        assert "greater than 400" in text("#failure-message")
        assert '"value": 400' in text("#failure-expected") and "Expected" in str(
            screen.query_one("#failure-expected").border_title)
        assert d.checked_fields == ["amount"]
        records = screen.query_one("#failure-records", DataTable)
        assert records.row_count == len(d.offending) == 5
        headers = [str(c.label) for c in records.columns.values()]
        assert headers[0] == "▸ amount"  # the checked field first, highlighted
        assert all(r["amount"] <= 400 for r in d.offending)
        inputs = screen.query_one("#failure-inputs", DataTable)
        assert inputs.row_count == len(d.inputs) > 0
        assert "lineage" in d.inputs_note
        offending_ids = {r["order_id"] for r in d.offending}
        assert {i.record["order_id"] for i in d.inputs} == offending_ids  # the inputs behind those records
        assert not screen.query_one("#failure-divergence").display  # no flag: the slot stays hidden
        await pilot.press("c")
        assert "orders_fail / big_orders / field_values" in app.clipboard and "offending records" in app.clipboard
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, RecordsScreen) and app.screen.title_text == "orders_fail / big_orders"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("g")  # to the spec line, in the SQL / Schema pane
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        view = app.query_one(SpecView)
        assert app.query_one(SourcePane).active == "tab-spec" and app.focused is view
        assert view.path == spec and view.selection.end[0] + 1 == 9


async def test_detail_view_shows_a_divergence_flag_when_the_report_has_one(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _run_all(pilot)
        q = next(q for a in app.report.apps if a.name == "orders_fail" for q in a.queries)
        q.divergences = ["D99: the reference engine computes this otherwise"]  # the slot the report model fills
        await _to_results_line(app, pilot, failure_line(app, "orders_fail"))
        await pilot.press("z")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FailureScreen)
        flag = screen.query_one("#failure-divergence")
        assert flag.display and "D99" in str(flag.render())


async def test_z_zooms_a_pane_without_a_failure(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "z")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#tail")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.maximized is None


async def test_detail_view_is_usable_at_80x24(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SMALL) as pilot:
        await _run_all(pilot)
        await pilot.press("4")
        await pilot.pause()
        app.query_one(ResultsTree).cursor_line = failure_line(app, "orders_fail")
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FailureScreen) and screen.has_class("-narrow")
        expected, actual = screen.query_one("#failure-expected"), screen.query_one("#failure-actual")
        assert expected.region.width > 60 and actual.region.y > expected.region.y  # stacked, full width


async def test_x_on_an_app_that_could_not_be_loaded_shows_its_error(tmp_path: Path) -> None:
    from velotui.tui.screens.modals import ErrorModal

    s = copy_suite(tmp_path / "broken")
    spec = s / "apps" / "orders_pass.test.yaml"
    spec.write_text(spec.read_text().replace("type: record_count", "type: record_cuont"))
    app = make_app(s)
    async with app.run_test(size=SIZE) as pilot:
        await _run_all(pilot)
        await pilot.press("1")
        select_app(app, "orders_pass")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal) and "record_cuont" in app.screen.message


@pytest.mark.parametrize("pane", ["results", "apps"])
async def test_x_on_a_query_that_errored_shows_its_error(tmp_path: Path, pane: str) -> None:
    """A query that stopped with an error has no failed assertion: x said 'nothing failed under the cursor:
    move to a ✗ row' on the ✗ row itself. It shows the query's error."""
    from velotui.tui.screens.modals import ErrorModal

    s = copy_suite(tmp_path / "errored")
    spec = s / "apps" / "orders_fail.test.yaml"
    spec.write_text(spec.read_text().replace("schema: orders\n        records: 20", "data_file: nowhere.jsonl"))
    app = make_app(s)
    async with app.run_test(size=SIZE) as pilot:
        await _run_all(pilot)
        if pane == "results":
            await _to_results_line(app, pilot, results_line(app, lambda d: isinstance(d, AppRow)
                                                           and app.query_one(ResultsTree).label_of(d.app)
                                                           == "orders_fail"))
        else:
            await pilot.press("1")
            select_app(app, "orders_fail")
            await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal), [n.message for n in app._notifications]
        assert "orders_fail / big_orders stopped with an error" in app.screen.title_text
        assert "data_file not found" in app.screen.message


async def test_x_on_a_query_that_failed_under_strict_shows_why(tmp_path: Path) -> None:
    """--strict fails a query on a divergence flag its spec does not accept although every assertion held:
    x said 'nothing failed under the cursor'. It shows what failed it."""
    import shutil

    from velotui.tui.screens.modals import ErrorModal

    demo = Path(__file__).resolve().parents[2] / "demo"
    s = tmp_path / "demo"
    for sub in ("configs", "schemas"):
        shutil.copytree(demo / sub, s / sub)
    (s / "t").mkdir()
    shutil.copy(demo / "tier4_window_functions" / "30_lag_lead.sql", s / "t")
    spec = (demo / "tier4_window_functions" / "30_lag_lead.test.yaml").read_text()
    (s / "t" / "30_lag_lead.test.yaml").write_text(
        spec.replace("records: 300", "records: 30").replace("    accepted_divergences: [D5]\n", ""))
    app = make_app(s, strict=True)
    async with app.run_test(size=SIZE) as pilot:
        await _run_all(pilot)
        assert app.report.apps[0].queries[0].status == "failed"
        await pilot.press("1")
        select_app(app, "30_lag_lead")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal), [n.message for n in app._notifications]
        assert "lag_lead_demo / price_moves failed under --strict" in app.screen.title_text
        assert "D5" in app.screen.message


def test_editor_line_arguments() -> None:
    from velotui.tui.app import editor_args

    p = Path("/s/a.test.yaml")
    assert editor_args("vim", p, 9) == ["+9", str(p)]
    assert editor_args("/usr/bin/nano -w", p, 3) == ["+3", str(p)]
    assert editor_args("code --wait", p, 9) == ["--goto", f"{p}:9"]
    assert editor_args("gedit", p, 9) == [str(p)]  # no known way: just the file
    assert editor_args("vim", p, None) == [str(p)]
