"""Data coverage in the TUI with Textual's Pilot: `v` runs the selection counting coverage, the SQL gutter
marks (◇, the coverage lane) the exact lines of the items its inputs did not cover, in every theme's
colour; the status line says which and why; a plain run clears them; a spec that requires coverage marks
on every run. Real runs on the embedded engine of tests/fixtures/coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.tui.helpers import SIZE, make_app, select_app, wait_run
from velotui.tui import themes
from velotui.tui.widgets.source_pane import SourcePane, SqlView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coverage"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    dest = tmp_path / "suite"
    for sub in ("schemas", "data", "unreached_arm", "required_fail"):
        shutil.copytree(FIXTURES / sub, dest / sub)
    (dest / "required_fail" / "tiers.sql").rename(dest / "required_fail" / "tiers_required.sql")
    (dest / "required_fail" / "tiers.test.yaml").rename(dest / "required_fail" / "tiers_required.test.yaml")
    spec = dest / "required_fail" / "tiers_required.test.yaml"
    spec.write_text(spec.read_text().replace("application: tiers", "application: tiers_required"))
    sql = dest / "required_fail" / "tiers_required.sql"
    sql.write_text(sql.read_text().replace("-- @app: tiers", "-- @app: tiers_required"))
    return dest


def _glyphs(view: SqlView) -> dict[int, tuple[str, str | None]]:
    """line number -> (the glyph drawn right of it, its colour), for the lines on screen."""
    drawn = {}
    for y in range(view.size.height):
        strip = view.render_line(y)
        text = "".join(seg.text for seg in strip)
        head = text[:view.gutter_width]
        if head.strip():
            seg = next((s for s in strip if s.text == "◇"), None)
            drawn[int(head.split()[0])] = (head[-2], seg.style.color.name if seg is not None else None)
    return drawn


async def test_v_marks_every_uncovered_item_on_its_line(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "tiers")
        await pilot.pause()
        await pilot.press("v")
        await wait_run(pilot)
        view = app.query_one(SqlView)
        assert view.path is not None and view.path.name == "tiers.sql"
        assert {line: [m.ref for m in marks] for line, marks in view.marked_lines.items()} == \
            {6: ["C1"], 9: ["C4"], 11: ["C6"]}
        assert {m.kind for marks in view.marked_lines.values() for m in marks} == {"coverage-gap"}
        plain = len(str(view.document.line_count)) + 2
        assert view.gutter_width == plain + 1  # one lane: coverage
        palette = themes.PALETTES[themes.palette_of(app.theme_name)]
        drawn = _glyphs(view)
        assert {n: g for n, (g, _) in drawn.items() if g != " "} == {6: "◇", 9: "◇", 11: "◇"}
        assert drawn[6][1] == palette["gutter.coverage-gap"]
        for name in ("light", "high-contrast"):
            app.set_theme_name(name)
            await pilot.pause()
            assert _glyphs(view)[9][1] == themes.PALETTES[themes.palette_of(name)]["gutter.coverage-gap"], name
        view.focus()
        view.go_to(6)
        await pilot.pause()
        status = str(app.query_one("#status-line").render())
        assert status.startswith("line 6: ◇ C1 CASE arm `WHEN amount * quantity > 100000 THEN 'platinum'` never taken")
        assert "amount max 100 × quantity max 10 gives at most 1000" in status and "v: run with coverage again" in status
        # a plain run counts no coverage here: the marks of the last one go
        select_app(app, "tiers")
        await pilot.pause()
        await pilot.press("r")
        await wait_run(pilot)
        assert view.marked_lines == {} and view.gutter_width == plain


async def test_a_spec_that_requires_coverage_marks_on_a_plain_run(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "tiers_required")
        await pilot.pause()
        await pilot.press("r")
        await wait_run(pilot)
        view = app.query_one(SqlView)
        assert view.path is not None and view.path.name == "tiers_required.sql"
        assert sorted(view.marked_lines) == [6, 9, 11]
        assert app.report is not None and app.report.apps[0].queries[0].status == "failed"


async def test_marks_belong_to_the_text_the_run_read(suite: Path) -> None:
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "tiers")
        await pilot.pause()
        await pilot.press("v")
        await wait_run(pilot)
        view = app.query_one(SqlView)
        assert sorted(view.marked_lines) == [6, 9, 11]
        sql = suite / "unreached_arm" / "tiers.sql"
        sql.write_text("-- a line above everything\n" + sql.read_text())
        app.query_one(SourcePane).reload_views()  # what the TUI does when it sees the file change
        await pilot.pause()
        assert view.marked_lines == {}
