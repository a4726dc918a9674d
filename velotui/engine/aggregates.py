"""Aggregate functions as accumulators (SQL_SEMANTICS.md §2: NULLs ignored, SUM of nothing is 0)."""

from __future__ import annotations

import math
from collections import deque
from decimal import Decimal
from typing import Any

from sqlglot import exp


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, Decimal) and isinstance(b, float):
        return a + Decimal(repr(b))
    if isinstance(b, Decimal) and isinstance(a, float):
        return Decimal(repr(a)) + b
    return a + b


class Acc:
    """Base accumulator: ``add`` a value, ``value()`` the result. ``remove`` supports sliding frames."""

    __slots__ = ()

    def add(self, v: Any) -> None:
        raise NotImplementedError

    def remove(self, v: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError


class CountStar(Acc):
    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def add(self, v: Any) -> None:
        self.n += 1

    def remove(self, v: Any) -> None:
        self.n -= 1

    def value(self) -> Any:
        return self.n


class Count(CountStar):
    __slots__ = ()

    def add(self, v: Any) -> None:
        if v is not None:
            self.n += 1

    def remove(self, v: Any) -> None:
        if v is not None:
            self.n -= 1


class Sum(Acc):
    __slots__ = ("n", "total")

    def __init__(self) -> None:
        self.total: Any = 0
        self.n = 0

    def add(self, v: Any) -> None:
        t = type(v)
        if t is int or t is float:  # the common case, without the checks below
            if self.n:
                total = self.total
                if type(total) is not Decimal:
                    self.total = total + v
                    self.n += 1
                    return
            else:
                self.total = v
                self.n = 1
                return
        if v is not None and not isinstance(v, bool):
            if isinstance(v, str):
                try:
                    v = float(v)
                except ValueError:
                    return
            if not isinstance(v, (int, float, Decimal)):
                return  # not a number: ignored like NULL
            self.total = _add(self.total, v) if self.n else v
            self.n += 1

    def remove(self, v: Any) -> None:
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            self.n -= 1
            self.total = self.total - v if self.n else 0

    def value(self) -> Any:
        return self.total if self.n else 0


class Avg(Sum):
    __slots__ = ()

    def value(self) -> Any:
        if not self.n:
            return None
        if isinstance(self.total, Decimal):
            return self.total / self.n
        return self.total / self.n


class Min(Acc):
    __slots__ = ("best", "is_max", "items")

    def __init__(self, is_max: bool = False) -> None:
        self.best: Any = None
        self.items: list[Any] | None = None
        self.is_max = is_max

    def add(self, v: Any) -> None:
        if v is None:
            return
        if self.items is not None:
            self.items.append(v)
        if self.best is None:
            self.best = v
            return
        try:
            better = v > self.best if self.is_max else v < self.best
        except TypeError:  # mixed types compare by their text
            better = str(v) > str(self.best) if self.is_max else str(v) < str(self.best)
        if better:
            self.best = v

    def remove(self, v: Any) -> None:
        if v is None:
            return
        if self.items is None:
            raise RuntimeError("MIN/MAX frame without history")
        self.items.remove(v)
        self.best = (max(self.items) if self.is_max else min(self.items)) if self.items else None

    def value(self) -> Any:
        return self.best


class Variance(Acc):
    """Sample variance (Welford); STDDEV is its square root. One value → NULL."""

    __slots__ = ("m2", "mean", "n", "population", "stddev")

    def __init__(self, stddev: bool = False, population: bool = False) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.stddev = stddev
        self.population = population

    def add(self, v: Any) -> None:
        if not isinstance(v, (int, float, Decimal)) or isinstance(v, bool):
            return
        x = float(v)
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)

    def remove(self, v: Any) -> None:
        if not isinstance(v, (int, float, Decimal)) or isinstance(v, bool):
            return
        x = float(v)
        if self.n <= 1:
            self.n, self.mean, self.m2 = 0, 0.0, 0.0
            return
        mean_old = (self.n * self.mean - x) / (self.n - 1)
        self.m2 -= (x - self.mean) * (x - mean_old)
        self.mean = mean_old
        self.n -= 1

    def value(self) -> Any:
        denom = self.n if self.population else self.n - 1
        if denom <= 0:
            return None
        var = max(self.m2, 0.0) / denom
        return math.sqrt(var) if self.stddev else var


class CountDistinct(Acc):
    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[Any, int] = {}

    def add(self, v: Any) -> None:
        if v is not None:
            from velotui.engine.operators import hashable

            v = hashable(v)
            self.counts[v] = self.counts.get(v, 0) + 1

    def remove(self, v: Any) -> None:
        if v is not None:
            self.counts[v] -= 1
            if not self.counts[v]:
                del self.counts[v]

    def value(self) -> Any:
        return len(self.counts)


class First(Acc):
    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: deque[Any] = deque()

    def add(self, v: Any) -> None:
        self.items.append(v)

    def remove(self, v: Any) -> None:
        self.items.popleft()

    def value(self) -> Any:
        return self.items[0] if self.items else None


class Last(First):
    __slots__ = ()

    def value(self) -> Any:
        return self.items[-1] if self.items else None


def factory(node: exp.Expression) -> tuple[type[Acc] | Any, exp.Expression | None]:
    """(accumulator constructor, argument expression or None for COUNT(*)) of an aggregate call."""
    if isinstance(node, exp.Count):
        arg = node.this
        if isinstance(arg, exp.Star) or arg is None:
            return CountStar, None
        if isinstance(arg, exp.Distinct):
            return CountDistinct, arg.expressions[0]
        return Count, arg
    if isinstance(node, exp.Anonymous):
        name = str(node.name).upper()
        arg = node.expressions[0] if node.expressions else None
        table = {"COUNT_DISTINCT": CountDistinct, "STDDEV_SAMP": lambda: Variance(stddev=True),
                 "STDDEV_POP": lambda: Variance(stddev=True, population=True),
                 "VAR_SAMP": Variance, "VAR_POP": lambda: Variance(population=True),
                 "FIRST_VALUE": First, "LAST_VALUE": Last}
        return table[name], arg
    table2: dict[type, Any] = {
        exp.Sum: Sum, exp.Avg: Avg, exp.Min: Min, exp.Max: lambda: Min(is_max=True),
        exp.Stddev: lambda: Variance(stddev=True), exp.StddevSamp: lambda: Variance(stddev=True),
        exp.StddevPop: lambda: Variance(stddev=True, population=True), exp.Variance: Variance,
        exp.VariancePop: lambda: Variance(population=True), exp.FirstValue: First, exp.LastValue: Last,
    }
    for cls, ctor in table2.items():
        if isinstance(node, cls):
            arg = node.this
            if isinstance(arg, exp.Distinct):
                arg = arg.expressions[0]
            return ctor, arg
    raise KeyError(type(node).__name__)
