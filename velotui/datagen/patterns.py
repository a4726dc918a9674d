"""Strings that match a regular expression, generated from its parse tree (bounded repeats)."""

from __future__ import annotations

import re
import string
from typing import Any

try:  # Python 3.11+
    import re._constants as sre_c  # type: ignore[import-not-found]
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

import numpy as np

from velotui.errors import DataError

MAX_REPEAT = 8
_PRINTABLE = [c for c in string.ascii_letters + string.digits + " -_."]
_CATEGORIES = {
    sre_c.CATEGORY_DIGIT: list(string.digits),
    sre_c.CATEGORY_NOT_DIGIT: list(string.ascii_letters),
    sre_c.CATEGORY_SPACE: [" "],
    sre_c.CATEGORY_NOT_SPACE: list(string.ascii_letters + string.digits),
    sre_c.CATEGORY_WORD: list(string.ascii_letters + string.digits + "_"),
    sre_c.CATEGORY_NOT_WORD: list("-.!"),
}


class PatternGenerator:
    """Compiles a regex once; ``generate(rng)`` gives one matching string."""

    def __init__(self, pattern: str) -> None:
        try:
            self.tree = sre_parse.parse(pattern)
            self.regex = re.compile(pattern)
        except re.error as e:
            raise DataError(f"invalid pattern {pattern!r}: {e}") from None
        self.pattern = pattern
        self.segments = self._flatten(self.tree)

    def _single(self, op: Any, av: Any) -> list[str] | None:
        if op is sre_c.LITERAL:
            return [chr(av)]
        if op is sre_c.IN:
            return self._choices_in(av)
        if op is sre_c.ANY:
            return list(_PRINTABLE)
        return None

    def _flatten(self, tree: Any) -> list[tuple[np.ndarray, int, int]] | None:
        """The pattern as (choices, min, max) character runs, when it has no alternation: the fast path."""
        out: list[tuple[np.ndarray, int, int]] = []
        for op, av in tree:
            single = self._single(op, av)
            if single is not None:
                out.append((np.array(single), 1, 1))
            elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
                lo, hi, sub = av
                hi = min(hi, lo + MAX_REPEAT) if hi is not sre_c.MAXREPEAT else lo + MAX_REPEAT
                items = list(sub)
                if len(items) != 1:
                    return None
                inner = self._single(*items[0])
                if inner is None:
                    return None
                out.append((np.array(inner), lo, hi))
            elif op is sre_c.SUBPATTERN:
                inner_runs = self._flatten(av[-1])
                if inner_runs is None:
                    return None
                out.extend(inner_runs)
            elif op is sre_c.AT:
                continue
            else:
                return None
        return out

    def generate_many(self, rng: np.random.Generator, n: int) -> list[str]:
        """``n`` matching strings; vectorized when the pattern is a sequence of character runs."""
        if self.segments is None:
            return [self.generate(rng) for _ in range(n)]
        if n == 0:
            return []
        result: np.ndarray | None = None
        for choices, lo, hi in self.segments:
            if hi == 0:
                continue
            chars = choices[rng.integers(0, len(choices), size=(n, hi))]
            if lo != hi:
                lens = rng.integers(lo, hi + 1, size=n)
                chars[np.arange(hi)[None, :] >= lens[:, None]] = ""
            col = np.ascontiguousarray(chars).view(f"<U{hi}").reshape(n)
            result = col if result is None else np.char.add(result, col)
        return [""] * n if result is None else result.tolist()

    def generate(self, rng: np.random.Generator) -> str:
        return "".join(self._emit(self.tree, rng))

    def _choices_in(self, items: list[Any]) -> list[str]:
        chars: list[str] = []
        negate = False
        for op, av in items:
            if op is sre_c.NEGATE:
                negate = True
            elif op is sre_c.LITERAL:
                chars.append(chr(av))
            elif op is sre_c.RANGE:
                lo, hi = av
                chars.extend(chr(c) for c in range(lo, min(hi, lo + 200) + 1))
            elif op is sre_c.CATEGORY:
                chars.extend(_CATEGORIES.get(av, _PRINTABLE))
        if negate:
            chars = [c for c in _PRINTABLE if c not in set(chars)]
        return chars or _PRINTABLE

    def _emit(self, tree: Any, rng: np.random.Generator) -> list[str]:
        out: list[str] = []
        for op, av in tree:
            if op is sre_c.LITERAL:
                out.append(chr(av))
            elif op is sre_c.NOT_LITERAL:
                choices = [c for c in _PRINTABLE if c != chr(av)]
                out.append(choices[int(rng.integers(len(choices)))])
            elif op is sre_c.ANY:
                out.append(_PRINTABLE[int(rng.integers(len(_PRINTABLE)))])
            elif op is sre_c.IN:
                choices = self._choices_in(av)
                out.append(choices[int(rng.integers(len(choices)))])
            elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
                lo, hi, sub = av
                hi = min(hi, lo + MAX_REPEAT) if hi is not sre_c.MAXREPEAT else lo + MAX_REPEAT
                n = int(rng.integers(lo, hi + 1))
                for _ in range(n):
                    out.extend(self._emit(sub, rng))
            elif op is sre_c.SUBPATTERN:
                out.extend(self._emit(av[-1], rng))
            elif op is sre_c.BRANCH:
                branches = av[1]
                out.extend(self._emit(branches[int(rng.integers(len(branches)))], rng))
            elif op in (sre_c.AT,):
                continue
            elif op is getattr(sre_c, "ATOMIC_GROUP", None):
                out.extend(self._emit(av, rng))
            else:
                raise DataError(f"pattern {self.pattern!r} uses {op}, which generation does not support",
                                hint="use literals, classes, groups, alternation and repeats")
        return out
