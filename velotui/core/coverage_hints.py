"""Why a coverage item was never covered: hints from the data schema, else from the inputs themselves.

Given an uncovered item (velotui.engine.api.CoveredItem) and the facts of the query's inputs — each field's
data schema (range, enum values, nullability, null_probability, references, distribution) and the values
the run actually had — ``hint`` says, when it can, why the inputs never produced the missing outcome:

- a comparison whose side cannot reach the literal: interval arithmetic over the schema's ranges
  ("`amount * quantity > 100000` never true: amount max 100 × quantity max 10 gives at most 1000");
- an enum field compared to a value outside its enum, IS NULL on a field that is never NULL;
- a CASE arm that every earlier arm already catches, an ELSE that the arms leave nothing for (one-column
  conditions are evaluated at every critical point of the column's domain, which is exact for them);
- a join whose stream key ``references`` the table (every record matches), a window whose inputs never go
  back in event time, a GROUP BY key with one value, a NULL that the schema never generates;
- else what the inputs held ("in these 300 records amount was at most 487.2").

Nothing here runs the engine or changes a result: it only reads the item, the schemas and the records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from velotui.sql.analysis import call_args, call_name

NUMERIC_KINDS = ("integer", "float", "decimal")
SAMPLE_VALUES = 8  # distinct values named in a hint at most


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, Decimal)):
        f = float(v)
        return f if math.isfinite(f) else None
    return None


# -- facts about the inputs --------------------------------------------------------------------------
@dataclass
class FieldFacts:
    """What is known of one field of one source: its data schema's constraints and the values seen."""

    source: str
    name: str
    schema_field: Any = None  # velotui.spec.schema.SchemaField
    null_probability: float | None = None  # the probability generation used (None: not generated)
    records: int = 0
    nulls: int = 0
    values: list[Any] = field(default_factory=list)  # non-NULL values seen

    @property
    def label(self) -> str:
        return self.name

    @property
    def kind(self) -> str | None:
        return getattr(self.schema_field, "kind", None)

    @property
    def range(self) -> tuple[float, float] | None:
        f = self.schema_field
        c = getattr(f, "constraints", None)
        if c is None or c.derived or c.references:
            return None
        if c.enum_values is not None:
            nums = [_number(v) for v in c.enum_values.values]
            if nums and all(n is not None for n in nums):
                return min(nums), max(nums)  # type: ignore[type-var]
            return None
        if c.range is not None and self.kind in NUMERIC_KINDS:
            return float(c.range.min), float(c.range.max)
        return None

    @property
    def enum(self) -> list[Any] | None:
        c = getattr(self.schema_field, "constraints", None)
        if c is None or c.enum_values is None or c.derived:
            return None
        return list(c.enum_values.values)

    @property
    def distribution(self) -> str | None:
        c = getattr(self.schema_field, "constraints", None)
        d = getattr(c, "distribution", None) if c is not None else None
        return d.kind if d is not None and d.kind != "uniform" else None

    @property
    def references(self) -> Any:
        c = getattr(self.schema_field, "constraints", None)
        return getattr(c, "references", None) if c is not None else None

    def observed_range(self) -> tuple[float, float] | None:
        nums = [n for n in (_number(v) for v in self.values) if n is not None]
        return (min(nums), max(nums)) if nums else None

    def distinct(self, limit: int = 1000) -> list[Any]:
        out: list[Any] = []
        seen: set[Any] = set()
        for v in self.values:
            k = repr(v)
            if k not in seen:
                seen.add(k)
                out.append(v)
                if len(out) >= limit:
                    break
        return out

    def never_null_reason(self) -> str | None:
        """Why this field was never NULL in the inputs, when it was not."""
        if self.nulls:
            return None
        f = self.schema_field
        if f is not None and not f.nullable and not f.null_probability:
            return f"{self.name} is never NULL: its schema field is not nullable (set nullable: true and a " \
                   f"null_probability to generate NULLs)"
        if self.null_probability is not None and self.null_probability == 0:
            return f"{self.name} is never NULL: it is generated with null_probability 0"
        if self.records:
            p = f" (null_probability {_num(self.null_probability)})" if self.null_probability else ""
            return f"no record of {self.source} had a NULL {self.name} in these {self.records} records{p}"
        return None


