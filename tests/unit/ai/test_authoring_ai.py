"""infer-schema --ai and init --ai against a local fake of the Anthropic API: validated, one retry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.ai.fake_anthropic import FakeAnthropic

ROOT = Path(__file__).resolve().parents[3]
SQL = ROOT / "demo" / "tier1_basic" / "03_filter.sql"
GOOD_SCHEMA = """```yaml
name: simple_records
fields:
  - {name: id, type: uuid}
  - {name: value, type: float, constraints: {range: {min: 0, max: 1000}}}
  - {name: category, type: string, constraints: {enum_values: {values: [A, B]}}}
  - {name: amount, type: integer, constraints: {range: {min: 1, max: 9}}}
```"""


def _run(args: list[str], fake: FakeAnthropic, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "velotui.toml"
    cfg.write_text(f'[ai]\nbase_url = "{fake.url}"\nmax_retries = 0\n')
    env = {**os.environ, "VELOTUI_CONFIG": str(cfg), "ANTHROPIC_API_KEY": "sk-test-authoring"}
    return subprocess.run([sys.executable, "-m", "velotui", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)


def test_infer_schema_ai_uses_the_validated_answer(tmp_path: Path) -> None:
    with FakeAnthropic(GOOD_SCHEMA) as fake:
        proc = _run(["infer-schema", str(SQL), "--ai"], fake, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "enum_values" in proc.stdout and "values:\n      - A\n      - B" in proc.stdout
    assert "WHERE value > 500" in fake.requests[0]["body"]["messages"][0]["content"]


def test_invalid_answer_is_retried_once_then_refused(tmp_path: Path) -> None:
    with FakeAnthropic("```yaml\nname: x\nfields:\n  - {name: a, type: strng}\n```") as fake:
        proc = _run(["init", str(SQL), "--ai"], fake, tmp_path)
    assert proc.returncode == 3
    assert len(fake.requests) == 2
    assert "did not validate" in fake.requests[1]["body"]["messages"][0]["content"]
    assert "did not validate after a retry" in proc.stderr and "sk-test-authoring" not in proc.stderr


def test_ai_without_a_key_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    env["VELOTUI_CONFIG"] = str(tmp_path / "none.toml")
    proc = subprocess.run([sys.executable, "-m", "velotui", "init", str(SQL), "--ai"], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 3 and "--ai needs ANTHROPIC_API_KEY" in proc.stderr
