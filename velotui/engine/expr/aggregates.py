"""Aggregate and window functions: their declarations (arity, argument, result) and accumulators.

SQL_SEMANTICS.md §2: aggregates ignore NULLs (``COUNT(*)`` counts rows); SUM of no non-NULL value is 0,
as the reference engine computes it; AVG/MIN/MAX/STDDEV of none is NULL. Numbers stay exact: SUM of
INTEGERs is a Python int at any size (never a float), of DECIMALs a DECIMAL. A string follows the string
rule of values.py (``'42'`` is 42); a value that is not a number is left out of SUM/AVG/STDDEV and
reported as a row error (``NotANumber``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from velotui.engine.expr.values import key_of, less, number_from_text
from velotui.numbers import add as _add
from velotui.numbers import quotient as _quotient
from velotui.numbers import to_float as _as_float


class NotANumber(Exception):  # noqa: N818 - a signal to the operator (a row error), not a failure
    def __init__(self, value: Any) -> None:
        super().__init__(f"{value!r} is not a number")
        self.value = value


def _number(v: Any) -> Any:
    t = type(v)
    if t is int or t is float or t is Decimal:
        return v
    if t is str:
        n = number_from_text(v)
        if n is not None:
            return n
    raise NotANumber(v)


class Acc:
    """Base accumulator: ``add`` a value, ``value()`` the result; ``remove`` slides a frame; ``merge``
    folds another accumulator of the same kind in (session windows that merge)."""

    __slots__ = ()

    def add(self, v: Any) -> None:
        raise NotImplementedError

    def remove(self, v: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError

    def merge(self, other: Any) -> None:
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

    def merge(self, other: Any) -> None:
        self.n += other.n


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
                    try:
                        self.total = total + v
                    except OverflowError:
                        self.total = _add(total, v)
                    self.n += 1
                    return
            else:
                self.total = 0 + v  # as the fused GROUP BY sums from 0: SUM(-0.0) is 0.0 on every path
                self.n = 1
                return
        if v is None:
            return
        v = _number(v)
        self.total = _add(self.total, v) if self.n else v
        self.n += 1

    def remove(self, v: Any) -> None:
        if v is None:
            return
        try:
            v = _number(v)
        except NotANumber:
            return
        self.n -= 1
        self.total = _add(self.total, -v) if self.n else 0

    def value(self) -> Any:
        return self.total if self.n else 0

    def merge(self, other: Any) -> None:
        if other.n:
            self.total = _add(self.total, other.total) if self.n else other.total
            self.n += other.n


class Avg(Sum):
    __slots__ = ()

    def value(self) -> Any:
        if not self.n:
            return None
        return _quotient(self.total, self.n)


class Min(Acc):
    __slots__ = ("best", "is_max", "items")

    def __init__(self, is_max: bool = False) -> None:
        self.best: Any = None
        self.items: list[Any] | None = None  # kept only when a frame slides (window functions)
        self.is_max = is_max

    def add(self, v: Any) -> None:
        if v is None:
            return
        if self.items is not None:
            self.items.append(v)
        if self.best is None:
            self.best = v
            return
        # values.less: mixed types (and a DECIMAL NaN) compare by their text
        if less(self.best, v) if self.is_max else less(v, self.best):
            self.best = v

    def remove(self, v: Any) -> None:
        if v is None:
            return
        if self.items is None:
            raise RuntimeError("MIN/MAX frame without history")
        self.items.remove(v)
        self.best = None
        items, self.items = self.items, None
        for x in items:
            self.add(x)
        self.items = items

    def value(self) -> Any:
        return self.best

    def merge(self, other: Any) -> None:
        if other.best is not None:
            self.add(other.best)


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
        if v is None:
            return
        x = _as_float(_number(v))
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)

    def remove(self, v: Any) -> None:
        if v is None:
            return
        try:
            x = _as_float(_number(v))
        except NotANumber:
            return
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

    def merge(self, other: Any) -> None:
        if other.n:
            n = self.n + other.n
            d = other.mean - self.mean
            self.m2 = self.m2 + other.m2 + d * d * self.n * other.n / n
            self.mean = (self.mean * self.n + other.mean * other.n) / n
            self.n = n


class CountDistinct(Acc):
    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[Any, int] = {}

    def add(self, v: Any) -> None:
        if v is not None:
            k = key_of(v)
            self.counts[k] = self.counts.get(k, 0) + 1

    def remove(self, v: Any) -> None:
        if v is not None:
            k = key_of(v)
            self.counts[k] -= 1
            if not self.counts[k]:
                del self.counts[k]

    def value(self) -> Any:
        return len(self.counts)

    def merge(self, other: Any) -> None:
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v


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

    def merge(self, other: Any) -> None:
        self.items.extend(other.items)


class Last(First):
    __slots__ = ()

    def value(self) -> Any:
        return self.items[-1] if self.items else None


@dataclass(frozen=True)
class Aggregate:
    """An aggregate function: one argument (``COUNT(*)`` takes none), its accumulator and result type."""

    name: str
    make: Callable[[], Acc]
    result: str = "any"
    star: bool = False  # COUNT(*) is allowed
    distinct: Callable[[], Acc] | None = None  # f(DISTINCT x) is allowed, with this accumulator
    summary: str = ""

    def signature(self) -> str:
        return f"{self.name}({'*' if self.star else 'x'})"

    def accumulator(self, *, star: bool = False, distinct: bool = False) -> Callable[[], Acc]:
        """The accumulator constructor for ``f(x)``, ``f(*)`` or ``f(DISTINCT x)``."""
        if star:
            return CountStar
        if distinct and self.distinct is not None:
            return self.distinct
        return self.make


# -- sliding frames (window functions): exact sums ------------------------------------------------------
_EXP = 1074  # every finite float is an integer multiple of 2**-1074


def _exact(x: int | float) -> int:
    """``x * 2**1074``, exactly (``x`` an int or a finite float)."""
    if type(x) is int:
        return x << _EXP
    n, d = x.as_integer_ratio()  # d is a power of two, at most 2**1074
    return n << (_EXP + 1 - d.bit_length())


class _Exact(Acc):
    """An accumulator whose ``_apply(v, +1)`` adds a value and ``_apply(v, -1)`` takes it out exactly."""

    __slots__ = ()

    def _apply(self, v: Any, sign: int) -> None:
        raise NotImplementedError

    def add(self, v: Any) -> None:
        self._apply(v, 1)

    def remove(self, v: Any) -> None:
        try:
            self._apply(v, -1)
        except NotANumber:
            return


class SlidingSum(_Exact):
    """SUM/AVG over a frame that slides (``ROWS WINDOW BUFFER n ROWS``, ``ROWS n PRECEDING``): the frame's sum
    held exactly, in integers of 2**-1074 (every finite float is one), so that taking a row out leaves exactly
    the sum of the rows still in the frame, at O(1) a row: (1e20 + 1 + 1) - 1e20 is 2.0. The value is that sum
    correctly rounded (an int when every value in the frame is one). A DECIMAL sets ``inexact``: the caller
    then adds the frame up its own way."""

    __slots__ = ("avg", "floats", "inexact", "n", "nan", "neg", "pos", "total")

    def __init__(self, avg: bool = False) -> None:
        self.avg = avg
        self.total = 0
        self.n = self.floats = self.nan = self.pos = self.neg = 0
        self.inexact = False

    def _apply(self, v: Any, sign: int) -> None:
        if v is None:
            return
        v = _number(v)
        t = type(v)
        if t is int:
            self.total += sign * (v << _EXP)
        elif t is float:
            self.floats += sign
            if v != v:
                self.nan += sign
            elif v == math.inf:
                self.pos += sign
            elif v == -math.inf:
                self.neg += sign
            else:
                self.total += sign * _exact(v)
        else:
            self.inexact = True
        self.n += sign

    def value(self) -> Any:
        if not self.n:
            return None if self.avg else 0
        if self.nan or (self.pos and self.neg):
            s: Any = math.nan
        elif self.pos or self.neg:
            s = math.inf if self.pos else -math.inf
        elif not self.floats:
            s = self.total >> _EXP
        else:
            try:
                s = self.total / (1 << _EXP)  # int / int: correctly rounded
            except OverflowError:
                s = math.inf if self.total > 0 else -math.inf
        return _quotient(s, self.n) if self.avg else s


class SlidingVariance(_Exact):
    """VARIANCE/STDDEV over a frame that slides: the sums of the values and of their squares held exactly
    (as ``SlidingSum``), so a row taken out leaves no residue (equal values have a STDDEV of 0, not 8e-08);
    the value is the exact sample (or population) variance, correctly rounded, and its square root."""

    __slots__ = ("n", "odd", "population", "s1", "s2", "stddev")

    def __init__(self, stddev: bool = False, population: bool = False) -> None:
        self.stddev = stddev
        self.population = population
        self.n = self.odd = self.s1 = self.s2 = 0

    def _apply(self, v: Any, sign: int) -> None:
        if v is None:
            return
        x = _as_float(_number(v))  # as Variance reads a value
        self.n += sign
        if not math.isfinite(x):
            self.odd += sign
            return
        e = _exact(x)
        self.s1 += sign * e
        self.s2 += sign * e * e

    def value(self) -> Any:
        denom = self.n if self.population else self.n - 1
        if denom <= 0:
            return None
        if self.odd:
            return math.nan
        try:
            var = (self.n * self.s2 - self.s1 * self.s1) / ((self.n * denom) << (2 * _EXP))
        except OverflowError:
            var = math.inf
        return math.sqrt(var) if self.stddev else var


class SlidingMin(Acc):
    """MIN/MAX over a frame that slides, its rows leaving in the order they came (window functions): the
    candidates in a monotonic queue of (position, value), so each row costs O(1) amortized instead of a pass
    over the frame; the value is the first of the frame's least (greatest) values, as ``Min`` gives it."""

    __slots__ = ("added", "is_max", "queue", "removed")

    def __init__(self, is_max: bool = False) -> None:
        self.is_max = is_max
        self.queue: deque[tuple[int, Any]] = deque()
        self.added = self.removed = 0

    def add(self, v: Any) -> None:
        i = self.added
        self.added += 1
        if v is None:
            return
        q = self.queue
        if self.is_max:
            while q and less(q[-1][1], v):
                q.pop()
        else:
            while q and less(v, q[-1][1]):
                q.pop()
        q.append((i, v))

    def remove(self, v: Any) -> None:
        """Take the frame's oldest row out (``v`` is its value)."""
        i = self.removed
        self.removed += 1
        if self.queue and self.queue[0][0] == i:
            self.queue.popleft()

    def value(self) -> Any:
        return self.queue[0][1] if self.queue else None