class Facts:
    """The facts of one query's inputs, by the names the statement's SQL uses for its sources."""

    def __init__(self, statement: Any, inputs: list[Any], input_specs: dict[str, Any] | None = None,
                 times: dict[str, list[int]] | None = None, app: Any = None, depth: int = 0) -> None:
        self.statement = statement
        self.app = app
        self.depth = depth
        self.refs: dict[str, str] = {}  # alias or name -> source name
        self.order: list[str] = []
        for s in getattr(statement, "sources", []) or []:
            self.refs[s.name] = s.name
            if s.alias:
                self.refs[s.alias] = s.name
            self.order.append(s.name)
        self.inputs = {p.source: p for p in inputs}
        self.specs = dict(input_specs or {})
        self.times = dict(times or {})
        self.aliases = {i.name: i.expr for i in getattr(getattr(statement, "query", None), "items", []) or []}
        self._cache: dict[tuple[str, str], FieldFacts | None] = {}

    def records(self, source: str) -> int | None:
        p = self.inputs.get(source)
        return None if p is None else len(p.records)

    def stream_records(self) -> int | None:
        counts = [self.records(s) for s in self.order]
        known = [c for c in counts if c is not None]
        return sum(known) if known else None

    def source_of(self, column: exp.Column) -> str | None:
        if column.table:
            return self.refs.get(column.table)
        for name in self.order:
            p = self.inputs.get(name)
            schema = getattr(p, "schema", None) if p is not None else None
            if schema is not None and schema.field(column.name) is not None:
                return name
            if p is not None and any(column.name in r for r in p.records[:50]):
                return name
        return self.order[0] if len(self.order) == 1 else None

    def field(self, column: exp.Column) -> FieldFacts | None:
        source = self.source_of(column)
        if source is None:
            return None
        key = (source, column.name)
        if key not in self._cache:
            self._cache[key] = self._facts(source, column.name) or self._upstream(source, column.name)
        return self._cache[key]

    def _upstream(self, source: str, name: str) -> FieldFacts | None:
        """A field of an upstream statement that passes a column of its own source through: that column's
        facts (a superset of what the statement lets through, so a bound drawn from it still holds)."""
        producer = self.app.statement(source) if self.app is not None and self.depth < 10 else None
        if producer is None:
            return None
        item = next((i for i in producer.query.items if i.name == name), None)
        expr = item.expr if item is not None else (exp.column(name) if producer.query.star else None)
        if not isinstance(expr, exp.Column):
            return None
        facts = Facts(producer, list(self.inputs.values()), self.specs, self.times, self.app, self.depth + 1).field(expr)
        if facts is not None and source not in facts.source:
            facts = FieldFacts(source=f"{facts.source} (read through {source})", name=facts.name,
                               schema_field=facts.schema_field, null_probability=facts.null_probability,
                               records=facts.records, nulls=facts.nulls, values=facts.values)
        return facts

    def _facts(self, source: str, name: str) -> FieldFacts | None:
        p = self.inputs.get(source)
        if p is None:
            return None
        schema = getattr(p, "schema", None)
        sf = schema.field(name) if schema is not None else None
        if sf is None and not any(name in r for r in p.records[:50]):
            return None
        facts = FieldFacts(source=source, name=name, schema_field=sf, records=len(p.records))
        if sf is not None and not getattr(p, "from_previous", False):
            override = getattr(self.specs.get(source), "null_probability", None)
            if override is not None and sf.nullable:
                facts.null_probability = float(override)
            elif sf.null_probability is not None:
                facts.null_probability = float(sf.null_probability) if sf.nullable or sf.null_probability else 0.0
            else:
                facts.null_probability = 0.1 if sf.nullable else 0.0
        for r in p.records:
            v = r.get(name) if isinstance(r, dict) else None
            if v is None:
                facts.nulls += 1
            else:
                facts.values.append(v)
        return facts


# -- bounds of numeric expressions ----------------------------------------------------------------------
@dataclass
class Bound:
    lo: float
    hi: float
    lo_why: str
    hi_why: str
    schema: bool  # every part came from a schema (else from the inputs' values)
    single: FieldFacts | None = None  # the expression is this one field


