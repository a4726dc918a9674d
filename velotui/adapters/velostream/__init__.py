"""The real Velostream engine (``velo-sql``) behind velotui's engine interface (docs/ENGINES.md)."""

from __future__ import annotations

from velotui.adapters.velostream.adapter import VelostreamAdapter
from velotui.adapters.velostream.binary import find_binary, version_line

__all__ = ["VelostreamAdapter", "find_binary", "version_line"]
