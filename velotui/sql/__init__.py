"""The Velostream SQL dialect and the app model (statements, sources, sinks, windows)."""

from __future__ import annotations

from velotui.sql.app import load_app, output_name, parse_app
from velotui.sql.dialect import Velostream
from velotui.sql.model import App, JoinClause, Query, SelectItem, SinkRef, SourceRef, Statement, WindowSpec
from velotui.sql.validate import validate

__all__ = ["App", "JoinClause", "Query", "SelectItem", "SinkRef", "SourceRef", "Statement", "Velostream",
           "WindowSpec", "load_app", "output_name", "parse_app", "validate"]
