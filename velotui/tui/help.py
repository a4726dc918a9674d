"""The key help (`?`, F1): every key that works, grouped by where it works, with readable key names.

Generated from the bindings themselves (velotui's actions with the config's overrides, and each pane's and
screen's widget classes), so it cannot drift from what the keys do; tests/tui/test_help.py holds every key
it lists to a line in docs/TUI.md."""

from __future__ import annotations

from typing import Any

from textual.widget import Widget

from velotui.tui.keymap import key_label
from velotui.tui.screens.modals import HelpRow

# keys every list, tree, table and text view shares: listed once, in their own section
NAVIGATION = {"up", "down", "left", "right", "pageup", "pagedown", "home", "end", "ctrl+pageup", "ctrl+pagedown",
              "ctrl+home", "ctrl+end"}
NAVIGATION_ROWS: list[HelpRow] = [
    ("↑ / ↓", "move the cursor (scroll a view)", ""),
    ("← / →", "scroll sideways; in a tab bar, the previous / next tab", ""),
    ("pgup / pgdn", "a page up / down", ""),
    ("home / end", "to the top / bottom (in an editor: the line's start / end)", ""),
    ("ctrl+pgup / ctrl+pgdn", "a page left / right", ""),
    ("ctrl+home / ctrl+end", "to the first / last row of a table", ""),
    ("ctrl+c", "copy the selected text (an editor, an input line)", ""),
]
GROUPS = ["Everywhere", "Panes", "Run", "Failures", "Files"]


def class_rows(*classes: type[Widget], skip: set[str] | None = None,
               describe: dict[str, str] | None = None) -> list[HelpRow]:
    """The bindings of widget classes (inherited ones too), without the shared navigation keys and the keys
    every screen has; keys that do the same thing share a row (``esc / q``)."""
    from textual.screen import ModalScreen, Screen

    skip = NAVIGATION | set(Screen._merge_bindings().key_to_bindings) | set(
        ModalScreen._merge_bindings().key_to_bindings) | (skip or set())
    describe = describe or {}
    rows: dict[str, list[str]] = {}  # description -> key labels
    ids: dict[str, str] = {}
    seen: set[str] = set()
    for cls in classes:
        for key, bindings in cls._merge_bindings().key_to_bindings.items():
            if key in skip or key in seen:
                continue
            seen.add(key)
            b = bindings[0]
            text = describe.get(key) or b.description or b.action
            rows.setdefault(text, []).append(key_label(key))
            ids.setdefault(text, b.id or "")
    return [(" / ".join(keys), text, ids[text]) for text, keys in rows.items()]


def _pane_sections(app: Any) -> dict[str, tuple[str, list[HelpRow]]]:
    from textual.widgets import Select, TextArea

    from velotui.tui.app import TITLES
    from velotui.tui.widgets.apps_tree import AppsTree
    from velotui.tui.widgets.results_tree import ResultsTree

    tree_extra: list[HelpRow] = [("space", "fold / unfold the node", "")]
    velotui_keys = {"ctrl+s", "escape", "n"}
    return {
        "apps": (TITLES["apps"], [*class_rows(AppsTree, skip={"space"}, describe={
            "enter": "an app: fold / unfold; a query that ran: its records"}), *tree_extra]),
        "source": (TITLES["source"], [
            *app.widget_rows({"save", "leave_editor", "next_match"}),
            *class_rows(Select, describe={"enter": "the schema file menu", "space": "the schema file menu"}),
            ("(schema editor)", "every printable key types; the keys below edit", ""),
            *class_rows(TextArea, skip=velotui_keys),
        ]),
        "tail": (TITLES["tail"], [("/", "filter the tail (! inverts); the title shows the filter", "filter"),
                                  ("p", "pause / resume: the lines stay, new records wait (also across runs)",
                                   "pause")]),
        "results": (TITLES["results"], [
            ("enter", "a failure: its detail (golden: the diff); a query: its records", "open"),
            ("z", "the failure under the cursor, full width", "zoom"),
            ("x", "explain the failure under the cursor (a query or app row: its first failure)", "explain"),
            ("a / A", "approve the golden output of this query / of the whole run", "approve"),
            *class_rows(ResultsTree, skip={"space", "enter"}), *tree_extra]),
        "stress": (TITLES["stress"], [("s", "stress the selected app; the headline keeps the last result",
                                       "stress")]),
    }


def _screen_sections() -> list[tuple[str, type[Widget]]]:
    from velotui.tui.screens.debug import DebugScreen
    from velotui.tui.screens.failure import FailureScreen
    from velotui.tui.screens.modals import MarkdownModal, UnsavedModal
    from velotui.tui.screens.mutants import MutantsScreen
    from velotui.tui.screens.records import RecordDetail, RecordsScreen

    return [("Failure detail", FailureScreen), ("Records screen", RecordsScreen), ("Record detail", RecordDetail),
            ("Explanation", MarkdownModal), ("Step mode", DebugScreen), ("Mutants view", MutantsScreen),
            ("Unsaved changes", UnsavedModal)]


def _global_sections(app: Any) -> list[tuple[str, list[HelpRow]]]:
    from velotui.tui.keymap import ACTIONS

    group_of = {a.id: a.group for a in ACTIONS}
    out = []
    for group in GROUPS:
        rows = [r for r in app.binding_rows() if group_of.get(r[2]) == group]
        if rows:
            out.append((group if group != "Everywhere" else "Everywhere", rows))
    return out


def help_sections(app: Any) -> list[tuple[str, list[HelpRow]]]:
    """Everything: the screen on top first (when it is not the main one), the app-wide keys, each pane, the
    shared navigation keys, then the other screens."""
    screens = _screen_sections()
    top = app.screen
    first: list[tuple[str, list[HelpRow]]] = []
    rest: list[tuple[str, list[HelpRow]]] = []
    for name, cls in screens:
        rows = class_rows(cls)
        (first if isinstance(top, cls) else rest).append((name, rows))
    panes = list(_pane_sections(app).values())
    return [*first, *_global_sections(app), *panes, ("Moving around", NAVIGATION_ROWS), *rest]


def pane_section(app: Any) -> tuple[str, list[HelpRow]] | None:
    """F1: the focused pane's keys (or the screen on top's)."""
    if app.screen is not app.screen_stack[0]:
        for name, cls in _screen_sections():
            if isinstance(app.screen, cls):
                return name, class_rows(cls)
        return None
    pane = app.focused_pane
    return _pane_sections(app).get(pane) if pane else None
