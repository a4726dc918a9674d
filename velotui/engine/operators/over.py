"""Window functions: ``f(…) OVER (PARTITION BY … ORDER BY … [frame])``, one output per input (§7).

State per call and partition: the row count (ROW_NUMBER), the ORDER BY values seen (RANK, DENSE_RANK),
the last k values (LAG), the frame's values and an accumulator (aggregates over OVER). LEAD makes a row
wait until the k-th next record of its partition arrives (or input ends); rows leave in arrival order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from velotui.engine.expr.aggregates import (
    AGGREGATES,
    SLIDING,
    Acc,
    NotANumber,
    SlidingSum,
    SlidingVariance,
    Sum,
    Variance,
)
from velotui.engine.expr.errors import DropRecord
from velotui.engine.expr.values import key_of, less
from velotui.engine.operators.base import Batch, Operator, RunState
from velotui.engine.plan.nodes import OverCall
from velotui.engine.timekeeping import NEG_INF

RowFn = Callable[..., Any]


class OverSpec:
    """One ``f(…) OVER (…)`` item with its compiled parts."""

    def __init__(self, call: OverCall, compile_expr: Callable[[Any], RowFn]) -> None:
        self.slot = call.slot
        self.kind = call.name if call.name in ("ROW_NUMBER", "RANK", "DENSE_RANK", "LAG", "LEAD") else "AGG"
        self.partition = [compile_expr(p) for p in call.partition_by]
        self.order = [(compile_expr(e), desc) for e, desc in call.order_by]
        self.frame_rows = call.frame_rows
        self.emit_on_full = call.emit_on_buffer_full
        self.expire_ms = call.expire_after_ms
        self.offset = call.offset
        self.arg: RowFn | None = None
        self.default_fn: RowFn | None = None
        self.make_acc: Callable[[], Acc] | None = None
        self.make_plain: Callable[[], Acc] | None = None  # as GROUP BY adds up (make_acc may be exact and sliding)
        if self.kind in ("LAG", "LEAD"):
            self.arg = compile_expr(call.arguments[0])
            if len(call.arguments) > 2:
                self.default_fn = compile_expr(call.arguments[2])
        elif self.kind == "AGG":
            self.make_acc = self.make_plain = AGGREGATES[call.name].accumulator(star=not call.arguments)
            if self.frame_rows is not None and call.arguments and call.name in SLIDING:
                self.make_acc = SLIDING[call.name]  # a row out of the frame taken out exactly, at O(1)
            self.arg = compile_expr(call.arguments[0]) if call.arguments else None


class OverState:
    __slots__ = ("acc", "count", "frame", "history", "last_t", "order_vals")

    def __init__(self) -> None:
        self.history: list[Any] = []  # LAG values
        self.acc: Acc | None = None
        self.frame: deque[Any] = deque()
        self.last_t: float = NEG_INF
        self.count = 0
        self.order_vals: list[Any] = []


class WindowFunctions(Operator):
    """Computes every OVER item per input record into its slot of the row."""

    def __init__(self, run: RunState, specs: list[OverSpec], where: RowFn | None) -> None:
        self.run = run
        self.specs = specs
        self.where = where
        self.states: list[dict[Any, OverState]] = [{} for _ in specs]
        self.has_lead = any(s.kind == "LEAD" for s in specs)
        self.pending: deque[list[Any]] = deque()  # rows in arrival order: [out, meta, t, missing, lineage]
        self.lead_queues: list[dict[Any, deque]] = [{} for _ in specs]
        self._out: Batch | None = None

    def push(self, batch: Batch) -> None:
        self._out = Batch([], [], [], [] if batch.idxs is not None else None)
        errors = self.run.errors
        for i, (r, m, t) in enumerate(zip(batch.rows, batch.metas, batch.times)):
            errors.context = m
            try:
                if self.where is not None and not self.where(r, m, t):
                    continue
                self._process(r, m, t, batch.idxs[i] if batch.idxs is not None else None)
            except DropRecord as e:
                self.run.dropped(e, m)
        self._flush()

    def _flush(self) -> None:
        out, self._out = self._out, None
        if out is not None and out.rows and self.downstream is not None:
            self.downstream.push(out)

    def _send(self, row: dict, m: Any, t: int, lineage: list[int] | None) -> None:
        out = self._out
        assert out is not None
        out.rows.append(row)
        out.metas.append(m)
        out.times.append(t)
        if out.idxs is not None:
            out.idxs.append(lineage or [])

    def _process(self, row: dict, m: Any, t: int, lineage: list[int] | None) -> None:
        # every value is computed before any state changes: a record dropped by a failed CAST leaves none
        keys = []
        for spec in self.specs:
            part = spec.partition
            keys.append(part[0](row, m, t) if len(part) == 1 else tuple(p(row, m, t) for p in part))
        args = [spec.arg(row, m, t) if spec.arg is not None else None for spec in self.specs]
        orders = [tuple(o(row, m, t) for o, _ in spec.order) if spec.order else None for spec in self.specs]
        out = dict(row)
        entry = [out, m, t, 0, lineage]
        skip = False
        for i, spec in enumerate(self.specs):
            key = keys[i]
            pstates = self.states[i]
            try:
                st = pstates.get(key)
            except TypeError:  # a partition value holding JSON arrays or objects
                key = key_of(key)
                st = pstates.get(key)
            if st is None or (spec.expire_ms and t - st.last_t > spec.expire_ms):
                st = pstates[key] = OverState()
                if spec.make_acc is not None:
                    st.acc = spec.make_acc()
                    if getattr(st.acc, "items", ()) is None:  # MIN/MAX keep their values to slide a frame
                        st.acc.items = []  # type: ignore[attr-defined]
            if t > st.last_t:
                st.last_t = t
            st.count += 1
            if spec.kind == "ROW_NUMBER":
                out[spec.slot] = st.count
            elif spec.kind in ("RANK", "DENSE_RANK"):
                ov = orders[i] if spec.order else (st.count,)
                desc = spec.order[0][1] if spec.order else False
                prev = st.order_vals
                if spec.kind == "RANK":
                    better = sum(1 for v in prev if _before(v, ov, desc))
                else:
                    better = len({key_of(v) for v in prev if _before(v, ov, desc)})  # arrays, maps: as keys
                out[spec.slot] = better + 1
                prev.append(ov)
            elif spec.kind == "LAG":
                h = st.history
                if len(h) >= spec.offset:
                    out[spec.slot] = h[-spec.offset]
                else:
                    out[spec.slot] = spec.default_fn(row, m, t) if spec.default_fn else None
                h.append(args[i])
                if len(h) > spec.offset:
                    del h[0]
            elif spec.kind == "LEAD":
                q = self.lead_queues[i].setdefault(key, deque())
                q.append(entry)  # this record completes the LEAD of the record `offset` positions back
                if len(q) > spec.offset:
                    waiting = q.popleft()
                    waiting[0][spec.slot] = args[i]
                    waiting[3] -= 1
                out[spec.slot] = None
                entry[3] += 1
            else:  # running aggregate over the frame
                v = args[i]
                acc = st.acc
                assert acc is not None
                try:
                    acc.add(v)
                except NotANumber as e:
                    self.run.errors("wrong_type", f"{e.value!r} is not a number: left out of the aggregate")
                    v = None
                if spec.frame_rows is not None:
                    st.frame.append(v)
                    if type(acc) is SlidingSum and acc.inexact:  # a DECIMAL: the frame added up as GROUP BY does
                        acc = st.acc = _added_up(spec, st.frame)
                    if len(st.frame) > spec.frame_rows:
                        old = st.frame.popleft()
                        if _removes_exactly(acc, old):
                            acc.remove(old)
                        else:  # the aggregate of the frame's rows, as GROUP BY would add them up
                            acc = st.acc = _added_up(spec, st.frame)
                    if spec.emit_on_full and len(st.frame) < spec.frame_rows:
                        skip = True
                out[spec.slot] = acc.value()
        if skip:
            return
        if self.has_lead:
            self.pending.append(entry)
            while self.pending and self.pending[0][3] <= 0:  # in arrival order once nothing before waits
                o, pm, pt, _, lin = self.pending.popleft()
                self._send(o, pm, pt, lin)
        else:
            self._send(out, m, t, lineage)

    def finish(self) -> None:
        self._out = Batch([], [], [], [])
        for i, spec in enumerate(self.specs):
            if spec.kind != "LEAD":
                continue
            for q in self.lead_queues[i].values():
                while q:
                    entry = q.popleft()
                    entry[0][spec.slot] = spec.default_fn(entry[0], entry[1], entry[2]) if spec.default_fn else None
                    entry[3] -= 1
        while self.pending:
            o, pm, pt, _, lin = self.pending.popleft()
            self._send(o, pm, pt, lin)
        if not self.run.lineage and self._out is not None:
            self._out.idxs = None
        self._flush()
        super().finish()


def _removes_exactly(acc: Acc, v: Any) -> bool:
    """Whether taking ``v`` out of ``acc`` leaves exactly the aggregate of the other values: true of counts,
    MIN/MAX, FIRST/LAST and a SUM/AVG of integers; not of a sum of FLOATs or DECIMALs ((1e20 + 1 + 1) - 1e20 is
    0.0, not 2.0) nor of a variance (a residue of 1e-8 where the frame's values are equal)."""
    if type(acc) is SlidingSum:
        return not acc.inexact
    if type(acc) is SlidingVariance:
        return True
    if isinstance(acc, Sum):
        return type(acc.total) is int and (v is None or type(v) is int)
    return not isinstance(acc, Variance)


def _added_up(spec: OverSpec, frame: deque[Any]) -> Acc:
    """A new accumulator of the frame's values, added in order, as GROUP BY adds them up."""
    assert spec.make_plain is not None
    acc = spec.make_plain()
    for x in frame:
        acc.add(x)
    return acc


def _before(v: Any, ov: Any, desc: bool) -> bool:
    """Whether ``v`` comes before ``ov`` in the window's order (values.less: never raising)."""
    return less(ov, v) if desc else less(v, ov)


__all__ = ["OverSpec", "WindowFunctions"]
