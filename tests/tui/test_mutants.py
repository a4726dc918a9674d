"""Mutation testing in the TUI with Textual's Pilot: `m` runs it in a worker on a weak-spec fixture, the
Mutants view fills (scores, counts, every survivor with its diagnosis, diff, line:col, hint and suggested
assertion), the SQL gutter marks the exact lines (● the spec does not look, ○ the data cannot tell),
`enter` jumps to the line, `s` stops a run, and the marks go when the SQL changes or a new run starts.

Real runs on the embedded engine, in the child process the TUI starts for them. The tests that watch a run
while it goes hold every record for a few milliseconds (fault injection's slow_processing), so each mutant
takes a known least time, however fast the engine is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import OptionList

from tests.tui.helpers import SIZE, SMALL, make_app, select_app
from velotui.tui import themes
from velotui.tui.app import VelotuiApp
from velotui.tui.screens.mutants import AppItem, MutantsScreen, MutantsTree, QueryItem, SurvivorItem
from velotui.tui.widgets.apps_tree import AppsTree, QueryNode
from velotui.tui.widgets.source_pane import SourcePane, SqlView

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_mutants"
# the weak spec of big_orders (only `record_count greater_than 0`): on its data_file, seed-independent
SPEC_SURVIVORS = ["M1", "M2", "M3", "M4", "M5"]  # WHERE amount > 100 (line 10), ELSE 'LOW' (line 7)
DATA_SURVIVORS = ["M7", "M8", "M9", "M10"]  # WHEN amount > 500 (line 6): no input at or above 500


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    dest = tmp_path / "mutants"
    shutil.copytree(FIXTURE, dest)
    return dest


def _slow_spec(records: int, delay_ms: int) -> str:
    """The weak spec on generated orders, every record held ``delay_ms`` by the engine (fault injection's
    slow_processing): each run of the app takes at least ``records * delay_ms`` however fast the machine."""
    return f"""\
application: big_orders
queries:
  - name: big_orders
    inputs:
      - source: orders
        schema: orders
        records: {records}
    assertions:
      - type: record_count
        greater_than: 0
fault_injection:
  slow_processing: {{enabled: true, rate: 1.0, min_delay_ms: {delay_ms}, max_delay_ms: {delay_ms}}}
