"""examples/failing: each app fails with exit 1, a message pointing at the wrong expectation, and the
offline explainer names the specific cause."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "off_by_one_window": ("trades.test.yaml:9", "expected record count equals 2, got 3",
                          ["off by one", "3 tumbling window"]),
    "wrong_join_key": ("enrich.test.yaml:8", "join matched 0 of 4 orders records",
                       ["never matches", "ON o.customer_id = c.customer_id"]),
    "filter_bug": ("big_orders.test.yaml:8", "expected record count equals 4, got 2",
                   ["exactly 100", "amount >= 100"]),
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in __import__("os").environ.items() if k != "ANTHROPIC_API_KEY"}
    return subprocess.run([sys.executable, "-m", "velotui", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env=env)


@pytest.mark.parametrize("name", sorted(CASES))
def test_failing_example_exits_1_and_points_at_the_expectation(name: str) -> None:
    where, message, _ = CASES[name]
    proc = _run("--headless", f"examples/failing/{name}", "--seed", "1")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert where in proc.stdout
    assert message in proc.stdout


@pytest.mark.parametrize("name", sorted(CASES))
def test_offline_explanation_names_the_cause(name: str) -> None:
    _, _, phrases = CASES[name]
    proc = _run("explain", f"examples/failing/{name}", "--no-ai", "--seed", "1")
    assert proc.returncode == 1
    for phrase in phrases:
        assert phrase in proc.stdout, proc.stdout


def test_explain_output_is_headed_by_app_query_and_assertion() -> None:
    proc = _run("explain", "examples/failing/filter_bug", "--no-ai", "--seed", "1")
    assert proc.returncode == 1
    headings = [line for line in proc.stdout.splitlines() if line.startswith("# ")]
    assert headings and all(h.count(" / ") == 2 for h in headings), headings
    first = proc.stdout.splitlines()[0]
    assert first.startswith("# ") and first.count(" / ") == 2
    assert ".test.yaml:" in proc.stdout.splitlines()[2]  # then where the assertion is written
