"""Adding numbers as they are, without an exception: what the engine's aggregates and the assertions'
aggregate checks both need (an INTEGER exact at any size, a DECIMAL a Decimal, a FLOAT a float).

A sum beyond what a float holds (an int too big for a float added to a float) is an infinity, and an
undefined one (a DECIMAL infinity added to its opposite) is NaN, as the sum of two floats is (IEEE 754):
a value never stops a query or a check. This module sits below every package.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def add(a: Any, b: Any) -> Any:
    """``a + b`` of two numbers (int, float, Decimal); a float meeting a Decimal becomes the Decimal of its
    shortest repr. Never raises for numbers."""
    try:
        if type(a) is Decimal and type(b) is float:
            return a + Decimal(repr(b))
        if type(b) is Decimal and type(a) is float:
            return Decimal(repr(a)) + b
        return a + b
    except OverflowError:  # an int that no float holds, met by a float
        return to_float(a) + to_float(b)
    except ArithmeticError:  # decimal.InvalidOperation: Infinity + -Infinity
        return Decimal("NaN")


def to_float(v: Any) -> float:
    """``float(v)`` without an OverflowError: an int too big for a float is an infinity of its sign."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def quotient(total: Any, n: int) -> Any:
    """An average's ``total / n``, never raising: an int total too big for a float is divided exactly as a
    Decimal first (``int / int`` is a float), then given as the float it is (an infinity if it is one)."""
    try:
        return total / n
    except OverflowError:
        return to_float(Decimal(total) / n)
    except ArithmeticError:  # decimal.InvalidOperation
        return Decimal("NaN")


__all__ = ["add", "quotient", "to_float"]
