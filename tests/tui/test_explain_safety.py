"""`x` when the explanation's side goes wrong: whatever the model, a hook or the config does, the app stays up
and the explanation screen says what happened; a model's answer cannot drive the terminal, and a huge one
cannot freeze the UI. The real app, the real SDK, a local fake of the API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.widgets import Markdown

from tests.tui.helpers import SIZE, copy_suite, failure_line, make_app, wait_run
from tests.unit.ai.fake_anthropic import FakeAnthropic
from velotui.tui.screens.modals import SHOWN_MARKDOWN, MarkdownModal
from velotui.tui.widgets.results_tree import ResultsTree


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return copy_suite(tmp_path / "suite")


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, key: bool = True) -> None:
    cfg = tmp_path / "velotui.toml"
    cfg.write_text(text)
    monkeypatch.setenv("VELOTUI_CONFIG", str(cfg))
    if key:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    else:
        monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


async def _explain(suite: Path) -> tuple[MarkdownModal, tuple[str, str, str]]:
    """Run, press x on the failure; the explanation screen, what it drew, the Markdown it rendered, and what
    c copied."""
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_run(pilot)
        await pilot.press("4")
        app.query_one(ResultsTree).cursor_line = failure_line(app, "orders_fail")
        await pilot.pause()
        await pilot.press("x")
        await wait_run(pilot)
        assert app.is_running  # a worker's error would have ended the app
        screen = app.screen
        assert isinstance(screen, MarkdownModal) and not screen.pending
        strips = screen._compositor.render_strips()
        drawn = "".join(seg.text for strip in strips for seg in strip)
        rendered = screen.query_one("#explain-md", Markdown).source
        await pilot.press("c")
        return screen, (drawn, rendered, app.clipboard)


async def test_a_proxy_page_instead_of_an_answer_keeps_the_app_up_and_says_why(
        suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeAnthropic(raw=b"<html>corporate proxy: please log in</html>", content_type="text/html") as fake:
        _config(tmp_path, monkeypatch, f'[ai]\nbase_url = "{fake.url}"\nmax_retries = 0\n')
        screen, _ = await _explain(suite)
    assert "not a message" in screen.markdown and "please log in" in screen.markdown
    assert "explained by the offline explainer" in screen.markdown


async def test_an_answer_with_control_characters_cannot_drive_the_terminal(
        suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evil = "## Cause\n\nthe value \x1b[2J\x1b]52;c;ZXZpbA==\x07 and \u202eesrever\n\n```\n\x1b[5mblink\n```"
    with FakeAnthropic(answer=evil) as fake:
        _config(tmp_path, monkeypatch, f'[ai]\nbase_url = "{fake.url}"\nmax_retries = 0\n')
        screen, (drawn, _, _) = await _explain(suite)
    for c in ("\x1b", "\x07", "\u202e"):
        assert c not in drawn and c not in screen.markdown
    assert "\\x1b[2J" in screen.markdown and "\\u202e" in screen.markdown  # shown escaped, not dropped


async def test_a_huge_hook_answer_is_shown_cut_and_copied_whole(
        suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = tmp_path / "hook.py"
    hook.write_text("import sys\nsys.stdin.read()\nprint('## Cause\\n')\n"
                    "for i in range(20000):\n    print(f'- item {i} ' + 'x' * 60)\n")
    _config(tmp_path, monkeypatch, f'[ai]\ncommand = "{sys.executable} {hook}"\n', key=False)
    screen, (_, shown, clipboard) = await _explain(suite)
    assert len(shown) < SHOWN_MARKDOWN + 300 and "cut here" in shown and "c copies all of it" in shown
    assert "item 19999" in screen.markdown and clipboard == screen.markdown


async def test_a_config_the_explainer_cannot_read_is_said_in_the_explanation(
        suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _config(tmp_path, monkeypatch, '[ai]\nmax_tokens = "lots"\n')
    screen, _ = await _explain(suite)
    assert screen.markdown.startswith("# orders_fail / big_orders / field_values")
    assert "could not be made" in screen.markdown and "[ai] max_tokens must be a whole number" in screen.markdown


async def test_explaining_after_an_edit_sends_the_sql_and_spec_that_ran(
        suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The evidence is the run's: the SQL and the spec as the run read them. After the user edited the SQL
    (the app is marked ○), x sent the edited text as the SQL that failed; after a spec was removed, it could
    not explain at all."""
    with FakeAnthropic() as fake:
        _config(tmp_path, monkeypatch, f'[ai]\nbase_url = "{fake.url}"\nmax_retries = 0\n')
        app = make_app(suite)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("R")
            await wait_run(pilot)
            sql = suite / "apps" / "orders_fail.sql"
            sql.write_text(sql.read_text().replace("WHERE amount > 100", "WHERE amount > 999"))
            (suite / "apps" / "orders_fail.test.yaml").unlink()
            await pilot.press("4")
            app.query_one(ResultsTree).cursor_line = failure_line(app, "orders_fail")
            await pilot.pause()
            await pilot.press("x")
            await wait_run(pilot)
            screen = app.screen
            assert isinstance(screen, MarkdownModal) and "explained by the Anthropic" in screen.markdown
        prompt = fake.requests[0]["body"]["messages"][0]["content"]
    assert "WHERE amount > 100" in prompt and "999" not in prompt
    assert "operator: greater_than" in prompt  # the spec's query entry, as it ran
