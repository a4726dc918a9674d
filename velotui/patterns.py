"""Regular expressions written by users, matched under a time budget.

A pattern from a spec (``matches``, ``data_quality.string_patterns``) or from SQL (``REGEXP_REPLACE``) runs
on values nobody has seen: with Python's ``re`` a pattern that backtracks catastrophically (``^(a|a)*$``
on forty letters) runs for hours inside C, where no watchdog can stop it, and the run never writes its
report. The ``regex`` library's engine (the syntax of ``re``) takes a timeout: one value may take at most
``BUDGET_S``, then ``PatternTooSlow`` (a ValueError: an engine function makes it the row's error; an
assertion its own error, naming the pattern). This module sits below every package.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import regex

BUDGET_S = 1.0  # the most one match of a user's pattern may take on one value


class PatternTooSlow(ValueError):
    def __init__(self, pattern: str) -> None:
        super().__init__(f"the regular expression {pattern!r} took more than {BUDGET_S:g} s on one value "
                         "(it backtracks without end on some text: simplify it, e.g. no nested repetition "
                         "like (a+)+ or (a|a)*)")
        self.pattern = pattern


@lru_cache(maxsize=256)
def compiled(pattern: str) -> Any:
    """The compiled pattern; a pattern that does not compile raises ``re.error`` (as ``re`` would)."""
    try:
        return regex.compile(pattern)
    except regex.error as e:
        raise re.error(str(e)) from None


def search(pattern: str, text: str) -> bool:
    try:
        return compiled(pattern).search(text, timeout=BUDGET_S) is not None
    except TimeoutError:
        raise PatternTooSlow(pattern) from None


def fullmatch(pattern: str, text: str) -> bool:
    try:
        return compiled(pattern).fullmatch(text, timeout=BUDGET_S) is not None
    except TimeoutError:
        raise PatternTooSlow(pattern) from None


def sub(pattern: str, replacement: str, text: str) -> str:
    try:
        return str(compiled(pattern).sub(replacement, text, timeout=BUDGET_S))
    except TimeoutError:
        raise PatternTooSlow(pattern) from None


__all__ = ["BUDGET_S", "PatternTooSlow", "compiled", "fullmatch", "search", "sub"]
