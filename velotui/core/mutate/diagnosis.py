"""Why a mutant survived: the spec does not look (outputs differ) or the data cannot tell (they do not).

For the first, the first differing record, a hint naming what no assertion looks at, and an assertion
that would kill the mutant, checked: it passes on the original's output and fails on the mutant's. For the
second, a hint about what the inputs never reach (a comparison's boundary value that no input has, …).
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from velotui.report.mutation import Difference


# -- comparing outputs ---------------------------------------------------------------------------------
def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, float) and isinstance(b, float):
        return math.isnan(a) and math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return False


def first_difference(queries: list[str], original: dict[str, Any], mutant: dict[str, Any]) -> Difference | None:
    """The first record (in query order, then output order) where the mutant's output differs from the
    original's — a record missing, an extra one, or one whose values differ, found by aligning the two
    outputs (one extra record early on is an extra record, not every later one shifted); then the
    dead-letter lists. ``original``/``mutant``: query name → QueryRecord."""
    for q in queries:
        a, b = original.get(q), mutant.get(q)
        if a is None or b is None:
            continue
        found = _first_change(a.outputs, b.outputs)
        if found is None:
            continue
        what, i, j = found
        xs, ys = a.outputs, b.outputs
        if what == "missing":
            return Difference(q, i, "missing", original=xs[i].value, original_count=len(xs), mutant_count=len(ys))
        if what == "extra":
            return Difference(q, j, "extra", mutant=ys[j].value, original_count=len(xs), mutant_count=len(ys))
        return Difference(q, i, "value", field=_differing_field(xs[i], ys[j]), original=xs[i].value,
                          mutant=ys[j].value, original_count=len(xs), mutant_count=len(ys))
    for q in queries:
        a, b = original.get(q), mutant.get(q)
        if a is None or b is None:
            continue
        da = [(d.error_type, d.record) for d in a.dead_letters]
        db = [(d.error_type, d.record) for d in b.dead_letters]
        if len(da) != len(db) or not all(_same(x, y) for x, y in zip(da, db)):
            i = next((k for k, (x, y) in enumerate(zip(da, db)) if not _same(x, y)), min(len(da), len(db)))
            return Difference(q, i, "dead_letters", original_count=len(da), mutant_count=len(db))
    return None


ALIGN_LIMIT = 2000  # records either side of the first change that are aligned (beyond: compared in place)


def _first_change(xs: list[Any], ys: list[Any]) -> tuple[str, int, int] | None:
    """("missing" | "extra" | "value", index in xs, index in ys) of the first change, or None."""
    n = min(len(xs), len(ys))
    start = next((k for k in range(n) if not _same_message(xs[k], ys[k])), n)
    if start == len(xs) == len(ys):
        return None
    if start == len(ys):
        return "missing", start, start
    if start == len(xs):
        return "extra", start, start
    import difflib

    a = [_canonical(m) for m in xs[start:start + ALIGN_LIMIT]]
    b = [_canonical(m) for m in ys[start:start + ALIGN_LIMIT]]
    for tag, i1, _i2, j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "delete":
            return "missing", start + i1, start + j1
        if tag == "insert":
            return "extra", start + i1, start + j1
        return "value", start + i1, start + j1
    return "value", start, start


def _same_message(x: Any, y: Any) -> bool:
    return _same(x.value, y.value) and _same(x.key, y.key)


def _canonical(m: Any) -> bytes:
    import orjson

    return orjson.dumps([m.key, m.value], default=str, option=orjson.OPT_SORT_KEYS)


def _differing_field(x: Any, y: Any) -> str | None:
    if not _same(x.key, y.key) and _same(x.value, y.value):
        return "$key"
    a, b = x.value or {}, y.value or {}
    for k in list(a) + [k for k in b if k not in a]:
        if k not in a or k not in b or not _same(a[k], b[k]):
            return k
    return None


# -- what the assertions look at -----------------------------------------------------------------------
_ATTR = re.compile(r"\.([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\]")
_NOT_FIELDS = {"records", "count", "get", "keys", "values", "items"}


def fields_looked_at(assertions: list[Any]) -> set[str]:
    """Field names the assertions of a query name: their field/fields/key parameters and the attributes
    their templates read (``r.amount``)."""
    out: set[str] = set()
    for a in assertions:
        for key, v in (getattr(a, "params", None) or {}).items():
            if key in ("field", "key_field") and isinstance(v, str):
                out.add(v)
            elif key in ("fields", "key_fields", "partition_by") and isinstance(v, (list, str)):
                out.update([v] if isinstance(v, str) else [x for x in v if isinstance(x, str)])
            elif isinstance(v, str):
                for m in _ATTR.finditer(v):
                    name = m.group(1) or m.group(2)
                    if name not in _NOT_FIELDS:
                        out.add(name)
    return out


COUNT_TYPES = {"record_count", "expected_output", "completeness", "file_row_count"}


def spec_hint(mutant: Any, diff: Difference, assertions: list[Any]) -> str:
    """What no assertion looks at, in the user's words."""
    head = (f"no assertion notices `{mutant.before}` {mutant.note}" if mutant.note
            else f"no assertion distinguishes `{mutant.before}` from `{mutant.after}`")
    if diff.what in ("missing", "extra"):
        counted = [a for a in assertions if a.type in COUNT_TYPES or "len(records)" in str(a.params)]
        tail = ("the checks on the number of records accept both counts" if counted
                else "no assertion checks how many records come out")
        return f"{head}: {tail}"
    if diff.what == "dead_letters":
        return f"{head}: no assertion checks the dead-letter list (dlq_count)"
    looked = fields_looked_at(assertions)
    if diff.field and diff.field != "$key" and diff.field not in looked:
        tail = f"no assertion looks at `{diff.field}`"
    elif diff.field == "$key":
        tail = "no assertion looks at the message key"
    else:
        tail = f"the assertions that read `{diff.field}` accept both values"
    return f"{head}: {tail}"


