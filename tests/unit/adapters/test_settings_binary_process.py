"""Engine settings from the config file, finding velo-sql, and stopping a whole process group."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from velotui.adapters.settings import load_engine_settings
from velotui.adapters.velostream.binary import find_binary, version_line
from velotui.adapters.velostream.process import EngineProcess, group_members
from velotui.errors import InfraError, SpecError

STANDIN = Path(__file__).resolve().parents[2] / "fixtures" / "velo_sql" / "velo-sql"


def test_settings_from_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    assert load_engine_settings(cfg).name is None  # no file: defaults
    cfg.write_text('[engine]\nname = "velostream"\n[velostream]\nbin = "/opt/velo-sql"\nquiet_period_s = 0.5\n'
                   "close_windows = false\n")
    s = load_engine_settings(cfg)
    assert (s.name, s.velostream.bin, s.velostream.quiet_period_s, s.velostream.close_windows) == \
        ("velostream", "/opt/velo-sql", 0.5, False)


@pytest.mark.parametrize(("text", "message"), [
    ('[engine]\nname = "flink"\n', "is not an engine"),
    ("[velostream]\nquiet_period = 1\n", "did you mean 'quiet_period_s'"),
    ('[velostream]\nquiet_period_s = "soon"\n', "must be a number of seconds"),
    ('[velostream]\nclose_windows = "yes"\n', "must be true or false"),
    ("[velostream\n", "cannot read the config file"),
])
def test_a_wrong_setting_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(SpecError) as e:
        load_engine_settings(cfg)
    assert message in str(e.value) and e.value.file == str(cfg)


def test_finding_the_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InfraError) as e:
        find_binary()
    assert "velo-sql is not on PATH" in e.value.message and "--velostream-bin" in (e.value.hint or "")
    with pytest.raises(InfraError, match="no such file"):
        find_binary(str(tmp_path / "nope"))
    plain = tmp_path / "plain"
    plain.write_text("x")
    with pytest.raises(InfraError, match="not an executable file"):
        find_binary(str(plain))
    link = tmp_path / "velo-sql"
    link.symlink_to(STANDIN)
    assert find_binary() == link
    assert find_binary(str(STANDIN)) == STANDIN.resolve()


def test_the_version_line_of_the_stand_in() -> None:
    assert version_line(STANDIN).startswith("velo-sql ")


def test_a_binary_that_fails_version_is_an_infra_error(tmp_path: Path) -> None:
    bad = tmp_path / "velo-sql"
    bad.write_text("#!/bin/sh\necho 'no such option' >&2\nexit 2\n")
    bad.chmod(0o755)
    with pytest.raises(InfraError, match="exited 2: no such option"):
        version_line(bad)


def test_stop_ends_the_whole_group_even_a_child_that_ignores_sigint(tmp_path: Path) -> None:
    script = tmp_path / "engine.sh"
    # the leader waits for SIGINT like velo-sql (30 s); its child ignores SIGINT
    script.write_text(f"#!/bin/sh\n{sys.executable} -c 'import signal,time; signal.signal(signal.SIGINT, "
                      "signal.SIG_IGN); time.sleep(600)' &\ntrap 'sleep 30' INT\necho started\nwhile true; do sleep 1; "
                      "done\n")
    script.chmod(0o755)
    proc = EngineProcess([str(script)], cwd=tmp_path, env=dict(os.environ), log_path=tmp_path / "engine.log")
    proc.start()
    deadline = time.monotonic() + 10
    while len(group_members(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    members = group_members(proc.pid)
    assert len(members) >= 2 and proc.pid in members
    assert os.getpgid(proc.pid) == proc.pid != os.getpgid(0)  # its own group: Ctrl-C in our terminal misses it
    t0 = time.monotonic()
    proc.stop(grace_s=0.5)
    assert time.monotonic() - t0 < 5  # the 30 s graceful wait is cut short
    assert group_members(members[0]) == [] and not proc.running()
    for pid in members:  # gone, or a zombie waiting for its (re)parent to reap it
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_process_that_exits_on_sigint_is_not_killed(tmp_path: Path) -> None:
    proc = EngineProcess([sys.executable, "-c", "import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n"
                          "    print('bye', flush=True)"], cwd=tmp_path, env=dict(os.environ),
                         log_path=tmp_path / "engine.log")
    proc.start()
    time.sleep(0.5)
    proc.stop(grace_s=5)
    assert proc.exit_code == 0 and "bye" in (tmp_path / "engine.log").read_text()
