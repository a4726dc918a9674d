"""Values and names as the TUI's panes show them: terminal-safe (velotui.terminal: control and bidi
characters escaped), never read as markup, and huge values cut with the cut said (velotui.report.values)."""

from __future__ import annotations

from rich.text import Text

from velotui.report.values import TEXT_WIDTH, short
from velotui.terminal import safe_text


def shown(value: object, *, width: int | None = TEXT_WIDTH, one_line: bool = True) -> Text:
    """A plain Text (no markup) of ``value``: escaped, and cut past ``width`` characters (None: whole)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if width is not None:
        text = short(text, width)
    return Text(safe_text(text, newlines=not one_line))
