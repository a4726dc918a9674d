"""Engine settings: the ``[engine]`` and ``[velostream]`` tables of the velotui config file
(``$VELOTUI_CONFIG`` or ``~/.config/velotui/config.toml``), under the command line's options::

    [engine]
    name = "velostream"            # the engine when neither --engine nor a spec's `engine:` says

    [velostream]
    bin = "/opt/velostream/target/release/velo-sql"   # else velo-sql on PATH (--velostream-bin)
    quiet_period_s = 1.5           # sink end offsets unchanged this long = done (--quiet-period)
    stop_grace_s = 0.5             # after SIGINT, then SIGKILL to the engine's process group
    close_windows = true           # add a closing record so the last windows are emitted (D18)
    metrics_args = "--enable-metrics --metrics-port {port}"   # when a spec checks metrics
    extra_args = ""                # appended to every deploy-app command
    rust_log = "info"              # RUST_LOG for the engine (the consumption lines are at INFO)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from velotui.errors import SpecError


@dataclass
class VelostreamSettings:
    bin: str | None = None
    quiet_period_s: float = 1.5
    stop_grace_s: float = 0.5
    close_windows: bool = True
    metrics_args: str = "--enable-metrics --metrics-port {port}"
    extra_args: str = ""
    rust_log: str = "info"
    artifacts: Path | None = None  # --artifacts: keep every staged folder here (else failures only, in $TMPDIR)


@dataclass
class EngineSettings:
    name: str | None = None  # the default engine from the config file
    velostream: VelostreamSettings = field(default_factory=VelostreamSettings)
    source: Path | None = None  # the config file read


def config_file() -> Path:
    env = os.environ.get("VELOTUI_CONFIG")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "velotui" / "config.toml"


def load_engine_settings(path: Path | None = None) -> EngineSettings:
    """The config file's engine settings (defaults when there is no file); a wrong value is a SpecError
    naming the file and the key."""
    path = path or config_file()
    out = EngineSettings()
    if not path.is_file():
        return out
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as e:
        raise SpecError(f"cannot read the config file: {e}", file=path) from None
    engine = data.get("engine", {})
    if not isinstance(engine, dict):
        raise SpecError("[engine] must be a table", file=path)
    if "name" in engine:
        from velotui.adapters import engine_names

        if engine["name"] not in engine_names():
            raise SpecError(f"[engine] name = {engine['name']!r} is not an engine", file=path,
                            hint="engines: " + ", ".join(engine_names()))
        out.name = str(engine["name"])
    table = data.get("velostream", {})
    if not isinstance(table, dict):
        raise SpecError("[velostream] must be a table", file=path)
    known = {f.name: f for f in fields(VelostreamSettings) if f.name != "artifacts"}
    for key, value in table.items():
        if key not in known:
            import difflib

            close = difflib.get_close_matches(key, list(known), n=1)
            raise SpecError(f"[velostream] has no key {key!r}", file=path,
                            hint=(f"did you mean {close[0]!r}? " if close else "") + "keys: " + ", ".join(known))
        setattr(out.velostream, key, _typed(key, value, known[key].type, path))
    out.source = path
    return out


def _typed(key: str, value: Any, kind: Any, path: Path) -> Any:
    text = str(kind)
    if "float" in text:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise SpecError(f"[velostream] {key} must be a number of seconds >= 0, not {value!r}", file=path)
        return float(value)
    if "bool" in text:
        if not isinstance(value, bool):
            raise SpecError(f"[velostream] {key} must be true or false, not {value!r}", file=path)
        return value
    if not isinstance(value, str):
        raise SpecError(f"[velostream] {key} must be a string, not {value!r}", file=path)
    return value
