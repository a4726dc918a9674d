"""Mutation operators: each one a small registered class that proposes changes to one node of a parsed
statement (the sqlglot tree of the Velostream dialect), never to its text.

An operator looks at one node at a time and yields ``Change``s: the node that replaces it (or ``None`` to
remove it), the node of the original tree the change is about (its position and text go in the report),
and a hint for the case where no assertion notices the change. Adding an operator is adding a class:

    @operator
    class NotNull(MutationOperator):
        name = "not-null"
        summary = "`x IS NULL` ↔ `x IS NOT NULL`"

        def changes(self, node, ctx):
            ...

docs/QUALITY.md lists the operators; a test keeps that list and this registry the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from sqlglot import exp

from velotui.sql.dialect import Emit, PrimaryKey, StreamWindow, Velostream, VeloWindow, conjuncts


@dataclass(frozen=True)
class Boundary:
    """Where original and mutant disagree: inputs with ``field`` equal to ``value`` (or between the two
    values of a pair) meet ``comparison`` differently."""

    field: str
    value: Any  # a value, or (low, high)
    comparison: str  # the SQL of the comparison, e.g. "amount > 100"


@dataclass
class Change:
    """One way to mutate a node: ``replacement`` takes its place (``None`` removes it)."""

    replacement: exp.Expression | None
    focus: exp.Expression  # the node of the original tree the change is about (for line:col and text)
    before: str  # what the SQL says, e.g. "amount > 100"
    after: str  # what the mutant says instead, e.g. "amount >= 100" ("" when removed)
    note: str = ""  # what happened when ``after`` is not the whole story, e.g. "dropped from WHERE"
    boundary: Boundary | None = None  # the input values that tell original and mutant apart


@dataclass
class MutationContext:
    """What an operator may know besides the node: the statement's sources and their known columns."""

    columns: dict[str, list[str]] = field(default_factory=dict)  # source name or alias -> column names


def sql(node: exp.Expression | None) -> str:
    """A node as Velostream SQL text (one line, no comments)."""
    if node is None:
        return ""
    return node.sql(dialect=Velostream, comments=False)


class MutationOperator:
    """Proposes changes to single nodes; ``changes`` is called for every node of every statement."""

    name: ClassVar[str]
    summary: ClassVar[str]
    cannot_tell: ClassVar[str] = "no input reaches the difference"  # why equal outputs, for a survivor

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:  # pragma: no cover
        raise NotImplementedError
        yield


OPERATORS: dict[str, MutationOperator] = {}


def operator(cls: type[MutationOperator]) -> type[MutationOperator]:
    """Register an operator class (its ``name`` is what ``velotui mutate --operators`` selects)."""
    if cls.name in OPERATORS:
        raise ValueError(f"mutation operator {cls.name!r} is registered twice")
    OPERATORS[cls.name] = cls()
    return cls


def _inside(node: exp.Expression, *kinds: type[exp.Expression]) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, kinds):
            return True
        parent = parent.parent
    return False


def _join_condition(node: exp.Expression) -> bool:
    """The node is (a conjunct of) a JOIN's ON condition."""
    parent = node.parent
    while isinstance(parent, (exp.And, exp.Paren)):
        parent = parent.parent
    return isinstance(parent, exp.Join)


def _column_literal(node: exp.Binary) -> Boundary | None:
    """The boundary of a comparison between a column and a literal (either side)."""
    left, right = node.this, node.expression
    for col, lit in ((left, right), (right, left)):
        if isinstance(col, exp.Column) and isinstance(lit, (exp.Literal, exp.Neg)):
            value = _literal_value(lit)
            if value is not None:
                return Boundary(col.name, value, sql(node))
    return None


def _literal_value(node: exp.Expression) -> Any:
    if isinstance(node, exp.Neg):
        inner = _literal_value(node.this)
        return -inner if isinstance(inner, (int, float, Decimal)) else None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        try:
            d = Decimal(node.this)
        except InvalidOperation:
            return None
        return int(d) if d == d.to_integral_value() and "." not in node.this and "e" not in node.this.lower() \
            else float(d)
    return None


