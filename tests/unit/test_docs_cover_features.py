"""Every assertion type has a line in docs/ASSERTIONS.md and every SQL function one in docs/SQL.md."""

from __future__ import annotations

import re
from pathlib import Path

from velotui.assertions import ASSERTION_TYPES
from velotui.engine.expr import AGGREGATES, FUNCTIONS, WINDOW_FUNCTIONS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_assertion_type_is_documented() -> None:
    text = (DOCS / "ASSERTIONS.md").read_text()
    assert sorted(t for t in ASSERTION_TYPES if f"`{t}`" not in text) == []


def test_every_sql_function_is_documented() -> None:
    """Every name of the function registry (aliases included), every aggregate and window function."""
    text = (DOCS / "SQL.md").read_text()
    names = set(FUNCTIONS) | set(AGGREGATES) | set(WINDOW_FUNCTIONS)
    assert sorted(f for f in names if not re.search(rf"\b{re.escape(f)}\b", text)) == []


def test_every_tui_action_is_documented() -> None:
    from velotui.tui.keymap import ACTIONS

    text = (DOCS / "TUI.md").read_text()
    assert sorted(a[0] for a in ACTIONS if f"`{a[0]}`" not in text) == []
