"""The planner: a statement of the app model (velotui.sql) becomes a plan tree (plan/nodes.py).

Every refusal of the engine happens here, as a SqlError with line and column: the shape of joins, unknown
qualifiers, window kinds and their sizes, WITH settings the engine reads (durations, strategies), aggregate
and window-function calls, and — through a dry build of the statement's operators, which compiles every
expression against the function registry — unknown functions, wrong arities, bad literals and expressions
nested too deep. A statement that plans runs; nothing it contains is refused during a run.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from sqlglot import exp

from velotui.engine.expr.aggregates import AGGREGATES, MAX_LAG_OFFSET, WINDOW_FUNCTIONS
from velotui.engine.expr.compiler import SYSTEM_META, position
from velotui.engine.plan import nodes as pn
from velotui.engine.timekeeping import parse_duration
from velotui.engine.windows import window_for
from velotui.errors import SqlError
from velotui.sql.analysis import call_args, call_name, find_aggregates, is_aggregate
from velotui.sql.model import App, SourceRef, Statement

MAX_BUFFER_ROWS = 100_000  # ROWS WINDOW BUFFER n ROWS / ROWS n PRECEDING: each partition keeps n values
MAX_DURATION_MS = 100 * 365 * 86_400_000
WATERMARK_STRATEGIES = ("bounded_out_of_orderness", "ascending", "none")
LATE_STRATEGIES = ("drop", "dead_letter")
NULL_SEMANTICS = ("reference", "standard")
TIME_FORMATS = ("epoch_millis", "epoch_seconds", "iso8601")


class Planner:
    """Plans the statements of one app (``properties``: the spec's ``config:`` overrides of WITH keys)."""

    def __init__(self, app: App, properties: Mapping[str, Any] | None = None,
                 source_schemas: Mapping[str, Mapping[str, str]] | None = None, *, coverage: bool = False) -> None:
        self.app = app
        self.coverage = coverage  # list each statement's coverage items on its plan (a run that counts them)
        self.file = str(app.path) if app.path else None
        self.overrides = {k: str(v) for k, v in (properties or {}).items()}
        self.source_schemas = {k: dict(v) for k, v in (source_schemas or {}).items()}

    def plan_app(self) -> pn.AppPlan:
        out = pn.AppPlan(name=self.app.name, file=self.file)
        for st in self.app.statements:
            out.statements.append(self.plan(st))
        return out

    # -- errors ----------------------------------------------------------------------------------
    def error(self, st: Statement, message: str, node: exp.Expression | None = None, hint: str | None = None,
              line: int | None = None, column: int | None = None) -> SqlError:
        if node is not None:
            line, column = position(node)
        return SqlError(f"{st.name}: {message}", file=self.file, line=line or st.line,
                        column=column if line else (column or st.column), hint=hint)

    # -- one statement --------------------------------------------------------------------------
    def plan(self, st: Statement) -> pn.StatementPlan:
        q = st.query
        props = {**st.properties, **self.overrides}
        null_semantics = self._choice(st, props, "sql.null_semantics", NULL_SEMANTICS, "reference")
        self._settings(st, props)
        try:
            window_kind = window_for(q.window, self.file) if q.window is not None else None
        except SqlError as e:
            raise self._located(st, e) from None
        event_time = self._event_time(st, props)
        window_time = self._window_time(st, props, q.window, window_kind.time_column if window_kind else None)
        sources = [self._source(st, ref, event_time, window_time) for ref in st.sources]
        upstream = [s.name for s in sources if s.origin == "statement"]
        node: pn.PlanNode = self._joins(st, props, sources)
        if q.where is not None:
            node = pn.Filter(predicate=q.where, inputs=[node], line=position(q.where)[0])
        has_over = any(i.expr.find(exp.Window) is not None for i in q.items)
        agg_nodes = [a for i in q.items for a in find_aggregates(i.expr)]
        having = having_with_aliases(q)
        if having is not None:
            agg_nodes += find_aggregates(having)
        items = [pn.ProjectItem(i.name, i.expr, i.primary_key) for i in q.items]
        if agg_nodes or q.group_by:
            node = self._aggregate(st, props, q, node, agg_nodes, window_kind, having)
            node = pn.Project(items=items, star=False, inputs=[node])
        elif has_over:
            node = pn.Over(calls=self._over_calls(st, q), inputs=[node])
            node = pn.Project(items=items, star=q.star, inputs=[node])
        else:
            node = pn.Project(items=items, star=q.star, inputs=[node])
        if q.distinct:
            node = pn.Distinct(inputs=[node])
        if q.order_by:
            node = pn.OrderBy(items=[pn.OrderItem(o.expr, o.descending) for o in q.order_by],
                              per_window=q.window is not None, inputs=[node])
        if q.limit is not None:
            if q.limit < 0:
                raise self.error(st, f"LIMIT {q.limit}: a limit is a count (0 or more)", q.select)
            node = pn.Limit(count=q.limit, inputs=[node])
        root = self._sink(st, props, node, windowed_group=bool(q.window is not None and (q.group_by or (
            window_kind is not None and window_kind.partition_column))))
        plan = pn.StatementPlan(name=st.name, kind=st.kind, root=root, file=self.file, line=st.line,
                                upstream=upstream, null_semantics=null_semantics, properties=props)
        plan.subquery_tables = self._subquery_tables(st, props)
        plan.upstream += [t.name for t in plan.subquery_tables if t.origin == "statement" and
                          t.name not in plan.upstream]
        from velotui.engine.operators.build import build_statement

        try:  # compiles every expression (fused and general operators): their refusals are planning errors too
            build_statement(plan, dry=True)
            build_statement(plan, dry=True, fuse=False)
        except SqlError as e:
            raise self._located(st, e) from None
        if self.coverage:
            from velotui.engine.coverage import plan_items

            plan.coverage = plan_items(plan)
        return plan

    def _located(self, st: Statement, e: SqlError) -> SqlError:
        """A compiler error as a planning error of this statement: its name first, its place at least."""
        message = e.message if e.message.startswith(f"{st.name}: ") else f"{st.name}: {e.message}"
        line, column = (e.line, e.column) if e.line is not None else (st.line, st.column)
        return SqlError(message, file=e.file or self.file, line=line, column=column, hint=e.hint)

    # -- settings -----------------------------------------------------------------------------------
    def _settings(self, st: Statement, props: dict[str, str]) -> None:
        """Every WITH setting the engine reads is checked, whether or not this statement's shape uses it."""
        for key in ("watermark.max_out_of_orderness", "window.allowed_lateness", "join.retention", "join.timeout"):
            self.duration(st, props, key, None)
        for key in ("join.lower_bound", "join.upper_bound"):
            self.duration(st, props, key, None, allow_negative=True)
        self._choice(st, props, "watermark.strategy", WATERMARK_STRATEGIES, "bounded_out_of_orderness")
        self._choice(st, props, "late.data.strategy", LATE_STRATEGIES, "drop")

    def _choice(self, st: Statement, props: dict[str, str], key: str, allowed: tuple[str, ...], default: str) -> str:
        value = str(props.get(key, default)).strip().lower()
        if value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1)
            raise self.error(st, f"'{key}' = {props.get(key)!r} is not one of {', '.join(allowed)}",
                             hint=f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(allowed)}")
        return value

    def duration(self, st: Statement, props: dict[str, str], key: str, default: int | None,
                 allow_negative: bool = False) -> int | None:
        text = props.get(key)
        if text is None or str(text).strip() == "":
            return default
        try:
            ms = parse_duration(str(text), 0)
        except ValueError:
            raise self.error(st, f"'{key}' = {str(text)[:40]!r} is not a duration",
                             hint="use 500ms, 30s, 5m, 1h, 1d or INTERVAL '5' MINUTE") from None
        if (ms < 0 and not allow_negative) or abs(ms) > MAX_DURATION_MS:
            raise self.error(st, f"'{key}' = {str(text)[:40]!r} is out of range",
                             hint="a duration of 0 or more, up to 100 years")
        return ms

    def _event_time(self, st: Statement, props: dict[str, str]) -> pn.EventTime:
        fmt = props.get("event.time.format")
        if fmt is not None and fmt.strip() not in TIME_FORMATS and "%" not in fmt:
            raise self.error(st, f"'event.time.format' = {fmt!r} is not a time format",
                             hint="use epoch_millis, epoch_seconds, iso8601 or a strftime pattern like "
                             "'%Y-%m-%d %H:%M:%S'")
        return pn.EventTime(field=props.get("event.time.field") or None, format=fmt)

    def _window_time(self, st: Statement, props: dict[str, str], window: Any, column: str | None
                     ) -> pn.EventTime | None:
        """The event time a window's time column (``TUMBLING(col, 1m)``) gives every source of the statement
        (None: the statement's own), read as the same column in SELECT reads (the compiler's SYSTEM_META):
        ``_event_time`` is the statement's event time, ``_timestamp`` the message timestamp, a field its value
        (parsed by 'event.time.format'); a system column that is no time is refused."""
        if column is None:
            return None
        meta = SYSTEM_META.get(column.lower())
        if meta == "t":  # SELECT _event_time: the event time the statement has without the window's column
            return None
        if meta == "m.timestamp":  # SELECT _timestamp
            return pn.EventTime(field=None)
        if meta is not None or column.lower() in ("_window_start", "_window_end"):
            raise self.error(st, f"WINDOW {window.kind.upper()}({column}, …): {column} is not a time", line=window.line,
                             column=window.column, hint=f"name the event time: WINDOW {window.kind.upper()}(_event_time, "
                             "…), a field holding a time, or _timestamp")
        return pn.EventTime(field=column, format=props.get("event.time.format"))

    # -- sources and joins ---------------------------------------------------------------------------
    def _source(self, st: Statement, ref: SourceRef, event_time: pn.EventTime,
                window_time: pn.EventTime | None = None) -> pn.Source:
        own = ref.config.get("event.time.field") if ref.config else None
        if window_time is not None:  # a window's time column wins over every other setting
            event_time = window_time
        elif own:  # the source's own '<s>.event.time.field'
            event_time = pn.EventTime(field=str(own), format=str(ref.config.get("event.time.format") or "") or
                                      event_time.format)
        src = pn.Source(name=ref.name, alias=ref.alias, format=ref.format, table=ref.is_table or ref.kind == "file",
                        event_time=event_time, config=dict(ref.config), line=ref.line, column=ref.column,
                        schema=dict(self.source_schemas.get(ref.name, {})))
        if ref.kind == "stream":
            producer = self.app.statement(ref.name)
            assert producer is not None
            src.origin = "statement"
            topic_sink = next((s for s in producer.sinks if s.kind == "kafka"), None)
            if topic_sink is not None:
                src.topic, src.format = topic_sink.topic or producer.name, topic_sink.format
            else:
                file_sink = next((s for s in producer.sinks if s.kind == "file"), None)
                src.path, src.format = (file_sink.path, file_sink.format) if file_sink else (None, "json")
                if src.path is None:
                    src.topic = producer.name
        elif ref.kind == "file":
            src.origin, src.path = "file", ref.path
            self._file_format(st, ref.format, ref.line, ref.column, f"file source {ref.name!r}")
        else:
            src.origin, src.topic = "topic", ref.topic or ref.name
        return src

    def _file_format(self, st: Statement, fmt: str | None, line: int | None, column: int | None, what: str) -> None:
        from velotui.datafiles import CSV_FORMATS, JSON_LINES_FORMATS

        kind = str(fmt or "").lower()
        if kind and kind not in JSON_LINES_FORMATS + CSV_FORMATS:
            raise self.error(st, f"{what}: format {fmt!r} is not one velotui reads or writes", line=line,
                             column=column, hint="use csv, or jsonl (JSON lines)")

    def _joins(self, st: Statement, props: dict[str, str], sources: list[pn.Source]) -> pn.PlanNode:
        q = st.query
        if not q.joins:
            return sources[0]
        main = sources[0]
        first_is_stream = not sources[1].table
        node: pn.PlanNode
        start = 1
        if main.table and first_is_stream:
            if len(q.joins) > 1:
                raise self.error(st, "a table on the left of a chain of joins is not supported", q.joins[0].on,
                                 hint="put the stream first: FROM stream s JOIN table t …")
            j = q.joins[0]
            keys, rest = self._split_on(st, j.on, main.ref, {sources[1].ref, sources[1].name})
            keys = [pn.JoinKey(left=k.right, right=k.left) for k in keys]  # inputs[0] is the table here
            node = pn.Join(kind=j.kind, mode="stream-table", keys=keys, condition=_and(rest), table_side="left",
                           preserved=j.kind in ("right", "full"), inputs=[main, sources[1]], line=position(j.on)[0])
            return node
        if not main.table and first_is_stream:
            j = q.joins[0]
            keys, rest = self._split_on(st, j.on, sources[1].ref, {main.ref, main.name})
            retention = self.duration(st, props, "join.retention", None)
            if retention is None:
                retention = self.duration(st, props, "join.timeout", 3_600_000)
            node = pn.Join(kind=j.kind, mode="stream-stream", keys=keys, condition=_and(rest),
                           retention_ms=retention,
                           lower_ms=self.duration(st, props, "join.lower_bound", None, allow_negative=True),
                           upper_ms=self.duration(st, props, "join.upper_bound", None, allow_negative=True),
                           inputs=[main, sources[1]], line=position(j.on)[0])
            start = 2
        else:
            for k in range(1, len(sources)):
                if not sources[k].table:
                    raise self.error(st, f"JOIN {sources[k].name}: a second stream in a chain must come first",
                                     q.joins[k - 1].on, hint="join the two streams first, then the tables")
            node = main
        for k in range(start, len(sources)):
            j = q.joins[k - 1]
            src = sources[k]
            if not src.table:
                raise self.error(st, f"JOIN {src.name}: only one stream-stream join per statement is supported",
                                 j.on, hint="split the pipeline into two statements")
            left_refs = {s.ref for s in sources[:k]} | {s.name for s in sources[:k]}
            keys, rest = self._split_on(st, j.on, src.ref, left_refs)
            node = pn.Join(kind=j.kind, mode="stream-table", keys=keys, condition=_and(rest), table_side="right",
                           preserved=j.kind in ("left", "full"), inputs=[node, src], line=position(j.on)[0])
        return node

    def _split_on(self, st: Statement, on: exp.Expression | None, right_ref: str, left_refs: set[str]
                  ) -> tuple[list[pn.JoinKey], list[exp.Expression]]:
        """Equalities between the joined source and earlier ones become keys (earlier side first)."""
        if on is None:
            raise self.error(st, f"JOIN {right_ref} needs ON a.k = b.k")
        conj = list(on.flatten()) if isinstance(on, exp.And) else [on]
        keys, rest = [], []
        for c in conj:
            c = c.unnest() if isinstance(c, exp.Paren) else c
            if isinstance(c, exp.EQ):
                lq = {col.table for col in c.this.find_all(exp.Column)}
                rq = {col.table for col in c.expression.find_all(exp.Column)}
                if lq == {right_ref} and rq and rq <= left_refs:
                    keys.append(pn.JoinKey(left=c.expression, right=c.this))
                    continue
                if rq == {right_ref} and lq and lq <= left_refs:
                    keys.append(pn.JoinKey(left=c.this, right=c.expression))
                    continue
            rest.append(c)
        if not keys:
            raise self.error(st, f"JOIN {right_ref}: ON needs an equality between {right_ref} and an earlier "
                             "source (qualify the columns: a.k = b.k)", on)
        return keys, rest

    # -- aggregation --------------------------------------------------------------------------------
    def _aggregate(self, st: Statement, props: dict[str, str], q: Any, node: pn.PlanNode,
                   agg_nodes: list[exp.Expression], window_kind: Any, having: exp.Expression | None) -> pn.Aggregate:
        calls: list[pn.AggregateCall] = []
        seen: dict[str, pn.AggregateCall] = {}
        for a in agg_nodes:
            text = a.sql()
            if text in seen:
                continue
            call = self._aggregate_call(st, a, f"__agg{len(seen)}")
            seen[text] = call
            calls.append(call)
        group_by = list(q.group_by)
        if window_kind is not None and window_kind.partition_column:
            group_by.append(exp.column(window_kind.partition_column))
        for g in group_by:
            if find_aggregates(g):
                raise self.error(st, f"GROUP BY {g.sql()}: an aggregate cannot be a group key", g)
        if window_kind is not None:
            node = pn.Window(kind=window_kind, inputs=[node], line=q.window.line, column=q.window.column,
                             watermark=self._choice(st, props, "watermark.strategy", WATERMARK_STRATEGIES,
                                                    "bounded_out_of_orderness"),
                             max_out_of_orderness_ms=self.duration(st, props, "watermark.max_out_of_orderness", 0) or 0,
                             allowed_lateness_ms=self.duration(st, props, "window.allowed_lateness", 0) or 0,
                             late_records=self._choice(st, props, "late.data.strategy", LATE_STRATEGIES, "drop"))
        final = q.emit == "final" or (q.emit is None and window_kind is not None)
        return pn.Aggregate(group_by=group_by, calls=calls, emit="final" if final else "changes", having=having,
                            _having_written=q.having, inputs=[node])

    def _aggregate_call(self, st: Statement, node: exp.Expression, slot: str) -> pn.AggregateCall:
        name = call_name(node) or type(node).__name__.upper()
        agg = AGGREGATES.get(name)
        if agg is None:
            close = difflib.get_close_matches(name, sorted(AGGREGATES), n=1)
            raise self.error(st, f"unsupported aggregate {name}", node,
                             hint=(f"did you mean {close[0]}? " if close else "") + "aggregates: "
                             + ", ".join(sorted(AGGREGATES)))
        args = call_args(node)
        if args is None:
            args = [node.this] if node.args.get("this") is not None else []
        distinct = False
        if len(args) == 1 and isinstance(args[0], exp.Distinct):
            inner = args[0].expressions
            if agg.distinct is None:
                raise self.error(st, f"{name}(DISTINCT …) is not supported", node,
                                 hint=f"COUNT(DISTINCT x) is; write {agg.signature()}")
            if len(inner) != 1:
                raise self.error(st, f"{name}(DISTINCT …) takes one expression", node)
            args, distinct = list(inner), True
        if len(args) != 1:
            raise self.error(st, f"{name} takes 1 argument, got {len(args)}", node, hint=f"write {agg.signature()}")
        arg: exp.Expression | None = args[0]
        if isinstance(arg, exp.Star):
            if not agg.star:
                raise self.error(st, f"{name}(*) is not an aggregate", node, hint=f"write {agg.signature()}")
            arg = None
        if arg is not None:
            inner_aggs = find_aggregates(arg)
            if inner_aggs:
                raise self.error(st, f"aggregates cannot be nested: {node.sql()}", inner_aggs[0],
                                 hint="compute the inner aggregate in an earlier statement")
            if arg.find(exp.Window) is not None:
                raise self.error(st, "a window function cannot be an aggregate's argument", arg)
        return pn.AggregateCall(slot=slot, name=name, argument=arg, distinct=distinct, call=node)

    # -- window functions ---------------------------------------------------------------------------
    def _over_calls(self, st: Statement, q: Any) -> list[pn.OverCall]:
        calls: list[pn.OverCall] = []
        for item in q.items:
            for w in item.expr.find_all(exp.Window):
                calls.append(self._over_call(st, w, f"__over{len(calls)}"))
        return calls

    def _over_call(self, st: Statement, w: exp.Window, slot: str) -> pn.OverCall:
        func = w.this
        name = call_name(func) or type(func).__name__.upper()
        args = call_args(func)
        if args is None:
            args = [v for k, v in func.args.items() if isinstance(v, exp.Expression)]
        call = pn.OverCall(slot=slot, name=name, call=w,
                           partition_by=list(w.args.get("partition_by") or []))
        order = w.args.get("order")
        call.order_by = [(o.this, bool(o.args.get("desc"))) for o in (order.expressions if order else [])]
        if name in WINDOW_FUNCTIONS:
            wf = WINDOW_FUNCTIONS[name]
            if not wf.min_args <= len(args) <= wf.max_args:
                raise self.error(st, f"{name} takes {wf.min_args}" + (f" to {wf.max_args}" if wf.max_args !=
                                 wf.min_args else "") + f" argument{'s' if wf.max_args != 1 else ''}, got {len(args)}",
                                 func, hint=f"write {wf.signature} OVER (…)")
            if name in ("LAG", "LEAD") and len(args) >= 2:
                k = args[1]
                if not (isinstance(k, exp.Literal) and not k.is_string and str(k.this).isdigit()):
                    raise self.error(st, f"{name}(x, k): k must be a whole number literal, not {k.sql()}", k,
                                     hint=f"write {wf.signature}")
                call.offset = int(str(k.this)) if len(str(k.this)) < 10 else MAX_LAG_OFFSET + 1
                if not 1 <= call.offset <= MAX_LAG_OFFSET:
                    raise self.error(st, f"{name}(x, {str(k.this)[:20]}): k must be between 1 and {MAX_LAG_OFFSET}", k)
            call.arguments = list(args)
        elif name in AGGREGATES or is_aggregate(func):
            agg_call = self._aggregate_call(st, func, slot)
            if agg_call.distinct:
                raise self.error(st, f"{name}(DISTINCT …) OVER (…) is not supported", func)
            call.arguments = [agg_call.argument] if agg_call.argument is not None else []
        else:
            raise self.error(st, f"unsupported window function {name}", func,
                             hint="window functions: " + ", ".join(sorted(WINDOW_FUNCTIONS)) + ", and aggregates")
        buffer = w.args.get("buffer_rows")
        frame = self._frame_rows(st, name, w.args.get("spec"))
        if buffer is not None:
            if not 1 <= int(buffer) <= MAX_BUFFER_ROWS:
                raise self.error(st, f"ROWS WINDOW BUFFER {buffer} ROWS: the buffer holds 1 to {MAX_BUFFER_ROWS} rows",
                                 w, hint="ROWS WINDOW BUFFER 100 ROWS")
            frame = int(buffer) if frame is None else min(frame, int(buffer))
        call.frame_rows = frame
        call.emit_on_buffer_full = w.args.get("emit_mode") == "buffer_full"
        call.expire_after_ms = w.args.get("expire_after_ms")
        return call

    def _frame_rows(self, st: Statement, name: str, spec: exp.Expression | None) -> int | None:
        """The frame of ``ROWS BETWEEN … AND …`` as the engine computes it: the last n rows of the partition, the
        current one included (None: every row so far). The frames velotui computes are exactly those that end
        at the current row and start at ``UNBOUNDED PRECEDING``, ``n PRECEDING`` or ``CURRENT ROW``, on an
        aggregate; every other frame is refused here, with the rewrite, rather than computed as another."""
        if spec is None:
            return None
        kind = str(spec.args.get("kind") or "").upper()
        start, start_side = spec.args.get("start"), str(spec.args.get("start_side") or "").upper()
        end, end_side = spec.args.get("end"), str(spec.args.get("end_side") or "").upper()
        written = f"{kind} BETWEEN {_bound_sql(start, start_side)} AND {_bound_sql(end, end_side)}"

        def refuse(what: str, hint: str) -> SqlError:
            return self.error(st, f"{name}(…) OVER (… {written}): {what}", spec, hint=hint)

        if name in WINDOW_FUNCTIONS:
            reads = ("the k-th previous row of the partition" if name == "LAG" else "the k-th next row of the "
                     "partition" if name == "LEAD" else "the partition's rows in order")
            raise refuse(f"a frame has no meaning for {name}, which reads {reads}; it is not supported",
                         f"remove the {kind} BETWEEN … frame from this OVER (…)")
        rows_hint = "write ROWS BETWEEN n PRECEDING AND CURRENT ROW (the last n + 1 rows) or ROWS BETWEEN UNBOUNDED " \
                    "PRECEDING AND CURRENT ROW (every row so far)"
        if kind != "ROWS":
            raise refuse("RANGE frames are not supported (a RANGE frame takes in the rows whose ORDER BY value is "
                         "within the bounds, ties with the current row included; velotui counts rows)",
                         rows_hint + ", or a WINDOW SLIDING(…) GROUP BY for an aggregate over a span of time")
        if isinstance(start, exp.Interval) or isinstance(end, exp.Interval):
            raise refuse("a ROWS frame counts rows: an INTERVAL bound is not supported",
                         rows_hint + ", or a WINDOW SLIDING(…) GROUP BY for an aggregate over a span of time")
        if end_side == "FOLLOWING":
            raise refuse("a frame that ends after the current row (FOLLOWING) is not supported: a row would wait "
                         "for later records", f"write LEAD(x, n) OVER (…) for the value n rows ahead; or {rows_hint[6:]}")
        if end != "CURRENT ROW":
            raise refuse("a frame that ends before the current row is not supported",
                         f"write LAG(x, n) OVER (…) for the value n rows back; or {rows_hint[6:]}")
        if start == "CURRENT ROW":
            return 1
        if start == "UNBOUNDED" and start_side == "PRECEDING":
            return None
        if start_side != "PRECEDING":
            raise refuse("a frame cannot start after the current row, where it ends", rows_hint)
        text = str(start.this) if isinstance(start, exp.Literal) and not start.is_string else ""
        if not text.isdigit():
            raise refuse(f"n in n PRECEDING must be a whole number literal, not {_bound_sql(start, '')[:30]}",
                         rows_hint)
        n = int(text) if len(text) < 10 else MAX_BUFFER_ROWS
        if not 0 <= n < MAX_BUFFER_ROWS:
            raise self.error(st, f"ROWS {text[:20]} PRECEDING: between 0 and {MAX_BUFFER_ROWS - 1}", spec)
        return n + 1

    # -- output -------------------------------------------------------------------------------------
    def _sink(self, st: Statement, props: dict[str, str], node: pn.PlanNode, windowed_group: bool) -> pn.Sink:
        targets = []
        key_field = None
        for s in st.sinks:
            append = str(s.config.get("append", "false")).lower() == "true"
            if s.kind == "file":
                self._file_format(st, s.format, st.line, st.column, f"file sink {s.name!r}")
            targets.append(pn.SinkTarget(name=s.name, kind="topic" if s.kind == "kafka" else "file", topic=s.topic,
                                         path=s.path, format=s.format, append=append, config=dict(s.config)))
            if s.config.get("key.field"):
                key_field = str(s.config["key.field"])
        pk = any(i.primary_key for i in st.query.items)
        key = "group" if windowed_group else "primary_key" if pk else f"field:{key_field}" if key_field else None
        aggregating = bool(node.find(pn.Aggregate))
        return pn.Sink(statement=st.name, targets=targets, key=key, headers="none" if aggregating else "copied",
                       inputs=[node], line=st.line)

    # -- subqueries -----------------------------------------------------------------------------------
    def _subquery_tables(self, st: Statement, props: dict[str, str]) -> list[pn.Source]:
        out: list[pn.Source] = []
        select = st.query.select
        if select is None:
            return out
        for sub in select.find_all(exp.Select):
            if sub is select:
                continue
            from_ = sub.args.get("from_") or sub.args.get("from")
            if from_ is None or not isinstance(from_.this, exp.Table):
                raise self.error(st, "a subquery needs FROM <table>", sub)
            name = from_.this.name
            if any(t.name == name for t in out):
                continue
            out.append(self._subquery_table(st, props, name, sub))
        return out

    def _subquery_table(self, st: Statement, props: dict[str, str], name: str, node: exp.Expression) -> pn.Source:
        producer = self.app.statement(name)
        if producer is not None:
            if producer.kind != "table":
                raise self.error(st, f"subquery over {name!r}, which is a stream (§9)", node,
                                 hint=f"make {name} a CREATE TABLE, or join it")
            ref = SourceRef(name=name, kind="stream", is_table=True)
            return self._source(st, ref, pn.EventTime())
        cfg: dict[str, Any] = {}
        if props.get(f"{name}.config_file") and self.app.path is not None:
            from velotui.spec.config import load_config_file

            cfg = load_config_file(self.app.path.parent / props[f"{name}.config_file"])
        from velotui.spec.config import config_get

        path = props.get(f"{name}.path") or config_get(cfg, "path") or config_get(cfg, "file.path")
        fmt = props.get(f"{name}.format") or config_get(cfg, "format")
        if not path:
            raise self.error(st, f"subquery over {name!r}: it is not a table (§9)", node,
                             hint=f"declare it: '{name}.type' = 'file_source', '{name}.config_file' naming a file "
                                  f"with its path (path: data/{name}.csv)")
        fmt_text = str(fmt) if fmt else None
        self._file_format(st, fmt_text, *position(node), f"table {name!r}")
        return pn.Source(name=name, origin="file", path=str(path), format=fmt_text or "", table=True,
                         config={**cfg, **{k[len(name) + 1:]: v for k, v in props.items() if k.startswith(name + ".")}})


