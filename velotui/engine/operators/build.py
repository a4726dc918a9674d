"""From a statement's plan to its wired operators: compile every expression once, pick the operator for
each plan node, connect them. Building reads no data, so the planner builds every statement once (dry) and
every refusal of the compiler surfaces at planning.

The chain, bottom up: each stream source's entry (a ``DriverRow`` when there are joins), the joins
(``TableLookup`` stages, a ``StreamStreamJoin``), then one of ``GroupAggregate`` (Aggregate + Window +
Filter nodes), ``WindowFunctions`` (Over + Filter) or nothing, then ``Output`` (Project, Distinct,
OrderBy, Limit, Sink). A stateless statement with nothing to shape is one ``FusedStateless`` operator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from velotui.engine.coverage import CoverageProbes
from velotui.engine.expr.aggregates import AGGREGATES
from velotui.engine.expr.compiler import ExpressionCompiler, position
from velotui.engine.operators.aggregate import GroupAggregate
from velotui.engine.operators.aggregate_fused import FusedGroupBy, fusable
from velotui.engine.operators.base import Batch, Operator, RunState
from velotui.engine.operators.joins import StreamStreamJoin, TableLookup
from velotui.engine.operators.output import Emit, Output
from velotui.engine.operators.over import OverSpec, WindowFunctions
from velotui.engine.operators.stateless import FusedProjection
from velotui.engine.operators.subqueries import SubqueryTable, subquery_handlers
from velotui.engine.plan import nodes as pn
from velotui.engine.timekeeping import Watermark
from velotui.errors import SqlError
from velotui.sql.analysis import call_name, is_aggregate


@dataclass
class StreamEntry:
    """Where a stream source's records go: ``push(batch)``; ``push_messages(messages, times or None,
    undecoded)`` when the first operator takes them straight (a fused projection or GROUP BY: no rows list to
    build), checking each message's value itself (one that is no record goes to ``undecoded``)."""

    source: pn.Source
    push: Callable[[Batch], None]
    push_messages: Callable[[list[Any], list[int] | None, Callable[[Any], None]], None] | None = None
    columns_for: Callable[[list[str]], Callable[..., None] | None] | None = None  # records held as columns


@dataclass
class TableEntry:
    """A table the statement loads before any stream record: a join's table side or a subquery's table."""

    source: pn.Source
    load: Callable[[list[dict]], None]
    fields: Callable[[list[str]], None] | None = None


@dataclass
class Pipeline:
    """A built statement: where each stream source's batches go, the tables to load first, and the top
    operator whose ``finish`` (end of input) flows down the chain."""

    streams: list[StreamEntry] = field(default_factory=list)
    tables: list[TableEntry] = field(default_factory=list)
    top: Operator | None = None
    declare_fields: list[tuple[int, Callable[[list[str]], None]]] = field(default_factory=list)
    fused: bool = False

    def finish(self) -> None:
        if self.top is not None:
            self.top.finish()


def _noop_emit(msgs: list[Any], lineage: Any) -> None:
    return None


def build_statement(plan: pn.StatementPlan, *, dry: bool = False, run: RunState | None = None,
                    emit: Emit | None = None, now_ms: int = 0, fuse: bool = True,
                    coverage: CoverageProbes | None = None) -> Pipeline:
    """Wire ``plan``'s operators. ``dry``: the planner's check (the same build, nothing runs it);
    ``fuse``: generated fused functions where the shape allows (False: the general operators only);
    ``coverage``: the counters of the plan's coverage items (None: nothing counts, nothing costs)."""
    return _Builder(plan, run or RunState(plan.name), emit or _noop_emit, now_ms, fuse, coverage).build()


