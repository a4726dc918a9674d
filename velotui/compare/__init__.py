"""Comparing what two engines emitted for the same query on the same inputs, record by record.

Records are compared after a normalisation that removes the differences in how values are *written*
(docs/ENGINES.md): numbers compare by value (``5`` = ``5.0`` = ``"5.00"``, floats to 12 significant
digits), a timestamp string compares as its epoch milliseconds (``"2023-11-14 22:14:00.663"`` =
``1700000040663``), field order does not matter. Records compare as a multiset unless the query
defines an order (ORDER BY), then position by position.

The verdict: ``same``; ``explained`` when the query carries divergence flags (the places where the
reference engine is known to compute something else, docs/CONFORMANCE.md); else ``unexplained`` —
the differences worth a bug report to one project or the other.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from velotui.compare.flags import DivergenceFlag, divergence_flags
from velotui.report.model import Comparison

SAMPLE = 5
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")


def normalize(value: Any) -> Any:
    """A value as compared: the same for every way of writing it."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return _number(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            try:
                return _number(Decimal(text))
            except InvalidOperation:
                return value
        if _TIMESTAMP.match(text):
            from velotui.timefmt import iso_to_ms

            ms = iso_to_ms(text)
            if ms is not None:
                return ms
        return value
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    return str(value)


def _number(v: int | float | Decimal) -> int | float:
    if isinstance(v, int):
        return v
    try:
        f = float(v)
    except (OverflowError, ValueError):
        return float("nan")
    if f != f or f in (float("inf"), float("-inf")):
        return f
    if f == int(f) and abs(f) < 2**63:
        return int(f)
    return float(f"{f:.12g}")


def canonical(record: Any) -> str:
    return orjson.dumps(normalize(record), option=orjson.OPT_SORT_KEYS, default=str).decode()


def compare_outputs(left: list[dict], right: list[dict], *, engines: tuple[str, str], ordered: bool,
                    flags: list[DivergenceFlag]) -> Comparison:
    """The comparison of ``left`` (``engines[0]``'s records) with ``right`` (``engines[1]``'s)."""
    a = [canonical(r) for r in left]
    b = [canonical(r) for r in right]
    only_left: list[Any] = []
    only_right: list[Any] = []
    first: int | None = None
    if ordered:
        for i in range(max(len(a), len(b))):
            if i >= len(a) or i >= len(b) or a[i] != b[i]:
                first = i
                break
        if first is not None:
            only_left = left[first:first + SAMPLE]
            only_right = right[first:first + SAMPLE]
        differs = first is not None
    else:
        extra_a = Counter(a) - Counter(b)
        extra_b = Counter(b) - Counter(a)
        only_left = _pick(left, a, extra_a)
        only_right = _pick(right, b, extra_b)
        differs = bool(extra_a or extra_b)
    if not differs:
        verdict = "same"
    elif flags:
        verdict = "explained"
    else:
        verdict = "unexplained"
    return Comparison(engines=engines, verdict=verdict, flags=[f.id for f in flags] if differs else [],
                      flag_notes=[f"{f.id}: {f.summary}" for f in flags] if differs else [],
                      ordered=ordered, counts=(len(left), len(right)), first_difference=first,
                      only_left=only_left, only_right=only_right,
                      missing_left=sum((Counter(b) - Counter(a)).values()) if not ordered else 0,
                      missing_right=sum((Counter(a) - Counter(b)).values()) if not ordered else 0)


def _pick(records: list[dict], keys: list[str], extra: Counter[str]) -> list[Any]:
    out: list[Any] = []
    left = Counter(extra)
    for r, k in zip(records, keys):
        if left[k] > 0:
            out.append(r)
            left[k] -= 1
            if len(out) >= SAMPLE:
                break
    return out


__all__ = ["DivergenceFlag", "canonical", "compare_outputs", "divergence_flags", "normalize"]