# the accumulator of each aggregate over a frame that slides, where one is exact at O(1) a row
SLIDING: dict[str, Callable[[], Acc]] = {
    "MIN": SlidingMin, "MAX": lambda: SlidingMin(is_max=True),
    "SUM": SlidingSum, "AVG": lambda: SlidingSum(avg=True),
    "STDDEV": lambda: SlidingVariance(stddev=True), "STDDEV_SAMP": lambda: SlidingVariance(stddev=True),
    "STDDEV_POP": lambda: SlidingVariance(stddev=True, population=True),
    "VARIANCE": SlidingVariance, "VAR_SAMP": SlidingVariance, "VAR_POP": lambda: SlidingVariance(population=True),
}

AGGREGATES: dict[str, Aggregate] = {a.name: a for a in [
    Aggregate("COUNT", Count, "integer", star=True, distinct=CountDistinct,
              summary="COUNT(*) counts rows, COUNT(x) non-NULL x, COUNT(DISTINCT x) distinct x"),
    Aggregate("COUNT_DISTINCT", CountDistinct, "integer"),
    Aggregate("SUM", Sum, "number", summary="0 when there is no non-NULL value"),
    Aggregate("AVG", Avg, "number"),
    Aggregate("MIN", Min, "any"),
    Aggregate("MAX", lambda: Min(is_max=True), "any"),
    Aggregate("STDDEV", lambda: Variance(stddev=True), "float", summary="sample standard deviation"),
    Aggregate("STDDEV_SAMP", lambda: Variance(stddev=True), "float"),
    Aggregate("STDDEV_POP", lambda: Variance(stddev=True, population=True), "float"),
    Aggregate("VARIANCE", Variance, "float"),
    Aggregate("VAR_SAMP", Variance, "float"),
    Aggregate("VAR_POP", lambda: Variance(population=True), "float"),
    Aggregate("FIRST_VALUE", First, "any"),
    Aggregate("LAST_VALUE", Last, "any"),
]}


@dataclass(frozen=True)
class WindowFunction:
    """A function that only exists over OVER (…): its arity and what its extra arguments must be."""

    name: str
    min_args: int
    max_args: int
    signature: str


WINDOW_FUNCTIONS: dict[str, WindowFunction] = {w.name: w for w in [
    WindowFunction("LAG", 1, 3, "LAG(x[, k[, default]])"),
    WindowFunction("LEAD", 1, 3, "LEAD(x[, k[, default]])"),
    WindowFunction("ROW_NUMBER", 0, 0, "ROW_NUMBER()"),
    WindowFunction("RANK", 0, 0, "RANK()"),
    WindowFunction("DENSE_RANK", 0, 0, "DENSE_RANK()"),
]}
MAX_LAG_OFFSET = 100_000  # LAG/LEAD(x, k): k above this is refused at planning (each partition keeps k values)


__all__ = ["AGGREGATES", "MAX_LAG_OFFSET", "WINDOW_FUNCTIONS", "Acc", "Aggregate", "Avg", "Count", "CountDistinct",
           "CountStar", "First", "Last", "Min", "NotANumber", "Sum", "Variance", "WindowFunction"]
