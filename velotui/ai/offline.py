"""The offline explainer: a rule-based cause for a failed assertion, from the same evidence the model
gets. Used without ANTHROPIC_API_KEY, with --no-ai, or when the API fails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from velotui.ai.evidence import FailureContext

_OPS = {"GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=", "EQ": "=", "NEQ": "!="}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "!=": "!="}


@dataclass
class Finding:
    cause: str
    fix: str


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _literal_value(node: Any) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.Neg):
        inner = _literal_value(node.this)
        return -inner if isinstance(inner, (int, float)) else None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        n = _number(node.this)
        return n
    return None


def comparisons(where: Any) -> list[tuple[str, str, Any, str]]:
    """(field, op, literal, sql text) for every `column op literal` in a WHERE clause."""
    from sqlglot import exp

    out = []
    if where is None:
        return out
    for node in where.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ, exp.NEQ):
        op = _OPS[type(node).__name__]
        left, right = node.this, node.expression
        if isinstance(left, exp.Column) and _literal_value(right) is not None:
            out.append((left.name, op, _literal_value(right), node.sql()))
        elif isinstance(right, exp.Column) and _literal_value(left) is not None:
            out.append((right.name, _FLIP[op], _literal_value(left), node.sql()))
    return out


def _holds(value: Any, op: str, lit: Any) -> bool:
    a, b = _number(value), _number(lit)
    if a is None or b is None:
        return {"=": value == lit, "!=": value != lit}.get(op, False)
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b, "=": a == b, "!=": a != b}[op]


def _schema_range(ctx: FailureContext, field: str) -> tuple[float, float] | None:
    for schema in ctx.schemas.values():
        for f in getattr(schema, "fields", []) or []:
            if f.name == field:
                rng = getattr(getattr(f, "constraints", None), "range", None)
                if rng is not None and _number(getattr(rng, "min", None)) is not None:
                    return float(rng.min), float(rng.max)
    return None


def _inputs_rows(ctx: FailureContext) -> list[dict]:
    return [r for rows in ctx.inputs.values() for r in rows]


def _expected_number(result: Any) -> float | None:
    exp_v = getattr(result, "expected", None)
    if isinstance(exp_v, dict):
        for k in ("equals", "value", "expected"):
            if k in exp_v:
                return _number(exp_v[k])
        return None
    if isinstance(exp_v, str):
        for tok in exp_v.replace("==", " ").replace("=", " ").split():
            if _number(tok) is not None:
                return _number(tok)
    return _number(exp_v)


def _filter_findings(ctx: FailureContext) -> list[Finding]:
    q = getattr(ctx.statement, "query", None)
    where = getattr(q, "where", None)
    findings: list[Finding] = []
    rows = _inputs_rows(ctx)
    result = ctx.result
    expected = _expected_number(result)
    actual = _number(getattr(result, "actual", None))
    for field, op, lit, text in comparisons(where):
        rng = _schema_range(ctx, field)
        if rng is not None and isinstance(lit, float):
            lo, hi = rng
            never = (op in (">", ">=") and (lit > hi or (op == ">" and lit == hi))) or (
                op in ("<", "<=") and (lit < lo or (op == "<" and lit == lo)))
            if never:
                findings.append(Finding(
                    f"the WHERE clause `{text}` can never hold: the schema's range for `{field}` is "
                    f"{lo:g}–{hi:g}, so no input passes and the query emits nothing.",
                    f"change the literal in `{text}` to a value inside {lo:g}–{hi:g}, or widen the schema's "
                    f"range for `{field}`."))
                continue
        if op in (">", ">=", "<", "<=") and rows:
            boundary = sum(1 for r in rows if _number(r.get(field)) is not None and _number(r.get(field)) == lit)
            passing = sum(1 for r in rows if _holds(r.get(field), op, lit))
            other = {">": ">=", ">=": ">", "<": "<=", "<=": "<"}[op]
            passing_other = sum(1 for r in rows if _holds(r.get(field), other, lit))
            if expected is not None and actual is not None and boundary and expected == passing_other \
                    and actual == passing:
                findings.append(Finding(
                    f"`{text}` {'excludes' if op in ('>', '<') else 'includes'} the {boundary} input record(s) "
                    f"whose `{field}` is exactly {lit:g}; the expectation ({expected:g}) counts the inputs that "
                    f"satisfy `{field} {other} {lit:g}` instead, which is what the query returns with "
                    f"`{other}` ({passing_other}); with `{op}` it returns {passing}.",
                    f"decide which boundary is intended: write `{field} {other} {lit:g}` in the SQL, or fix the "
                    f"expectation to {passing}."))
        if getattr(result, "type", "") == "field_values":
            params = getattr(result, "expected", None)
            findings.extend(_field_values_vs_where(ctx, field, op, lit, text, params))
    return findings


def _field_values_vs_where(ctx: FailureContext, field: str, op: str, lit: Any, text: str,
                           params: Any) -> list[Finding]:
    samples = list(getattr(ctx.result, "samples", None) or [])
    if not samples or not all(isinstance(s, dict) and field in s for s in samples):
        return []
    values = [s[field] for s in samples]
    return [Finding(
        f"the query keeps every record with `{text}`, but the assertion demands more of `{field}` "
        f"(expected {params}); outputs such as {', '.join(str(v) for v in values[:3])} satisfy the WHERE clause "
        "and fail the assertion.",
        f"align the two: tighten the WHERE clause to what the assertion demands, or relax the assertion to "
        f"`{text}`.")]


def _window_findings(ctx: FailureContext) -> list[Finding]:
    q = getattr(ctx.statement, "query", None)
    window = getattr(q, "window", None)
    if window is None or getattr(window, "kind", None) != "tumbling" or not window.size_ms:
        return []
    size = int(window.size_ms)
    times: list[int] = []
    ts_field = (getattr(ctx.statement, "properties", {}) or {}).get("event.time.field") or window.time_column
    for source, rows in ctx.inputs.items():
        if ts_field and rows and ts_field in rows[0]:
            times += [int(r[ts_field]) for r in rows if isinstance(r.get(ts_field), (int, float))]
        else:
            times += list(ctx.input_times.get(source, []))
    if not times:
        return [Finding("the window has no input records at all, so no window is ever opened or emitted.",
                        "give the input records (check `records:` and the time_simulation range).")]
    windows = sorted({t // size for t in times})
    group_cols = [c.sql() for c in getattr(q, "group_by", []) or []]
    expected = _expected_number(ctx.result)
    actual = _number(getattr(ctx.result, "actual", None))
    first, last = windows[0] * size, (windows[-1] + 1) * size
    span = f"input event times fall in {len(windows)} tumbling window(s) of {size} ms between {first} and {last}"
    if expected is not None and actual is not None and abs(expected - actual) == 1:
        return [Finding(
            f"off by one: {span} (end exclusive, so a record exactly at a boundary opens the next window); "
            f"the query emitted {actual:g} row(s) and the spec expects {expected:g}"
            + (f" (grouped by {', '.join(group_cols)})" if group_cols else "") + ".",
            f"set the expectation to {actual:g}, or derive it from the inputs with a template instead of a "
            "constant.")]
    return [Finding(span + ".", "compare the expectation with the windows the inputs actually cover.")]


def _join_findings(ctx: FailureContext) -> list[Finding]:
    from sqlglot import exp

    q = getattr(ctx.statement, "query", None)
    if not getattr(q, "joins", None):
        return []
    by_alias = {q.source.ref_name: q.source.name}
    for j in q.joins:
        by_alias[j.source.ref_name] = j.source.name
    findings = []
    for j in q.joins:
        if j.on is None:
            continue
        for eq in j.on.find_all(exp.EQ):
            left, right = eq.this, eq.expression
            if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
                continue
            lsrc, rsrc = by_alias.get(left.table, left.table), by_alias.get(right.table, right.table)
            lrows, rrows = ctx.inputs.get(lsrc), ctx.inputs.get(rsrc)
            if not lrows or not rrows:
                continue
            lkeys = {str(r.get(left.name)) for r in lrows if r.get(left.name) is not None}
            rkeys = {str(r.get(right.name)) for r in rrows if r.get(right.name) is not None}
            overlap = len(lkeys & rkeys)
            rate = sum(1 for r in lrows if str(r.get(left.name)) in rkeys) / len(lrows)
            if overlap == 0:
                better = [f for f in rrows[0] if f != right.name and
                          len(lkeys & {str(r.get(f)) for r in rrows}) > 0]
                better_l = [f for f in lrows[0] if f != left.name and
                            len({str(r.get(f)) for r in lrows} & rkeys) > 0]
                hint = ""
                if better:
                    hint = f" `{right.table}.{better[0]}` does share values with `{left.sql()}`."
                elif better_l:
                    hint = f" `{left.table}.{better_l[0]}` does share values with `{right.sql()}`."
                findings.append(Finding(
                    f"the join key never matches: no value of `{left.sql()}` (e.g. {sorted(lkeys)[:2]}) appears in "
                    f"`{right.sql()}` (e.g. {sorted(rkeys)[:2]}), so the join matches 0% of {lsrc} records."
                    + hint,
                    "join on the field that carries the same identifier on both sides"
                    + (f": `ON {left.sql()} = {right.table}.{better[0]}`." if better else ".")))
            else:
                findings.append(Finding(
                    f"`{eq.sql()}` matches {rate:.0%} of {lsrc} records ({overlap} distinct keys in common).",
                    "if the coverage is lower than expected, check the reference data and the schema's "
                    "`references` foreign key rate."))
    return findings


def _coverage_findings(ctx: FailureContext) -> list[Finding]:
    """A required data coverage that failed: each item the inputs did not cover, why (its hint), and the fix."""
    items = [s for s in list(getattr(ctx.result, "samples", None) or []) if isinstance(s, dict) and "item" in s]
    findings = []
    for i, s in enumerate(items):
        why = f": {s['hint']}" if s.get("hint") else ""
        fix = "" if i else (f"cover {', '.join(x['item'] for x in items)}: give the sources data that reaches each "
                            "(a wider schema range or enum_values, a null_probability, data_file records); a part no "
                            "real input can reach is dead SQL: remove it")
        findings.append(Finding(
            f"{s['item']} `{s.get('sql', '')}` ({s.get('where', '')}) was {s.get('gap', 'not covered')}{why}.", fix))
    return findings


def explain_offline(ctx: FailureContext) -> str:
    """Markdown: the most specific cause found, the fix, then the evidence summary."""
    r = ctx.result
    if r.type == "coverage":
        findings = _coverage_findings(ctx)
    else:
        findings = _join_findings(ctx) + _window_findings(ctx) + _filter_findings(ctx)
    lines = [f"# Why `{r.type}` failed in {ctx.app} / {ctx.query}", "",
             "_Offline explanation (rule-based; no AI was used)._", ""]
    if findings:
        lines += ["## Cause", ""] + [f"- {f.cause}" for f in findings] + ["", "## Fix", ""]
        lines += [f"- {f.fix}" for f in findings if f.fix]
    else:
        lines += ["## What happened", "",
                  f"- expected `{r.expected}`, got `{r.actual}`: {r.message}",
                  "- no rule matched this failure; compare the offending records below with the SQL."]
    lines += ["", "## Evidence", "", f"- assertion at `{r.file}:{r.line}`" if getattr(r, "line", None) else
              "- assertion location unknown",
              "- inputs: " + ", ".join(f"{s} = {len(v)} records" for s, v in ctx.inputs.items()),
              f"- outputs: {len(ctx.outputs)} records"]
    for s in list(getattr(r, "samples", None) or [])[:5]:
        lines.append(f"- offending: `{s}`")
    minimal = ctx.minimal_input
    if minimal is not None and getattr(minimal, "applies", False):
        sizes = ", ".join(f"{after} of {before} records of `{s}`" for s, (before, after) in minimal.sizes.items())
        lines += ["", "## Minimal failing input", "", f"The failure persists with only {sizes}:", ""]
        for source, rows in minimal.records.items():
            lines += [f"- `{source}`: `{row}`" for row in rows[:20]]
        if minimal.command:
            lines += ["", f"Reproduce: `{minimal.command}`"]
    return "\n".join(lines)
