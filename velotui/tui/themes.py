"""Themes: the ``.tcss`` files of the ``themes/`` folder. Each names the Textual base theme it builds on
in a first-line comment (``/* base: textual-dark */``) and adds velotui's own rules on top."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

_SOURCE_KEY = "velotui-theme"


def themes_dir() -> Path:
    here = Path(__file__).resolve()
    for cand in (here.parents[2] / "themes", here.parent / "themes"):
        if cand.is_dir():
            return cand
    return here.parents[2] / "themes"


def available() -> list[str]:
    return sorted(p.stem for p in themes_dir().glob("*.tcss"))


def _base_theme(text: str) -> str:
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if first.startswith("/*") and "base:" in first:
        return first.split("base:", 1)[1].split("*/", 1)[0].strip()
    return "textual-dark"


def apply(app: App[object], name: str) -> None:
    """Switch to theme ``name`` (raises ValueError naming the available ones when unknown)."""
    path = themes_dir() / f"{name}.tcss"
    if not path.exists():
        raise ValueError(f"unknown theme {name!r}; available: {', '.join(available())}")
    text = path.read_text()
    sheet = app.stylesheet
    for key in [k for k in sheet.source if k[1] == _SOURCE_KEY]:
        del sheet.source[key]
    sheet.add_source(text, read_from=(str(path), _SOURCE_KEY), is_default_css=False)
    app.theme = _base_theme(text)
    app.refresh_css()
