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
    """Compiles a regex once; ``generate_many(rng, n)`` gives ``n`` matching strings, a column at a time."""

    def __init__(self, pattern: str) -> None:
        try:
            self.tree = sre_parse.parse(pattern)
            self.regex = re.compile(pattern)
        except re.error as e:
            raise DataError(f"invalid pattern {pattern!r}: {e}") from None
        self.pattern = pattern

    def _single(self, op: Any, av: Any) -> list[str] | None:
        """The characters one position can hold, when the node is one character."""
        if op is sre_c.LITERAL:
            return [chr(av)]
        if op is sre_c.IN:
            return self._choices_in(av)
        if op is sre_c.ANY:
            return list(_PRINTABLE)
        if op is sre_c.NOT_LITERAL:
            return [c for c in _PRINTABLE if c != chr(av)]
        return None

    def generate_many(self, rng: np.random.Generator, n: int) -> list[str]:
        """``n`` matching strings. Every node of the parse tree is drawn for all rows at once: a run of
        characters as one matrix of draws, an alternation as one draw of branches and then each branch
        for its rows, a repeated group as its copies with the unused ones blanked."""
        if n == 0:
            return []
        return self._column(self.tree, rng, n).tolist()

    def generate(self, rng: np.random.Generator) -> str:
        return self.generate_many(rng, 1)[0]

    def _column(self, tree: Any, rng: np.random.Generator, n: int) -> np.ndarray:
        pieces = [self._node(op, av, rng, n) for op, av in tree]  # in order: the draws are the stream
        return _concat([p for p in pieces if p is not None], n)

    def _node(self, op: Any, av: Any, rng: np.random.Generator, n: int) -> np.ndarray | None:
        single = self._single(op, av)
        if single is not None:
            return _run(np.array(single), 1, 1, rng, n)
        if op in _REPEATS:
            lo, hi, sub = av
            hi = min(hi, lo + MAX_REPEAT) if hi is not sre_c.MAXREPEAT else lo + MAX_REPEAT
            items = list(sub)
            inner = self._single(*items[0]) if len(items) == 1 else None
            if inner is not None:
                return _run(np.array(inner), lo, hi, rng, n)
            return self._repeat(sub, lo, hi, rng, n)
        if op is sre_c.SUBPATTERN:
            return self._column(av[-1], rng, n)
        if op is _ATOMIC:
            return self._column(av, rng, n)
        if op is sre_c.BRANCH:
            branches = av[1]
            which = rng.integers(0, len(branches), size=n)
            parts = []
            for b, branch in enumerate(branches):
                rows = np.flatnonzero(which == b)
                parts.append((rows, self._column(branch, rng, len(rows)) if len(rows) else None))
            width = max((p.dtype.itemsize // 4 for _, p in parts if p is not None), default=1)
            out = np.full(n, "", dtype=f"<U{max(width, 1)}")
            for rows, p in parts:
                if p is not None:
                    out[rows] = p
            return out
        if op is sre_c.AT:
            return None
        raise DataError(f"pattern {self.pattern!r} uses {op}, which generation does not support",
                        hint="use literals, classes, groups, alternation and repeats")

    def _repeat(self, sub: Any, lo: int, hi: int, rng: np.random.Generator, n: int) -> np.ndarray | None:
        if hi == 0:
            return None
        counts = rng.integers(lo, hi + 1, size=n) if lo != hi else None
        pieces = []
        for k in range(hi):
            piece = self._column(sub, rng, n)
            if counts is not None:
                piece[counts <= k] = ""
            pieces.append(piece)
        return _concat(pieces, n)

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
        if negate:  # the characters none of the class's items matches (a category by its own test): the usual
            # ones, else any printable ASCII
            for universe in (_PRINTABLE, _UNIVERSE):
                left = [c for c in universe if not any(_item_matches(op, av, c) for op, av in items)]
                if left:
                    return left
            raise DataError(f"pattern {self.pattern!r}: a negated class leaves no printable character to draw",
                            hint="generation draws printable ASCII for a negated class: allow some of it")
        return chars or _PRINTABLE


_UNIVERSE = [chr(c) for c in range(32, 127)]  # what a negated class draws from when _PRINTABLE has nothing
_CATEGORY_TESTS = {sre_c.CATEGORY_DIGIT: re.compile(r"\d"), sre_c.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
                   sre_c.CATEGORY_SPACE: re.compile(r"\s"), sre_c.CATEGORY_NOT_SPACE: re.compile(r"\S"),
                   sre_c.CATEGORY_WORD: re.compile(r"\w"), sre_c.CATEGORY_NOT_WORD: re.compile(r"\W")}


def _item_matches(op: Any, av: Any, c: str) -> bool:
    """Whether one item of a character class (a literal, a range, a category) matches ``c``."""
    if op is sre_c.LITERAL:
        return c == chr(av)
    if op is sre_c.RANGE:
        return av[0] <= ord(c) <= av[1]
    if op is sre_c.CATEGORY:
        test = _CATEGORY_TESTS.get(av)
        return test is not None and test.fullmatch(c) is not None
    return False


_REPEATS = tuple(x for x in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)) if x is not None)
_ATOMIC = getattr(sre_c, "ATOMIC_GROUP", None)


def _concat(pieces: list[np.ndarray], n: int) -> np.ndarray:
    """Row-wise concatenation of string columns, pairwise so that long sequences stay linear-log."""
    if not pieces:
        return np.full(n, "", dtype="<U1")
    while len(pieces) > 1:
        pieces = [np.char.add(pieces[i], pieces[i + 1]) if i + 1 < len(pieces) else pieces[i]
                  for i in range(0, len(pieces), 2)]
    return pieces[0]


def _run(choices: np.ndarray, lo: int, hi: int, rng: np.random.Generator, n: int) -> np.ndarray | None:
    """``n`` runs of ``lo``..``hi`` characters drawn from ``choices``: one matrix of draws, then each
    row's unused tail blanked, viewed as one fixed-width string per row."""
    if hi == 0:
        return None
    chars = choices[rng.integers(0, len(choices), size=(n, hi))] if len(choices) > 1 else \
        np.full((n, hi), choices[0])  # one choice draws nothing from the stream
    if lo != hi:
        lens = rng.integers(lo, hi + 1, size=n)
        chars[np.arange(hi)[None, :] >= lens[:, None]] = ""
    return np.ascontiguousarray(chars, dtype="<U1").view(f"<U{hi}").reshape(n)