def bound(node: exp.Expression, facts: Facts, observed: bool = False, depth: int = 0) -> Bound | None:
    """The range of a numeric expression: from the schemas' ranges (or, ``observed``, from the values the
    inputs had), with the words that explain each end."""
    if depth > 40:
        return None
    if isinstance(node, exp.Paren):
        return bound(node.this, facts, observed, depth + 1)
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            v = float(str(node.this))
        except ValueError:
            return None
        return Bound(v, v, _num(v), _num(v), True)
    if isinstance(node, exp.Neg):
        b = bound(node.this, facts, observed, depth + 1)
        return None if b is None else Bound(-b.hi, -b.lo, f"-({b.hi_why})", f"-({b.lo_why})", b.schema)
    if isinstance(node, exp.Column):
        if not node.table and node.name in facts.aliases and facts.field(node) is None:
            return bound(facts.aliases[node.name], facts, observed, depth + 1)
        f = facts.field(node)
        if f is None:
            return None
        r = f.observed_range() if observed else f.range
        if r is None:
            return None
        if observed:
            return Bound(r[0], r[1], f"{f.label} at least {_num(r[0])}", f"{f.label} at most {_num(r[1])}", False, f)
        return Bound(r[0], r[1], f"{f.label} min {_num(r[0])}", f"{f.label} max {_num(r[1])}", True, f)
    if isinstance(node, exp.Cast):
        return bound(node.this, facts, observed, depth + 1)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
        a = bound(node.this, facts, observed, depth + 1)
        b = bound(node.expression, facts, observed, depth + 1)
        if a is None or b is None:
            return None
        return _combine(node, a, b)
    name = call_name(node)
    if name in ("SUM", "COUNT", "AVG", "MIN", "MAX"):
        return _aggregate_bound(node, name, facts, observed, depth)
    if name == "ABS":
        args = call_args(node) or []
        b = bound(args[0], facts, observed, depth + 1) if args else None
        if b is None:
            return None
        hi = max(abs(b.lo), abs(b.hi))
        lo = 0.0 if b.lo <= 0 <= b.hi else min(abs(b.lo), abs(b.hi))
        return Bound(lo, hi, f"ABS of {b.lo_why}", f"ABS of {b.hi_why if abs(b.hi) >= abs(b.lo) else b.lo_why}", b.schema)
    return None


def _group(why: str) -> str:
    return f"({why})" if any(op in why for op in (" + ", " − ", " × ", " ÷ ")) else why


def _combine(node: exp.Expression, a: Bound, b: Bound) -> Bound | None:
    schema = a.schema and b.schema
    if isinstance(node, exp.Add):
        return Bound(a.lo + b.lo, a.hi + b.hi, f"{a.lo_why} + {b.lo_why}", f"{a.hi_why} + {b.hi_why}", schema)
    if isinstance(node, exp.Sub):
        return Bound(a.lo - b.hi, a.hi - b.lo, f"{a.lo_why} − {_group(b.hi_why)}", f"{a.hi_why} − {_group(b.lo_why)}",
                     schema)
    if isinstance(node, exp.Div) and b.lo <= 0 <= b.hi:
        return None
    sym = "×" if isinstance(node, exp.Mul) else "÷"
    ends = []
    for x, xw in ((a.lo, a.lo_why), (a.hi, a.hi_why)):
        for y, yw in ((b.lo, b.lo_why), (b.hi, b.hi_why)):
            v = x * y if isinstance(node, exp.Mul) else x / y
            ends.append((v, f"{_group(xw)} {sym} {_group(yw)}"))
    lo = min(ends, key=lambda e: e[0])
    hi = max(ends, key=lambda e: e[0])
    return Bound(lo[0], hi[0], lo[1], hi[1], schema)


def _aggregate_bound(node: exp.Expression, name: str, facts: Facts, observed: bool, depth: int) -> Bound | None:
    n = facts.stream_records()
    args = call_args(node)
    if args is None:
        args = [node.this] if isinstance(node.args.get("this"), exp.Expression) else []
    if name == "COUNT":
        if n is None:
            return None
        return Bound(1, n, "one record", f"the {n} input records", True)
    if not args or isinstance(args[0], exp.Star):
        return None
    b = bound(args[0], facts, observed, depth + 1)
    if b is None:
        return None
    if name in ("AVG", "MIN", "MAX"):
        return Bound(b.lo, b.hi, f"{name}: {b.lo_why}", f"{name}: {b.hi_why}", b.schema)
    if n is None:
        return None
    lo = b.lo if b.lo >= 0 else b.lo * n
    hi = b.hi * n if b.hi >= 0 else b.hi
    lo_why = f"one record with {b.lo_why}" if b.lo >= 0 else f"{n} records × {b.lo_why}"
    hi_why = f"{n} records × {b.hi_why}" if b.hi >= 0 else f"one record with {b.hi_why}"
    return Bound(lo, hi, lo_why, hi_why, b.schema)


