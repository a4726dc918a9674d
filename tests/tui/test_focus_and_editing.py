"""Editors own every printable key; esc and alt+digit leave them; unsaved edits are marked and asked about;
the footer says what works where the focus is (ctrl+s while editing), each key once."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Tabs

from tests.tui.helpers import SIZE, app_file, copy_suite, footer_keys, make_app, select_app, wait_run
from velotui.tui.screens.modals import HelpScreen, UnsavedModal
from velotui.tui.widgets.apps_tree import AppsTree
from velotui.tui.widgets.source_pane import SchemaEditor, SourcePane


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return copy_suite(tmp_path / "suite")


async def _edit_schema(app, pilot) -> SchemaEditor:  # type: ignore[no-untyped-def]
    select_app(app, "orders_pass")
    await pilot.pause()
    app.query_one(SourcePane).active = "tab-schema"
    await pilot.pause()
    editor = app.query_one(SchemaEditor)
    editor.text_area.focus()
    await pilot.pause()
    return editor


async def test_editor_owns_printable_keys_and_esc_leaves(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        editor = await _edit_schema(app, pilot)
        before = editor.text_area.text
        await pilot.press("1", "r", "R", "x", "question_mark", "slash", "p", "d")
        await pilot.pause()
        assert editor.text_area.text == "1rRx?/pd" + before  # typed, not pane keys or actions
        assert app.focused is editor.text_area and app.screen is app.screen_stack[0]
        assert not app.workers._workers and app.report is None  # r and R ran nothing
        keys = footer_keys(app)
        assert "^s" in keys and "esc" in keys  # save and leave show while editing
        assert not {"r", "R", "x", "/", "?"} & set(keys)  # typed characters are not offered as keys
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, Tabs)  # out of the editor, still in pane 2
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.focused, AppsTree)
        assert editor.text_area.text == "1rRx?/pd" + before and editor.dirty


async def test_alt_digit_jumps_out_of_the_editor(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _edit_schema(app, pilot)
        await pilot.press("alt+4")
        await pilot.pause()
        assert app.focused is app.query_one("#results")
        await pilot.press("alt+2", "question_mark")  # 2 lands on a pane that is not an editor: keys work again
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_ctrl_s_saves_from_the_editor(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        editor = await _edit_schema(app, pilot)
        await pilot.press("end")
        await pilot.press(*"# note", "enter")
        await pilot.pause()
        assert editor.dirty and "●" in str(app.query_one(SourcePane).border_title)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not editor.dirty and editor.path is not None and "# note" in editor.path.read_text()
        assert "●" not in str(app.query_one(SourcePane).border_title)


async def test_quit_with_unsaved_changes_asks(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        editor = await _edit_schema(app, pilot)
        path = editor.path
        assert path is not None
        original = path.read_text()
        await pilot.press("end", *"# keep me")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedModal) and app.is_running
        await pilot.press("escape")  # cancel: still running, edits kept
        await pilot.pause()
        assert not isinstance(app.screen, UnsavedModal) and app.is_running and editor.dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("s")  # save and quit
        await pilot.pause()
    assert path.read_text() != original and "# keep me" in path.read_text()


async def test_quit_discarding_leaves_the_file(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        editor = await _edit_schema(app, pilot)
        path = editor.path
        assert path is not None
        original = path.read_text()
        await pilot.press(*"junk")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
    assert path.read_text() == original


async def test_switching_app_with_unsaved_changes_asks(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        editor = await _edit_schema(app, pilot)
        await pilot.press(*"xyz")
        edited = editor.text_area.text
        await pilot.press("escape", "1")
        await pilot.pause()
        select_app(app, "orders_fail")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedModal)
        await pilot.press("escape")  # cancel: the edited app stays, the cursor goes back to it
        await pilot.pause()
        source = app.query_one(SourcePane)
        assert source.files is not None and source.files.sql_path.stem == "orders_pass"
        assert editor.text_area.text == edited
        assert app.query_one(AppsTree).selected_app().name == "orders_pass"
        select_app(app, "orders_fail")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert source.files.sql_path.stem == "orders_fail" and not editor.dirty


async def test_an_invalid_schema_is_not_saved_on_quit(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        editor = await _edit_schema(app, pilot)
        path = editor.path
        assert path is not None
        original = path.read_text()
        editor.text_area.load_text(original.replace("max: 500", "max: banana"))
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert app.is_running and path.read_text() == original  # not saved, not quit


async def test_footer_shows_each_key_once_everywhere(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        for pane in ("1", "2", "3", "4", "5"):
            await pilot.press(pane)
            await pilot.pause()
            keys = footer_keys(app)
            assert len(keys) == len(set(keys)), (pane, keys)
        app.open_query(app_file(app, "orders_pass"), "orders_out")
        await pilot.pause()
        keys = footer_keys(app)
        assert len(keys) == len(set(keys)) and "r" not in keys  # the main screen's run is off here


async def test_a_saved_schema_marks_every_app_that_reads_it_and_the_next_run_uses_it(suite: Path) -> None:
    """Both apps read orders.schema.yaml. Saving it (here, in the Schema tab) left both ✓/✗ as if their results
    were still the schema's: only a SQL file or a spec was watched. Both are marked ○, one notice says why,
    and the next run generates from the saved schema."""
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        tree = app.query_one(AppsTree)
        files = {f.sql_path.stem: str(f.sql_path) for f in tree.app_files()}
        assert {n: tree.app_node(f).status for n, f in files.items()} == {"orders_fail": "failed",
                                                                          "orders_pass": "passed"}
        editor = await _edit_schema(app, pilot)
        assert editor.path is not None and editor.path.name == "orders.schema.yaml"
        editor.text_area.text = editor.text_area.text.replace("range: {min: 1, max: 500}", "range: {min: 1, max: 50}")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not editor.dirty
        app._check_files()  # the watcher's tick
        await pilot.pause()
        assert {n: tree.app_node(f).status for n, f in files.items()} == {"orders_fail": "stale",
                                                                          "orders_pass": "stale"}
        notes = [n.message for n in app._notifications]
        assert any("orders.schema.yaml changed (read by 2 apps, marked ○)" in m for m in notes), notes
        await pilot.press("escape", "R")
        await wait_run(pilot)
        amounts = [m.value["amount"] for m in app.captured["orders_out"]]
        assert amounts and max(amounts) <= 50
