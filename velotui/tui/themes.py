"""Themes: the ``.tcss`` files of the ``themes/`` folder. Each names, in a first-line comment, the Textual
base theme it builds on and the syntax palette of its SQL/YAML views (``/* base: textual-dark; syntax:
dark */``) and adds velotui's own rules on top.

The syntax palettes are defined here with explicit colours so that their contrast against the editor's
background (and its cursor line) can be computed: tests/tui/test_themes.py holds every highlighted token
of SQL and YAML, and every kind of gutter mark (``gutter.<kind>``), to WCAG AA (4.5:1) in every theme."""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from textual.app import App
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

from velotui.errors import VelotuiError
from velotui.tui.widgets.gutter import MARK_KINDS

_SOURCE_KEY = "velotui-theme"


class ThemeError(VelotuiError):
    """An unknown theme name (``--theme``, the config file, the palette)."""


def themes_dir() -> Path:
    here = Path(__file__).resolve()
    for cand in (here.parents[2] / "themes", here.parent / "themes"):
        if cand.is_dir():
            return cand
    return here.parents[2] / "themes"


def available() -> list[str]:
    return sorted(p.stem for p in themes_dir().glob("*.tcss"))


def check(name: str, where: str = "--theme") -> str:
    """``name`` if it is a theme; else a ThemeError listing the available ones."""
    names = available()
    if name not in names:
        raise ThemeError(f"{where}: unknown theme {name!r}", hint=f"available themes: {', '.join(names)} "
                         f"(files in {themes_dir()})")
    return name


def _header(text: str) -> dict[str, str]:
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    out: dict[str, str] = {}
    if first.startswith("/*"):
        for part in first.strip("/* ").split(";"):
            key, sep, value = part.partition(":")
            if sep:
                out[key.strip()] = value.strip().rstrip("*/").strip()
    return out


# -- syntax palettes -------------------------------------------------------------------------------
# token group -> colour; every tree-sitter capture of the SQL and YAML highlight queries maps to a group
_GROUPS: dict[str, tuple[str, ...]] = {
    "keyword": ("keyword", "keyword.operator", "conditional", "storageclass", "type.qualifier", "repeat",
                "include", "exception", "keyword.function", "keyword.return", "preproc"),
    "string": ("string", "string.escape", "string.documentation"),
    "number": ("number", "float"),
    "comment": ("comment", "spell"),
    "function": ("function", "function.call", "method", "method.call"),
    "type": ("type", "type.builtin", "attribute"),
    "constant": ("boolean", "constant.builtin", "json.null"),
    "field": ("field", "yaml.field", "parameter", "variable"),
    "operator": ("operator", "punctuation.bracket", "punctuation.delimiter", "punctuation.special"),
    "error": ("error",),
}

PALETTES: dict[str, dict[str, str]] = {
    "dark": {"background": "#1e1e1e", "cursor_line": "#2a2a2a", "selection": "#264f78", "text": "#e0e0e0",
             "gutter": "#9da5b4", "keyword": "#c792ea", "string": "#e6a07a", "number": "#b5cea8",
             "comment": "#8fb573", "function": "#e2d98e", "type": "#4ec9b0", "constant": "#7fd1b9",
             "field": "#9cdcfe", "operator": "#d4d4d4", "error": "#ff7b72",
             "gutter.mutant-spec": "#ff7b72", "gutter.mutant-data": "#e5c07b",
             "gutter.coverage-gap": "#56b6c2"},
    "light": {"background": "#f7f7f7", "cursor_line": "#e8e8e8", "selection": "#c8c8fa", "text": "#1f1f1f",
              "gutter": "#5c5c5c", "keyword": "#a3123a", "string": "#0b4f8a", "number": "#8a3a00",
              "comment": "#4f6b2d", "function": "#5b2fa6", "type": "#00666b", "constant": "#7a3e9d",
              "field": "#1f4d9e", "operator": "#333333", "error": "#b00020",
              "gutter.mutant-spec": "#b00020", "gutter.mutant-data": "#7a4b00",
              "gutter.coverage-gap": "#005f87"},
    "high-contrast": {"background": "#000000", "cursor_line": "#1c1c1c", "selection": "#0050a0",
                      "text": "#ffffff", "gutter": "#d0d0d0", "keyword": "#ffd700", "string": "#7cfc00",
                      "number": "#00ffff", "comment": "#e0e0e0", "function": "#ffffff", "type": "#87cefa",
                      "constant": "#ff9cf0", "field": "#ffffff", "operator": "#ffffff", "error": "#ff8a8a",
                      "gutter.mutant-spec": "#ff8a8a", "gutter.mutant-data": "#ffd700",
                      "gutter.coverage-gap": "#00ffff"},
}


def syntax_theme(palette: str) -> TextAreaTheme:
    p = PALETTES[palette]
    styles: dict[str, Style] = {}
    for group, names in _GROUPS.items():
        for name in names:
            styles[name] = Style(color=p[group], bold=group == "keyword", italic=group == "comment")
    for kind in MARK_KINDS:  # the gutter's marks (velotui.tui.widgets.gutter): every kind has a colour here
        styles[f"gutter.{kind}"] = Style(color=p[f"gutter.{kind}"], bold=True)
    return TextAreaTheme(
        name=f"velotui-{palette}",
        base_style=Style(color=p["text"], bgcolor=p["background"]),
        gutter_style=Style(color=p["gutter"], bgcolor=p["background"]),
        cursor_style=Style(color=p["background"], bgcolor=p["text"]),
        cursor_line_style=Style(bgcolor=p["cursor_line"]),
        cursor_line_gutter_style=Style(color=p["text"], bgcolor=p["cursor_line"]),
        bracket_matching_style=Style(bold=True, underline=True),
        selection_style=Style(bgcolor=p["selection"]),
        syntax_styles=styles,
    )


def palette_of(name: str) -> str:
    """The syntax palette a theme uses (its header's ``syntax:``, else the theme's own name, else dark)."""
    path = themes_dir() / f"{name}.tcss"
    wanted = _header(path.read_text()).get("syntax", name) if path.exists() else name
    return wanted if wanted in PALETTES else "dark"


def style_text_areas(app: App[object], name: str) -> None:
    """Give every TextArea of the app the theme's syntax palette."""
    theme = syntax_theme(palette_of(name))
    for screen in app.screen_stack:
        for ta in screen.query(TextArea):
            ta.register_theme(theme)
            ta.theme = theme.name


def apply(app: App[object], name: str) -> None:
    """Switch to theme ``name`` (raises ThemeError naming the available ones when unknown)."""
    check(name, "theme")
    path = themes_dir() / f"{name}.tcss"
    text = path.read_text()
    sheet = app.stylesheet
    for key in [k for k in sheet.source if k[1] == _SOURCE_KEY]:
        del sheet.source[key]
    sheet.add_source(text, read_from=(str(path), _SOURCE_KEY), is_default_css=False)
    app.theme = _header(text).get("base", "textual-dark")
    app.refresh_css()
    style_text_areas(app, name)
