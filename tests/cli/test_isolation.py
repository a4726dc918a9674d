"""One broken spec, one app that times out and one that crashes the engine: all reported, the healthy
app still passes, and the exit code says the worst (2 invalid input > 4 timeout > 1 failure)."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from velotui.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "isolation"


@pytest.fixture(autouse=True)
def _crash_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug of ours inside the engine, for the app named crash: the other apps must not notice."""
    from velotui.engine.driver import StatementRun

    real = StatementRun.run

    def run(self: StatementRun) -> object:
        if self.plan.name == "crash_out":
            raise IsADirectoryError(21, "Is a directory")
        return real(self)

    monkeypatch.setattr(StatementRun, "run", run)


def _run(path: Path, tmp_path: Path, capsys) -> tuple[int, ET.Element, str]:  # type: ignore[no-untyped-def]
    junit = tmp_path / "out.xml"
    rc = main(["--headless", str(path), "--seed", "1", "--junit", str(junit), "-j", "1"])  # the crash is patched in here
    out = capsys.readouterr()
    return rc, ET.parse(junit).getroot(), out.out + out.err


def test_every_app_is_reported(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, root, out = _run(FIXTURE, tmp_path, capsys)
    assert rc == 2
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"healthy", "broken_spec", "slow", "crash"}
    assert suites["healthy"].get("failures") == "0" and suites["healthy"].get("errors") == "0"
    assert "missing required key 'inputs'" in suites["broken_spec"].find("testcase/error").get("message")
    assert "timed out" in suites["slow"].find("testcase/error").get("message")
    assert "engine crashed: IsADirectoryError" in suites["crash"].find("testcase/error").get("message")
    assert "Traceback" not in out  # tracebacks only with --debug


def test_timeout_exit_code_without_invalid_input(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = tmp_path / "suite"
    shutil.copytree(FIXTURE, suite)
    for f in (suite / "apps").glob("broken_spec.*"):
        f.unlink()
    rc, _, _ = _run(suite, tmp_path, capsys)
    assert rc == 4
