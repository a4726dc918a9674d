"""Data coverage: which parts of a statement's SQL its inputs exercised (docs/QUALITY.md, "Data coverage").

For a run that counts coverage, the planner lists a statement's **coverage items** on its plan
(``StatementPlan.coverage``; ``Planner(coverage=True)``, from ``EngineOptions.coverage``): each WHERE,
HAVING and ON conjunct (seen true, seen false), each CASE arm and ELSE (taken), each COALESCE (which
argument gave the value) and NULLIF (equal, different), each join (matched, and unmatched per stream side),
each window (records on time, late), each NULL-sensitive call (an aggregate's argument, CONCAT, GREATEST,
LEAST: a NULL reached it) and each GROUP BY key (more than one value). An item knows its kind, its place
(line:column), its SQL text and its outcomes.

Counting happens only then: the operator builder gives
every expression compiler of the statement a ``CoverageProbes``, whose ``by_node`` says which sqlglot
nodes carry which probe, and the compiler wraps each such node's generated code in a probe call that
counts and returns the value (``_cv_truth(3, …)``); joins and windows count matches and late records in
their operators. Without it nothing is wrapped and the generated code is the code of a normal run. The
walk below visits exactly the expressions the builder compiles (``compiled_children`` is the compiler's
own rule for a node's operands), so every item has probes that can fire.

After the run, ``CoverageProbes.results`` turns the counters into ``CoveredItem`` values (engine/api.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from velotui.engine.api import CoverageOutcome, CoveredItem
from velotui.engine.expr import values as vals
from velotui.engine.expr.compiler import compiled_children, position
from velotui.engine.expr.functions import FUNCTIONS
from velotui.engine.plan import nodes as pn
from velotui.sql.analysis import call_name, is_aggregate

DISTINCT_CAP = 10_000  # a GROUP BY key's distinct values are counted up to this many
COALESCE_NAMES = ("COALESCE", "IFNULL", "NVL")
NULL_SKIPPING = tuple(sorted(n for n, f in FUNCTIONS.items() if f.nulls == "skip"))  # CONCAT, GREATEST, LEAST


@dataclass
class CoverageItem:
    """One thing of a statement whose outcomes the inputs should all produce.

    ``node`` is what the probes watch (a sqlglot node, or a Join/Window plan node); ``roles`` lists the
    (sqlglot node, role) pairs that count for it: ``truth`` (outcome 0 true, 1 false), ``hit`` (outcome 0),
    ``null`` (outcome 0 when the value is NULL), ``distinct`` (values counted), ``coalesce`` (outcome i: the
    i-th argument gave the value), ``nullif`` (0 equal, 1 different)."""

    id: str
    kind: str  # condition | case_arm | case_else | coalesce | nullif | join | window | null_input | group_by
    clause: str  # WHERE | HAVING | ON | SELECT | GROUP BY | …: where in the statement it is
    sql: str
    line: int | None
    column: int | None
    outcomes: tuple[str, ...]
    needed: tuple[int, ...]
    node: Any = field(default=None, repr=False)
    roles: list[tuple[Any, str]] = field(default_factory=list, repr=False)
    expression: Any = field(default=None, repr=False)  # the expression a hint reads (condition, argument, key)
    context: dict[str, Any] = field(default_factory=dict, repr=False)


def _sql(node: Any) -> str:
    return pn.sql(node) or ""


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    """The parts of an AND chain, parentheses around ANDs opened; each part without its own parentheses."""
    out: list[exp.Expression] = []
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        while isinstance(n, exp.Paren) and isinstance(n.this, exp.Expression):
            n = n.this
        if isinstance(n, exp.And):
            stack.append(n.expression)
            stack.append(n.this)
        else:
            out.append(n)
    return out


def _atoms(node: exp.Expression) -> list[exp.Expression]:
    """The conditions an AND/OR/NOT tree is made of, left to right, without their parentheses."""
    out: list[exp.Expression] = []
    stack = [node]
    while stack:
        n = stack.pop()
        while isinstance(n, exp.Paren) and isinstance(n.this, exp.Expression):
            n = n.this
        if isinstance(n, (exp.And, exp.Or)):
            stack.append(n.expression)
            stack.append(n.this)
        elif isinstance(n, exp.Not) and not isinstance(n.this, exp.Is):
            stack.append(n.this)
        else:
            out.append(n)
    return out


class _Walker:
    """Collects the items of one statement in the order they are met; ``items()`` numbers them by place."""

    def __init__(self) -> None:
        self.found: list[CoverageItem] = []

    def add(self, kind: str, clause: str, sql: str, where: tuple[int | None, int | None], outcomes: tuple[str, ...],
            node: Any, roles: list[tuple[Any, str]], needed: tuple[int, ...] | None = None, expression: Any = None,
            **context: Any) -> None:
        self.found.append(CoverageItem(id="", kind=kind, clause=clause, sql=sql, line=where[0], column=where[1],
                                       outcomes=outcomes, needed=needed or (1,) * len(outcomes), node=node,
                                       roles=roles, expression=expression, context=context))

    def items(self) -> list[CoverageItem]:
        order = sorted(range(len(self.found)), key=lambda i: (self.found[i].line or 10**9,
                                                             self.found[i].column or 0, i))
        out = [self.found[i] for i in order]
        for n, item in enumerate(out, 1):
            item.id = f"C{n}"
        return out

    # -- clauses ---------------------------------------------------------------------------------------
    def conditions(self, predicate: exp.Expression | None, clause: str, written: exp.Expression | None = None) -> None:
        """Each conjunct, and each condition an OR or a NOT of a conjunct is made of (``(a AND b) OR NOT c``:
        the conjunct, a, b and c), every one counted where it is evaluated. ``written``: the clause as the SQL
        writes it, when the engine evaluates a rewritten copy (HAVING with select item names): the items
        show its text and place."""
        conj = _conjuncts(predicate)
        shown = _conjuncts(written) if written is not None else conj
        if len(shown) != len(conj):
            shown = conj
        for c, w in zip(conj, shown):
            self.add("condition", clause, _sql(w), position(w), ("true", "false"), c, [(c, "truth")], expression=w)
            if isinstance(c, (exp.Or, exp.Not)):
                parts = [a for a in _atoms(c) if a is not c]
                parts_shown = [a for a in _atoms(w) if a is not w]
                if len(parts_shown) != len(parts):
                    parts_shown = parts
                for part, pw in zip(parts, parts_shown):
                    self.add("condition", clause, _sql(pw), position(pw), ("true", "false"), part,
                             [(part, "truth")], expression=pw, within=_sql(w))

    def expression(self, node: exp.Expression | None, clause: str, *, skip: tuple[type, ...] = ()) -> None:
        """Every CASE, COALESCE, NULLIF and NULL-skipping call in ``node`` (not inside subqueries, nor inside
        the nodes of ``skip``: aggregates and OVER calls, which are compiled elsewhere)."""
        if node is None:
            return
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, (exp.Subquery, exp.Select)) or (skip and _skipped(n, skip)):
                continue
            if isinstance(n, exp.Case):
                self._case(n, clause)
            else:
                name = call_name(n)
                if name in COALESCE_NAMES:
                    args = compiled_children(n)
                    labels = _labels([_sql(a) for a in args])
                    self.add("coalesce", clause, _sql(n), position(n), tuple(labels), n, [(n, "coalesce")],
                             expression=n, arguments=list(args))
                elif name == "NULLIF":
                    self.add("nullif", clause, _sql(n), position(n), ("equal", "different"), n, [(n, "nullif")],
                             expression=n, arguments=list(compiled_children(n)))
                elif name in NULL_SKIPPING:
                    args = [a for a in compiled_children(n) if not isinstance(a, (exp.Literal, exp.Null))]
                    if args:
                        self.add("null_input", clause, _sql(n), position(n), ("NULL",), n,
                                 [(a, "null") for a in args], expression=n, function=name, arguments=args)
            stack.extend(reversed(compiled_children(n)))

    def _case(self, node: exp.Case, clause: str) -> None:
        subject = node.this
        earlier: list[exp.Expression] = []
        for branch in node.args.get("ifs") or []:
            cond, then = branch.this, branch.args.get("true")
            if cond is None or then is None:
                continue
            text = f"WHEN {_sql(cond)} THEN {_sql(then)}"
            self.add("case_arm", clause, text, position(branch) if position(branch)[0] else position(cond),
                     ("taken",), then, [(then, "hit")], expression=cond, subject=subject, earlier=list(earlier))
            earlier.append(cond)
        default = node.args.get("default")
        if default is not None:
            where = _else_position(node, default)
            self.add("case_else", clause, f"ELSE {_sql(default)}", where, ("taken",), default, [(default, "hit")],
                     expression=default, subject=subject, earlier=list(earlier))

    def null_input(self, call: pn.AggregateCall) -> None:
        arg = call.argument
        if arg is None or isinstance(arg, (exp.Literal, exp.Null)):
            return
        text = _sql(call.call) if call.call is not None else f"{call.name}({_sql(arg)})"
        self.add("null_input", "SELECT", text, position(call.call if call.call is not None else arg), ("NULL",), arg,
                 [(arg, "null")], expression=arg, function=call.name, arguments=[arg])

    def group_key(self, key: exp.Expression) -> None:
        where = position(key)
        if where[0] is None:  # a key the planner added (a window's partition column), not one written
            return
        self.add("group_by", "GROUP BY", _sql(key), where, ("more than one group",), key, [(key, "distinct")],
                 needed=(2,), expression=key)

    def join(self, join: pn.Join) -> None:
        left, right = join.inputs
        sides = _stream_sides(join)
        outcomes = ("matched", *(f"{ref} unmatched" for ref in sides))
        keys = " AND ".join(f"{_sql(k.left)} = {_sql(k.right)}" for k in join.keys)
        right_name = right.name if isinstance(right, pn.Source) else "?"
        alias = f" {right.alias}" if isinstance(right, pn.Source) and right.alias else ""
        kind = "" if join.kind == "inner" else f"{join.kind.upper()} "
        text = f"{kind}JOIN {right_name}{alias} ON {keys}" + (f" AND {_sql(join.condition)}" if join.condition else "")
        where = (right.line, right.column) if isinstance(right, pn.Source) and right.line else (join.line, None)
        self.add("join", "JOIN", text, where, outcomes, join, [], join_kind=join.kind, mode=join.mode,
                 sides=sides, table_side=join.table_side,
                 sources={_ref(s): s.name for s in (left, right) if isinstance(s, pn.Source)},
                 keys=[(k.left, k.right) for k in join.keys], preserved=join.preserved)

    def window(self, window: pn.Window) -> None:
        kind = window.kind
        text = "WINDOW " + (_window_text(kind) if kind is not None else "?")
        sources = window.find(pn.Source)
        self.add("window", "WINDOW", text, (window.line, window.column), ("on time", "late"), window, [],
                 time_field=sources[0].event_time.field if sources else None,
                 allowed_lateness_ms=window.allowed_lateness_ms,
                 max_out_of_orderness_ms=window.max_out_of_orderness_ms, watermark=window.watermark,
                 late_records=window.late_records)


def _ref(s: pn.Source) -> str:
    return s.ref


def _stream_sides(join: pn.Join) -> list[str]:
    """The joined sources whose records can find no partner: both of a stream-stream join, the stream of a
    stream-table join (a table row without a match is not an event of the statement)."""
    refs = [_ref(s) if isinstance(s, pn.Source) else None for s in join.inputs]
    if join.mode == "stream-stream":
        return [r for r in refs if r is not None]
    stream = 1 if join.table_side == "left" else 0
    first = refs[stream]
    if first is None:  # the stream side is an earlier join: its records are the driving stream's
        node: Any = join.inputs[stream]
        while isinstance(node, pn.Join):
            node = node.inputs[1 if node.table_side == "left" else 0]
        first = _ref(node) if isinstance(node, pn.Source) else "stream"
    return [first]


def _labels(texts: list[str]) -> list[str]:
    out: list[str] = []
    for t in texts:
        label, n = t, 2
        while label in out:
            label, n = f"{t} (#{n})", n + 1
        out.append(label)
    return out


def _skipped(node: exp.Expression, skip: tuple[type, ...]) -> bool:
    if exp.AggFunc in skip and is_aggregate(node):
        return True
    return any(isinstance(node, k) for k in skip if k is not exp.AggFunc)


def _else_position(case: exp.Case, default: exp.Expression) -> tuple[int | None, int | None]:
    where = position(default)
    return where if where[0] is not None else position(case)


def _window_text(kind: Any) -> str:
    params = kind.describe()
    parts = [str(params["time_column"])] if params.get("time_column") else []
    parts += [_duration(v) if isinstance(v, int) and k.endswith("_ms") else str(v)
              for k, v in params.items() if k not in ("kind", "time_column")]
    return f"{str(kind.name).upper()}({', '.join(parts)})"


def _duration(ms: int) -> str:
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def plan_items(plan: pn.StatementPlan) -> list[CoverageItem]:
    """The coverage items of a planned statement, numbered C1, C2, … by their place in the SQL."""
    w = _Walker()
    project = next((n for n in plan.root.walk() if isinstance(n, pn.Project)), None)
    core = project.inputs[0] if project is not None and project.inputs else None
    for node in plan.root.walk():
        if isinstance(node, pn.Filter):
            w.conditions(node.predicate, "WHERE")
            w.expression(node.predicate, "WHERE")
        elif isinstance(node, pn.Join):
            w.join(node)
            for k in node.keys:
                w.expression(k.left, "ON")
                w.expression(k.right, "ON")
            if node.condition is not None:
                w.conditions(node.condition, "ON")
                w.expression(node.condition, "ON")
        elif isinstance(node, pn.Window):
            w.window(node)
        elif isinstance(node, pn.Aggregate):
            for g in node.group_by:
                w.group_key(g)
                w.expression(g, "GROUP BY")
            for c in node.calls:
                w.null_input(c)
                w.expression(c.argument, "SELECT")
            if node.having is not None:
                w.conditions(node.having, "HAVING", node._having_written)
                w.expression(node.having, "HAVING", skip=(exp.AggFunc,))
        elif isinstance(node, pn.Over):
            for c in node.calls:
                for a in c.arguments:
                    w.expression(a, "SELECT")
                for p in c.partition_by:
                    w.expression(p, "SELECT")
                for e, _ in c.order_by:
                    w.expression(e, "SELECT")
        elif isinstance(node, pn.Project):
            skip: tuple[type, ...] = (exp.AggFunc,) if isinstance(core, pn.Aggregate) else \
                (exp.Window,) if isinstance(core, pn.Over) else ()
            for item in node.items:
                w.expression(item.expression, "SELECT", skip=skip)
        elif isinstance(node, pn.OrderBy):
            for o in node.items:
                w.expression(o.expression, "ORDER BY")
    return w.items()


# -- counting ----------------------------------------------------------------------------------------------
class CoverageProbes:
    """The counters of one statement's run: ``hits`` (one per outcome of every item), the distinct values of
    GROUP BY keys, and what the compiler and the operators need to count into them."""

    def __init__(self, items: list[CoverageItem]) -> None:
        self.items = items
        self.base: dict[str, int] = {}
        n = 0
        for it in items:
            self.base[it.id] = n
            n += len(it.outcomes)
        self.hits = [0] * n
        self.values: dict[int, set[Any]] = {}
        self.by_node: dict[int, list[tuple[str, int]]] = {}
        self._nodes: dict[int, CoverageItem] = {}
        for it in items:
            slot = self.base[it.id]
            for node, role in it.roles:
                self.by_node.setdefault(id(node), []).append((role, slot))
                if role == "distinct":
                    self.values[slot] = set()
            if isinstance(it.node, pn.PlanNode):
                self._nodes[id(it.node)] = it

    def slot_of(self, plan_node: pn.PlanNode) -> int | None:
        """The first counter of the item of a Join or Window plan node (None: it has none)."""
        it = self._nodes.get(id(plan_node))
        return None if it is None else self.base[it.id]

    def namespace(self) -> dict[str, Callable[..., Any]]:
        """The probe functions generated code calls; each counts and returns the value it was given."""
        hits, values, truth, key_of, eq = self.hits, self.values, vals.truth, vals.key_of, vals.eq

        def _cv_truth(slot: int, v: Any) -> Any:
            hits[slot if truth(v) else slot + 1] += 1
            return v

        def _cv_hit(slot: int, v: Any) -> Any:
            hits[slot] += 1
            return v

        def _cv_null(slot: int, v: Any) -> Any:
            if v is None:
                hits[slot] += 1
            return v

        def _cv_distinct(slot: int, v: Any) -> Any:
            seen = values[slot]
            if len(seen) < DISTINCT_CAP:
                try:
                    seen.add(key_of(v))
                except TypeError:
                    seen.add(repr(v))
            return v

        def _cv_coalesce(slot: int, *args: Any) -> Any:
            for i, a in enumerate(args):
                if a is not None:
                    hits[slot + i] += 1
                    return a
            hits[slot + len(args) - 1] += 1
            return None

        def _cv_nullif(slot: int, a: Any, b: Any) -> Any:
            if a is None:
                return None
            if eq(a, b):
                hits[slot] += 1
                return None
            hits[slot + 1] += 1
            return a

        return {"_cv_truth": _cv_truth, "_cv_hit": _cv_hit, "_cv_null": _cv_null, "_cv_distinct": _cv_distinct,
                "_cv_coalesce": _cv_coalesce, "_cv_nullif": _cv_nullif}

    def results(self, source_schemas: dict[str, dict[str, tuple[str, bool]]] | None = None,
                plan: pn.StatementPlan | None = None) -> list[CoveredItem]:
        for slot, seen in self.values.items():
            self.hits[slot] = len(seen)
        out = []
        for it in self.items:
            base = self.base[it.id]
            outcomes = [CoverageOutcome(name, self.hits[base + i], it.needed[i]) for i, name in enumerate(it.outcomes)]
            out.append(CoveredItem(id=it.id, kind=it.kind, clause=it.clause, sql=it.sql, line=it.line,
                                   column=it.column, outcomes=outcomes, expression=it.expression,
                                   context=dict(it.context),
                                   unreachable=_unreachable(it, plan, source_schemas or {})))
        return out


def _unreachable(it: CoverageItem, plan: pn.StatementPlan | None, schemas: dict[str, dict[str, tuple[str, bool]]]
                 ) -> str | None:
    """Why no input can produce the item's outcomes at all, when the statement's own contract says so: a NULL
    reaching a call whose every argument can never be NULL — literals, fields their source's schema does not
    let be NULL (such a record is a dead letter, never processed) on a source no outer join pads with NULLs,
    and what is built from them (arithmetic, a CASE whose every branch is such a value, …)."""
    if it.kind != "null_input" or plan is None:
        return None
    nulls = _NullFree(plan, schemas)
    args = it.context.get("arguments", [])
    if not args or not all(nulls.never_null(a) for a in args):
        return None
    if nulls.fields:
        names = ", ".join(dict.fromkeys(nulls.fields))
        return f"{names} cannot be NULL: the source's schema does not allow it (a NULL there is a dead letter)"
    return "its argument can never be NULL: each value it can take is a literal"


class _NullFree:
    """Which expressions can never be NULL, under the sources' schemas."""

    def __init__(self, plan: pn.StatementPlan, schemas: dict[str, dict[str, tuple[str, bool]]]) -> None:
        self.plan, self.schemas = plan, schemas
        self.refs: dict[str, pn.Source] = {}
        for s in plan.sources:
            self.refs[s.ref] = s
            self.refs[s.name] = s
        self.padded: set[str] = set()
        for j in plan.root.find(pn.Join):
            if j.kind in ("left", "full") and isinstance(j.inputs[1], pn.Source):
                self.padded.add(_ref(j.inputs[1]))
            if j.kind in ("right", "full") and isinstance(j.inputs[0], pn.Source):
                self.padded.add(_ref(j.inputs[0]))
        self.fields: list[str] = []

    def never_null(self, node: exp.Expression, depth: int = 0) -> bool:
        if depth > 100:
            return False
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Null):
            return False
        if isinstance(node, (exp.Literal, exp.Boolean)):
            return True
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Neg, exp.DPipe, exp.Cast)):
            return all(self.never_null(c, depth + 1) for c in compiled_children(node))
        if isinstance(node, exp.Case):
            default = node.args.get("default")
            values = [b.args.get("true") for b in node.args.get("ifs") or []]
            return default is not None and all(v is not None and self.never_null(v, depth + 1) for v in
                                               [*values, default])
        if call_name(node) in COALESCE_NAMES:
            return any(self.never_null(a, depth + 1) for a in compiled_children(node))
        return False

    def _column(self, c: exp.Column) -> bool:
        src = self.refs.get(c.table) if c.table else (self.plan.sources[0] if len(self.plan.sources) == 1 else None)
        if src is None or src.origin != "topic" or _ref(src) in self.padded:
            return False
        schema = self.schemas.get(src.name)
        if not schema or c.name not in schema or schema[c.name][1]:
            return False
        self.fields.append(f"{src.name}.{c.name}")
        return True


__all__ = ["CoverageItem", "CoverageProbes", "plan_items"]
