"""AI settings: the ``[ai]`` table of the velotui config file (``$VELOTUI_CONFIG`` or
``~/.config/velotui/config.toml``)::

    [ai]
    model = "claude-sonnet-5-5"
    max_tokens = 1500
    timeout_s = 60
    max_retries = 3          # 429 and 5xx are retried with backoff by the SDK
    min_interval_s = 0.0     # rate limit between requests
    budget_tokens = 8000     # evidence budget
    command = ""             # a command hook: evidence JSON on stdin, Markdown on stdout
    enabled = true

The API key is read from ``ANTHROPIC_API_KEY`` only; it is never stored in the config, logged, written
to reports or shown in errors.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL = "claude-sonnet-5-5"


@dataclass
class AiConfig:
    model: str = DEFAULT_MODEL
    max_tokens: int = 1500
    timeout_s: float = 60.0
    max_retries: int = 3
    min_interval_s: float = 0.0
    budget_tokens: int = 8000
    command: str = ""
    enabled: bool = True
    base_url: str | None = None  # for a proxy or a local fake
    warnings: list[str] = field(default_factory=list)  # unknown [ai] settings far from every known one

    @property
    def api_key(self) -> str | None:
        return os.environ.get("ANTHROPIC_API_KEY") or None


def config_file() -> Path:
    env = os.environ.get("VELOTUI_CONFIG")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "velotui" / "config.toml"


_TYPES: dict[str, tuple[type, ...]] = {"model": (str,), "command": (str,), "base_url": (str,),
                                       "max_tokens": (int,), "max_retries": (int,), "budget_tokens": (int,),
                                       "timeout_s": (int, float), "min_interval_s": (int, float), "enabled": (bool,)}
_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def _key_line(text: str, key: str) -> int | None:
    """The line of ``key = …`` in the ``[ai]`` table of the TOML text (tomllib keeps no positions)."""
    table = None
    k = re.escape(key)
    pattern = re.compile(rf"""\s*(?:"|')?{k}(?:"|')?\s*=""")
    for n, line in enumerate(text.splitlines(), 1):
        head = re.match(r"\s*\[+\s*([^\]]+?)\s*\]", line)
        if head:
            table = head.group(1).strip().strip("\"'")
        elif table == "ai" and pattern.match(line):
            return n
        elif table is None and re.match(rf"""\s*ai\s*\.\s*(?:"|')?{k}(?:"|')?\s*=""", line):
            return n
    return None


def unknown_ai_settings(table: dict[str, object], path: Path, text: str) -> tuple[list[object], list[str]]:
    """The ``[ai]`` keys velotui does not read: a key one edit from a known one is a typo (a SpecError naming
    the file, its line and the key it meant: ``modle`` would have run the default model); any other one is
    a warning (``file:line: [ai] unknown setting …``), as an unknown ``[tui]`` setting is."""
    from velotui.errors import SpecError
    from velotui.spec.validation import near_key

    known = sorted(_TYPES)
    typos: list[object] = []
    warnings: list[str] = []
    for key in table:
        if key in _TYPES:
            continue
        line = _key_line(text, key)
        near = near_key(key, known)
        if near is not None:
            typos.append(SpecError(f"[ai] unknown setting {key!r}; did you mean {near!r}?", file=path, line=line,
                                   hint=f"rename it to {near!r} (a key one edit from a known setting is a typo); "
                                        "see docs/AI.md, Configuration"))
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        where = f"{path}:{line}" if line else str(path)
        if key.lower() in ("api_key", "anthropic_api_key", "key"):
            warnings.append(f"{where}: [ai] {key} is not read: the API key is read from ANTHROPIC_API_KEY only "
                            "(remove it from the file)")
            continue
        warnings.append(f"{where}: [ai] unknown setting {key!r} is not read"
                        + (f"; did you mean {close[0]!r}?" if close else f" (settings: {', '.join(known)})"))
    return typos, warnings


def load_ai_config(path: Path | None = None) -> AiConfig:
    """The ``[ai]`` table. A file that is not TOML, or a setting of the wrong type (``enabled = "false"`` is a
    string, which would have turned the model on; ``max_tokens = "lots"``), or an unknown key one edit from
    a setting (``modle``), is a SpecError naming the file and the key: never a crash of the explanation,
    never a setting silently read otherwise. Other unknown keys are ``warnings`` of the config."""
    from velotui.errors import SpecError

    path = path or config_file()
    cfg = AiConfig()
    if not path.is_file():
        return cfg
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"the config file is not valid TOML: {e}", file=path,
                        hint="fix the file, or point VELOTUI_CONFIG at another") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read the config file: {e}", file=path) from None
    table = data.get("ai", {})
    if not isinstance(table, dict):
        raise SpecError("[ai] must be a table of settings", file=path, hint="see docs/AI.md, Configuration")
    typos, cfg.warnings = unknown_ai_settings(table, path, text)
    if typos:
        raise typos[0]  # type: ignore[misc]
    for key, value in table.items():
        types = _TYPES.get(key)
        if types is None:
            continue  # an unknown setting: a typo raised above, any other one a warning
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise SpecError(f"[ai] {key} must be {_WORDS[types[-1]]}, not {value!r}", file=path,
                            hint="see docs/AI.md, Configuration")
        if types != (bool,) and types[0] is not str and value < 0:
            raise SpecError(f"[ai] {key} must not be negative, not {value!r}", file=path)
        setattr(cfg, key, float(value) if float in types else value)
    return cfg
