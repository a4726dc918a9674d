"""Plan and run one statement: sources → (joins) → WHERE → aggregate | window functions | project → output."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from velotui.engine.aggregates import factory
from velotui.engine.api import DeadLetter, EngineOptions, StatementResult
from velotui.engine.expr import ExpressionCompiler, find_aggregates, is_aggregate
from velotui.engine.expr.runtime import RowErrors
from velotui.engine.operators import (
    AggSpec,
    DriverRow,
    GroupAggregate,
    OverSpec,
    StreamStreamJoin,
    TableLookup,
    WindowFunctions,
    key_text,
)
from velotui.engine.sources import check_schema, decode, merge_by_event_time, read_file_rows
from velotui.engine.timekeeping import Watermark, event_time_reader, parse_duration
from velotui.errors import RunTimeout, SqlError
from velotui.records import Message
from velotui.sql.model import App, SourceRef, Statement


@dataclass
class EngineContext:
    bus: Any
    options: EngineOptions
    results: dict[str, StatementResult] = field(default_factory=dict)
    deadline: float | None = None


def _hashable(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    return v


class _Sorter:
    """ORDER BY key: NULLs last, ASC/DESC per item, values of mixed types compared as text."""

    def __init__(self, fns: list[tuple[Callable[[dict, Message], Any], bool]]) -> None:
        self.fns = fns

    def key(self, row: dict, m: Message) -> tuple:
        out = []
        for fn, desc in self.fns:
            v = fn(row, m)
            out.append(_Desc((v is None, v)) if desc else (v is None, _Cmp(v)))
        return tuple(out)


class _Cmp:
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Cmp) -> bool:
        a, b = self.v, other.v
        if a is None or b is None:
            return False
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Cmp) and self.v == other.v


class _Desc:
    __slots__ = ("k",)

    def __init__(self, k: tuple) -> None:
        self.k = (k[0], _Cmp(k[1]))

    def __lt__(self, other: _Desc) -> bool:
        # NULLs last for DESC too
        if self.k[0] != other.k[0]:
            return not self.k[0] and other.k[0]
        return other.k[1] < self.k[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.k[1] == other.k[1] and self.k[0] == other.k[0]


class StatementRunner:
    def __init__(self, app: App, st: Statement, ctx: EngineContext) -> None:
        self.app = app
        self.st = st
        self.ctx = ctx
        self.q = st.query
        self.props = {**st.properties, **{k: str(v) for k, v in ctx.options.properties.items()}}
        self.result = StatementResult(name=st.name)
        self.current: Message | None = None
        self.file = str(app.path) if app.path else None
        self.errors = RowErrors()
        self.outputs: list[Message] = []
        self.lineage: list[list[int]] = []
        self._seen_distinct: set[Any] = set()
        self._counter = 0

    # -- errors --------------------------------------------------------------------------------------
    def _collect_row_errors(self) -> None:
        for kind, message, m in self.errors.entries:
            self.result.row_errors += 1
            self.result.dead_letters.append(DeadLetter(statement=self.st.name, error_type=kind, message=message,
                                                       source=m.topic if m else None,
                                                       offset=m.offset if m else None,
                                                       record=m.value if m else None))
        self.errors.entries.clear()

    def _sql_error(self, message: str, node: exp.Expression | None = None, hint: str | None = None) -> SqlError:
        line = self.st.line
        if node is not None:
            for n in node.walk():
                meta = getattr(n, "meta", None) or {}
                if "line" in meta:
                    line = meta["line"]
                    break
        return SqlError(f"{self.st.name}: {message}", file=self.file, line=line, hint=hint)

    # -- sources -----------------------------------------------------------------------------------
    def _path(self, text: str) -> Path:
        opts = self.ctx.options
        if text in opts.file_paths:
            return Path(opts.file_paths[text])
        p = Path(text)
        if not p.is_absolute() and opts.base_dir is not None:
            p = opts.base_dir / p
        return p

    def _load(self, src: SourceRef, index: int) -> list[Message]:
        opts = self.ctx.options
        if src.kind == "stream":
            prev = self.ctx.results.get(src.name)
            if prev is None:
                raise self._sql_error(f"reads {src.name!r}, which has not run")
            msgs = [Message(value=m.value, key=m.key, headers=dict(m.headers), timestamp=m.timestamp,
                            partition=m.partition, offset=i, topic=src.name) for i, m in enumerate(prev.outputs)]
        elif src.kind == "file":
            types = src.config.get("datasource.schema") if isinstance(src.config.get("datasource.schema"), dict) \
                else None
            has_headers = str(src.config.get("has_headers", "true")).lower() != "false"
            rows = read_file_rows(self._path(src.path or ""), src.format, types, has_headers)
            msgs = [Message(value=r, offset=i, topic=src.path or src.name) for i, r in enumerate(rows)]
        else:
            topic = opts.topic_names.get(src.topic or src.name, src.topic or src.name)
            msgs = decode(self.ctx.bus.read_all(topic), self.st.name, src.name, self.result.dead_letters)
            schema = opts.source_schemas.get(src.name)
            if schema:
                msgs = check_schema(msgs, schema, self.st.name, src.name, self.result.dead_letters)
        return msgs

    def _with_event_time(self, msgs: list[Message]) -> list[Message]:
        w = self.q.window
        field_name = (w.time_column if w is not None and w.time_column else None) or self.props.get("event.time.field")
        if not field_name:  # the message timestamp is the event time (read where needed when unset)
            return msgs
        reader = event_time_reader(field_name, self.props.get("event.time.format"))
        for m in msgs:
            t = reader(m.value, m.timestamp) if field_name else m.timestamp
            m.event_time = int(t) if t is not None else m.timestamp
        return msgs

    # -- compiling ---------------------------------------------------------------------------------
    def _compiler(self, resolve: Callable[[str | None, str], str],
                  special: dict[type, Callable[[exp.Expression, ExpressionCompiler], str]] | None = None
                  ) -> ExpressionCompiler:
        comp = ExpressionCompiler(resolve, now_ms=self.ctx.options.now_ms,
                                  null_semantics=self.props.get("sql.null_semantics", "reference"),
                                  special=special, file=self.file, errors=self.errors)
        return comp

    def _resolver(self, refs: list[SourceRef]) -> Callable[[str | None, str], str]:
        names = {}
        for r in refs:
            names[r.name] = r.ref_name
            names[r.ref_name] = r.ref_name
        single = len(refs) == 1

        def resolve(qualifier: str | None, name: str) -> str:
            if qualifier is None or name.startswith("__"):
                return name
            if qualifier not in names:
                known = ", ".join(sorted(names))
                raise self._sql_error(f"unknown source {qualifier!r} in {qualifier}.{name}",
                                      hint=f"sources of this statement: {known}")
            return name if single else f"{names[qualifier]}.{name}"

        return resolve

    # -- running -----------------------------------------------------------------------------------
    def run(self) -> StatementResult:
        t0 = time.perf_counter()
        q = self.q
        sources = [q.source, *(j.source for j in q.joins)]
        loaded = [self._load(s, i) for i, s in enumerate(sources)]
        for msgs in loaded:
            self._with_event_time(msgs)
        self.result.records_in = sum(len(x) for i, x in enumerate(loaded) if not self._is_table(sources[i])
                                     or len(sources) == 1)
        resolve = self._resolver(sources)
        self._subqueries: dict[int, str] = {}
        special = self._special_handlers(sources)
        consumer, finish = self._downstream(resolve, special, sources)
        if q.joins:
            self._run_joins(sources, loaded, resolve, special, consumer)
        elif self._simple_stateless() and not self.ctx.options.slow_processing:
            self._run_stateless(loaded[0])
        else:
            self._run_single(loaded[0], consumer)
        finish()
        self._collect_row_errors()
        self._finalize_output()
        self.result.duration_ms = (time.perf_counter() - t0) * 1000
        self.result.outputs = self.outputs
        self.result.records_out = len(self.outputs)
        self.result.lineage = self.lineage if self.lineage and len(self.lineage) == len(self.outputs) else None
        return self.result

    def _simple_stateless(self) -> bool:
        """A projection with nothing that needs per-output bookkeeping: the tight loop applies."""
        q = self.q
        return (getattr(self, "_stateless_proj", None) is not None and not q.distinct and not q.order_by
                and q.limit is None and not any(i.primary_key for i in q.items)
                and not any(s.config.get("key.field") for s in self.st.sinks) and not self.ctx.options.lineage)

    def _run_stateless(self, msgs: list[Message]) -> None:
        """The fast path of S1: one generated projection per record, outputs appended in input order."""
        proj = self._stateless_proj
        errors = self.errors
        out = self.outputs
        append = out.append
        if len({m.partition for m in msgs}) > 1:
            msgs = [m for _, m in merge_by_event_time([msgs])]
        for start in range(0, len(msgs), 1024):  # the deadline is checked between chunks
            self._check_deadline()
            for m in msgs[start:start + 1024]:
                errors.context = m
                o = proj(m.value, m)
                if o is not None:
                    t = m.event_time
                    if t is None:
                        t = m.timestamp
                    append(Message(o, None, m.headers, t, 0, -1, "", None, t))

    def _is_table(self, src: SourceRef) -> bool:
        return src.is_table or src.kind == "file"

    def _check_deadline(self) -> None:
        stop = self.ctx.options.should_stop
        if stop is not None and stop():
            from velotui.errors import RunCancelled

            raise RunCancelled(f"{self.st.name}: interrupted")
        if self.ctx.deadline is not None and time.monotonic() > self.ctx.deadline:
            raise RunTimeout(f"{self.st.name}: timed out after {self.ctx.options.timeout_s:g} s",
                             file=self.file, line=self.st.line, hint="raise timeout_ms in the spec, or --timeout")

    def _run_single(self, msgs: list[Message], consumer: Callable[[dict, Message, int, int], None]) -> None:
        if self.ctx.options.slow_processing:  # fault injection: some records take longer to process
            inner = consumer

            def consumer(row: dict, m: Message, t: int, idx: int) -> None:  # type: ignore[no-redef]
                delay = m.headers.get("x-velotui-delay-ms")
                if delay:
                    time.sleep(int(delay) / 1000)  # the injected slowness itself, not a wait for a condition
                inner(row, m, t, idx)
        n = 0
        for idx, m in merge_by_event_time([msgs])if any(x.partition for x in msgs[:1]) or len(
                {x.partition for x in msgs}) > 1 else enumerate(msgs):
            self.current = m
            self.errors.context = m
            consumer(m.value, m, m.event_time if m.event_time is not None else m.timestamp, idx)  # type: ignore[arg-type]
            n += 1
            if not n & 0xFF:
                self._check_deadline()

    # -- downstream: WHERE + (aggregate | window functions | projection) ----------------------------------
    def _downstream(self, resolve: Callable, special: dict, sources: list[SourceRef]
                    ) -> tuple[Callable[[dict, Message, int, int], None], Callable[[], None]]:
        q = self.q
        has_over = any(i.expr.find(exp.Window) is not None for i in q.items)
        agg_nodes: list[exp.Expression] = []
        for i in q.items:
            agg_nodes += find_aggregates(i.expr)
        if q.having is not None:
            agg_nodes += find_aggregates(q.having)
        if agg_nodes or q.group_by:
            return self._aggregate(resolve, special, agg_nodes)
        if has_over:
            return self._window_functions(resolve, special)
        comp = self._compiler(resolve, special)
        proj = comp.compile_projection([(i.name, i.expr) for i in q.items], q.where, star=q.star)
        self._stateless_proj = proj
        emit = self._emitter(resolve, copy_headers=True)

        lineage = self.ctx.options.lineage

        def consume(row: dict, m: Message, t: int, idx: int) -> None:
            out = proj(row, m)
            if out is not None:
                emit(out, m, t, [idx] if lineage else None, row)

        return consume, lambda: None

    def _where(self, resolve: Callable, special: dict) -> Callable[[dict, Message], bool] | None:
        if self.q.where is None:
            return None
        return self._compiler(resolve, special).compile_predicate(self.q.where)

    def _aggregate(self, resolve: Callable, special: dict, agg_nodes: list[exp.Expression]
                   ) -> tuple[Callable[[dict, Message, int, int], None], Callable[[], None]]:
        q = self.q
        slots: dict[str, str] = {}
        for node in agg_nodes:
            slots.setdefault(node.sql(), f"__agg{len(slots)}")
        arg_comp = self._compiler(resolve, special)
        specs = []
        for text, slot in slots.items():
            node = next(n for n in agg_nodes if n.sql() == text)
            try:
                _, arg = factory(node)
            except KeyError:
                raise self._sql_error(f"unsupported aggregate {text}", node) from None
            specs.append(AggSpec(slot, node, arg_comp.compile(arg) if arg is not None else None))
        args_fn = arg_comp.compile(exp.Tuple(expressions=[
            (factory(next(n for n in agg_nodes if n.sql() == text))[1] or exp.Null()) for text in slots]))

        def agg_ref(node: exp.Expression, comp: ExpressionCompiler) -> str:
            if is_aggregate(node):
                return f"r.get({slots[node.sql()]!r})"
            return comp._c_Anonymous(node)  # type: ignore[arg-type]

        out_special = {**special, exp.AggFunc: agg_ref, exp.Anonymous: agg_ref}
        out_comp = self._compiler(resolve, out_special)
        proj = out_comp.compile_projection([(i.name, i.expr) for i in q.items], q.having, star=False)
        group_fns = [arg_comp.compile(g) for g in q.group_by]
        window = q.window
        if window is not None and window.kind == "session" and window.partition_column:
            group_fns.append(arg_comp.compile(exp.column(window.partition_column)))
        group_exprs = list(q.group_by)
        if window is not None and window.kind == "session" and window.partition_column:
            group_exprs.append(exp.column(window.partition_column))
        group_key = arg_comp.compile(exp.Tuple(expressions=group_exprs)) if group_exprs else (lambda r, m: ())
        where = self._where(resolve, special)
        final = q.emit == "final" or (q.emit is None and window is not None)
        wm = Watermark(self.props.get("watermark.strategy", "bounded_out_of_orderness"),
                       parse_duration(self.props.get("watermark.max_out_of_orderness"), 0))
        lateness = parse_duration(self.props.get("window.allowed_lateness"), 0)
        late_strategy = self.props.get("late.data.strategy", "drop").lower()
        emit = self._emitter(resolve, copy_headers=False,
                             window_key=(lambda r, m: key_text(tuple(f(r, m) for f in group_fns)))
                             if window is not None and group_fns else None)

        append = getattr(emit, "append", None)
        if append is not None:  # the lean emitter, inlined: one call less per output row
            def on_emit(row: dict, meta: Message, ts: int, lineage: list[int] | None) -> None:
                out = proj(row, meta)
                if out is not None:
                    append(Message(out, None, {}, ts, 0, -1, "", None, ts))
        else:
            def on_emit(row: dict, meta: Message, ts: int, lineage: list[int] | None) -> None:
                out = proj(row, meta)
                if out is not None:
                    emit(out, meta, ts, lineage, row)

        def on_late(row: dict, m: Message, why: str) -> None:
            self.result.late_records += 1
            if late_strategy == "dead_letter":
                self.result.dead_letters.append(DeadLetter(statement=self.st.name, error_type="late_record",
                                                           message=why, source=m.topic, offset=m.offset,
                                                           record=row))

        op = GroupAggregate(specs, group_key, window=window, final=final, watermark=wm,
                            allowed_lateness_ms=lateness, late_strategy=late_strategy, emit=on_emit, on_late=on_late,
                            track_lineage=self.ctx.options.lineage, args=args_fn)

        def consume(row: dict, m: Message, t: int, idx: int) -> None:
            if where is not None and not where(row, m):
                if window is not None:
                    op._advance(t)  # filtered records still move event time
                return
            op.process(row, m, t, idx)

        return (consume if where is not None else op.process), op.finish

    def _window_functions(self, resolve: Callable, special: dict
                          ) -> tuple[Callable[[dict, Message, int, int], None], Callable[[], None]]:
        q = self.q
        arg_comp = self._compiler(resolve, special)
        specs: list[OverSpec] = []
        slot_of: dict[int, str] = {}
        for item in q.items:
            for w in item.expr.find_all(exp.Window):
                slot = f"__over{len(specs)}"
                slot_of[id(w)] = slot
                try:
                    specs.append(OverSpec(slot, w, arg_comp.compile))
                except KeyError:
                    raise self._sql_error(f"unsupported window function {w.this.sql()}", w) from None

        def over_ref(node: exp.Expression, comp: ExpressionCompiler) -> str:
            return f"r.get({slot_of[id(node)]!r})"

        proj = self._compiler(resolve, {**special, exp.Window: over_ref}).compile_projection(
            [(i.name, i.expr) for i in q.items], None, star=q.star)
        where = self._where(resolve, special)
        emit = self._emitter(resolve, copy_headers=True)

        def on_row(row: dict, m: Message, t: int) -> None:
            out = proj(row, m)
            if out is not None:
                for s in specs:
                    out.pop(s.slot, None)
                emit(out, m, t, None, row)

        op = WindowFunctions(specs, on_row)

        def consume(row: dict, m: Message, t: int, idx: int) -> None:
            if where is not None and not where(row, m):
                return
            op.process(row, m, t)

        return consume, op.finish

    # -- output ------------------------------------------------------------------------------------
    def _emitter(self, resolve: Callable, *, copy_headers: bool,
                 window_key: Callable[[dict, Message], str] | None = None
                 ) -> Callable[[dict, Message, int, list[int] | None, dict], None]:
        q = self.q
        pk = [i.name for i in q.items if i.primary_key]
        sink_key = None
        for s in self.st.sinks:
            kf = s.config.get("key.field") if s.config else None
            if kf:
                sink_key = str(kf)
        limit = q.limit
        distinct = q.distinct
        order = None
        if q.order_by:
            out_names = {i.name for i in q.items}

            def order_resolve(qualifier: str | None, name: str) -> str:
                return name if qualifier is None or name in out_names else resolve(qualifier, name)

            oc = self._compiler(order_resolve)
            order = _Sorter([(oc.compile(o.expr), o.descending) for o in q.order_by])
        self._order = order
        if (limit is None and not distinct and order is None and window_key is None and not pk and not sink_key
                and not copy_headers and not self.ctx.options.lineage):
            append = self.outputs.append

            def lean_emit(out: dict, m: Message, ts: int, lineage: list[int] | None, row_in: dict) -> None:
                append(Message(out, None, {}, ts, 0, -1, "", None, ts))

            lean_emit.append = append  # type: ignore[attr-defined]  # callers may inline it
            return lean_emit

        def emit(out: dict, m: Message, ts: int, lineage: list[int] | None, row_in: dict) -> None:
            if limit is not None and order is None and len(self.outputs) >= limit:
                return
            if distinct:
                k = _hashable(out)
                if k in self._seen_distinct:
                    return
                self._seen_distinct.add(k)
            if window_key is not None:
                key = window_key(row_in, m)
            elif pk:
                key = key_text(tuple(out.get(p) for p in pk)) if len(pk) > 1 else out.get(pk[0])
            elif sink_key:
                key = out.get(sink_key)
            else:
                key = None
            headers = dict(m.headers) if copy_headers and m is not None else {}
            msg = Message(value=out, key=key, headers=headers, timestamp=int(ts), event_time=int(ts))
            if order is not None:
                msg.raw = order.key({**row_in, **out}, m)  # type: ignore[assignment]
            self.outputs.append(msg)
            if lineage is not None:
                self.lineage.append(lineage)

        return emit

    def _finalize_output(self) -> None:
        q = self.q
        order = getattr(self, "_order", None)
        if order is not None:
            if q.window is not None:
                runs: list[list[int]] = []
                last = object()
                for i, m in enumerate(self.outputs):
                    wk = (m.value.get("_window_start") if m.value else None, m.timestamp)
                    if wk != last:
                        runs.append([])
                        last = wk
                    runs[-1].append(i)
                order_idx = [i for run in runs for i in sorted(run, key=lambda j: self.outputs[j].raw)]
            else:
                order_idx = sorted(range(len(self.outputs)), key=lambda j: self.outputs[j].raw)
            self.outputs = [self.outputs[i] for i in order_idx]
            if self.lineage and len(self.lineage) == len(order_idx):
                self.lineage = [self.lineage[i] for i in order_idx]
            for m in self.outputs:
                m.raw = None
            if q.limit is not None:
                self.outputs = self.outputs[: q.limit]
                self.lineage = self.lineage[: q.limit]
        for i, m in enumerate(self.outputs):
            m.offset = i

    # -- joins -------------------------------------------------------------------------------------
    def _split_on(self, on: exp.Expression, right_ref: str, left_refs: set[str]
                  ) -> tuple[list[tuple[exp.Expression, exp.Expression]], list[exp.Expression]]:
        conj = list(on.flatten()) if isinstance(on, exp.And) else [on]
        pairs, rest = [], []
        for c in conj:
            c = c.unnest() if isinstance(c, exp.Paren) else c
            if isinstance(c, exp.EQ):
                lq = {col.table for col in c.this.find_all(exp.Column)}
                rq = {col.table for col in c.expression.find_all(exp.Column)}
                if lq == {right_ref} and rq and rq <= left_refs:
                    pairs.append((c.expression, c.this))
                    continue
                if rq == {right_ref} and lq and lq <= left_refs:
                    pairs.append((c.this, c.expression))
                    continue
            rest.append(c)
        if not pairs:
            raise self._sql_error(f"JOIN {right_ref}: ON needs an equality between {right_ref} and an earlier "
                                  "source (qualify the columns: a.k = b.k)", on)
        return pairs, rest

    def _run_joins(self, sources: list[SourceRef], loaded: list[list[Message]], resolve: Callable,
                   special: dict, consumer: Callable[[dict, Message, int, int], None]) -> None:
        q = self.q
        joins = list(q.joins)
        main = q.source
        main_is_table = self._is_table(main)
        first_join_stream = not self._is_table(joins[0].source)
        refs = [s.ref_name for s in sources]
        comp = self._compiler(resolve, special)
        fields = [sorted({k for m in msgs for k in (m.value or {})}) for msgs in loaded]
        # stages after the driving source: table lookups (and one stream-stream join at the start)
        stages: list[Callable[[dict, Message], list[dict]]] = []
        start = 1
        driver_msgs = loaded[0]
        driver_ref = main.ref_name
        ss_join: StreamStreamJoin | None = None
        if main_is_table and first_join_stream:
            if len(joins) > 1:
                raise self._sql_error("a table on the left of a chain of joins is not supported",
                                      hint="put the stream first: FROM stream s JOIN table t …")
            # FROM table JOIN stream: the stream drives; LEFT (table preserved) behaves as INNER
            j = joins[0]
            pairs, rest = self._split_on(j.on, main.ref_name, {j.source.ref_name, j.source.name})
            preserved = j.kind in ("right", "full")
            stages.append(self._table_stage(main, loaded[0], pairs, rest, comp, preserved, table_is_right=False,
                                            stream_ref=j.source.ref_name, fields_table=fields[0]))
            driver_msgs, driver_ref = loaded[1], j.source.ref_name
            start = len(sources)
        elif not main_is_table and first_join_stream:
            j = joins[0]
            pairs, rest = self._split_on(j.on, j.source.ref_name, {main.ref_name, main.name})
            lk = [comp.compile(left) for left, _ in pairs]
            rk = [comp.compile(right) for _, right in pairs]
            extra = None
            if rest:
                extra = comp.compile_predicate(exp.and_(*rest) if len(rest) > 1 else rest[0])
            retention = parse_duration(self.props.get("join.retention") or self.props.get("join.timeout"), 3_600_000)
            lower = self.props.get("join.lower_bound")
            upper = self.props.get("join.upper_bound")
            lref, rref = main.ref_name, j.source.ref_name

            def lkey(row: dict, m: Message) -> Any:
                r = {f"{lref}.{k}": v for k, v in row.items()} | row
                vals = tuple(f(r, m) for f in lk)
                return None if any(v is None for v in vals) else vals

            def rkey(row: dict, m: Message) -> Any:
                r = {f"{rref}.{k}": v for k, v in row.items()} | row
                vals = tuple(f(r, m) for f in rk)
                return None if any(v is None for v in vals) else vals

            downstream: list[Callable] = []

            def after_pair(row: dict, m: Message, t: int) -> None:
                downstream[0](row, m, t)

            ss_join = StreamStreamJoin(j.kind, lref, rref, lkey, rkey, extra, retention,
                                       parse_duration(lower) if lower else None,
                                       parse_duration(upper) if upper else None, after_pair, fields[0], fields[1])
            start = 2
        else:
            for k in range(1, len(joins) + 1):
                if not self._is_table(sources[k]):
                    raise self._sql_error(f"JOIN {sources[k].name}: a second stream in a chain must come first",
                                          hint="join the two streams first, then the tables")
        for k in range(start, len(sources)):
            j = joins[k - 1]
            src = sources[k]
            if not self._is_table(src):
                raise self._sql_error(f"JOIN {src.name}: only one stream-stream join per statement is supported",
                                      hint="split the pipeline into two statements")
            pairs, rest = self._split_on(j.on, src.ref_name, set(refs[:k]) | {s.name for s in sources[:k]})
            preserved = j.kind in ("left", "full")
            stages.append(self._table_stage(src, loaded[k], pairs, rest, comp, preserved, table_is_right=True,
                                            stream_ref=None, fields_table=fields[k]))

        def through_stages(row: dict, m: Message, t: int, idx: int) -> None:
            rows = [row]
            for stage in stages:
                nxt: list[dict] = []
                for r in rows:
                    nxt.extend(stage(r, m))
                rows = nxt
                if not rows:
                    return
            for r in rows:
                consumer(r, m, t, idx)

        def through_one_stage(row: dict, m: Message, t: int, idx: int) -> None:  # the common case
            for r in stages[0](row, m):
                consumer(r, m, t, idx)

        run_stages = through_one_stage if len(stages) == 1 else through_stages

        if ss_join is not None:
            counter = [0]

            def from_pair(row: dict, m: Message, t: int) -> None:
                run_stages(row, m, t, counter[0])

            ss_join_down = from_pair
            ss_join.emit = ss_join_down  # type: ignore[assignment]
            n = 0
            for si, m in merge_by_event_time([loaded[0], loaded[1]]):
                self.current = m
                self.errors.context = m
                counter[0] = n
                ss_join.process(si, m.value, m, m.event_time if m.event_time is not None else m.timestamp)  # type: ignore[arg-type]
                n += 1
                if not n & 0xFF:
                    self._check_deadline()
            ss_join.finish()
            return
        n = 0
        driver_row = DriverRow(driver_ref)  # = merge_joined([(driver_ref, m.value, [])]), faster
        for _, m in merge_by_event_time([driver_msgs]):
            self.current = m
            self.errors.context = m
            base = driver_row(m.value)
            run_stages(base, m, m.event_time if m.event_time is not None else m.timestamp, n)  # type: ignore[arg-type]
            n += 1
            if not n & 0xFF:
                self._check_deadline()

    def _table_stage(self, table: SourceRef, msgs: list[Message], pairs: list[tuple[exp.Expression, exp.Expression]],
                     rest: list[exp.Expression], comp: ExpressionCompiler, preserved: bool, *, table_is_right: bool,
                     stream_ref: str | None, fields_table: list[str]) -> Callable[[dict, Message], list[dict]]:
        tref = table.ref_name
        rows = [m.value for m in msgs if m.value is not None]
        if table.kind == "stream":  # a CREATE TABLE output: its current state, the last row per key
            prev = self.ctx.results.get(table.name)
            state: dict[Any, dict] = {}
            for m in (prev.outputs if prev else []):
                state[m.key if m.key is not None else id(m)] = m.value
            rows = list(state.values())
        t_fns = [comp.compile(t_expr) for _, t_expr in pairs]
        s_fns = [comp.compile(s_expr) for s_expr, _ in pairs]
        meta = Message(value=None)

        def table_key(r: dict) -> Any:
            full = {f"{tref}.{k}": v for k, v in r.items()} | r
            vals = tuple(_norm(f(full, meta)) for f in t_fns)
            return None if any(v is None for v in vals) else vals

        lookup = TableLookup(rows, table_key, tref)
        tfields = lookup.fields or fields_table
        extra = comp.compile_predicate(exp.and_(*rest) if len(rest) > 1 else rest[0]) if rest else None
        matches = lookup.matches

        def stage(row: dict, m: Message) -> list[dict]:
            if len(s_fns) == 1:
                v = _norm(s_fns[0](row, m))
                key = None if v is None else (v,)
            else:
                key = tuple(_norm(f(row, m)) for f in s_fns)
                if any(v is None for v in key):
                    key = None
            out = []
            if key is not None:
                for items in matches(key):
                    joined = dict(row)
                    for f, qf, v in items:
                        joined[qf] = v
                        if f not in joined or (joined[f] is None and v is not None):
                            joined[f] = v
                    if extra is None or extra(joined, m):
                        out.append(joined)
            if not out and preserved:
                out.append(_join_rows(row, tref, None, tfields))
            return out

        return stage

    # -- subqueries (IN / EXISTS / scalar) against tables ------------------------------------------------
    def _table_rows(self, name: str, node: exp.Expression) -> list[dict]:
        producer = self.app.statement(name)
        if producer is not None:
            prev = self.ctx.results.get(name)
            if producer.kind != "table":
                raise self._sql_error(f"subquery over {name!r}, which is a stream (§9)", node)
            state: dict[Any, dict] = {}
            for m in (prev.outputs if prev else []):
                state[m.key if m.key is not None else id(m)] = m.value
            return list(state.values())
        props = self.props
        cfg: dict[str, Any] = {}
        if props.get(f"{name}.config_file") and self.ctx.options.base_dir is not None:
            from velotui.spec.config import config_get, load_config_file

            cfg = load_config_file(self.ctx.options.base_dir / props[f"{name}.config_file"])
            path = config_get(cfg, "path")
            fmt = config_get(cfg, "format")
        else:
            path, fmt = None, None
        path = props.get(f"{name}.path") or path
        fmt = props.get(f"{name}.format") or fmt
        if not path:
            raise self._sql_error(f"subquery over {name!r}: it is not a table (§9)", node,
                                  hint=f"declare it: '{name}.type' = 'file_source', '{name}.path' = 'data/{name}.csv'")
        return read_file_rows(self._path(str(path)), str(fmt) if fmt else None)

    def _special_handlers(self, sources: list[SourceRef]) -> dict[type, Callable[[exp.Expression, ExpressionCompiler], str]]:
        outer_refs = {s.ref_name for s in sources} | {s.name for s in sources}
        single_outer = sources[0].ref_name if len(sources) == 1 else None
        cache: dict[int, Any] = {}

        def compile_sub(select: exp.Select, comp: ExpressionCompiler) -> tuple[list[dict], str, Callable, Any, bool]:
            from_ = select.args.get("from_") or select.args.get("from")
            table = from_.this
            name, alias = table.name, table.alias or table.name
            rows = self._table_rows(name, select)
            correlated = any(c.table and c.table not in (name, alias) and c.table in outer_refs
                             for c in select.find_all(exp.Column))

            def resolve(qualifier: str | None, col: str) -> str:
                if qualifier is None or qualifier in (name, alias):
                    return col
                if qualifier in outer_refs:
                    return f"__outer.{qualifier}.{col}" if single_outer is None else f"__outer.{col}"
                raise self._sql_error(f"unknown source {qualifier!r} in subquery", select)

            sub = self._compiler(resolve)
            where = sub.compile_predicate(select.args["where"].this) if select.args.get("where") else None
            item = select.expressions[0]
            item = item.this if isinstance(item, exp.Alias) else item
            return rows, alias, where, (sub, item), correlated

        def bind(outer: dict, inner: dict) -> dict:
            d = dict(inner)
            for k, v in outer.items():
                d[f"__outer.{k}"] = v
            return d

        def in_handler(node: exp.Expression, comp: ExpressionCompiler) -> str:
            query = node.args.get("query")
            if query is None:
                return comp._c_In(node)  # type: ignore[arg-type]
            select = query.this if isinstance(query, exp.Subquery) else query
            rows, _, where, (sub, item), correlated = compile_sub(select, comp)
            value = sub.compile(item)
            meta = Message(value=None)
            name = f"_subin{len(cache)}"
            cache[id(node)] = name
            if not correlated:
                from velotui.engine.operators import hashable

                values = {hashable(_norm(value(r, meta))) for r in rows if where is None or where(r, meta)}
                values.discard(None)
                comp.namespace[name] = lambda x, r, m: x is not None and hashable(_norm(x)) in values
            else:
                def f(x: Any, r: dict, m: Message) -> bool:
                    if x is None:
                        return False
                    for t in rows:
                        b = bind(r, t)
                        if (where is None or where(b, m)) and _norm(value(b, m)) == _norm(x):
                            return True
                    return False

                comp.namespace[name] = f
            return f"{name}({comp.to_source(node.this)}, r, m)"

        def exists_handler(node: exp.Expression, comp: ExpressionCompiler) -> str:
            select = node.this
            select = select.this if isinstance(select, exp.Subquery) else select
            rows, _, where, _, correlated = compile_sub(select, comp)
            name = f"_subexists{len(cache)}"
            cache[id(node)] = name
            if not correlated:
                meta = Message(value=None)
                hit = any(where is None or where(r, meta) for r in rows)
                comp.namespace[name] = lambda r, m: hit
            else:
                comp.namespace[name] = lambda r, m: any(where is None or where(bind(r, t), m) for t in rows)
            return f"{name}(r, m)"

        def scalar_handler(node: exp.Expression, comp: ExpressionCompiler) -> str:
            select = node.this
            if not isinstance(select, exp.Select):
                return f"({comp.to_source(select)})"
            rows, _, where, (sub, item), correlated = compile_sub(select, comp)
            name = f"_subscalar{len(cache)}"
            cache[id(node)] = name
            aggs = find_aggregates(item)
            if aggs:
                if len(aggs) != 1 or aggs[0] is not item:
                    raise self._sql_error("a scalar subquery may return one aggregate or one column", select)
                ctor, arg = factory(item)
                arg_fn = sub.compile(arg) if arg is not None else None

                def agg(r: dict, m: Message) -> Any:
                    acc = ctor()
                    for t in rows:
                        b = bind(r, t) if correlated else t
                        if where is None or where(b, m):
                            acc.add(arg_fn(b, m) if arg_fn else None)
                    return acc.value()

                if not correlated:
                    meta = Message(value=None)
                    value = agg({}, meta)
                    comp.namespace[name] = lambda r, m: value
                else:
                    comp.namespace[name] = agg
            else:
                vfn = sub.compile(item)

                def first(r: dict, m: Message) -> Any:
                    for t in rows:
                        b = bind(r, t) if correlated else t
                        if where is None or where(b, m):
                            return vfn(b, m)
                    return None

                comp.namespace[name] = first
            return f"{name}(r, m)"

        return {exp.In: in_handler, exp.Exists: exists_handler, exp.Subquery: scalar_handler}


def _norm(v: Any) -> Any:
    """Join and IN keys: numbers compare by value (1 == 1.0 == Decimal('1.00')); text stays text."""
    t = type(v)
    if t is str or t is float:  # the common cases first
        return v
    if t is int:
        return float(v)
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v)
    from decimal import Decimal

    if isinstance(v, Decimal):
        return float(v)
    return v


def _join_rows(row: dict, tref: str, match: dict | None, fields: list[str] | None = None) -> dict:
    out = dict(row)
    names = list(match) if match is not None else (fields or [])
    for f in names:
        v = match.get(f) if match is not None else None
        out[f"{tref}.{f}"] = v
        if f not in out or (out[f] is None and v is not None):
            out[f] = v
    return out