# -- can a condition be true, be false? ------------------------------------------------------------------
_FLIP = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}
_OPS = {exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=", exp.EQ: "=", exp.NEQ: "<>"}


def _literal(node: exp.Expression) -> tuple[bool, Any]:
    """(is a literal, its value) — numbers as floats, text as text."""
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        ok, v = _literal(node.this)
        return ok, -v if ok else None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return True, str(node.this)
        try:
            return True, float(str(node.this))
        except ValueError:
            return False, None
    if isinstance(node, exp.Boolean):
        return True, bool(node.this)
    return False, None


def why_impossible(cond: exp.Expression, want: bool, facts: Facts, observed: bool = False) -> str | None:
    """Why ``cond`` can never be ``want`` (True: true; False: false) on these inputs' schemas (``observed``:
    on the values the inputs had); None when it can, or when nothing tells."""
    while isinstance(cond, exp.Paren):
        cond = cond.this
    if isinstance(cond, exp.Not):
        return why_impossible(cond.this, not want, facts, observed)
    if isinstance(cond, (exp.And, exp.Or)):
        parts = [cond.this, cond.expression]
        all_needed = isinstance(cond, exp.And) == want  # AND true / OR false: every part must be `want`
        reasons = [why_impossible(p, want, facts, observed) for p in parts]
        if all_needed:
            return next((r for r in reasons if r), None)
        return " and ".join(r for r in reasons if r) if all(reasons) else None
    if isinstance(cond, exp.Is) and isinstance(cond.expression, exp.Null) and isinstance(cond.this, exp.Column):
        f = facts.field(cond.this)
        if f is None:
            return None
        if want:
            return f.never_null_reason() if (observed or _never_null_by_schema(f)) else None
        return f"{f.name} was NULL in every record" if observed and f.records and not f.values else None
    if isinstance(cond, exp.In) and isinstance(cond.this, exp.Column) and not cond.args.get("query"):
        return _in_reason(cond, want, facts, observed)
    if isinstance(cond, exp.Between):
        lo_ok, lo = _literal(cond.args["low"])
        hi_ok, hi = _literal(cond.args["high"])
        b = bound(cond.this, facts, observed)
        if b is None or not (lo_ok and hi_ok) or not isinstance(lo, float) or not isinstance(hi, float):
            return None
        if want and (b.hi < lo or b.lo > hi):
            return _gives(b, b.hi < lo, observed) + f", outside {_num(lo)}..{_num(hi)}"
        if not want and lo <= b.lo and b.hi <= hi:
            return f"{b.lo_why} and {b.hi_why}: always within {_num(lo)}..{_num(hi)}"
        return None
    op = type(cond)
    if op not in _OPS:
        return None
    left, right = cond.this, cond.expression
    lit_ok, lit = _literal(right)
    if not lit_ok:
        lit_ok, lit = _literal(left)
        if not lit_ok:  # two expressions: compare their difference with 0
            diff = bound(exp.Sub(this=left.copy(), expression=right.copy()), facts, observed)
            reason = None if diff is None else _compare_reason(diff, op, 0.0, want, observed)
            return None if reason is None else f"their difference: {reason}"
        left, op = right, _FLIP[op]
    if isinstance(lit, str):
        return _text_reason(left, op, lit, want, facts, observed)
    if isinstance(lit, bool) or lit is None:
        return None
    b = bound(left, facts, observed)
    if b is None:
        return None
    return _compare_reason(b, op, lit, want, observed)


def _never_null_by_schema(f: FieldFacts) -> bool:
    return f.null_probability == 0 or (f.schema_field is not None and not f.schema_field.nullable
                                       and not f.schema_field.null_probability)


def _gives(b: Bound, high: bool, observed: bool) -> str:
    """``amount max 100 × quantity max 10 gives at most 1000`` (or the field alone: ``amount is at most 1000``)."""
    end = b.hi if high else b.lo
    side = "at most" if high else "at least"
    if b.single is not None:
        f = b.single
        if observed:
            return f"in these {f.records} records of {f.source}, {f.name} was {side} {_num(end)}" + _distribution_note(f)
        r = f.range
        source = "enum_values" if f.enum is not None else "range"
        return f"{f.name} is {side} {_num(end)} (its schema's {source}: {_num(r[0])} to {_num(r[1])})" if r else \
            f"{f.name} is {side} {_num(end)}"
    why = b.hi_why if high else b.lo_why
    lead = "in these inputs, " if observed else ""
    return f"{lead}{why} gives {side} {_num(end)}"


def _distribution_note(f: FieldFacts) -> str:
    r = f.range
    if r is None:
        return ""
    d = f.distribution
    tail = f" ({d} distribution)" if d else ""
    return f"; its schema allows {_num(r[0])} to {_num(r[1])}{tail}: more records, or a data_file row, would reach it"


def _compare_reason(b: Bound, op: type, lit: float, want: bool, observed: bool) -> str | None:
    def true_possible() -> bool:
        return {exp.GT: b.hi > lit, exp.GTE: b.hi >= lit, exp.LT: b.lo < lit, exp.LTE: b.lo <= lit,
                exp.EQ: b.lo <= lit <= b.hi, exp.NEQ: not (b.lo == b.hi == lit)}[op]

    def false_possible() -> bool:
        return {exp.GT: b.lo <= lit, exp.GTE: b.lo < lit, exp.LT: b.hi >= lit, exp.LTE: b.hi > lit,
                exp.EQ: not (b.lo == b.hi == lit), exp.NEQ: b.lo <= lit <= b.hi}[op]

    if want and not true_possible():
        if op in (exp.GT, exp.GTE):
            return _gives(b, True, observed)
        if op in (exp.LT, exp.LTE):
            return _gives(b, False, observed)
        high = b.hi < lit
        return _gives(b, high, observed) + f", never {_num(lit)}"
    if not want and not false_possible():
        if op in (exp.GT, exp.GTE):
            return _gives(b, False, observed)
        if op in (exp.LT, exp.LTE):
            return _gives(b, True, observed)
        return None
    return None


def _values_text(values: list[Any]) -> str:
    shown = [repr(v) if isinstance(v, str) else _num(v) for v in values[:SAMPLE_VALUES]]
    more = f" and {len(values) - SAMPLE_VALUES} more" if len(values) > SAMPLE_VALUES else ""
    return ", ".join(shown) + more


def _text_reason(left: exp.Expression, op: type, lit: str, want: bool, facts: Facts, observed: bool) -> str | None:
    if not isinstance(left, exp.Column) or op not in (exp.EQ, exp.NEQ):
        return None
    f = facts.field(left)
    if f is None:
        return None
    values = f.distinct() if observed else f.enum
    if values is None:
        return None
    inside = lit in [str(v) for v in values]
    where = f"in these {f.records} records of {f.source}, {f.name} was one of" if observed else \
        f"{f.name} is one of"
    tail = "" if observed else " (its schema's enum_values)"
    equal_impossible = not inside
    always_equal = [str(v) for v in values] == [lit]
    if (op is exp.EQ and want) or (op is exp.NEQ and not want):
        if equal_impossible:
            return f"{where} {_values_text(values)}{tail}: never {lit!r}"
    else:
        if always_equal:
            return f"{where} {_values_text(values)}{tail}: always {lit!r}"
    return None


def _in_reason(cond: exp.In, want: bool, facts: Facts, observed: bool) -> str | None:
    f = facts.field(cond.this)
    if f is None:
        return None
    lits = [_literal(v) for v in cond.expressions]
    if not all(ok for ok, _ in lits):
        return None
    wanted = {str(v) if isinstance(v, str) else _number(v) for _, v in lits}
    values = f.distinct() if observed else f.enum
    if values is None:
        return None
    norm = [str(v) if isinstance(v, str) else _number(v) for v in values]
    where = f"in these {f.records} records of {f.source}, {f.name} was one of" if observed else f"{f.name} is one of"
    tail = "" if observed else " (its schema's enum_values)"
    if want and not any(v in wanted for v in norm):
        return f"{where} {_values_text(values)}{tail}: none of the list"
    if not want and all(v in wanted for v in norm):
        return f"{where} {_values_text(values)}{tail}: always in the list"
    return None


# -- one-column conditions at every critical point (CASE arms and ELSE) -------------------------------------
def _column_of(cond: exp.Expression) -> exp.Column | None:
    cols = {(c.table, c.name): c for c in cond.find_all(exp.Column)}
    return next(iter(cols.values())) if len(cols) == 1 else None


def _holds(cond: exp.Expression, value: Any) -> bool | None:
    """The truth of a one-column condition at ``value`` (None: not a condition this evaluator knows)."""
    while isinstance(cond, exp.Paren):
        cond = cond.this
    if isinstance(cond, exp.Not):
        inner = _holds(cond.this, value)
        return None if inner is None else not inner
    if isinstance(cond, (exp.And, exp.Or)):
        a, b = _holds(cond.this, value), _holds(cond.expression, value)
        if a is None or b is None:
            return None
        return (a and b) if isinstance(cond, exp.And) else (a or b)
    if isinstance(cond, exp.In) and isinstance(cond.this, exp.Column):
        lits = [_literal(v) for v in cond.expressions]
        if not all(ok for ok, _ in lits):
            return None
        return any(_same(value, v) for _, v in lits)
    if isinstance(cond, exp.Between) and isinstance(cond.this, exp.Column):
        (ok1, lo), (ok2, hi) = _literal(cond.args["low"]), _literal(cond.args["high"])
        x = _number(value)
        if not (ok1 and ok2) or x is None or not isinstance(lo, float) or not isinstance(hi, float):
            return None
        return lo <= x <= hi
    op = type(cond)
    if op not in _OPS:
        return None
    left, right = cond.this, cond.expression
    ok, lit = _literal(right)
    if not ok or not isinstance(left, exp.Column):
        ok, lit = _literal(left)
        if not ok or not isinstance(right, exp.Column):
            return None
        op = _FLIP[op]
    if op is exp.EQ:
        return _same(value, lit)
    if op is exp.NEQ:
        return not _same(value, lit)
    x = _number(value)
    if x is None or not isinstance(lit, float):
        if isinstance(value, str) and isinstance(lit, str):
            return {exp.GT: value > lit, exp.GTE: value >= lit, exp.LT: value < lit, exp.LTE: value <= lit}[op]
        return None
    return {exp.GT: x > lit, exp.GTE: x >= lit, exp.LT: x < lit, exp.LTE: x <= lit}[op]


def _same(a: Any, b: Any) -> bool:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return str(a) == str(b) if isinstance(a, str) or isinstance(b, str) else a == b


def _domain(f: FieldFacts, conds: list[exp.Expression]) -> tuple[list[Any], str] | None:
    """The values at which a one-column condition can change: every enum value; for a range, its ends,
    each literal of the conditions (and just beside it), and a point between each two of those."""
    if f.enum is not None:
        return list(f.enum), f"its enum_values ({_values_text(list(f.enum))})"
    r = f.range
    if r is None:
        return None
    lits = []
    for c in conds:
        for lit in c.find_all(exp.Literal):
            ok, v = _literal(lit)
            if ok and isinstance(v, float):
                lits.append(v)
    step = 1.0 if f.kind == "integer" else 1e-6
    points = {r[0], r[1]}
    for v in lits:
        for p in (v - step, v, v + step):
            if r[0] <= p <= r[1]:
                points.add(p)
    ordered = sorted(points)
    points.update((a + b) / 2 for a, b in zip(ordered, ordered[1:]))
    if f.kind == "integer":
        points = {float(math.floor(p)) for p in points if r[0] <= math.floor(p) <= r[1]} | {r[0], r[1]}
    return sorted(points), f"its range ({_num(r[0])} to {_num(r[1])})"


def _subject_condition(subject: exp.Expression | None, cond: exp.Expression) -> exp.Expression:
    return cond if subject is None else exp.EQ(this=subject.copy(), expression=cond.copy())


def case_hint(item: Any, facts: Facts) -> str | None:
    subject = item.context.get("subject")
    earlier = [_subject_condition(subject, c) for c in item.context.get("earlier", [])]
    if item.kind == "case_arm":
        cond = _subject_condition(subject, item.expression)
        reason = why_impossible(cond, True, facts)
        if reason:
            return f"`{_sql(cond)}` is never true: {reason}"
        shadow = _shadowed(cond, earlier, facts)
        if shadow:
            return shadow
        reason = why_impossible(cond, True, facts, observed=True)
        if reason:
            return f"`{_sql(cond)}` was never true: {reason}"
        return None
    # ELSE: every value meets an arm
    col = _column_of(exp.and_(*earlier)) if earlier else None
    f = facts.field(col) if col is not None else None
    if f is not None and all(_column_of(c) is not None for c in earlier):
        dom = _domain(f, earlier)
        if dom is not None:
            values, what = dom
            results = [[_holds(c, v) for c in earlier] for v in values]
            if all(None not in row for row in results) and all(any(row) for row in results):
                return f"every {f.name} in {what} meets an arm before ELSE"
        seen = f.distinct()
        if seen:
            results = [[_holds(c, v) for c in earlier] for v in seen]
            if all(None not in row for row in results) and all(any(row) for row in results):
                return f"in these {f.records} records of {f.source}, every {f.name} ({_values_text(seen)}) met an arm" \
                       + _distribution_note(f)
    return None


def _shadowed(cond: exp.Expression, earlier: list[exp.Expression], facts: Facts) -> str | None:
    if not earlier:
        return None
    col = _column_of(cond)
    if col is None or any(_column_of(c) is None or _column_of(c).name != col.name for c in earlier):
        return None
    f = facts.field(col)
    if f is None:
        return None
    dom = _domain(f, [cond, *earlier])
    if dom is None:
        return None
    values, what = dom
    caught = []
    for v in values:
        here = _holds(cond, v)
        if here is None:
            return None
        if here:
            before = [c for c in earlier if _holds(c, v)]
            if not before:
                return None
            caught.append(before[0])
    if not caught:
        return None
    first = caught[0]
    return f"every {f.name} in {what} that meets `{_sql(cond)}` already meets the earlier arm `{_sql(first)}`"


def _sql(node: exp.Expression) -> str:
    from velotui.sql.dialect import Velostream

    return node.sql(dialect=Velostream)


# -- the hint of one item ------------------------------------------------------------------------------------
def hint(item: Any, facts: Facts, items: list[Any]) -> str | None:
    """Why ``item`` (an uncovered velotui.engine.api.CoveredItem) was never covered, or None."""
    try:
        return _hint(item, facts, items)
    except Exception:  # noqa: BLE001 - a hint is an aid: an expression it cannot read gives none, never an error
        return None


def _hint(item: Any, facts: Facts, items: list[Any]) -> str | None:
    missing = {o.name for o in item.missing}
    if not missing:
        return None
    total = sum(o.count for o in item.outcomes)
    if total == 0 and item.kind not in ("group_by", "window", "join", "null_input", "case_arm", "case_else",
                                         "coalesce"):
        return unreached(item, facts, items)
    k = item.kind
    if k == "condition":
        want = "true" in missing
        cond = item.expression
        reason = why_impossible(cond, want, facts) or why_impossible(cond, want, facts, observed=True)
        return reason
    if k in ("case_arm", "case_else"):
        return case_hint(item, facts) or (unreached(item, facts, items) if _reached_nothing(item, items) else None)
    if k == "coalesce":
        args = item.context.get("arguments", [])
        reasons = []
        for o in item.missing:
            i = [x.name for x in item.outcomes].index(o.name)
            before = args[:i]
            if i > 0:  # a later argument was never taken: the ones before it were never all NULL
                cols = [c for a in before for c in a.find_all(exp.Column)] if before else []
                why = [r for r in (facts.field(c).never_null_reason() for c in cols if facts.field(c)) if r]
                if why:
                    reasons.append(why[0])
            else:
                cols = list(args[0].find_all(exp.Column)) if args else []
                fs = [facts.field(c) for c in cols]
                if fs and all(f is not None and f.records and not f.values for f in fs):
                    reasons.append(f"{fs[0].name} was NULL in every record")  # type: ignore[union-attr]
        return "; ".join(reasons) or None
    if k == "null_input":
        cols = [c for a in item.context.get("arguments", []) for c in a.find_all(exp.Column)]
        why = [r for r in (facts.field(c).never_null_reason() for c in cols if facts.field(c)) if r]
        return "; ".join(dict.fromkeys(why)) or None
    if k == "nullif":
        args = item.context.get("arguments", [])
        if len(args) == 2:
            cond = exp.EQ(this=args[0].copy(), expression=args[1].copy())
            want = "equal" in missing
            return why_impossible(cond, want, facts) or why_impossible(cond, want, facts, observed=True)
        return None
    if k == "group_by":
        return group_hint(item, facts, items)
    if k == "join":
        return join_hint(item, facts, missing)
    if k == "window":
        return window_hint(item, facts, missing)
    return None


def _reached_nothing(item: Any, items: list[Any]) -> bool:
    same_case = [i for i in items if i.kind in ("case_arm", "case_else") and i.clause == item.clause
                 and i.line == item.line]
    return not any(o.count for i in same_case for o in i.outcomes)


def unreached(item: Any, facts: Facts, items: list[Any]) -> str | None:
    """Why no record reached an item at all."""
    within = item.context.get("within")
    if within:
        return f"no record reached it inside `{within}`: the conditions before it always decided the result"
    before = [i for i in items if i.kind == "condition" and i.clause == item.clause and i is not item
              and not i.context.get("within")
              and (i.line or 0, i.column or 0) < (item.line or 0, item.column or 0) and i.outcomes[0].count == 0]
    if before and item.kind == "condition":
        return f"no record got past `{before[0].sql}` before it (never true)"
    blocked = [i for i in items if i.kind == "condition" and i.clause == "WHERE" and i.outcomes[0].count == 0]
    if blocked and item.clause != "WHERE":
        return f"the WHERE let no record through (`{blocked[0].sql}` was never true)"
    joins = [i for i in items if i.kind == "join" and i.outcomes[0].count == 0 and item.clause not in ("JOIN",)]
    if joins and item.clause in ("SELECT", "HAVING", "WHERE", "GROUP BY"):
        return f"no record matched the join (`{joins[0].sql}`)"
    n = facts.stream_records()
    if n == 0:
        return "the query read no input records"
    return None


def group_hint(item: Any, facts: Facts, items: list[Any]) -> str | None:
    key = item.expression
    count = item.outcomes[0].count if item.outcomes else 0
    if count == 0:
        return unreached(item, facts, items)
    if isinstance(key, exp.Column):
        f = facts.field(key)
        where = getattr(getattr(facts.statement, "query", None), "where", None)
        for c in _conjuncts(where):
            if isinstance(c, exp.EQ) and any(isinstance(s, exp.Column) and s.name == key.name
                                             for s in (c.this, c.expression)):
                return f"the WHERE keeps only `{_sql(c)}`: one {key.name}, one group"
        if f is not None:
            if f.enum is not None and len({repr(v) for v in f.enum}) == 1:
                return f"{f.name} has one value in its schema's enum_values ({_values_text(f.enum)})"
            seen = f.distinct()
            if len(seen) <= 1 and f.records:
                return f"in these {f.records} records of {f.source}, {f.name} took one value" + \
                    (f" ({_values_text(seen)})" if seen else " (always NULL)")
    n = facts.stream_records()
    if n is not None and n <= 1:
        return f"the query read {n} record{'s' if n != 1 else ''}"
    return None


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def join_hint(item: Any, facts: Facts, missing: set[str]) -> str | None:
    ctx = item.context
    sources: dict[str, str] = ctx.get("sources", {})
    keys = ctx.get("keys", [])
    total = sum(o.count for o in item.outcomes)
    if total == 0:
        n = facts.stream_records()
        return "the query read no input records" if n == 0 else "no record reached the join"
    parts = []
    unmatched = [m[: -len(" unmatched")] for m in missing if m.endswith(" unmatched")]
    for ref in unmatched:
        texts = []
        for left, right in keys:
            for side in (left, right):
                if isinstance(side, exp.Column) and (side.table == ref or (not side.table and sources.get(ref))):
                    f = facts.field(side)
                    if f is None:
                        continue
                    refs = f.references
                    if refs is not None:
                        target = refs.file or refs.schema_name
                        texts.append(f"{f.source}.{f.name} references {refs.field} of {target} (its schema's "
                                     f"references): every {f.source} record finds its match; a data_file row (or "
                                     f"null_probability on {f.name}) with a value not there would not")
                    else:
                        seen = f.distinct()
                        if seen:
                            texts.append(f"every one of the {len(seen)} distinct {f.name} values of {f.source} "
                                         f"({_values_text(seen)}) found a match")
        if texts:
            parts.append(texts[0])
        elif ctx.get("mode") == "stream-stream":
            parts.append(f"every `{ref}` record found a partner with the same key within the join's time bounds")
    if "matched" in missing:
        parts.append("no key value of one side appeared on the other")
    return "; ".join(parts) or None


def window_hint(item: Any, facts: Facts, missing: set[str]) -> str | None:
    if "late" not in missing:
        return None
    ctx = item.context
    slack = int(ctx.get("max_out_of_orderness_ms", 0) or 0) + int(ctx.get("allowed_lateness_ms", 0) or 0)
    field_name = ctx.get("time_field")
    steps = []
    for source in facts.order:
        p = facts.inputs.get(source)
        if p is None:
            continue
        if field_name:
            times = [r.get(field_name) for r in p.records if isinstance(r, dict)]
            times = [t for t in times if isinstance(t, int) and not isinstance(t, bool)]
        else:
            times = list(facts.times.get(source, []))
        back, top = 0, None
        for t in times:
            if top is not None and t < top:
                back = max(back, top - t)
            top = t if top is None else max(top, t)
        steps.append((source, back))
    if not steps:
        return None
    limit = f"{slack} ms (the watermark's max_out_of_orderness plus the window's allowed lateness)"
    if all(back == 0 for _, back in steps):
        causes = [_in_order_cause(facts, s) for s, _ in steps]
        cause = next((c for c in causes if c), "")
        return (f"the event times of {', '.join(s for s, _ in steps)} never go back{cause}: no record can be late; "
                f"set time_simulation.jitter_ms above {limit}, or fault_injection.out_of_order")
    worst = max(back for _, back in steps)
    if worst <= slack:
        return f"event times go back at most {worst} ms, within {limit}: raise jitter_ms above it"
    return None


def _in_order_cause(facts: Facts, source: str) -> str:
    spec = facts.specs.get(source)
    if spec is None:
        return ""
    if getattr(spec, "data_file", None):
        return " (its data_file is in event-time order)"
    sim = getattr(spec, "time_simulation", None)
    if sim is None:
        return " (no time_simulation: every generated record has the same time)"
    if sim.sequential and not sim.jitter_ms:
        return " (time_simulation is sequential, without jitter_ms)"
    return ""


__all__ = ["Bound", "Facts", "FieldFacts", "bound", "case_hint", "hint", "why_impossible"]
