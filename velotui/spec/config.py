"""Source/sink config files (FORMATS.md §5): ``extends`` chains, ``${VAR:default}``, dotted or nested keys."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from velotui.errors import SpecError
from velotui.spec.yaml_source import read_yaml

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")
BOOTSTRAP_ENV = ("KAFKA_BOOTSTRAP_SERVERS", "VELOSTREAM_KAFKA_BROKERS")


def substitute_env(value: Any, env: dict[str, str] | None = None) -> Any:
    """Replace ``${VAR}`` and ``${VAR:default}`` in every string of ``value``."""
    env = dict(os.environ) if env is None else env
    if isinstance(value, str):
        def repl(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            return m.group(0)

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, env) for v in value]
    return value


def deep_merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in child.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def load_config_file(path: str | Path, *, env: dict[str, str] | None = None,
                     _chain: tuple[Path, ...] = (), _line: int | None = None, _base: Path | None = None) -> dict[str, Any]:
    """Load a config file with its ``extends`` chain merged (child wins) and variables substituted.

    Every file of the chain is opened through the suite's path resolver (velotui.files): an ``extends``
    that leaves the suite is refused at the line that names it."""
    from velotui import files

    where = _chain[-1] if _chain else None
    what = "config 'extends'" if _chain else "config file"
    p = files.resolve(path, base=_base, what=what, named_in=where, line=_line)
    if p in _chain:
        names = " -> ".join(x.name for x in (*_chain, p))
        raise SpecError(f"config 'extends' cycle: {names}", file=_chain[-1], line=_line,
                        hint="remove one of the extends")
    if not p.exists():
        raise SpecError(f"config file not found: {p}", file=where, line=_line,
                        hint="config paths are relative to the file that names them")
    shown = Path(_base) / path if _base is not None and not Path(path).is_absolute() else Path(path)
    doc = read_yaml(shown, what=what, named_in=where, line=_line)
    if doc.data is None:
        raise SpecError("the config file is empty", file=shown, line=1,
                        hint="write its keys (topic: orders, value.format: json, …) or stop naming it")
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error("a config file must be a mapping of keys", ())
    parent = data.pop("extends", None)
    if parent:
        parents = parent if isinstance(parent, list) else [parent]
        merged: dict[str, Any] = {}
        for i, item in enumerate(parents):
            loc = doc.value_loc(("extends", i)) if isinstance(parent, list) else doc.value_loc(("extends",))
            merged = deep_merge(merged, load_config_file(str(item), env=env, _chain=(*_chain, p), _base=p.parent,
                                                         _line=loc[0] if loc else None))
        data = deep_merge(merged, data)
    data = substitute_env(data, env)
    environ = dict(os.environ) if env is None else env
    for var in BOOTSTRAP_ENV:
        if environ.get(var) and not _chain:
            if "bootstrap.servers" in data or "bootstrap" in data:
                data["bootstrap.servers"] = environ[var]
            break
    return data


def config_get(cfg: dict[str, Any], dotted: str, default: Any = None) -> Any:
    """Read ``a.b.c`` from a config whether it is written dotted (``a.b.c: x``) or nested."""
    if dotted in cfg:
        return cfg[dotted]
    parts = dotted.split(".")
    for i in range(1, len(parts)):
        head, rest = ".".join(parts[:i]), ".".join(parts[i:])
        node = cfg.get(head)
        if isinstance(node, dict):
            found = config_get(node, rest, _MISSING)
            if found is not _MISSING:
                return found
    return default


_MISSING = object()
