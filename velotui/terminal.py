"""The one function that makes text safe to show in a terminal (or a report a person reads).

Values and names come from specs, data and the app's outputs: any of them can hold an escape sequence
that would move the cursor, clear the screen or set the window title, or a bidi override that makes text
read differently from what it is. :func:`safe_text` shows every such character escaped, visibly:

- C0 controls and DEL (``\\x00``–``\\x1f``, ``\\x7f``) as ``\\xNN`` — except tab and newline, kept
  unless ``newlines=False`` (a one-line field: a name, a table cell);
- C1 controls (``\\x80``–``\\x9f``) as ``\\xNN``;
- bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and lone surrogates as
  ``\\uNNNN``.

Everything velotui prints to a terminal goes through it: the CLI's consoles (velotui.cli.console), the
text report, and the TUI's panes.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")
_UNSAFE_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def safe_text(text: object, *, newlines: bool = True) -> str:
    """``text`` with every control, bidi and lone-surrogate character shown escaped (see the module)."""
    s = text if isinstance(text, str) else str(text)
    pattern = _UNSAFE if newlines else _UNSAFE_ONE_LINE
    if not pattern.search(s):
        return s
    return pattern.sub(_escape, s)


def is_safe(text: str) -> bool:
    return _UNSAFE.search(text) is None
