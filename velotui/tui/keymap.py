"""Key bindings: every action has an id; users rebind them in a config file.

Config file: ``$VELOTUI_CONFIG`` or ``~/.config/velotui/config.toml``::

    [keys]
    run = "f5"
    run_all = "ctrl+r"
    [tui]
    tail_limit = 500
    theme = "dark"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.binding import Binding

# (id, default key(s), action, description, show in footer)
ACTIONS: list[tuple[str, str, str, str, bool]] = [
    ("run", "r", "run_selected", "Run", True),
    ("run_all", "R", "run_all", "Run all", True),
    ("explain", "x", "explain", "Explain", True),
    ("edit", "e", "edit", "Edit", True),
    ("open", "enter", "open_selection", "Open", False),
    ("filter", "slash", "filter", "Filter", True),
    ("pause", "p", "toggle_pause", "Pause", False),
    ("stress", "s", "stress", "Stress", True),
    ("compare", "c", "compare", "Compare", False),
    ("debug", "d", "debug", "Step mode", False),
    ("save", "ctrl+s", "save_schema", "Save schema", False),
    ("export", "ctrl+e", "export", "Export", False),
    ("palette", "ctrl+p", "command_palette", "Palette", True),
    ("help", "question_mark", "help", "Keys", True),
    ("help_pane", "f1", "help_pane", "Keys of this pane", False),
    ("quit", "ctrl+q", "quit", "Quit", True),
    ("focus_apps", "1", "focus_pane('apps')", "Apps", False),
    ("focus_source", "2", "focus_pane('source')", "SQL/Schema", False),
    ("focus_tail", "3", "focus_pane('tail')", "Topic tail", False),
    ("focus_results", "4", "focus_pane('results')", "Results", False),
    ("focus_stress", "5", "focus_pane('stress')", "Stress", False),
    ("next_pane", "tab", "app.focus_next", "Next pane", False),
    ("previous_pane", "shift+tab", "app.focus_previous", "Previous pane", False),
    ("theme", "ctrl+t", "cycle_theme", "Theme", False),
]


@dataclass
class TuiConfig:
    keys: dict[str, str] = field(default_factory=dict)  # action id -> keys
    tail_limit: int = 200  # records kept per topic in the tail
    theme: str | None = None
    path: Path | None = None


def config_path() -> Path:
    env = os.environ.get("VELOTUI_CONFIG")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "velotui" / "config.toml"


def load_config(path: Path | None = None) -> TuiConfig:
    path = path or config_path()
    if not path.exists():
        return TuiConfig()
    data = tomllib.loads(path.read_text())
    tui = data.get("tui", {})
    return TuiConfig(keys={str(k): str(v) for k, v in data.get("keys", {}).items()},
                     tail_limit=int(tui.get("tail_limit", 200)), theme=tui.get("theme"), path=path)


def bindings() -> list[Binding]:
    return [Binding(keys, action, desc, show=show, id=id_, priority=id_ in ("quit",))
            for id_, keys, action, desc, show in ACTIONS]