# -- the operators, in the order of the issue (docs/QUALITY.md) -------------------------------------------
@operator
class Comparison(MutationOperator):
    name = "comparison"
    summary = "`>` ↔ `>=`, `<` ↔ `<=`, `=` ↔ `<>`"
    cannot_tell = "no input sits on the boundary, where the two comparisons disagree"
    SWAP: ClassVar[dict[type[exp.Expression], type[exp.Expression]]] = {
        exp.GT: exp.GTE, exp.GTE: exp.GT, exp.LT: exp.LTE, exp.LTE: exp.LT, exp.EQ: exp.NEQ, exp.NEQ: exp.EQ}

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        other = self.SWAP.get(type(node))
        if other is None or not isinstance(node, exp.Binary):
            return
        if isinstance(node, exp.EQ) and _join_condition(node):
            return  # a join's key equality: join-key swaps it; `<>` would only make a refused non-equi join
        new = other(this=node.this.copy(), expression=node.expression.copy())
        yield Change(new, node, sql(node), sql(new), boundary=_column_literal(node))


@operator
class Logical(MutationOperator):
    name = "logical"
    summary = "`AND` ↔ `OR`"
    cannot_tell = "no input makes one side of the AND/OR true and the other false"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if isinstance(node, (exp.And, exp.Or)):
            other = exp.Or if isinstance(node, exp.And) else exp.And
            new = other(this=node.this.copy(), expression=node.expression.copy())
            yield Change(new, node, sql(node), sql(new))


@operator
class DropConjunct(MutationOperator):
    name = "drop-conjunct"
    summary = "a WHERE or HAVING conjunct dropped (the whole clause when it has one)"
    cannot_tell = "every input that passes the other conditions passes this one too: the data never makes it false"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, (exp.Where, exp.Having)):
            return
        parts = conjuncts(node.this)
        for i, part in enumerate(parts):
            rest = [p.copy() for j, p in enumerate(parts) if j != i]
            new = type(node)(this=exp.and_(*rest)) if rest else None
            clause = "WHERE" if isinstance(node, exp.Where) else "HAVING"
            yield Change(new, part, sql(part), "", note=f"dropped from {clause}" if rest else f"dropped: no {clause}")


@operator
class NumericLiteral(MutationOperator):
    name = "literal"
    summary = "a numeric literal +1, −1 or ×10"
    cannot_tell = "no input falls between the old and the new value"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, exp.Literal) or node.is_string:
            return
        if _inside(node, exp.DataType, exp.Properties, exp.Limit):  # DECIMAL(10, 2), WITH (…), LIMIT n
            return
        if isinstance(node.parent, exp.Select) and _inside(node, exp.Exists):  # EXISTS (SELECT 1 …)
            return
        try:
            value = Decimal(node.this)
        except InvalidOperation:
            return
        seen = {value}
        for new_value in (value + 1, value - 1, value * 10):
            if new_value in seen:
                continue
            seen.add(new_value)
            text = _number_text(new_value, node.this)
            if text.startswith("-"):  # a literal is unsigned: -1 is NEG(1)
                new: exp.Expression = exp.Neg(this=exp.Literal.number(text[1:]))
            else:
                new = exp.Literal.number(text)
            before, after = _in_context(node, new)
            yield Change(new, node, before, after, boundary=_literal_boundary(node, value, new_value))


def _in_context(node: exp.Expression, new: exp.Expression, width: int = 60) -> tuple[str, str]:
    """``ROUND(amount / quantity, 2)`` → ``ROUND(amount / quantity, 3)`` says more than ``2`` → ``3``: the
    smallest enclosing expression, when it is short, with the node replaced."""
    parent = node.parent.parent if isinstance(node.parent, exp.Neg) else node.parent
    target = node.parent if isinstance(node.parent, exp.Neg) else node
    if parent is None or isinstance(parent, (exp.Select, exp.Where, exp.Having, exp.Alias, exp.Tuple)):
        return sql(target), sql(new)
    copy = parent.copy()
    index = list(parent.walk()).index(target)
    replaced = list(copy.walk())[index]
    replaced.replace(new.copy())
    before, after = sql(parent), sql(copy)
    return (before, after) if len(before) <= width else (sql(target), sql(new))


def _literal_boundary(node: exp.Literal, old: Decimal, new: Decimal) -> Boundary | None:
    """In ``amount > 100``, 100 → 101 differs only for an input with amount between 100 and 101."""
    cmp = node.parent.parent if isinstance(node.parent, exp.Neg) else node.parent
    if not isinstance(cmp, (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ, exp.NEQ)):
        return None
    found = _column_literal(cmp)
    if found is None:
        return None
    sign = -1 if isinstance(node.parent, exp.Neg) else 1
    return Boundary(found.field, (float(old) * sign, float(new) * sign), found.comparison)


