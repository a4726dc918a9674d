"""The map's rule: nothing below velotui.core imports core, cli or tui; only velotui.tui imports Textual."""

from __future__ import annotations

import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "velotui"


def test_arrows_point_down_only() -> None:
    bad = []
    for p in PKG.rglob("*.py"):
        top = p.relative_to(PKG).parts[0]
        if top in ("core", "cli", "tui", "__main__.py"):
            continue
        for n, line in enumerate(p.read_text().splitlines(), 1):
            if re.search(r"\b(from|import) velotui\.(core|cli|tui)\b", line):
                bad.append(f"{p.relative_to(PKG)}:{n}: {line.strip()}")
    assert bad == []


def test_only_the_tui_imports_textual() -> None:
    bad = [str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
           if p.relative_to(PKG).parts[0] != "tui" and re.search(r"^\s*(from|import) textual\b", p.read_text(), re.MULTILINE)]
    assert bad == []
