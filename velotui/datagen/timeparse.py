"""Relative and absolute times: ``now``, ``-1h``, ``+30m``, ``-3d``, ISO 8601, epoch ms (velotui.timefmt, which
the spec formats read too)."""

from __future__ import annotations

from velotui.timefmt import parse_duration_ms, resolve_time

__all__ = ["parse_duration_ms", "resolve_time"]