"""


def _slowed(suite: Path, records: int, delay_ms: int) -> Path:
    (suite / "apps" / "schemas").mkdir(exist_ok=True)
    shutil.copy(FIXTURE.parent / "tui_suite" / "apps" / "schemas" / "orders.schema.yaml", suite / "apps" / "schemas")
    (suite / "apps" / "big_orders.test.yaml").write_text(_slow_spec(records, delay_ms))
    return suite


@pytest.fixture
def slow_suite(suite: Path) -> Path:
    """The weak app with every mutant taking at least half a second (20 records held 25 ms each), so a run
    can be watched and stopped half-way (the mutants run in a child process: nothing in this process can
    hold them). A floor in time, not a number of records: a faster engine does not end the run first."""
    return _slowed(suite, 20, 25)


@pytest.fixture
def paced_suite(suite: Path) -> Path:
    """The weak app with every mutant taking at least 0.2 s (20 records held 10 ms each): a new run cannot
    finish a mutant before the test looks at its start."""
    return _slowed(suite, 20, 10)


async def _until(pilot, predicate, what: str, tries: int = 600) -> None:  # type: ignore[no-untyped-def]
    """Let the UI process messages until ``predicate()`` holds (the worker posts them)."""
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def _mutate(pilot, app: VelotuiApp, name: str = "big_orders") -> MutantsScreen:  # type: ignore[no-untyped-def]
    select_app(app, name)
    await pilot.pause()
    await pilot.press("m")
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
    assert isinstance(app.screen, MutantsScreen)
    return app.screen


def _labels(screen: MutantsScreen) -> list[tuple[object, str]]:
    tree = screen.query_one(MutantsTree)
    out = []
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        assert node is not None
        out.append((node.data, str(node.label)))
    return out


def _cursor_to(screen: MutantsScreen, data: object) -> None:
    tree = screen.query_one(MutantsTree)
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data == data:
            tree.cursor_line = line
            return
    raise AssertionError(f"{data} not in the Mutants view")


def _key(suite: Path, name: str) -> str:
    return str((suite / "apps" / f"{name}.sql").resolve())


async def test_m_runs_mutation_testing_and_fills_the_mutants_view(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _mutate(pilot, app)
        session = app.mutation
        assert session is not None and session.state == "done" and session.report is not None
        assert "mutation testing big_orders done: score 16.7% · 1 killed · 5 the spec does not look · 4 the data " \
               "cannot tell" in str(screen.query_one("#mutants-title").render())
        rows = _labels(screen)
        big = _key(suite, "big_orders")
        assert rows[0] == (AppItem(big), "✗ big_orders  16.7%  1 killed · ● 5 · ○ 4")
        assert rows[1] == (QueryItem(big, "big_orders"), "big_orders  16.7%  1 killed · ● 5 · ○ 4")
        survivors = [d.mutant for d, _ in rows if isinstance(d, SurvivorItem)]
        assert survivors == SPEC_SURVIVORS + DATA_SURVIVORS  # the spec-does-not-look ones first
        labels = dict(rows)
        assert labels[SurvivorItem(big, "M3")] == "● M3 10:7 `amount > 100` → `amount >= 100`"
        assert labels[SurvivorItem(big, "M7")] == "○ M7 6:15 `amount > 500` → `amount >= 500`"
        # the app row's detail: the score and what the two kinds of survivor mean
        detail = screen.detail().plain
        assert "mutation score 16.7%" in detail and "10 mutants: 1 killed · 5 the spec does not look · 4 the data " \
               "cannot tell" in detail
        # a survivor the spec does not look at: diagnosis, diff, line:col, first difference, hint, assertion
        _cursor_to(screen, SurvivorItem(big, "M3"))
        await pilot.pause()
        detail = str(screen.query_one("#mutants-detail").render())
        for part in ("● M3 · comparison · the spec does not look", f"{app.mutation.apps[big].file}:10:7",
                     "-  amount > 100", "+  amount >= 100", "first difference: `big_orders` emits",
                     "hint: no assertion distinguishes `amount > 100` from `amount >= 100`",
                     "an assertion that kills it", "type: template",
                     "r.amount is not None and r.amount > 100"):
            assert part in detail, (part, detail)
        # one the data cannot tell: its hint, and no assertion (none can kill it on these inputs)
        _cursor_to(screen, SurvivorItem(big, "M7"))
        await pilot.pause()
        detail = screen.detail().plain
        assert "○ M7 · comparison · the data cannot tell" in detail
        assert "no input record has `amount` = 500" in detail and "an assertion that kills it" not in detail
        assert "better data can" in detail


async def test_mutating_everything_lists_every_app_with_its_score_or_why_not(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.query_one(AppsTree)
        tree.cursor_line = 0  # the folder: every app in it
        await pilot.pause()
        await pilot.press("m")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MutantsScreen)
        apps = {d.file: label for d, label in _labels(screen) if isinstance(d, AppItem) and "cannot mutate:" not in label}
        assert apps[_key(suite, "well_tested")] == "✓ well_tested  100.0%  5 killed · ● 0 · ○ 0"
        assert apps[_key(suite, "fails_now")] == "! fails_now  cannot mutate"
        _cursor_to(screen, AppItem(_key(suite, "fails_now")))
        await pilot.pause()
        assert "cannot mutate: its tests fail on the original SQL (small: record_count" in screen.detail().plain
        assert "score 54.5%" in app.mutation.progress_text()


async def test_the_gutter_marks_the_exact_lines_with_a_mark_per_kind(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _mutate(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
        view = app.query_one(SqlView)
        assert view.path is not None and view.path.name == "big_orders.sql"
        kinds = {line: sorted({m.kind for m in marks}) for line, marks in view.marked_lines.items()}
        assert kinds == {6: ["mutant-data"], 7: ["mutant-spec"], 10: ["mutant-spec"]}
        assert [m.ref for m in view.marks_at(10)] == ["M1", "M3", "M4", "M5"]
        assert [m.ref for m in view.marks_at(6)] == DATA_SURVIVORS
        # what is drawn: the line number, then the lane's glyph in the theme's colour for that kind
        palette = themes.PALETTES[themes.palette_of(app.theme_name)]
        plain_width = len(str(view.document.line_count)) + 2
        assert view.gutter_width == plain_width + 1  # one lane: the mutants'
        drawn = {}
        for y in range(view.size.height):
            strip = view.render_line(y)
            text = "".join(seg.text for seg in strip)
            head = text[:view.gutter_width]
            if head.strip():
                number = head.split()[0]
                glyph_seg = next((seg for seg in strip if seg.text in ("●", "○")), None)
                drawn[int(number)] = (head[-2], glyph_seg.style.color.name if glyph_seg else None)
        assert drawn[6] == ("○", palette["gutter.mutant-data"])
        assert drawn[7] == ("●", palette["gutter.mutant-spec"])
        assert drawn[10] == ("●", palette["gutter.mutant-spec"])
        assert {n: g for n, (g, _) in drawn.items() if g != " "} == {6: "○", 7: "●", 10: "●"}
        # another theme: the marks are drawn in its colours
        for name in ("light", "high-contrast"):
            app.set_theme_name(name)
            await pilot.pause()
            colours = {}
            for y in range(view.size.height):
                strip = view.render_line(y)
                glyph_seg = next((seg for seg in strip if seg.text in ("●", "○")), None)
                if glyph_seg is not None:
                    colours[glyph_seg.text] = glyph_seg.style.color.name
            theirs = themes.PALETTES[themes.palette_of(name)]
            assert colours == {"○": theirs["gutter.mutant-data"], "●": theirs["gutter.mutant-spec"]}, name
        # another app's SQL has no marks, and its gutter is the plain one
        select_app(app, "well_tested")
        await pilot.pause()
        assert view.path.name == "well_tested.sql" and view.marked_lines == {} and view.gutter_width == plain_width
        # back: the marks are still there; the status line says what they are when the cursor is on one
        select_app(app, "big_orders")
        await pilot.pause()
        assert sorted(view.marked_lines) == [6, 7, 10]
        view.focus()
        view.go_to(6)
        await pilot.pause()
        status = str(app.query_one("#status-line").render())
        assert status.startswith("line 6: ○ M7, M8, M9, M10: the data cannot tell") and "M: the Mutants view" in status


async def test_enter_on_a_survivor_jumps_to_its_line_in_the_sql_pane(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _mutate(pilot, app)
        big = _key(suite, "big_orders")
        _cursor_to(screen, SurvivorItem(big, "M2"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, MutantsScreen)
        view = app.query_one(SqlView)
        assert app.query_one(SourcePane).active == "tab-sql" and app.focused is view
        assert view.selection.end == (6, 14)  # line 7, column 15 (`ELSE 'LOW'`)
        assert view.document.get_line(6).strip() == "ELSE 'LOW'"
        status = str(app.query_one("#status-line").render())
        assert status.startswith("line 7: ● M2 the spec does not look: `ELSE 'LOW'` removed")
        # M reopens the view where it was; enter on the app row goes to its first survivor (M1, line 10)
        await pilot.press("M")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MutantsScreen)
        assert screen.query_one(MutantsTree).cursor_node.data == SurvivorItem(big, "M2")
        _cursor_to(screen, AppItem(big))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(SqlView).selection.end == (9, 6)


async def test_enter_jumps_in_the_narrow_layout_too(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SMALL) as pilot:
        screen = await _mutate(pilot, app)
        assert screen.has_class("-narrow")
        _cursor_to(screen, SurvivorItem(_key(suite, "big_orders"), "M8"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_pane == "source" and app.query_one(SqlView).display
        assert app.query_one(SqlView).selection.end == (5, 23)


async def test_the_run_never_blocks_the_ui_shows_progress_and_s_stops_it(slow_suite: Path) -> None:
    app = make_app(slow_suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "big_orders")
        await pilot.pause()
        await pilot.press("m")
        session = app.mutation
        assert session is not None and isinstance(app.screen, MutantsScreen)
        await _until(pilot, lambda: session.done >= 1, "the first mutant", tries=3000)
        # the mutants run in another process; the UI is free: keys work while the run goes
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MutantsScreen)
        await pilot.press("2")
        await pilot.pause()
        assert app.current_pane == "source"
        status = str(app.query_one("#status-line").render())
        assert status.startswith("mutation testing big_orders: ") and "/10 mutants" in status and "survived so far" in status
        await pilot.press("M")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MutantsScreen)
        screen.rebuild()
        assert session.running and session.done < session.total, "the run ended before the test could stop it"
        bar = screen.query_one("#mutants-progress")
        assert bar.display and bar.total == 10 and bar.progress == session.done
        assert f"{session.done}/10 mutants" in str(screen.query_one("#mutants-title").render())
        assert "s Stop" in " ".join(k.key_display + " " + k.description for k in _footer(screen))
        await pilot.press("s")
        await _until(pilot, lambda: not session.running, "the run to stop", tries=3000)
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = session.report
        assert session.state == "stopped" and report is not None and report.cancelled
        ran = [m for m in report.mutants if m.reason != "cancelled"]
        cancelled = [m for m in report.mutants if m.reason == "cancelled"]
        assert len(report.mutants) == 10 and len(ran) >= 1 and cancelled  # the rest were never started
        assert all(m.status == "not_run" for m in cancelled)
        title = str(screen.query_one("#mutants-title").render())
        assert title.startswith(f"mutation testing big_orders stopped at {len(ran)}/10 mutants")
        assert f"{len(cancelled)} not run" in title and not screen.query_one("#mutants-progress").display
        assert session.process is not None and not session.process.is_alive()  # its process is gone
        # what ran still marks the gutter
        lines = {m.line for m in ran if m.survived}
        assert sorted(app.query_one(SqlView).marked_lines) == sorted(lines)


def _footer(screen: MutantsScreen) -> list:  # type: ignore[type-arg]
    from textual.widgets._footer import FooterKey

    return list(screen.query(FooterKey))


async def test_the_marks_go_when_the_sql_changes(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _mutate(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
        view = app.query_one(SqlView)
        assert sorted(view.marked_lines) == [6, 7, 10]
        sql = suite / "apps" / "big_orders.sql"
        sql.write_text("-- a new first line: every line below moves\n" + sql.read_text())
        app._mtimes[sql] = -1.0  # as if the file watcher's last look was before the edit
        app._check_files()
        await pilot.pause()
        assert view.text.startswith("-- a new first line")  # the view shows the file as it is now
        assert view.marked_lines == {} and view.gutter_width == len(str(view.document.line_count)) + 2
        await pilot.press("M")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MutantsScreen)
        label = dict(_labels(screen))[AppItem(_key(suite, "big_orders"))]
        assert label.endswith("(changed since)")
        assert "its SQL or spec changed since this run" in screen.detail().plain


async def test_a_new_run_clears_the_marks_when_it_starts(paced_suite: Path) -> None:
    app = make_app(paced_suite)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _mutate(pilot, app)
        view = app.query_one(SqlView)
        marks = sorted(view.marked_lines)
        assert marks and set(marks) <= {6, 7, 10}  # survivors of the weak spec, on generated orders
        first = app.mutation
        await pilot.press("m")  # the Mutants view's `m`: the same target again
        assert app.mutation is not first and app.screen is screen and screen.session is app.mutation
        assert app.mutation.running and app.mutation.done == 0
        assert view.marked_lines == {}  # gone as the run starts, before any of its mutants finished
        await _until(pilot, lambda: not app.mutation.running, "the new run to end", tries=3000)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sorted(view.marked_lines) == marks


async def test_a_query_is_mutated_alone_and_the_palette_runs_it_too(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("M")  # nothing yet: said, no screen
        await pilot.pause()
        assert not isinstance(app.screen, MutantsScreen)
        assert any("no mutation run yet: m runs mutation testing" in n.message for n in app._notifications)
        tree = app.query_one(AppsTree)
        select_app(app, "well_tested")
        tree.cursor_node.expand()
        await pilot.pause()
        tree.cursor_line += 1
        await pilot.pause()
        assert isinstance(tree.cursor_node.data, QueryNode)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Mutation testing")
        await app.workers.wait_for_complete()
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Mutation testing of the selected app, query or folder (m)" in p for p in prompts), prompts
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MutantsScreen)
        assert app.mutation is not None and app.mutation.label == "well_tested / paid"
        assert app.mutation.query == "paid" and app.mutation.counts()["killed"] == 5


async def test_the_mutation_keys_can_be_rebound(suite: Path) -> None:
    from velotui.tui.keymap import TuiConfig

    app = make_app(suite, config=TuiConfig(keys={"mutate": "f6", "mutants": "f7"}))
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "well_tested")
        await pilot.press("f7")
        await pilot.pause()
        assert any("no mutation run yet: f6 runs mutation testing" in n.message for n in app._notifications)
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MutantsScreen) and app.mutation is not None
        assert app.mutation.state == "done" and app.mutation.label == "well_tested"


async def test_an_app_without_a_spec_is_not_mutated(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "bare.sql").write_text("CREATE STREAM o AS SELECT a FROM i EMIT CHANGES;\n")
    app = make_app(tmp_path / "s")
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "bare")
        await pilot.press("m")
        await pilot.pause()
        assert app.mutation is None and not isinstance(app.screen, MutantsScreen)
        assert any("nothing to mutate: no app with a test spec" in n.message for n in app._notifications)


async def test_a_mutation_process_that_dies_is_said_and_the_ui_stays_usable(slow_suite: Path) -> None:
    import os
    import signal

    app = make_app(slow_suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "big_orders")
        await pilot.press("m")
        session = app.mutation
        assert session is not None
        await _until(pilot, lambda: session.process is not None and session.process.pid is not None, "its process")
        os.kill(session.process.pid, signal.SIGKILL)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert session.state == "failed" and "ended (exit code -9) before its report" in (session.error or "")
        screen = app.screen
        assert isinstance(screen, MutantsScreen)
        assert "mutation testing big_orders failed: the mutation process ended" in \
               str(screen.query_one("#mutants-title").render())
        await pilot.press("escape")
        await pilot.press("m")  # and it runs again
        await _until(pilot, lambda: app.mutation is not session and app.mutation.done >= 1, "a new run", tries=3000)
        app.mutation.stop.set()


async def test_hostile_values_in_the_mutants_view_are_shown_escaped(suite: Path) -> None:
    import json

    data = suite / "apps" / "orders.jsonl"
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for r in rows:
        r["order_id"] = "\x1b[2J\x1b]0;pwned\x07[/]\u202e" + r["order_id"]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _mutate(pilot, app)
        _cursor_to(screen, SurvivorItem(_key(suite, "big_orders"), "M3"))
        await pilot.pause()
        detail = str(screen.query_one("#mutants-detail").render())
        # the record as JSON escapes the controls itself; the bidi override is escaped on the way to the screen
        assert "first difference" in detail and "\\u001b[2J\\u001b]0;pwned\\u0007[/]\\u202eo1" in detail, detail
        texts = [detail, *(label for _, label in _labels(screen)), str(screen.query_one("#mutants-title").render())]
        assert not any(c in t for t in texts for c in "\x1b\x07\u202e")


async def test_the_marks_go_when_e_edits_the_sql(suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editor = tmp_path / "editor.sh"  # an $EDITOR that adds a line at the top of the file it is given
    editor.write_text('#!/bin/sh\nfor f; do :; done\nprintf -- "-- edited\\n" | cat - "$f" > "$f.new" && mv "$f.new" "$f"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await _mutate(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
        view = app.query_one(SqlView)
        assert sorted(view.marked_lines) == [6, 7, 10]
        await pilot.press("e")
        await pilot.pause()
        assert view.text.startswith("-- edited\n") and view.marked_lines == {}
        assert app.mutation is not None and app.mutation.app_for(suite / "apps" / "big_orders.sql").changed


async def test_quitting_during_a_run_ends_its_process(slow_suite: Path) -> None:
    app = make_app(slow_suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "big_orders")
        await pilot.press("m")
        session = app.mutation
        assert session is not None
        await _until(pilot, lambda: session.done >= 1, "the first mutant", tries=3000)
        assert session.running and session.process is not None and session.process.is_alive()
        await pilot.press("ctrl+q")
    assert not session.process.is_alive()


def test_a_row_none_of_whose_mutants_ran_says_only_that() -> None:
    """A stopped run's untouched query shows '3 not run', not a score of nothing and zero counts."""
    from velotui.report.mutation import DATA_CANNOT_TELL, SPEC_DOES_NOT_LOOK
    from velotui.tui.screens.mutants import summary

    none_ran = {"mutants": 3, "killed": 0, SPEC_DOES_NOT_LOOK: 0, DATA_CANNOT_TELL: 0, "not_run": 3}
    assert summary(none_ran, None) == "3 not run"
    some_ran = {"mutants": 3, "killed": 2, SPEC_DOES_NOT_LOOK: 0, DATA_CANNOT_TELL: 0, "not_run": 1}
    text = summary(some_ran, 1.0)
    assert "2 killed" in text and "1 not run" in text and text != "1 not run"