def _bound_sql(value: Any, side: str) -> str:
    """A frame bound as written: ``CURRENT ROW``, ``UNBOUNDED PRECEDING``, ``2 PRECEDING``, ``INTERVAL … PRECEDING``."""
    if isinstance(value, exp.Interval):
        text = f"INTERVAL '{value.this.this}' MILLISECOND"
    elif isinstance(value, exp.Expression):
        text = value.sql()
    else:
        text = str(value or "")
    return f"{text} {side}".strip()


def _and(parts: list[exp.Expression]) -> exp.Expression | None:
    if not parts:
        return None
    return exp.and_(*parts) if len(parts) > 1 else parts[0]


def plan_app(app: App, properties: Mapping[str, Any] | None = None,
             source_schemas: Mapping[str, Mapping[str, str]] | None = None) -> pn.AppPlan:
    """The plan of every statement of ``app`` (raises the first SqlError)."""
    return Planner(app, properties, source_schemas).plan_app()


def plan_problems(app: App, properties: Mapping[str, Any] | None = None) -> list[SqlError]:
    """Every statement's planning error (an empty list when the whole app plans)."""
    planner = Planner(app, properties)
    out: list[SqlError] = []
    for st in app.statements:
        try:
            planner.plan(st)
        except SqlError as e:
            out.append(e)
    return out


Resolver = Callable[[str | None, str], str]

__all__ = ["Planner", "plan_app", "plan_problems"]


def having_with_aliases(q: Any) -> exp.Expression | None:
    """HAVING as the engine evaluates it: a name of a select item (``HAVING c > 1`` for ``COUNT(*) AS c``)
    stands for that item's expression (as MySQL, ClickHouse and DuckDB read it); a grouped
    column keeps its own meaning."""
    if q.having is None:
        return None
    grouped = {g.name for g in q.group_by if isinstance(g, exp.Column)}
    by_name = {i.name: i.expr for i in q.items if i.name not in grouped}
    if not by_name:
        return q.having

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in by_name:
            return by_name[node.name].copy()
        return node

    return q.having.copy().transform(swap)
