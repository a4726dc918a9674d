"""Key bindings: every action has an id; users rebind them in a config file.

Config file: ``$VELOTUI_CONFIG`` or ``~/.config/velotui/config.toml``::

    [keys]
    run = "f5"
    run_all = "ctrl+r"
    [tui]
    tail_limit = 500
    theme = "dark"
    export_dir = "~/velotui-exports"

An unknown action id, a key bound to two actions, or an unknown ``[tui]`` setting is a warning (shown when
the UI starts) naming the config file and the closest known name; a file that is not TOML is an error. The
unknown ``[ai]`` settings (velotui.ai.config) are said when the UI starts too.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from textual.binding import Binding
from textual.keys import _character_to_key, _normalize_key_list, format_key, key_to_character

from velotui.errors import SpecError


class Action(NamedTuple):
    id: str
    keys: str  # default key(s), comma separated
    action: str  # the Textual action it runs
    description: str
    show: bool  # shown in the footer
    group: str = "Everywhere"  # where it works (the help screen's sections)


# app-wide actions; pane and screen keys are declared by their widgets (they show in `?` under the pane)
ACTIONS: list[Action] = [
    Action("run", "r", "run_selected", "Run", True, "Run"),
    Action("run_all", "R", "run_all", "Run all", True, "Run"),
    Action("explain", "x", "explain", "Explain", True, "Failures"),
    Action("zoom", "z", "zoom", "Zoom", False, "Failures"),
    Action("approve", "a", "approve", "Approve golden", False, "Failures"),
    Action("approve_all", "A", "approve_all", "Approve all golden", False, "Failures"),
    Action("copy", "c", "copy", "Copy", False, "Failures"),
    Action("edit", "e", "edit", "Edit", True, "Files"),
    Action("open", "enter", "open_selection", "Open", False, "Panes"),
    Action("filter", "slash", "filter", "Search", True, "Panes"),
    Action("pause", "p", "toggle_pause", "Pause tail", False, "Run"),
    Action("stress", "s", "stress", "Stress", True, "Run"),
    Action("debug", "d", "debug", "Step mode", False, "Run"),
    Action("compare", "C", "compare", "Compare view", False, "Run"),
    Action("mutate", "m", "mutate_selected", "Mutation testing", False, "Run"),
    Action("mutants", "M", "mutants", "Mutants view", False, "Run"),
    Action("coverage", "v", "run_coverage", "Run with coverage", False, "Run"),
    Action("export", "ctrl+e", "export", "Export report", False, "Files"),
    Action("palette", "ctrl+p", "command_palette", "Palette", False),
    Action("help", "question_mark", "help", "Keys", True),
    Action("help_pane", "f1", "help_pane", "Keys of this pane", False),
    Action("quit", "ctrl+q", "quit", "Quit", True),
    Action("focus_apps", "1,alt+1", "focus_pane('apps')", "Apps pane", False, "Panes"),
    Action("focus_source", "2,alt+2", "focus_pane('source')", "SQL / Schema pane", False, "Panes"),
    Action("focus_tail", "3,alt+3", "focus_pane('tail')", "Topic tail pane", False, "Panes"),
    Action("focus_results", "4,alt+4", "focus_pane('results')", "Results pane", False, "Panes"),
    Action("focus_stress", "5,alt+5", "focus_pane('stress')", "Stress pane", False, "Panes"),
    Action("next_pane", "tab", "next_pane", "Next pane", False, "Panes"),
    Action("previous_pane", "shift+tab", "previous_pane", "Previous pane", False, "Panes"),
    Action("theme", "ctrl+t", "cycle_theme", "Next theme", False),
]

# actions bound by a widget or screen (their ids can be rebound too)
WIDGET_ACTIONS: list[Action] = [
    Action("save", "ctrl+s", "save", "Save schema", True, "SQL / Schema"),
    Action("leave_editor", "escape", "leave", "Leave editor", True, "SQL / Schema"),
    Action("next_match", "n", "next_match", "Next match", False, "SQL / Schema"),
]

TUI_SETTINGS = {"tail_limit", "theme", "export_dir"}
CONFIG_TABLES = {"keys", "tui", "ai"}


@dataclass
class TuiConfig:
    keys: dict[str, str] = field(default_factory=dict)  # action id -> keys
    tail_limit: int = 200  # records kept per topic in the tail
    theme: str | None = None
    export_dir: Path | None = None
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)


def config_path() -> Path:
    env = os.environ.get("VELOTUI_CONFIG")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "velotui" / "config.toml"


def _did_you_mean(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def key_label(key: str) -> str:
    """A key as people write it: ``?`` not ``question_mark``, ``ctrl+s``, ``shift+tab``, ``esc``."""
    *mods, base = key.split("+")
    names = {"escape": "esc", "enter": "enter", "tab": "tab", "space": "space", "backspace": "backspace",
             "delete": "delete", "up": "↑", "down": "↓", "left": "←", "right": "→", "pageup": "pgup",
             "pagedown": "pgdn", "home": "home", "end": "end"}
    shown = names.get(base) or (base if len(base) == 1 or re.fullmatch(r"f\d+", base) else format_key(base))
    return "+".join([*mods, shown])


_PRINTABLE_KEYS = {_character_to_key(chr(c)) for c in range(32, 127)}  # Textual's names of printable ASCII


def is_printable(key: str) -> bool:
    """A key an editor types (a letter, a digit, ``?``, ``/``, space): never a pane key while editing."""
    if key in _PRINTABLE_KEYS:
        return True
    ch = key_to_character(key)
    return ch is not None and len(ch) == 1 and ch.isprintable()


def _all_actions() -> dict[str, Action]:
    return {a.id: a for a in [*ACTIONS, *WIDGET_ACTIONS]}


def conflicts(keys: dict[str, str]) -> list[str]:
    """Keys bound to two app-wide actions once the overrides in ``keys`` apply."""
    by_key: dict[str, list[str]] = {}
    for a in ACTIONS:
        for k in _normalize_key_list(keys.get(a.id, a.keys)).split(","):
            by_key.setdefault(k.strip(), []).append(a.id)
    return [f"key {key_label(k)!r} is bound to {' and '.join(ids)}; only {ids[0]} will run"
            for k, ids in by_key.items() if len(ids) > 1]


def _toml_error(path: Path, e: tomllib.TOMLDecodeError) -> SpecError:
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
    msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
    return SpecError(f"config file is not valid TOML: {msg}", file=path, line=int(m.group(1)) if m else None,
                     column=int(m.group(2)) if m else None, hint="fix the line, or point $VELOTUI_CONFIG elsewhere")


def load_config(path: Path | None = None) -> TuiConfig:
    """The TUI settings and key overrides; problems a user can live with are ``warnings``."""
    path = path or config_path()
    if not path.is_file():
        return TuiConfig()
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _toml_error(path, e) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read the config file: {e}", file=path) from None
    cfg = TuiConfig(path=path)
    warn = cfg.warnings.append
    for table in data:
        if table not in CONFIG_TABLES:
            warn(f"{path}: unknown table [{table}]{_did_you_mean(table, CONFIG_TABLES)}; known: "
                 + ", ".join(f"[{t}]" for t in sorted(CONFIG_TABLES)))
    known = _all_actions()
    for action_id, value in (data.get("keys") or {}).items():
        if action_id not in known:
            warn(f"{path}: [keys] unknown action {action_id!r}{_did_you_mean(action_id, set(known))}; "
                 "the action ids are in docs/TUI.md")
        elif not isinstance(value, str) or not value.strip():
            warn(f"{path}: [keys] {action_id} must be a key name like \"f5\" or \"ctrl+r\", not {value!r}")
        else:
            cfg.keys[action_id] = value
    for problem in conflicts(cfg.keys):
        warn(f"{path}: [keys] {problem}")
    tui = data.get("tui") or {}
    for key in tui:
        if key not in TUI_SETTINGS:
            warn(f"{path}: [tui] unknown setting {key!r}{_did_you_mean(key, TUI_SETTINGS)}")
    ai = data.get("ai")
    if isinstance(ai, dict):  # the explainer refuses a typo of [ai] (an error when x explains); said at start too
        from velotui.ai.config import unknown_ai_settings

        typos, far = unknown_ai_settings(ai, path, text)
        for typo in typos:
            warn(f"error: {typo} (x explains nothing until it is fixed)")
        for w in far:
            warn(w)
    if "tail_limit" in tui:
        v = tui["tail_limit"]
        if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1_000_000:
            cfg.tail_limit = v
        else:
            warn(f"{path}: [tui] tail_limit must be a whole number from 1 to 1000000, not {v!r}; using 200")
    if "theme" in tui:
        cfg.theme = str(tui["theme"])
    if "export_dir" in tui:
        cfg.export_dir = Path(os.path.expanduser(str(tui["export_dir"])))
    return cfg


def bindings() -> list[Binding]:
    return [Binding(a.keys, a.action, a.description, show=a.show, id=a.id, priority=a.id in ("quit",))
            for a in ACTIONS]


def widget_binding(action_id: str, **kw: object) -> Binding:
    a = _all_actions()[action_id]
    return Binding(a.keys, a.action, a.description, show=a.show, id=a.id, **kw)  # type: ignore[arg-type]
