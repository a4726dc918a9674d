"""Every theme's SQL (and YAML) highlighting is readable: each token colour is computed against the editor's
background and its cursor line, and must reach WCAG AA (4.5:1; the high-contrast theme AAA, 7:1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import Color

from tests.tui.helpers import SIZE, copy_suite, make_app, select_app
from velotui.tui import themes
from velotui.tui.widgets.source_pane import SchemaEditor, SourcePane, SqlView

HIGHLIGHTS = Path(__import__("textual").__file__).parent / "tree-sitter" / "highlights"


def _captures(language: str) -> set[str]:
    import re

    return set(re.findall(r"@([a-z][a-z._]*)", (HIGHLIGHTS / f"{language}.scm").read_text()))


def _luminance(c: Color) -> float:
    r, g, b = c.get_truecolor()

    def lin(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: Color, b: Color) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", themes.available())
async def test_syntax_highlighting_contrast(theme: str, tmp_path: Path) -> None:
    app = make_app(copy_suite(tmp_path / "s"), theme_name=theme)
    floor = 7.0 if theme == "high-contrast" else 4.5
    async with app.run_test(size=SIZE) as pilot:
        select_app(app, "orders_pass")
        app.query_one(SourcePane).active = "tab-schema"
        await pilot.pause()
        for widget, language in ((app.query_one(SqlView), "sql"), (app.query_one(SchemaEditor).text_area, "yaml")):
            t = widget._theme  # what the widget renders with (after the theme's CSS applied)
            assert t.name == f"velotui-{themes.palette_of(theme)}"
            base = t.base_style
            assert base is not None and base.bgcolor is not None and base.color is not None
            backgrounds = [base.bgcolor]
            if t.cursor_line_style is not None and t.cursor_line_style.bgcolor is not None:
                backgrounds.append(t.cursor_line_style.bgcolor)
            names = _captures(language)
            assert names, language
            low = []
            for name in sorted(names):
                style = t.syntax_styles.get(name)
                fg = style.color if style is not None and style.color is not None else base.color
                for bg in backgrounds:
                    ratio = contrast(fg, bg)
                    if ratio < floor:
                        low.append(f"{name}: {ratio:.2f}")
            assert low == [], f"{theme}/{language}: {low}"
            assert contrast(base.color, base.bgcolor) >= floor


async def test_switching_theme_restyles_the_editors(tmp_path: Path) -> None:
    app = make_app(copy_suite(tmp_path / "s"))
    async with app.run_test(size=SIZE) as pilot:
        app.set_theme_name("light")
        await pilot.pause()
        assert app.query_one(SqlView)._theme.name == "velotui-light"
        assert app.query_one(SchemaEditor).text_area._theme.name == "velotui-light"
        app.set_theme_name("nope")
        await pilot.pause()
        assert app.theme_name == "light"  # an unknown name is an error message, not a crash
        assert any("unknown theme 'nope'" in n.message for n in app._notifications)


@pytest.mark.parametrize("theme", themes.available())
async def test_gutter_marks_contrast(theme: str, tmp_path: Path) -> None:
    """Every kind of gutter mark (surviving mutants now, coverage later) is readable in every theme: its
    colour against the gutter's background and the cursor line's, and no two kinds of a lane look alike."""
    from velotui.tui.widgets.gutter import MARK_KINDS

    app = make_app(copy_suite(tmp_path / "s"), theme_name=theme)
    floor = 7.0 if theme == "high-contrast" else 4.5
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        t = app.query_one(SqlView)._theme
        backgrounds = [s.bgcolor for s in (t.gutter_style, t.cursor_line_gutter_style) if s is not None]
        assert len(backgrounds) == 2 and all(b is not None for b in backgrounds)
        low = []
        for kind in MARK_KINDS:
            style = t.syntax_styles.get(f"gutter.{kind}")
            assert style is not None and style.color is not None, f"{theme}: no colour for gutter mark {kind}"
            for bg in backgrounds:
                ratio = contrast(style.color, bg)
                if ratio < floor:
                    low.append(f"{kind}: {ratio:.2f}")
            gutter_fg = t.gutter_style.color
            assert style.color != gutter_fg, f"{theme}: {kind} looks like the line numbers"
        assert low == [], f"{theme}: {low}"
        by_lane: dict[str, list[tuple[str, object]]] = {}
        for k in MARK_KINDS.values():
            by_lane.setdefault(k.lane, []).append((k.glyph, t.syntax_styles[f"gutter.{k.id}"].color))
        for lane, looks in by_lane.items():
            glyphs = [g for g, _ in looks]
            colours = [c for _, c in looks]
            assert len(set(glyphs)) == len(glyphs), f"{lane}: two kinds share a glyph"  # not told by colour alone
            assert len(set(colours)) == len(colours), f"{theme}/{lane}: two kinds share a colour"