def data_hint(mutant: Any, operator: Any, inputs: dict[str, list[dict]]) -> str:
    """Why the data cannot tell: a boundary no input has, else the operator's own words."""
    other = f"`{mutant.after}`" if not mutant.note else f"the mutant ({mutant.note})"
    base = f"the outputs are identical record for record: these inputs never tell `{mutant.before}` from {other}"
    boundary = mutant.boundary
    if boundary is not None:
        name, value = boundary.field, boundary.value
        rows = [r for rows in inputs.values() for r in rows if isinstance(r, dict) and name in r]
        if isinstance(value, tuple):
            lo, hi = sorted(value)
            hits = [r for r in rows if _num(r[name]) is not None and lo <= _num(r[name]) <= hi]  # type: ignore[operator]
            where = f"between {_lit(lo)} and {_lit(hi)}"
        else:
            hits = [r for r in rows if _same(r[name], value) or (_num(r[name]) is not None
                                                                  and _num(r[name]) == _num(value))]
            where = f"= {_lit(value)}"
        if rows and not hits:
            return (f"{base}: no input record has `{name}` {where} (the boundary of `{boundary.comparison}`); a "
                    f"data_file row or a schema range that reaches it would")
        if hits:
            return (f"{base}: {len(hits)} input record(s) have `{name}` {where}, but none of them reaches this "
                    f"part of the query with a different result (other conditions decide them first)")
    return f"{base}: {operator.cannot_tell}"


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _lit(v: Any) -> str:
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return repr(v) if isinstance(v, str) else str(v)


