"""Condensed streaming-semantics rules (from docs/SQL.md), picked by the shape of the failing query."""

from __future__ import annotations

from typing import Any

GENERAL = [
    "NULL rules (reference engine): NULL = NULL is TRUE; <, >, <=, >= with a NULL are FALSE; arithmetic "
    "with NULL is NULL; aggregates ignore NULLs; SUM of no values is 0.",
    "A stateless query emits one output per input record that passes WHERE, in input order.",
]
WINDOW = [
    "TUMBLING(size): windows [k*size, (k+1)*size) aligned to the epoch; the end is exclusive, so a record "
    "exactly at a boundary belongs to the next window.",
    "SLIDING(size, advance): a record belongs to every window that contains it (size/advance windows).",
    "SESSION(gap): per group, records within gap of each other form one session [first, last + gap).",
    "EMIT FINAL (default with a window) emits one row per (group, window) when the watermark passes the "
    "window end; end of input closes every window. EMIT CHANGES emits one row per input.",
    "Watermark = max event time seen - max_out_of_orderness; a record is late when the watermark has "
    "passed its window end + allowed_lateness, and late records are dropped (counted as late_records).",
]
GROUP = [
    "GROUP BY without a window under EMIT CHANGES emits one updated row per input record, so the output "
    "count equals the number of inputs passing WHERE, not the number of groups.",
]
JOIN = [
    "Stream-table join: each stream record looks up the table's current state; INNER emits per match, "
    "LEFT emits every stream record (NULLs when no match). Keys are the equality predicates of ON.",
    "Stream-stream join: records are kept for join.retention (default 1h of event time); one output per "
    "matching pair when the second record arrives.",
]
WINDOW_FN = [
    "Window functions (OVER) emit one output per input; LAG gives the previous record of the partition; "
    "LEAD waits for the next; ROWS WINDOW BUFFER n ROWS is the frame of the last n records.",
]


def rules_for(statement: Any) -> list[str]:
    """Rules relevant to a statement (velotui.sql.model.Statement), general ones first."""
    rules = list(GENERAL)
    q = getattr(statement, "query", None)
    if q is None:
        return rules
    if getattr(q, "window", None) is not None:
        rules += WINDOW
    elif getattr(q, "group_by", None):
        rules += GROUP
    if getattr(q, "joins", None):
        rules += JOIN
    select = getattr(q, "select", None)
    if select is not None:
        from sqlglot import exp

        if select.find(exp.Window) is not None:
            rules += WINDOW_FN
    return rules
