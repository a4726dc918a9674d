"""Choosing an engine on the command line: mistakes a new user makes, and what velotui says."""

from __future__ import annotations

import time

import pytest

from velotui.cli.main import main

DEMO = "demo/tier1_basic/01_passthrough.sql"


def test_velostream_without_the_binary_is_exit_3_before_anything_starts(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(tmp_path))  # no velo-sql anywhere (and no Java: no broker could start)
    t0 = time.monotonic()
    assert main(["--headless", DEMO, "--engine", "velostream"]) == 3
    err = capsys.readouterr().err
    assert "--engine velostream: velo-sql is not on PATH" in err
    assert "cargo build --release --bin velo-sql" in err and "--velostream-bin" in err
    assert time.monotonic() - t0 < 10


def test_a_velostream_bin_that_is_not_there(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--headless", DEMO, "--engine", "velostream", "--velostream-bin", "/opt/nope/velo-sql"]) == 3
    assert "--velostream-bin /opt/nope/velo-sql: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "velostrem"], "--engine velostrem: unknown engine"),
    (["--compare", "embedded"], "--compare embedded: name two different engines"),
    (["--compare", "embedded,embedded"], "name two different engines"),
    (["--compare", "embedded,flink"], "--compare embedded,flink: unknown engine 'flink'"),
    (["--quiet-period", "-1"], "--quiet-period -1.0: must be a number of seconds >= 0"),
])
def test_a_wrong_engine_option_is_exit_2_naming_it(capsys, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    assert main(["--headless", DEMO, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and ("engines: embedded, external, velostream" in err or "seconds" in message
                               or "two different" in message)


def test_a_spec_with_an_unknown_engine_is_refused_at_load(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import shutil

    shutil.copytree("tests/fixtures/velostream_spec_engine", tmp_path / "s")
    spec = tmp_path / "s" / "copy.test.yaml"
    spec.write_text(spec.read_text().replace("engine: velostream", "engine: velostrem"))
    assert main(["validate", str(tmp_path / "s")]) == 2
    out = capsys.readouterr().out
    assert "copy.test.yaml:2" in out and "engine" in out