# -- an assertion that would kill it -------------------------------------------------------------------
def suggest_assertion(diff: Difference, original: Any, mutant: Any, context: Any,
                      statement: Any = None) -> str | None:
    """YAML of the first candidate assertion that passes on ``original``'s output and fails on ``mutant``'s
    (QueryRecords of ``diff.query``); ``context(record)`` builds the AssertionContext. ``statement`` (the
    query's statement) lets a count be tied to the inputs instead of this seed's number."""
    from velotui.assertions import evaluate
    from velotui.spec import AssertionSpec

    candidates = _candidates(diff, original, mutant)
    if diff.what in ("missing", "extra") and statement is not None:
        tied = count_from_inputs(statement, original)
        if tied is not None:
            candidates.insert(0, tied)
    for candidate in candidates:
        spec = AssertionSpec.model_validate(candidate)
        try:
            ok = evaluate(spec, context(original)).status == "passed"
            killed = evaluate(spec, context(mutant)).status == "failed"
        except Exception:  # a candidate that cannot be evaluated is not suggested
            continue
        if ok and killed:
            return yaml.safe_dump([candidate], sort_keys=False, allow_unicode=True, width=10_000).strip()
    return None


def count_from_inputs(statement: Any, rec: Any) -> dict[str, Any] | None:
    """For a filter over one source (no join, grouping, window or DISTINCT), the count recomputed from the
    inputs: ``len(records) == count(1 for r in inputs.orders.records if r.amount > 100)`` holds for every
    seed, where a number holds for one."""
    q = statement.query
    if q.joins or q.group_by or q.window or q.distinct or q.limit is not None or q.source.kind == "stream":
        return None
    if q.source.name not in rec.inputs or any(_has_window_function(i.expr) for i in q.items):
        return None
    condition = "True" if q.where is None else _python(q.where, {q.source.ref_name, q.source.name})
    if condition is None:
        return None
    test = "" if condition == "True" else f" if {_unwrap(condition)}"
    return {"type": "template", "description": f"exactly the {q.source.name} records the WHERE keeps",
            "expression": f"len(records) == count(1 for r in inputs.{q.source.name}.records{test})"}


def _unwrap(text: str) -> str:
    """``(a and b)`` → ``a and b`` when the outer parentheses belong together."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return text
    return text[1:-1]


def _has_window_function(node: Any) -> bool:
    from sqlglot import exp

    return any(isinstance(n, exp.Window) for n in node.walk())


_PY_CMP = {"GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=", "EQ": "==", "NEQ": "!="}


def _python(node: Any, qualifiers: set[str]) -> str | None:
    """A WHERE condition as a template expression over ``r`` (an input record); None when it uses anything
    beyond columns, literals, comparisons, AND/OR/NOT, IN, BETWEEN and IS NULL. A comparison with NULL is
    false, as in SQL; the suggestion is only made when it holds on the original's output."""
    from sqlglot import exp

    def col(n: Any) -> str | None:
        if isinstance(n, exp.Column) and (not n.table or n.table in qualifiers) and n.name.isidentifier():
            return f"r.{n.name}"
        return None

    def value(n: Any) -> str | None:
        found = col(n)
        if found:
            return found
        if isinstance(n, exp.Neg):
            inner = value(n.this)
            return f"-{inner}" if inner is not None else None
        if isinstance(n, exp.Literal):
            return repr(n.this) if n.is_string else n.this
        if isinstance(n, exp.Boolean):
            return "True" if n.this else "False"
        return None

    if isinstance(node, exp.Paren):
        inner = _python(node.this, qualifiers)
        return f"({inner})" if inner else None
    if isinstance(node, (exp.And, exp.Or)):
        a, b = _python(node.this, qualifiers), _python(node.expression, qualifiers)
        if a is None or b is None:
            return None
        return f"({a} {'and' if isinstance(node, exp.And) else 'or'} {b})"
    if isinstance(node, exp.Not):
        inner = _python(node.this, qualifiers)
        return f"(not {inner})" if inner else None
    if type(node).__name__ in _PY_CMP:
        a, b = value(node.this), value(node.expression)
        if a is None or b is None:
            return None
        guards = [f"{x} is not None" for x in (a, b) if x.startswith("r.")]
        return "(" + " and ".join([*guards, f"{a} {_PY_CMP[type(node).__name__]} {b}"]) + ")"
    if isinstance(node, exp.In) and not node.args.get("query"):
        a = value(node.this)
        items = [value(e) for e in node.expressions]
        if a is None or any(i is None for i in items):
            return None
        return f"({a} in ({', '.join(items)}{',' if len(items) == 1 else ''}))"  # type: ignore[arg-type]
    if isinstance(node, exp.Between):
        a, lo, hi = value(node.this), value(node.args.get("low")), value(node.args.get("high"))
        if a is None or lo is None or hi is None:
            return None
        return f"({a} is not None and {lo} <= {a} <= {hi})"
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        a = value(node.this)
        return f"({a} is None)" if a else None
    return None


