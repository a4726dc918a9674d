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

import os
import tomllib
from dataclasses import dataclass
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


def load_ai_config(path: Path | None = None) -> AiConfig:
    """The ``[ai]`` table. A file that is not TOML, or a setting of the wrong type (``enabled = "false"`` is a
    string, which would have turned the model on; ``max_tokens = "lots"``), is a SpecError naming the file
    and the key: never a crash of the explanation, never a setting silently read otherwise."""
    from velotui.errors import SpecError

    path = path or config_file()
    cfg = AiConfig()
    if not path.is_file():
        return cfg
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"the config file is not valid TOML: {e}", file=path,
                        hint="fix the file, or point VELOTUI_CONFIG at another") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read the config file: {e}", file=path) from None
    table = data.get("ai", {})
    if not isinstance(table, dict):
        raise SpecError("[ai] must be a table of settings", file=path, hint="see docs/AI.md, Configuration")
    for key, value in table.items():
        types = _TYPES.get(key)
        if types is None:
            continue  # other settings of [ai] are not the explainer's
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise SpecError(f"[ai] {key} must be {_WORDS[types[-1]]}, not {value!r}", file=path,
                            hint="see docs/AI.md, Configuration")
        if types != (bool,) and types[0] is not str and value < 0:
            raise SpecError(f"[ai] {key} must not be negative, not {value!r}", file=path)
        setattr(cfg, key, float(value) if float in types else value)
    return cfg
