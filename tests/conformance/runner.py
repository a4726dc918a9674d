"""Load golden cases (tests/conformance/cases/*.yaml) and compare the engine's output exactly.

Case format (docs/CONFORMANCE.md):
- ``id``, ``cites`` (checklist ids like C27 and § numbers), ``sql``;
- ``inputs``: per source name, a list of records; a record may carry its envelope in ``$ts`` (message
  timestamp, ms), ``$key``, ``$partition`` and ``$headers``;
- ``files`` (path → content), ``properties``, ``now_ms``;
- ``expected``: per statement, the exact output records in emission order (``$key`` / ``$ts`` check the
  envelope; ``{$decimal: "1.50"}`` is an exact DECIMAL); or ``expected_error`` (a substring, with optional
  ``expected_error_line``); optional ``expected_late``, ``expected_row_errors``, ``expected_dead_letters``.
An ``expressions`` file holds rows ``[id, cites, expression, input record, expected value]`` that become
``CREATE STREAM o AS SELECT <expression> AS v FROM s`` cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from velotui.records import Message

CASES_DIR = Path(__file__).parent / "cases"


@dataclass
class Case:
    id: str
    cites: list[str]
    sql: str
    inputs: dict[str, list[Any]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    now_ms: int = 0
    expected: dict[str, list[Any]] | None = None
    expected_error: str | None = None
    expected_error_line: int | None = None
    expected_late: int | None = None
    expected_row_errors: int | None = None
    expected_dead_letters: int | None = None


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if isinstance(data, dict) and "expressions" in data:
            for row in data["expressions"]:
                cid, cites, expr, record, value = row
                cases.append(Case(id=cid, cites=list(cites), sql=f"CREATE STREAM o AS SELECT {expr} AS v FROM s;",
                                  inputs={"s": [record]}, expected={"o": [{"v": value}]},
                                  properties=data.get("properties", {})))
            continue
        for raw in data:
            cases.append(Case(**raw))
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, f"duplicate case ids: {dupes}"
    return cases


def to_message(rec: Any) -> Message:
    """A record with its envelope; ``$raw`` makes an undecodable message (value None, raw bytes)."""
    rec = dict(rec)
    env = {k: rec.pop(k) for k in list(rec) if k.startswith("$")}
    raw = env.get("$raw")
    return Message(value=None if raw is not None else rec, key=env.get("$key"), timestamp=int(env.get("$ts", 0)),
                   partition=int(env.get("$partition", 0)), headers=dict(env.get("$headers", {})),
                   raw=raw.encode() if isinstance(raw, str) else None)


def expected_value(v: Any) -> Any:
    if isinstance(v, dict):
        if set(v) == {"$decimal"}:
            return Decimal(str(v["$decimal"]))
        return {k: expected_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [expected_value(x) for x in v]
    return v


def same(actual: Any, expected: Any) -> bool:
    """Exact comparison that also distinguishes int / float / Decimal / bool."""
    if isinstance(expected, Decimal) or isinstance(actual, Decimal):
        return isinstance(actual, Decimal) and isinstance(expected, Decimal) and actual == expected
    if isinstance(expected, float) and isinstance(actual, float):
        return abs(actual - expected) <= 1e-9 * max(1.0, abs(expected))
    if type(actual) is not type(expected):
        return False
    if isinstance(expected, dict):
        return set(actual) == set(expected) and all(same(actual[k], expected[k]) for k in expected)
    if isinstance(expected, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected))
    return bool(actual == expected)