def _values(rec: Any) -> list[dict]:
    return [m.value for m in rec.outputs if isinstance(m.value, dict)]


def _candidates(diff: Difference, original: Any, mutant: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    xs, ys = _values(original), _values(mutant)
    if diff.what in ("missing", "extra"):
        out.append({"type": "record_count", "equals": len(xs),
                    "description": f"{len(xs)} records for this seed (better: tie it to the inputs)"})
    if diff.what == "dead_letters":
        out.append({"type": "dlq_count", "equals": diff.original_count})
    f = diff.field
    if diff.what == "value" and f and f != "$key":
        if all(f in r for r in xs) and any(f not in r for r in ys):
            out.append({"type": "schema_contains", "fields": [f]})
        a = [r[f] for r in xs if f in r]
        b = [r[f] for r in ys if f in r]
        na = [_num(v) for v in a if _num(v) is not None]
        nb = [_num(v) for v in b if _num(v) is not None]
        if na and nb and min(nb) < min(na):  # type: ignore[type-var]
            out.append({"type": "field_values", "field": f, "operator": "greater_than_or_equals",
                        "value": _plain(min(a, key=lambda v: _num(v) if _num(v) is not None else math.inf))})
        if na and nb and max(nb) > max(na):  # type: ignore[type-var]
            out.append({"type": "field_values", "field": f, "operator": "less_than_or_equals",
                        "value": _plain(max(a, key=lambda v: _num(v) if _num(v) is not None else -math.inf))})
        if a and all(v is not None for v in a) and any(v is None for v in b):
            out.append({"type": "no_nulls", "fields": [f]})
        texts = {v for v in a if isinstance(v, str)}
        if texts and len(texts) <= 12 and any(isinstance(v, str) and v not in texts for v in b):
            out.append({"type": "field_in_set", "field": f, "values": sorted(texts)})
        point = _point_check(diff, f)
        if point:
            out.append(point)
    return out


def _plain(v: Any) -> Any:
    from decimal import Decimal

    return float(v) if isinstance(v, Decimal) else v


def _point_check(diff: Difference, f: str) -> dict[str, Any] | None:
    """``any(r.order_id == 17 and r.amount_tier == 'HIGH' for r in records)``: the original's record, found by
    the fields both records share."""
    a, b = diff.original, diff.mutant
    if not isinstance(a, dict) or not isinstance(b, dict) or f not in a:
        return None
    shared = [k for k in a if k != f and k in b and _same(a[k], b[k]) and _literal(a[k]) is not None]
    ids = sorted(shared, key=lambda k: (not (k == "id" or k.endswith("_id")), not k.endswith("id"),
                                        list(a).index(k)))[:2]
    want = _literal(a[f])
    if want is None or not all(k.isidentifier() for k in [*ids, f]):
        return None
    parts = [f"r.{k} == {_literal(a[k])}" for k in ids]
    parts.append(f"abs(r.{f} - {want}) < 1e-9" if isinstance(a[f], float) else f"r.{f} == {want}")
    where = ", ".join(f"{k} {_literal(a[k])}" for k in ids) or f"record {diff.index + 1}"
    return {"type": "template", "description": f"the record with {where} has {f} {want} (this seed)",
            "expression": f"any({' and '.join(parts)} for r in records)"}


def _literal(v: Any) -> str | None:
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, (int, float)):
        return repr(v) if not (isinstance(v, float) and not math.isfinite(v)) else None
    if isinstance(v, str):
        return repr(v)
    return None
