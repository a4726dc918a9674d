"""The key help: grouped by where keys work, readable key names, every key it lists documented in TUI.md."""

from __future__ import annotations

import re
from pathlib import Path

from tests.tui.helpers import SIZE, app_file, copy_suite, make_app
from velotui.tui.help import help_sections
from velotui.tui.keymap import TuiConfig
from velotui.tui.screens.modals import HelpScreen

DOC = (Path(__file__).resolve().parents[2] / "docs" / "TUI.md").read_text()
RAW_NAMES = re.compile(r"\b(question_mark|slash|full_stop|escape|pageup|pagedown)\b")


def _documented(label: str) -> bool:
    if f"`{label}`" in DOC:
        return True
    return all(f"`{part}`" in DOC for part in label.split(" / "))


async def test_every_key_in_the_help_has_a_line_in_tui_md(tmp_path: Path) -> None:
    app = make_app(copy_suite(tmp_path / "s"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        sections = help_sections(app)
        names = [n for n, _ in sections]
        for wanted in ("Everywhere", "1 Apps", "2 SQL / Schema", "3 Topic tail", "4 Results", "5 Stress",
                       "Moving around", "Failure detail", "Records screen", "Step mode"):
            assert wanted in names, names
        missing = sorted({k for _, rows in sections for k, _, _ in rows if not k.startswith("(") and not _documented(k)})
        assert missing == [], f"keys in the help without a line in docs/TUI.md: {missing}"
        raw = sorted({k for _, rows in sections for k, _, _ in rows if RAW_NAMES.search(k)})
        assert raw == [], f"raw key names in the help: {raw}"


async def test_help_groups_the_screen_on_top_first_and_f1_is_the_pane_alone(tmp_path: Path) -> None:
    app = make_app(copy_suite(tmp_path / "s"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and [n for n, _ in app.screen.sections] == ["4 Results"]
        assert any(k == "a / A" for k, _, _ in app.screen.rows)
        await pilot.press("escape")
        await pilot.pause()
        app.open_query(app_file(app, "orders_pass"), "orders_out")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.sections[0][0] == "Records screen"


async def test_rebound_keys_show_in_the_help(tmp_path: Path) -> None:
    app = make_app(copy_suite(tmp_path / "s"), config=TuiConfig(keys={"run": "f5"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        rows = {i: k for k, _, i in app.screen.rows}
        assert rows["run"] == "f5" and rows["help"] == "?" and rows["filter"] == "/"
