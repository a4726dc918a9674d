"""Data coverage in reports: which parts of a query's SQL its inputs exercised (docs/QUALITY.md).

``QueryCoverage`` is what a run with ``--coverage`` (or a spec's ``coverage: {required: true}``) attaches to
each query it measured; every writer (text under the query, JSON counts per item, JUnit system-out) and
the TUI's SQL gutter read these values and the sentences below, so they say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class OutcomeCount:
    name: str  # true | false | taken | matched | <ref> unmatched | on time | late | NULL | more than one group | …
    count: int
    needed: int = 1

    @property
    def covered(self) -> bool:
        return self.count >= self.needed


@dataclass
class ItemCoverage:
    """One coverage item of a query's statement with its counts, and, when it is not covered, why not."""

    id: str  # C1, C2, … in the order of the SQL
    kind: str  # condition | case_arm | case_else | coalesce | nullif | join | window | null_input | group_by
    clause: str  # WHERE | HAVING | ON | SELECT | GROUP BY | JOIN | WINDOW | ORDER BY
    sql: str
    line: int | None
    column: int | None
    outcomes: list[OutcomeCount] = field(default_factory=list)
    file: str | None = None
    unreachable: str | None = None  # no input can produce it under the statement's contract: not counted
    hint: str | None = None  # why the inputs never produced what is missing (from the schema, or the inputs)

    @property
    def counted(self) -> bool:
        return self.unreachable is None

    @property
    def missing(self) -> list[OutcomeCount]:
        return [] if self.unreachable else [o for o in self.outcomes if not o.covered]

    @property
    def covered(self) -> bool:
        return not self.missing

    @property
    def place(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        return where

    def gap(self) -> str:
        """What the inputs never did, in words: ``never false``, ``never taken``, ``every o record matched``."""
        return gap_text(self)


def gap_text(item: ItemCoverage) -> str:
    missing = item.missing
    if not missing:
        return "covered"
    names = {o.name for o in missing}
    total = sum(o.count for o in item.outcomes)
    k = item.kind
    if k == "condition":
        if total == 0:
            return "never evaluated: no record reached it"
        return "never true" if "true" in names else "never false"
    if k in ("case_arm", "case_else"):
        return "never taken"
    if k == "coalesce":
        return "; ".join(f"never took its value from `{o.name}`" for o in missing)
    if k == "nullif":
        if total == 0:
            return "never evaluated: no record reached it"
        return "never equal (never NULL)" if "equal" in names else "never different (always NULL)"
    if total == 0 and k in ("join", "window", "group_by"):
        return "never evaluated: no record reached it"
    if k == "join":
        parts = []
        if "matched" in names:
            parts.append("no record matched")
        for o in missing:
            if o.name.endswith(" unmatched"):
                ref = o.name[: -len(" unmatched")]
                parts.append(f"every `{ref}` record found a match (never unmatched)")
        return "; ".join(parts)
    if k == "window":
        parts = []
        if "on time" in names:
            parts.append("no record on time")
        if "late" in names:
            parts.append("no record late")
        return "; ".join(parts)
    if k == "null_input":
        return "NULL never reached it"
    if k == "group_by":
        count = item.outcomes[0].count if item.outcomes else 0
        return "no group at all" if count == 0 else "only one group"
    return "not covered: " + ", ".join(o.name for o in missing)


KIND_LABELS = {
    "condition": "condition", "case_arm": "CASE arm", "case_else": "CASE ELSE", "coalesce": "COALESCE",
    "nullif": "NULLIF", "join": "join", "window": "window", "null_input": "NULL-sensitive call",
    "group_by": "GROUP BY key",
}


@dataclass
class QueryCoverage:
    """The coverage of one query's statement on this run's inputs. ``measured`` is False when the engine that
    ran it cannot count (``note`` says why); ``required`` when the spec asks for every item covered."""

    statement: str
    file: str | None = None
    items: list[ItemCoverage] = field(default_factory=list)
    measured: bool = True
    note: str | None = None
    required: bool = False

    @property
    def counted(self) -> list[ItemCoverage]:
        return [i for i in self.items if i.counted]

    @property
    def uncovered(self) -> list[ItemCoverage]:
        return [i for i in self.counted if not i.covered]

    @property
    def covered_count(self) -> int:
        return len(self.counted) - len(self.uncovered)

    @property
    def percent(self) -> float:
        n = len(self.counted)
        return 100.0 if n == 0 else 100.0 * self.covered_count / n

    def summary(self) -> str:
        if not self.measured:
            return f"coverage: not measured ({self.note})" if self.note else "coverage: not measured"
        n = len(self.counted)
        if n == 0:
            return "coverage: nothing to cover (no condition, CASE, join, window, GROUP BY or NULL-sensitive call)"
        text = f"coverage: {self.covered_count} of {n} items covered ({self.percent:.0f} %)"
        skipped = len(self.items) - n
        if skipped:
            text += f"; {skipped} cannot be reached under the sources' schemas"
        return text


def uncovered_at(report: Any, sql_file: str | Any) -> dict[int, list[tuple[str, str, ItemCoverage]]]:
    """Every item of a run report not covered in ``sql_file``, by line: (app, query, item) — what the TUI's SQL
    gutter marks (a file's items from every query that tested one of its statements)."""
    from pathlib import Path

    def same(a: Any, b: Any) -> bool:
        try:
            return Path(a).resolve() == Path(b).resolve()
        except OSError:
            return str(a) == str(b)

    out: dict[int, list[tuple[str, str, ItemCoverage]]] = {}
    for app in getattr(report, "apps", []):
        for q in app.queries:
            cov = q.coverage
            if cov is None or not cov.measured:
                continue
            for item in cov.uncovered:
                if item.line is not None and item.file is not None and same(item.file, sql_file):
                    out.setdefault(item.line, []).append((app.name, q.name, item))
    return out


def item_line(item: ItemCoverage) -> str:
    """One uncovered item on one line: ``C3 app.sql:8:18  WHEN amount > 1000 THEN 'gold'  never taken``."""
    return f"{item.id} {item.place}  {KIND_LABELS.get(item.kind, item.kind)} `{_one_line(item.sql)}`  {item.gap()}"


def coverage_lines(cov: QueryCoverage, *, hints: bool = True) -> list[str]:
    """The coverage of a query as plain lines (text report, JUnit system-out)."""
    lines = [cov.summary()]
    for item in cov.uncovered:
        lines.append(f"  {item_line(item)}")
        if hints and item.hint:
            lines.append(f"    hint: {item.hint}")
    return lines


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def coverage_dict(cov: QueryCoverage) -> dict[str, Any]:
    """The JSON of a query's coverage: every item with the count of each outcome."""
    return {
        "statement": cov.statement,
        "file": cov.file,
        "measured": cov.measured,
        "note": cov.note,
        "required": cov.required,
        "items_total": len(cov.counted),
        "items_covered": cov.covered_count,
        "percent": round(cov.percent, 1),
        "items": [{
            "id": i.id, "kind": i.kind, "clause": i.clause, "sql": i.sql, "file": i.file, "line": i.line,
            "column": i.column, "covered": i.covered, "counts": {o.name: o.count for o in i.outcomes},
            "needed": {o.name: o.needed for o in i.outcomes if o.needed != 1},
            "missing": [o.name for o in i.missing], "gap": None if i.covered else i.gap(), "hint": i.hint,
            "unreachable": i.unreachable,
        } for i in cov.items],
    }


__all__ = ["KIND_LABELS", "ItemCoverage", "OutcomeCount", "QueryCoverage", "coverage_dict", "coverage_lines",
           "gap_text", "item_line", "uncovered_at"]
