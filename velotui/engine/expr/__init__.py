"""Expressions: values, the NULL rules, the function catalogue, and the compiler to Python source."""

from __future__ import annotations

from velotui.engine.expr.compiler import (
    AGGREGATE_FUNCTIONS,
    WINDOW_FUNCTIONS,
    ExpressionCompiler,
    find_aggregates,
    is_aggregate,
)
from velotui.engine.expr.runtime import RowErrors, to_text

__all__ = ["AGGREGATE_FUNCTIONS", "WINDOW_FUNCTIONS", "ExpressionCompiler", "RowErrors", "find_aggregates",
           "is_aggregate", "to_text"]