def _number_text(value: Decimal, written: str) -> str:
    if "." not in written and "e" not in written.lower():
        return str(int(value))
    text = format(value, "f")
    return text if "." in text else text + ".0"


def _durations(node: StreamWindow) -> list[int]:
    """Positions (in the node's arguments) of a ``WINDOW KIND(…)``'s durations, in order."""
    return [i for i, k in enumerate(node.args.get("kinds") or []) if k == "duration"]


def _with_argument(node: StreamWindow, position: int, value: int | None, kind: str | None = None) -> StreamWindow:
    """A copy of the window with argument ``position`` set to ``value`` (None: removed), its kind renamed."""
    new = node.copy()
    args, kinds = list(new.args.get("arguments") or []), list(new.args.get("kinds") or [])
    if value is None:
        del args[position], kinds[position]
    elif position == len(args):
        args.append(value)
        kinds.append("duration")
    else:
        args[position] = value
    new.set("arguments", args)
    new.set("kinds", kinds)
    if kind is not None:
        new.set("kind", kind)
    return new


@operator
class WindowSize(MutationOperator):
    name = "window-size"
    summary = "a WINDOW's size (a session's gap) ×2 and ÷2"
    cannot_tell = "the inputs fall into windows that come out the same with either size"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, StreamWindow) or not _durations(node):
            return
        where = _durations(node)
        args = node.args["arguments"]
        size = int(args[where[0]])  # a tumbling or sliding window's size, a session's gap
        advance = int(args[where[1]]) if node.args["kind"] in ("sliding", "hopping") and len(where) > 1 else 0
        for new_size in (size * 2, size // 2):
            if new_size < 1 or new_size == size or (advance and new_size < advance):
                continue
            new = _with_argument(node, where[0], new_size)
            yield Change(new, node, sql(node), sql(new))


@operator
class SlidingAdvance(MutationOperator):
    name = "window-advance"
    summary = "a SLIDING window's advance ×2 (at most its size) and ÷2"
    cannot_tell = "the inputs fall into windows that come out the same with either advance"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, StreamWindow) or node.args["kind"] not in ("sliding", "hopping"):
            return
        where = _durations(node)
        if len(where) < 2:
            return
        size, advance = int(node.args["arguments"][where[0]]), int(node.args["arguments"][where[1]])
        for new_advance in (min(size, advance * 2), advance // 2):
            if new_advance < 1 or new_advance == advance:
                continue
            new = _with_argument(node, where[1], new_advance)
            yield Change(new, node, sql(node), sql(new))


@operator
class WindowKind(MutationOperator):
    name = "window-kind"
    summary = "TUMBLING(size) ↔ SLIDING(size, size/2)"
    cannot_tell = "the inputs give the same windows either way"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, StreamWindow) or node.args["kind"] not in ("tumbling", "sliding"):
            return
        where = _durations(node)
        if not where:
            return
        size = int(node.args["arguments"][where[0]])
        if node.args["kind"] == "tumbling":
            if size < 2:
                return
            new = _with_argument(node, where[0] + 1, size // 2, kind="sliding")
        elif len(where) > 1:
            new = _with_argument(node, where[1], None, kind="tumbling")
        else:
            return
        yield Change(new, node, sql(node), sql(new))


@operator
class EmitMode(MutationOperator):
    name = "emit"
    summary = "EMIT CHANGES ↔ EMIT FINAL (windowed queries; FINAL is their default when none is written)"
    cannot_tell = "each window or group is updated once, so every change is also the final row"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        # without a WINDOW, EMIT FINAL is refused (SQL_SEMANTICS.md §4): no mutant there
        if not isinstance(node, exp.Select) or not isinstance(node.args.get("stream_window"), StreamWindow):
            return
        emit = node.args.get("emit")
        mode = emit.this if isinstance(emit, Emit) else "final"
        new_emit = Emit(this="changes" if mode == "final" else "final")
        new = node.copy()
        new.set("emit", new_emit)
        focus = emit if isinstance(emit, Emit) else node.args["stream_window"]
        yield Change(new, focus, f"EMIT {mode.upper()}" + ("" if isinstance(emit, Emit) else " (the default)"),
                     sql(new_emit))


@operator
class JoinKind(MutationOperator):
    name = "join-kind"
    summary = "LEFT JOIN ↔ JOIN (inner); RIGHT and FULL become inner"
    cannot_tell = "every record finds a match: no unmatched record shows the join kind"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, exp.Join) or (node.kind or "").upper() == "CROSS":
            return
        side = (node.side or "").upper()
        new = node.copy()
        new.set("kind", None)
        new.set("side", None if side else "LEFT")
        yield Change(new, node, f"{side + ' ' if side else ''}JOIN {sql(node.this)}",
                     f"{'' if side else 'LEFT '}JOIN {sql(node.this)}")


