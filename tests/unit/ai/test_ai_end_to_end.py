"""The AI path end to end (headless and TUI) against a local fake of the Anthropic API; the API key
never reaches an output file, stdout or stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.ai.fake_anthropic import FakeAnthropic

ROOT = Path(__file__).resolve().parents[3]
KEY = "sk-ant-e2e-SECRET-KEY-987654321"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with FakeAnthropic() as f:
        cfg = tmp_path / "velotui.toml"
        cfg.write_text(f'[ai]\nbase_url = "{f.url}"\nmax_retries = 0\n')
        monkeypatch.setenv("VELOTUI_CONFIG", str(cfg))
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        yield f


def test_headless_explain_report_and_no_key_anywhere(fake: FakeAnthropic, tmp_path: Path) -> None:
    out_json, out_xml = tmp_path / "r.json", tmp_path / "r.xml"
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", "examples/failing/filter_bug", "--explain",
                           "--json", str(out_json), "--junit", str(out_xml), "--seed", "1"],
                          capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=120)
    assert proc.returncode == 1
    report = out_json.read_text()
    assert '"explained_by": "anthropic"' in report and "the boundary" in report
    prompt = fake.requests[0]["body"]["messages"][0]["content"]
    assert "WHERE amount > 100" in prompt and '"order_id":"o2"' in prompt
    for text in (proc.stdout, proc.stderr, report, out_xml.read_text()):
        assert KEY not in text


def test_explain_command_prints_the_model_answer(fake: FakeAnthropic) -> None:
    proc = subprocess.run([sys.executable, "-m", "velotui", "explain", "examples/failing/wrong_join_key"],
                          capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=120)
    assert proc.returncode == 1 and "use >=" in proc.stdout and KEY not in proc.stdout + proc.stderr


async def _explained_in_tui(example: str) -> str:
    """Run an example in the TUI, press x, and return the explanation shown."""
    from velotui.tui.app import VelotuiApp
    from velotui.tui.keymap import TuiConfig
    from velotui.tui.screens.modals import MarkdownModal

    app = VelotuiApp(ROOT / "examples" / "failing" / example, config=TuiConfig(), seed=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MarkdownModal)
        return app.screen.markdown


async def test_tui_explain_renders_the_model_answer(fake: FakeAnthropic) -> None:
    markdown = await _explained_in_tui("filter_bug")
    assert "use >=" in markdown and "Anthropic" in markdown


async def test_tui_explain_on_failing_example_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")
    markdown = await _explained_in_tui("off_by_one_window")
    assert "off by one" in markdown and "offline" in markdown
