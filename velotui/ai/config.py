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


def load_ai_config(path: Path | None = None) -> AiConfig:
    path = path or config_file()
    cfg = AiConfig()
    if not path.exists():
        return cfg
    table = tomllib.loads(path.read_text()).get("ai", {})
    for key in ("model", "command", "base_url"):
        if key in table:
            setattr(cfg, key, str(table[key]))
    for key in ("max_tokens", "max_retries", "budget_tokens"):
        if key in table:
            setattr(cfg, key, int(table[key]))
    for key in ("timeout_s", "min_interval_s"):
        if key in table:
            setattr(cfg, key, float(table[key]))
    if "enabled" in table:
        cfg.enabled = bool(table["enabled"])
    return cfg