@operator
class JoinKey(MutationOperator):
    name = "join-key"
    summary = "a join key swapped for another column of the same source"
    cannot_tell = "the other column matches the same records on these inputs"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, exp.EQ) or not _join_condition(node):
            return
        for side in ("expression", "this"):
            col = node.args.get(side)
            if not isinstance(col, exp.Column):
                continue
            other = _other_column(col, ctx)
            if other is None:
                continue
            new = node.copy()
            new.set(side, exp.column(other, table=col.table or None))
            yield Change(new, node, sql(node), sql(new))


def _other_column(col: exp.Column, ctx: MutationContext) -> str | None:
    """Another column of the source ``col`` reads, preferring one that looks like a key (``*_id``)."""
    known = ctx.columns.get(col.table or "", [])
    candidates = [c for c in known if c != col.name]
    if not candidates:
        return None
    suffix = col.name.rsplit("_", 1)[-1] if "_" in col.name else None
    return sorted(candidates, key=lambda c: (not (suffix and c.endswith("_" + suffix)), c))[0]


@operator
class AggregateSwap(MutationOperator):
    name = "aggregate"
    summary = "SUM ↔ AVG, MIN ↔ MAX, COUNT(x) ↔ COUNT(DISTINCT x)"
    cannot_tell = "every group holds values for which both aggregates agree (one record, or equal values)"
    SWAP: ClassVar[dict[type[exp.Expression], type[exp.Expression]]] = {
        exp.Sum: exp.Avg, exp.Avg: exp.Sum, exp.Min: exp.Max, exp.Max: exp.Min}

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        other = self.SWAP.get(type(node))
        if other is not None and not node.expressions:  # MIN(a, b) of several values is not an aggregate
            new = other(this=node.this.copy())
            yield Change(new, node, sql(node), sql(new))
        elif isinstance(node, exp.Count):
            arg = node.this
            if isinstance(arg, exp.Distinct) and len(arg.expressions) == 1:
                new = exp.Count(this=arg.expressions[0].copy())
            elif arg is not None and not isinstance(arg, (exp.Star, exp.Distinct)):
                new = exp.Count(this=exp.Distinct(expressions=[arg.copy()]))
            else:
                return  # COUNT(*) has no DISTINCT form
            yield Change(new, node, sql(node), sql(new))


@operator
class GroupKeyDrop(MutationOperator):
    name = "group-key"
    summary = "a GROUP BY key dropped (and the select item that shows it; the whole GROUP BY when it is the only key)"
    cannot_tell = "the key takes one value on these inputs (or each group holds a single key value)"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, exp.Select) or not node.args.get("group"):
            return
        keys = node.args["group"].expressions
        for i, key in enumerate(keys):
            new = node.copy()
            rest = [k.copy() for j, k in enumerate(keys) if j != i]
            if rest:
                new.args["group"].set("expressions", rest)
            else:
                new.set("group", None)
            # an ungrouped column next to aggregates is refused: the item showing the key goes too
            items = [e for e in new.expressions if not _shows(e, key)]
            if not items:
                continue
            new.set("expressions", items)
            yield Change(new, key, "GROUP BY " + ", ".join(sql(k) for k in keys),
                         "GROUP BY " + ", ".join(sql(k) for k in rest) if rest else "",
                         note="" if rest else "dropped: no GROUP BY")


def _shows(item: exp.Expression, key: exp.Expression) -> bool:
    """A select item that is the key itself (``k``, ``k AS x``, ``k PRIMARY KEY``)."""
    while isinstance(item, (exp.Alias, PrimaryKey)):
        item = item.this
    return item == key


