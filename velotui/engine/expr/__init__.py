"""Expressions: values and their rules (values.py), the function registry (functions.py), aggregate and
window functions (aggregates.py), and the compiler to Python source (compiler.py)."""

from __future__ import annotations

from velotui.engine.expr.aggregates import AGGREGATES, WINDOW_FUNCTIONS
from velotui.engine.expr.compiler import ExpressionCompiler
from velotui.engine.expr.errors import DropRecord, RowErrors
from velotui.engine.expr.functions import FUNCTIONS, Function
from velotui.engine.expr.values import to_text

__all__ = ["AGGREGATES", "FUNCTIONS", "WINDOW_FUNCTIONS", "DropRecord", "ExpressionCompiler", "Function", "RowErrors",
           "to_text"]