class _Builder:
    def __init__(self, plan: pn.StatementPlan, run: RunState, emit: Emit, now_ms: int, fuse: bool,
                 coverage: CoverageProbes | None = None) -> None:
        self.plan = plan
        self.run = run
        self.emit = emit
        self.now_ms = now_ms
        self.fuse = fuse
        self.coverage = coverage
        self.file = plan.file
        self.sources = plan.sources
        self.tables = {t.name: SubqueryTable(t.name) for t in plan.subquery_tables}

    # -- compiling ---------------------------------------------------------------------------------
    def resolver(self) -> Callable[[str | None, str], str]:
        names: dict[str, str] = {}
        for s in self.sources:
            names[s.name] = s.ref
            names[s.ref] = s.ref
        single = len(self.sources) == 1
        file = self.file
        st = self.plan

        def resolve(qualifier: str | None, name: str) -> str:
            if qualifier is None or name.startswith("__"):
                return name
            if qualifier not in names:
                raise SqlError(f"{st.name}: unknown source {qualifier!r} in {qualifier}.{name}", file=file,
                               line=None, hint=f"sources of this statement: {', '.join(sorted(names))}")
            return name if single else f"{names[qualifier]}.{name}"

        return resolve

    def compiler(self, resolve: Callable[[str | None, str], str] | None = None,
                 special: dict[type, Any] | None = None) -> ExpressionCompiler:
        resolve = resolve or self.resolver()
        outer = {s.ref for s in self.sources} | {s.name for s in self.sources}
        single = self.sources[0].ref if len(self.sources) == 1 else None

        def make(inner_resolve: Callable[[str | None, str], str]) -> ExpressionCompiler:
            return ExpressionCompiler(inner_resolve, now_ms=self.now_ms, null_semantics=self.plan.null_semantics,
                                      file=self.file, errors=self.run.errors)

        handlers = subquery_handlers(outer, single, self.tables, make, self.file) if self.tables else {}
        types = dict(self.sources[0].schema) if len(self.sources) == 1 else {}
        return ExpressionCompiler(resolve, now_ms=self.now_ms, null_semantics=self.plan.null_semantics,
                                  special={**handlers, **(special or {})}, file=self.file, errors=self.run.errors,
                                  column_types={k: _static(v) for k, v in types.items()}, coverage=self.coverage)

    def _counters(self, node: pn.PlanNode) -> tuple[list[int], int] | None:
        """(the hits list, the first counter) of a Join's or Window's coverage item, when coverage counts."""
        if self.coverage is None:
            return None
        slot = self.coverage.slot_of(node)
        return None if slot is None else (self.coverage.hits, slot)

    # -- the chain ---------------------------------------------------------------------------------
    def build(self) -> Pipeline:
        sink = self.plan.root
        node = sink.inputs[0]
        limit = order = None
        distinct = False
        if isinstance(node, pn.Limit):
            limit, node = node, node.inputs[0]
        if isinstance(node, pn.OrderBy):
            order, node = node, node.inputs[0]
        if isinstance(node, pn.Distinct):
            distinct, node = True, node.inputs[0]
        assert isinstance(node, pn.Project)
        project = node
        core = project.inputs[0]
        pipeline = Pipeline()
        items = [(i.name, i.expression) for i in project.items]
        sets_headers = any(call_name(n) == "SET_HEADER" for _, e in items for n in e.walk())
        below = core.inputs[0] if isinstance(core, (pn.Aggregate, pn.Over)) else core
        window = None
        if isinstance(below, pn.Window):
            window, below = below, below.inputs[0]
        where = None
        if isinstance(below, pn.Filter):
            where, below = below.predicate, below.inputs[0]
        lean = (self.fuse and not distinct and order is None and limit is None and sink.key is None
                 and not sets_headers and not self.run.lineage)
        if (lean and isinstance(core, pn.Aggregate) and window is None and core.emit == "changes"
                and fusable(core.calls)):  # GROUP BY, EMIT CHANGES: one generated function does it all
            first: Operator = FusedGroupBy(self.run, self.emit, self.compiler(), calls=core.calls,
                                           group_by=core.group_by, where=where, having=core.having, items=items)
            pipeline.top = self._inputs(below, first, pipeline)
            pipeline.fused = True
            for t in self.plan.subquery_tables:
                pipeline.tables.append(TableEntry(t, self.tables[t.name].load))
            return pipeline
        output_where = where if not isinstance(core, (pn.Aggregate, pn.Over)) else None
        output = self._output(project, items, core, distinct, order, limit, sink, sets_headers, output_where, lean)
        first = output
        if isinstance(core, pn.Aggregate):
            first = self._aggregate(core, window, where)
            first.downstream = output
        elif isinstance(core, pn.Over):
            first = self._over(core, where)
            first.downstream = output
        pipeline.fused = lean and isinstance(below, pn.Source) and first is output
        pipeline.top = self._inputs(below, first, pipeline)
        for t in self.plan.subquery_tables:
            pipeline.tables.append(TableEntry(t, self.tables[t.name].load))
        return pipeline

    def _output(self, project: pn.Project, items: list[tuple[str, exp.Expression]], core: pn.PlanNode,
                distinct: bool, order: pn.OrderBy | None, limit: pn.Limit | None, sink: pn.Sink, sets_headers: bool,
                where: exp.Expression | None, lean: bool) -> Operator:
        special: dict[type, Any] = {}
        having = None
        slots: list[str] = []
        if isinstance(core, pn.Aggregate):
            by_sql = {c.call.sql(): c.slot for c in core.calls if c.call is not None}

            def agg_ref(node: exp.Expression, comp: ExpressionCompiler) -> str:
                if is_aggregate(node) and node.sql() in by_sql:
                    return f"r.get({by_sql[node.sql()]!r})"
                name = call_name(node)
                if name is None:
                    raise SqlError(f"unsupported: {node.sql()}", file=self.file, line=position(node)[0])
                return comp._call(node, name)

            special = {exp.AggFunc: agg_ref, exp.Anonymous: agg_ref}
            having = core.having
        elif isinstance(core, pn.Over):
            by_node = {id(c.call): c.slot for c in core.calls}
            slots = [c.slot for c in core.calls]

            def over_ref(node: exp.Expression, comp: ExpressionCompiler) -> str:
                return f"r.get({by_node[id(node)]!r})"

            special = {exp.Window: over_ref}
        set_headers: dict | None = None
        comp = self.compiler(special=special)
        if lean:  # nothing shapes the output: one generated function projects and makes the messages
            return FusedProjection(self.run, self.emit, comp, items, having if having is not None else where,
                                   project.star, headers="share" if sink.headers == "copied" else "none",
                                   drop=slots if project.star else None)
        if sets_headers:
            set_headers = {}
            comp.provide(_ohdr=set_headers)
        proj = comp.compile_projection(items, having if having is not None else where, star=project.star)
        if slots and project.star:
            inner = proj

            def proj(r: dict, m: Any, t: Any = None) -> dict | None:  # type: ignore[misc]
                out = inner(r, m, t)
                if out is not None:
                    for s in slots:
                        out.pop(s, None)
                return out
        compiled_order = None
        if order is not None:
            out_names = {i.name for i in project.items}
            resolve = self.resolver()

            def order_resolve(qualifier: str | None, name: str) -> str:
                return name if qualifier is None or name in out_names else resolve(qualifier, name)

            oc = self.compiler(order_resolve)
            compiled_order = [(oc.compile(o.expression), o.descending) for o in order.items]
        pk = [i.name for i in project.items if i.primary_key]
        return Output(self.run, self.emit, proj, distinct=distinct, order=compiled_order,
                      per_window=bool(order and order.per_window), limit=limit.count if limit else None,
                      key=sink.key, primary_key=pk, copy_headers=sink.headers == "copied", set_headers=set_headers)

    def _aggregate(self, agg: pn.Aggregate, window: pn.Window | None, where: exp.Expression | None) -> GroupAggregate:
        comp = self.compiler()
        makers = []
        for c in agg.calls:
            makers.append(AGGREGATES[c.name].accumulator(star=c.argument is None, distinct=c.distinct))
        args = comp.compile(exp.Tuple(expressions=[c.argument if c.argument is not None else exp.Null()
                                                   for c in agg.calls]))
        group_key = comp.compile(exp.Tuple(expressions=list(agg.group_by))) if agg.group_by else None
        pred = comp.compile_predicate(where) if where is not None else None
        kind = window.kind if window is not None else None
        wm = Watermark(window.watermark if window else "bounded_out_of_orderness",
                       window.max_out_of_orderness_ms if window else 0)
        return GroupAggregate(self.run, makers=makers, slots=[c.slot for c in agg.calls], args=args,
                              group_key=group_key, where=pred, window=kind, final=agg.emit == "final", watermark=wm,
                              allowed_lateness_ms=window.allowed_lateness_ms if window else 0,
                              late_strategy=window.late_records if window else "drop",
                              keyed=self.plan.root.key == "group",
                              coverage=self._counters(window) if window is not None else None)

    def _over(self, over: pn.Over, where: exp.Expression | None) -> WindowFunctions:
        comp = self.compiler()
        specs = [OverSpec(c, comp.compile) for c in over.calls]
        return WindowFunctions(self.run, specs, comp.compile_predicate(where) if where is not None else None)

    # -- sources and joins ---------------------------------------------------------------------------------
    def _inputs(self, node: pn.PlanNode, downstream: Operator, pipeline: Pipeline) -> Operator:
        """Wire the sources and joins below ``downstream``; return the operator that starts the chain."""
        if isinstance(node, pn.Source):
            pipeline.streams.append(StreamEntry(node, downstream.push, getattr(downstream, "push_messages", None),
                                                getattr(downstream, "columns_for", None)))
            return downstream
        assert isinstance(node, pn.Join)
        comp = self.compiler()
        cond = comp.compile_predicate(node.condition) if node.condition is not None else None
        left, right = node.inputs
        if node.mode == "stream-stream":
            assert isinstance(left, pn.Source) and isinstance(right, pn.Source)
            ss = StreamStreamJoin(self.run, node.kind, (left.ref, right.ref),
                                  ([comp.compile(k.left) for k in node.keys], [comp.compile(k.right) for k in node.keys]),
                                  cond, node.retention_ms or 0, node.lower_ms, node.upper_ms,
                                  coverage=self._counters(node))
            ss.downstream = downstream
            pipeline.streams.append(StreamEntry(left, lambda b: ss.push_side(0, b)))
            pipeline.streams.append(StreamEntry(right, lambda b: ss.push_side(1, b)))
            pipeline.declare_fields = [(0, lambda names: ss.fields[0].extend(sorted(names))),
                                       (1, lambda names: ss.fields[1].extend(sorted(names)))]
            return ss
        table = left if node.table_side == "left" else right
        stream = right if node.table_side == "left" else left
        assert isinstance(table, pn.Source)
        table_keys = [comp.compile(k.left if node.table_side == "left" else k.right) for k in node.keys]
        stream_keys = [comp.compile(k.right if node.table_side == "left" else k.left) for k in node.keys]  # JoinKey: inputs order
        driving = isinstance(stream, pn.Source)  # the driving stream: the lookup makes its rows joined rows
        lookup = TableLookup(self.run, table.ref, table_keys, stream_keys, cond, node.preserved,
                             driver=stream.ref if driving else None,  # type: ignore[union-attr]
                             coverage=self._counters(node))
        lookup.downstream = downstream
        pipeline.tables.append(TableEntry(table, lookup.load))
        if driving:
            pipeline.streams.append(StreamEntry(stream, lookup.push))  # type: ignore[arg-type]
            return lookup
        return self._inputs(stream, lookup, pipeline)


def _static(kind: str) -> str:
    """A schema field kind as a static expression type (only numbers matter to the fast path)."""
    return {"integer": "integer", "float": "float", "string": "string", "boolean": "boolean"}.get(kind, "any")


__all__ = ["Pipeline", "StreamEntry", "TableEntry", "build_statement"]