@operator
class CaseArms(MutationOperator):
    name = "case"
    summary = "two CASE arms swapped (their order; their results when no value meets both), an arm or the ELSE removed"
    cannot_tell = "no input takes the arms that the change touches"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, exp.Case):
            return
        arms = node.args.get("ifs") or []
        simple = node.this is not None
        for i in range(len(arms) - 1):
            new = node.copy()
            a, b = new.args["ifs"][i], new.args["ifs"][i + 1]
            if simple or _disjoint(arms[i].this, arms[i + 1].this):
                # CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' (or WHEN x = 1 … WHEN x = 2): their order cannot matter,
                # so the results change places
                ta, tb = a.args["true"], b.args["true"]
                a.set("true", tb.copy())
                b.set("true", ta.copy())
            else:  # searched: the order decides which condition wins
                arms_new = list(new.args["ifs"])
                arms_new[i], arms_new[i + 1] = arms_new[i + 1], arms_new[i]
                new.set("ifs", [x.copy() for x in arms_new])
            new_arms = new.args["ifs"][i:i + 2]
            yield Change(new, arms[i], f"{_arm(arms[i])} {_arm(arms[i + 1])}",
                         f"{_arm(new_arms[0])} {_arm(new_arms[1])}")
        if len(arms) >= 2:
            for i, arm in enumerate(arms):
                new = node.copy()
                new.set("ifs", [x.copy() for j, x in enumerate(arms) if j != i])
                yield Change(new, arm, _arm(arm), "", note="removed")
        if node.args.get("default") is not None and arms:
            new = node.copy()
            new.set("default", None)
            yield Change(new, node.args["default"], f"ELSE {sql(node.args['default'])}", "",
                         note="removed (NULL instead)")


def _disjoint(a: exp.Expression, b: exp.Expression) -> bool:
    """``x = 1`` and ``x = 2``: no value meets both, so the arms' order is no mutation at all."""
    if not (isinstance(a, exp.EQ) and isinstance(b, exp.EQ)):
        return False
    fa, fb = _column_literal(a), _column_literal(b)
    return fa is not None and fb is not None and fa.field == fb.field and fa.value != fb.value


def _arm(arm: exp.Expression) -> str:
    return f"WHEN {sql(arm.this)} THEN {sql(arm.args.get('true'))}"


@operator
class CoalesceDefault(MutationOperator):
    name = "coalesce"
    summary = "COALESCE's default changed (a number +1, a text emptied or filled, a column dropped or NULL)"
    cannot_tell = "no input has the NULL that would bring the default into play"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, exp.Coalesce) or not node.expressions:
            return
        default = node.expressions[-1]
        new = node.copy()
        value = _literal_value(default)
        if isinstance(default, exp.Literal) and default.is_string:
            replacement: exp.Expression | None = exp.Literal.string("" if default.this else "x")
        elif isinstance(value, (int, float)):
            replacement = exp.Literal.number(str(value + 1)) if value + 1 >= 0 else exp.Neg(
                this=exp.Literal.number(str(-(value + 1))))
        elif isinstance(default, exp.Boolean):
            replacement = exp.Boolean(this=not default.this)
        elif isinstance(default, exp.Null):
            return
        elif len(node.expressions) >= 2:
            replacement = None  # COALESCE(a, b, c) -> COALESCE(a, b)
        else:
            replacement = exp.Null()
        args = [e.copy() for e in node.expressions[:-1]] + ([replacement] if replacement is not None else [])
        new.set("expressions", args)
        yield Change(new, default, sql(default), sql(replacement) if replacement is not None else "",
                     note="" if replacement is not None else "dropped")


@operator
class LagLead(MutationOperator):
    name = "lag-lead"
    summary = "LAG ↔ LEAD"
    cannot_tell = "the previous and the next record hold the same values on these inputs"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if isinstance(node, (exp.Lag, exp.Lead)):
            other = exp.Lead if isinstance(node, exp.Lag) else exp.Lag
            new = other(**{k: (v.copy() if isinstance(v, exp.Expression) else v) for k, v in node.args.items()})
            yield Change(new, node, sql(node), sql(new))


@operator
class BufferSize(MutationOperator):
    name = "rows-buffer"
    summary = "ROWS WINDOW BUFFER n ROWS: n+1 and n−1"
    cannot_tell = "no partition has enough records for the buffer size to matter"

    def changes(self, node: exp.Expression, ctx: MutationContext) -> Iterator[Change]:
        if not isinstance(node, VeloWindow) or node.args.get("buffer_rows") is None:
            return
        n = int(node.args["buffer_rows"])
        for m in (n + 1, n - 1):
            if m < 1:
                continue
            new = node.copy()
            new.set("buffer_rows", m)
            yield Change(new, node, f"BUFFER {n} ROWS", f"BUFFER {m} ROWS")


__all__ = ["OPERATORS", "Boundary", "Change", "MutationContext", "MutationOperator", "operator", "sql"]
