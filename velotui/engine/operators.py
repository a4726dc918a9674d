"""Stateful operators: group aggregation (with and without windows), window functions, joins."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from velotui.engine.aggregates import Acc, factory
from velotui.engine.expr.runtime import to_text
from velotui.engine.timekeeping import NEG_INF, POS_INF, Watermark
from velotui.records import Message

Emit = Callable[[dict, Message, int, list[int] | None], None]  # (row, meta, timestamp, lineage)


def freeze(v: Any) -> Any:
    """A hashable form of a key that may hold JSON arrays or objects."""
    if isinstance(v, (list, tuple)):
        return tuple(freeze(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((str(k), freeze(x)) for k, x in v.items()))
    return v


def hashable(key: Any) -> Any:
    try:
        hash(key)
        return key
    except TypeError:
        return freeze(key)


class AggSpec:
    """One aggregate call of a query: how to make its accumulator and read its argument."""

    def __init__(self, slot: str, node: exp.Expression, arg: Callable[[dict, Message], Any] | None) -> None:
        self.slot = slot
        self.ctor, _ = factory(node)
        self.arg = arg


class GroupState:
    __slots__ = ("accs", "emitted", "fns", "last_meta", "last_row", "members", "order")

    def __init__(self, specs: list[AggSpec], order: int) -> None:
        self.accs: list[Acc] = [s.ctor() for s in specs]
        self.last_row: dict = {}
        self.last_meta: Message | None = None
        self.order = order
        self.members: list[int] = []
        self.emitted = False
        self.fns: list[tuple[Callable, Callable, str]] = []  # (add, value, slot): the unwindowed fast path


class GroupAggregate:
    """GROUP BY with or without a window. Emits through ``emit`` (EMIT CHANGES per input, EMIT FINAL per
    (group, window) at close)."""

    def __init__(self, specs: list[AggSpec], group_key: Callable[[dict, Message], tuple], *,
                 window: Any, final: bool, watermark: Watermark, allowed_lateness_ms: int,
                 late_strategy: str, emit: Emit, on_late: Callable[[dict, Message, str], None],
                 track_lineage: bool = True, args: Callable[[dict, Message], tuple] | None = None) -> None:
        self.specs = specs
        self.group_key = group_key
        self.window = window
        self.final = final
        self.wm = watermark
        self.lateness = allowed_lateness_ms
        self.late_strategy = late_strategy
        self.emit = emit
        self.on_late = on_late
        self.lineage = track_lineage
        self.groups: dict[Any, dict[Any, GroupState]] = {}  # window -> group -> state
        self.closing: list[tuple[float, float, int, Any]] = []  # heap of (end, start, seq, window key)
        self.seen_windows: set[Any] = set()
        self.sessions: dict[Any, list[list[float]]] = {}  # group -> [[start, last], …] (session windows)
        self.counter = 0
        self._seq = 0
        self.args = args
        self.slots = [s.slot for s in specs]
        if window is None and args is not None and not track_lineage:
            self._unwindowed: dict[Any, GroupState] = self.groups.setdefault((None, None), {})
            self.process = self._process_unwindowed  # type: ignore[method-assign]

    # -- windows a record belongs to ----------------------------------------------------------------
    def _windows_for(self, t: int, gkey: Any) -> list[tuple[int, int]]:
        w = self.window
        if w is None:
            return [(None, None)]  # type: ignore[list-item]
        if w.kind == "tumbling":
            s = (t // w.size_ms) * w.size_ms
            return [(s, s + w.size_ms)]
        if w.kind == "sliding":
            adv, size = w.advance_ms, w.size_ms
            first = (t - size) // adv + 1
            last = t // adv
            return [(k * adv, k * adv + size) for k in range(first, last + 1)]
        raise AssertionError(w.kind)

    def _process_unwindowed(self, row: dict, m: Message, t: int, index: int) -> None:
        """GROUP BY without a window (EMIT CHANGES): update the group and emit its row."""
        gkey = self.group_key(row, m)
        groups = self._unwindowed
        try:
            st = groups.get(gkey)
        except TypeError:  # a key holding JSON arrays or objects
            gkey = freeze(gkey)
            st = groups.get(gkey)
        if st is None:
            self.counter += 1
            st = groups[gkey] = GroupState(self.specs, self.counter)
            st.fns = [(acc.add, acc.value, slot) for acc, slot in zip(st.accs, self.slots)]
        out = dict(row)
        for (add, value, slot), v in zip(st.fns, self.args(row, m)):  # type: ignore[misc]
            add(v)
            out[slot] = value()
        self.emit(out, m, t, None)

    def process(self, row: dict, m: Message, t: int, index: int) -> None:
        gkey = hashable(self.group_key(row, m))
        wm_before = self.wm.value
        if self.window is not None and self.window.kind == "session":
            self._process_session(row, m, t, index, gkey, wm_before)
        else:
            for ws, we in self._windows_for(t, gkey):
                if we is not None and wm_before >= we + self.lateness:
                    self.on_late(row, m, f"late for window [{ws}, {we})")
                    continue
                self._update((ws, we), gkey, row, m, index, t)
        self._advance(t)

    def _state(self, wkey: Any, gkey: Any) -> GroupState:
        groups = self.groups.get(wkey)
        if groups is None:
            groups = self.groups[wkey] = {}
            if wkey[1] is not None and wkey not in self.seen_windows:
                self._seq += 1
                heapq.heappush(self.closing, (wkey[1], wkey[0], self._seq, wkey))
                self.seen_windows.add(wkey)
        st = groups.get(gkey)
        if st is None:
            self.counter += 1
            st = groups[gkey] = GroupState(self.specs, self.counter)
        return st

    def _update(self, wkey: Any, gkey: Any, row: dict, m: Message, index: int, t: int) -> None:
        st = self._state(wkey, gkey)
        for spec, acc in zip(self.specs, st.accs):
            acc.add(spec.arg(row, m) if spec.arg is not None else None)
        st.last_row = row
        st.last_meta = m
        if self.lineage:
            if self.final:
                st.members.append(index)
            else:
                st.members[:] = [index]
        if not self.final:
            self._emit(wkey, st, t)
        elif st.emitted or (wkey[1] is not None and self.wm.value >= wkey[1]):
            st.emitted = True  # allowed lateness: a closed window was corrected, emit it again
            self._emit(wkey, st, wkey[1] - 1)

    def _emit(self, wkey: Any, st: GroupState, ts: int) -> None:
        row = dict(st.last_row)
        for spec, acc in zip(self.specs, st.accs):
            row[spec.slot] = acc.value()
        row["_window_start"], row["_window_end"] = wkey
        lineage = None
        if self.lineage:  # a window's members when it closes; the triggering input for an update
            lineage = list(st.members) if self.final else st.members[-1:]
        self.emit(row, st.last_meta, ts, lineage)

    def _advance(self, t: int) -> None:
        before = self.wm.value
        after = self.wm.observe(t)
        if after > before:
            self._fire(after)

    def _fire(self, wm: float) -> None:
        if self.window is not None and self.window.kind == "session":
            self._fire_sessions(wm)
            return
        ready: list[tuple[float, float, int, Any]] = []
        while self.closing and self.closing[0][0] <= wm:
            ready.append(heapq.heappop(self.closing))
        for end, start, _, wkey in ready:
            if wkey[0] == "__purge__":
                self.groups.pop(wkey[1], None)
                continue
            groups = self.groups.get(wkey, {})
            if self.final:
                for st in sorted(groups.values(), key=lambda s: s.order):
                    if not st.emitted:
                        st.emitted = True
                        self._emit(wkey, st, int(end) - 1)
            if self.lateness and wm < end + self.lateness:
                self._seq += 1
                heapq.heappush(self.closing, (end + self.lateness, start, self._seq, ("__purge__", wkey)))
            else:
                self.groups.pop(wkey, None)

    def finish(self) -> None:
        if self.window is None:
            return
        self.wm.finish()
        self._fire(POS_INF)

    # -- sessions ----------------------------------------------------------------------------------
    def _process_session(self, row: dict, m: Message, t: int, index: int, gkey: Any, wm: float) -> None:
        gap = self.window.gap_ms
        sessions = self.sessions.setdefault(gkey, [])
        touching = [s for s in sessions if s[0] - gap <= t < s[1] + gap]
        if not touching and wm >= t + gap + self.lateness:
            self.on_late(row, m, f"late for session starting {t}")
            return
        if touching and all(wm >= s[1] + gap + self.lateness for s in touching):
            self.on_late(row, m, f"late for session [{touching[0][0]}, {touching[0][1] + gap})")
            return
        # merge every touching session (a late record can bridge two) into one
        start = min([t, *[s[0] for s in touching]])
        last = max([t, *[s[1] for s in touching]])
        merged = GroupState(self.specs, 0)
        orders = []
        old_states = []
        for s in touching:
            st = self.groups.get(("session", gkey), {}).pop((s[0], s[1]), None)
            if st is not None:
                old_states.append(st)
                orders.append(st.order)
            sessions.remove(s)
        new = [start, last]
        sessions.append(new)
        sessions.sort()
        holder = self.groups.setdefault(("session", gkey), {})
        if old_states:
            base = old_states[0]
            for other in old_states[1:]:
                for a, b in zip(base.accs, other.accs):
                    _merge_acc(a, b)
                base.members.extend(other.members)
                base.emitted = base.emitted and other.emitted
            merged = base
            merged.order = min(orders)
        else:
            self.counter += 1
            merged.order = self.counter
        holder[(start, last)] = merged
        for spec, acc in zip(self.specs, merged.accs):
            acc.add(spec.arg(row, m) if spec.arg is not None else None)
        merged.last_row = row
        merged.last_meta = m
        if self.lineage:
            merged.members.append(index)
        wkey = (start, last + gap)
        if not self.final:
            self._emit(wkey, merged, t)
        elif merged.emitted:
            self._emit(wkey, merged, last + gap - 1)

    def _fire_sessions(self, wm: float) -> None:
        gap = self.window.gap_ms
        ready = []
        for gkey, sessions in self.sessions.items():
            holder = self.groups.get(("session", gkey), {})
            for s in list(sessions):
                end = s[1] + gap
                st = holder.get((s[0], s[1]))
                if st is None:
                    continue
                if end <= wm and not st.emitted:
                    ready.append((end, s[0], st.order, gkey, s, st))
                if end + self.lateness <= wm:
                    sessions.remove(s)
                    holder.pop((s[0], s[1]), None)
        for end, start, _, _gkey, _s, st in sorted(ready, key=lambda x: (x[0], x[1], x[2])):
            if self.final:
                st.emitted = True
                self._emit((start, end), st, int(end) - 1)
            else:
                st.emitted = True


def _merge_acc(a: Acc, b: Acc) -> None:
    """Fold accumulator ``b`` into ``a`` (session merge)."""
    from velotui.engine import aggregates as ag

    if isinstance(a, ag.CountStar):
        a.n += b.n  # type: ignore[attr-defined]
    elif isinstance(a, ag.Sum):
        if b.n:  # type: ignore[attr-defined]
            a.total = ag._add(a.total, b.total) if a.n else b.total  # type: ignore[attr-defined]
            a.n += b.n  # type: ignore[attr-defined]
    elif isinstance(a, ag.Min):
        if b.best is not None and (a.best is None or (b.best > a.best if a.is_max else b.best < a.best)):  # type: ignore[attr-defined]
            a.best = b.best  # type: ignore[attr-defined]
    elif isinstance(a, ag.Variance):
        if b.n:  # type: ignore[attr-defined]
            n = a.n + b.n  # type: ignore[attr-defined]
            d = b.mean - a.mean  # type: ignore[attr-defined]
            a.m2 = a.m2 + b.m2 + d * d * a.n * b.n / n  # type: ignore[attr-defined]
            a.mean = (a.mean * a.n + b.mean * b.n) / n  # type: ignore[attr-defined]
            a.n = n  # type: ignore[attr-defined]
    elif isinstance(a, ag.CountDistinct):
        for k, v in b.counts.items():  # type: ignore[attr-defined]
            a.counts[k] = a.counts.get(k, 0) + v  # type: ignore[attr-defined]
    elif isinstance(a, ag.First):
        a.items.extend(b.items)  # type: ignore[attr-defined]


# -- window functions (OVER) ------------------------------------------------------------------------
class OverSpec:
    """One ``f(...) OVER (...)`` item."""

    def __init__(self, slot: str, node: exp.Window, compile_expr: Callable[[exp.Expression], Callable]) -> None:
        self.slot = slot
        func = node.this
        self.partition = [compile_expr(p) for p in (node.args.get("partition_by") or [])]
        order = node.args.get("order")
        self.order = [(compile_expr(o.this), bool(o.args.get("desc"))) for o in (order.expressions if order else [])]
        self.buffer = node.args.get("buffer_rows")
        spec = node.args.get("spec")
        self.frame_rows: int | None = None
        if spec is not None and str(spec.args.get("kind", "")).upper() == "ROWS":
            start = spec.args.get("start")
            if isinstance(start, exp.Literal) and str(spec.args.get("start_side", "")).upper() == "PRECEDING":
                self.frame_rows = int(start.this) + 1
        if self.buffer:
            self.frame_rows = int(self.buffer) if self.frame_rows is None else min(self.frame_rows, int(self.buffer))
        self.emit_on_full = node.args.get("emit_mode") == "buffer_full"
        self.expire_ms = node.args.get("expire_after_ms")
        name = type(func).__name__.upper()
        if isinstance(func, exp.Anonymous):
            name = str(func.name).upper()
        self.kind = {"ROWNUMBER": "ROW_NUMBER", "DENSERANK": "DENSE_RANK"}.get(name, name)
        self.arg = None
        self.offset = 1
        self.default = None
        self.acc_ctor = None
        if self.kind in ("LAG", "LEAD"):
            self.arg = compile_expr(func.this)
            off = func.args.get("offset")
            self.offset = int(off.this) if isinstance(off, exp.Literal) else 1
            d = func.args.get("default")
            self.default_fn = compile_expr(d) if d is not None else None
        elif self.kind in ("ROW_NUMBER", "RANK", "DENSE_RANK"):
            pass
        else:
            self.acc_ctor, arg = factory(func)
            self.arg = compile_expr(arg) if arg is not None else None
            self.kind = "AGG"


class OverState:
    __slots__ = ("acc", "count", "frame", "history", "last_t", "order_vals", "pending", "values")

    def __init__(self) -> None:
        self.history: list[Any] = []  # LAG values
        self.acc: Acc | None = None
        self.frame: deque[Any] = deque()
        self.last_t: float = NEG_INF
        self.count = 0
        self.order_vals: list[Any] = []


class WindowFunctions:
    """Computes every OVER item per input record; LEAD makes a partition's rows wait for later records."""

    def __init__(self, specs: list[OverSpec], emit: Callable[[dict, Message, int], None]) -> None:
        self.specs = specs
        self.emit = emit
        self.states: list[dict[Any, OverState]] = [{} for _ in specs]
        self.has_lead = any(s.kind == "LEAD" for s in specs)
        # LEAD: per (spec, partition) queue of pending rows waiting for the k-th next record
        self.pending: deque[list[Any]] = deque()  # rows in arrival order: [out, message, t, missing]
        self.waiting: dict[int, int] = {}  # id(row) -> number of LEAD values still missing
        self.lead_queues: list[dict[Any, deque]] = [{} for _ in specs]

    def process(self, row: dict, m: Message, t: int) -> None:
        out = dict(row)
        missing = 0
        entry = [out, m, t, 0]
        skip = False
        states = self.states
        for i, spec in enumerate(self.specs):
            part = spec.partition
            key = part[0](row, m) if len(part) == 1 else tuple(p(row, m) for p in part)
            pstates = states[i]
            try:
                st = pstates.get(key)
            except TypeError:  # a partition value holding JSON arrays or objects
                key = freeze(key)
                st = pstates.get(key)
            if st is None or (spec.expire_ms and t - st.last_t > spec.expire_ms):
                st = pstates[key] = OverState()
                if spec.kind == "AGG":
                    st.acc = spec.acc_ctor()
                    if getattr(st.acc, "items", ()) is None:  # MIN/MAX keep their values to slide a frame
                        st.acc.items = []  # type: ignore[attr-defined]
            if t > st.last_t:
                st.last_t = t
            st.count += 1
            if spec.kind == "ROW_NUMBER":
                out[spec.slot] = st.count
            elif spec.kind in ("RANK", "DENSE_RANK"):
                ov = tuple(o(row, m) for o, _ in spec.order) if spec.order else (st.count,)
                desc = spec.order[0][1] if spec.order else False
                prev = st.order_vals
                if spec.kind == "RANK":
                    better = sum(1 for v in prev if (v > ov if desc else v < ov))
                else:
                    better = len({v for v in prev if (v > ov if desc else v < ov)})
                out[spec.slot] = better + 1
                prev.append(ov)
            elif spec.kind == "LAG":
                v = spec.arg(row, m)
                h = st.history
                if len(h) >= spec.offset:
                    out[spec.slot] = h[-spec.offset]
                else:
                    out[spec.slot] = spec.default_fn(row, m) if spec.default_fn else None
                h.append(v)
                if len(h) > spec.offset:
                    del h[0]
            elif spec.kind == "LEAD":
                v = spec.arg(row, m)
                q = self.lead_queues[i].setdefault(key, deque())
                # this record completes the LEAD of the record `offset` positions back
                q.append((entry, spec))
                if len(q) > spec.offset:
                    waiting_entry, _ = q.popleft()
                    waiting_entry[0][spec.slot] = v
                    waiting_entry[3] -= 1
                missing += 1
                out[spec.slot] = None
                entry[3] += 1
                continue
            else:  # running aggregate over the frame
                v = spec.arg(row, m) if spec.arg is not None else None
                acc = st.acc
                if spec.frame_rows is not None:
                    st.frame.append(v)
                    acc.add(v)
                    if len(st.frame) > spec.frame_rows:
                        acc.remove(st.frame.popleft())
                    if spec.emit_on_full and len(st.frame) < spec.frame_rows:
                        skip = True
                else:
                    acc.add(v)
                out[spec.slot] = acc.value()
        if skip:
            return
        if self.has_lead:
            self.pending.append(entry)  # type: ignore[arg-type]
            self._flush_ready()
        else:
            self.emit(out, m, t)

    def _flush_ready(self) -> None:
        # rows are emitted in arrival order once nothing before them is waiting
        while self.pending and self.pending[0][3] <= 0:
            out, m, t, _ = self.pending.popleft()
            self.emit(out, m, t)

    def finish(self) -> None:
        for i, spec in enumerate(self.specs):
            if spec.kind != "LEAD":
                continue
            for q in self.lead_queues[i].values():
                while q:
                    entry, _ = q.popleft()
                    entry[0][spec.slot] = spec.default_fn(entry[0], entry[1]) if spec.default_fn else None
                    entry[3] -= 1
        while self.pending:
            out, m, t, _ = self.pending.popleft()
            self.emit(out, m, t)


# -- joins -----------------------------------------------------------------------------------------
def prefixed(row: dict | None, ref: str, fields: list[str] | None = None) -> dict:
    """A side's row as joined-row keys: ``alias.field`` for every field."""
    if row is None:
        return {f"{ref}.{f}": None for f in (fields or [])}
    return {f"{ref}.{k}": v for k, v in row.items()}


def merge_joined(parts: list[tuple[str, dict | None, list[str]]]) -> dict:
    """Joined row: qualified keys for every side, plus unqualified keys (the first side that has a
    non-NULL value for a name wins)."""
    out: dict = {}
    plain: dict = {}
    for ref, row, fields in parts:
        names = list(row) if row is not None else fields
        for f in names:
            v = row.get(f) if row is not None else None
            out[f"{ref}.{f}"] = v
            if f not in plain or (plain[f] is None and v is not None):
                plain[f] = v
    for k, v in plain.items():
        out.setdefault(k, v)
    return {**plain, **out}


class DriverRow:
    """``merge_joined`` for the driving side alone (every stream-table join record goes through it):
    the row's own keys, then ``alias.field`` for each — with the qualified names cached per key set."""

    def __init__(self, ref: str) -> None:
        self.prefix = f"{ref}."
        self._names: dict[tuple, tuple] = {}

    def __call__(self, row: dict | None) -> dict:
        if row is None:
            return {}
        keys = tuple(row)
        names = self._names.get(keys)
        if names is None:
            names = self._names[keys] = tuple(self.prefix + k for k in keys)
        out = dict(row)
        out.update(zip(names, row.values()))
        return out


class StreamStreamJoin:
    """Both sides retained for the retention; one output per matching pair when the second arrives;
    outer rows at expiry (watermark past time + retention) or end of input."""

    def __init__(self, kind: str, left_ref: str, right_ref: str, left_key: Callable, right_key: Callable,
                 extra: Callable[[dict], bool] | None, retention_ms: int, lower_ms: int | None,
                 upper_ms: int | None, emit: Callable[[dict, Message, int], None], left_fields: list[str],
                 right_fields: list[str]) -> None:
        self.kind = kind
        self.refs = (left_ref, right_ref)
        self.keys = (left_key, right_key)
        self.extra = extra
        self.retention = retention_ms
        self.lower, self.upper = lower_ms, upper_ms
        self.emit = emit
        self.fields = (left_fields, right_fields)
        self.buffers: tuple[dict[Any, list[list[Any]]], dict[Any, list[list[Any]]]] = ({}, {})
        self.expiry: list[tuple[int, int, int, list[Any]]] = []
        self.seq = 0
        self.wm = NEG_INF

    def _time_ok(self, lt: int, rt: int) -> bool:
        d = rt - lt
        if self.lower is not None or self.upper is not None:
            lo = self.lower if self.lower is not None else -self.retention
            hi = self.upper if self.upper is not None else self.retention
            return lo <= d <= hi
        return abs(d) <= self.retention

    def _row(self, left: dict | None, right: dict | None) -> dict:
        return merge_joined([(self.refs[0], left, self.fields[0]), (self.refs[1], right, self.fields[1])])

    def process(self, side: int, row: dict, m: Message, t: int) -> None:
        key = hashable(self.keys[side](row, m))
        other = 1 - side
        entry = [row, m, t, False, self.seq]  # row, meta, time, matched, arrival
        self.seq += 1
        if key is not None:
            for cand in self.buffers[other].get(key, []):
                lt, rt = (t, cand[2]) if side == 0 else (cand[2], t)
                if not self._time_ok(lt, rt):
                    continue
                left, right = (row, cand[0]) if side == 0 else (cand[0], row)
                joined = self._row(left, right)
                if self.extra is not None and not self.extra(joined, m):
                    continue
                cand[3] = True
                entry[3] = True
                self.emit(joined, m, t)
            self.buffers[side].setdefault(key, []).append(entry)
        elif self._outer(side):
            self._emit_outer(side, entry)
            return
        heapq.heappush(self.expiry, (t + self.retention, entry[4], side, entry))
        self._expire(t)

    def _outer(self, side: int) -> bool:
        return self.kind == "full" or (self.kind == "left" and side == 0) or (self.kind == "right" and side == 1)

    def _emit_outer(self, side: int, entry: list[Any]) -> None:
        row, m, t = entry[0], entry[1], entry[2]
        joined = self._row(row, None) if side == 0 else self._row(None, row)
        self.emit(joined, m, t)

    def _expire(self, t: int) -> None:
        self.wm = max(self.wm, t)
        while self.expiry and self.expiry[0][0] < self.wm:
            _, _, side, entry = heapq.heappop(self.expiry)
            key = hashable(self.keys[side](entry[0], entry[1]))
            bucket = self.buffers[side].get(key)
            if bucket is not None:
                try:
                    bucket.remove(entry)
                except ValueError:
                    pass
            if not entry[3] and self._outer(side):
                self._emit_outer(side, entry)

    def finish(self) -> None:
        rest = sorted(self.expiry)
        self.expiry = []
        for _, _, side, entry in rest:
            if not entry[3] and self._outer(side):
                self._emit_outer(side, entry)


class TableLookup:
    """Stream-table join: the table is fully loaded and indexed by its join key once; each table row is
    kept with its joined-row entries ``(field, "alias.field", value)`` so a match costs no re-keying."""

    def __init__(self, rows: list[dict], table_key: Callable[[dict], Any], alias: str) -> None:
        self.index: dict[Any, list[list[tuple[str, str, Any]]]] = {}
        self.fields: list[str] = []
        for r in rows:
            for f in r:
                if f not in self.fields:
                    self.fields.append(f)
            k = table_key(r)
            if k is not None:
                self.index.setdefault(hashable(k), []).append([(f, f"{alias}.{f}", v) for f, v in r.items()])

    def matches(self, key: Any) -> list[list[tuple[str, str, Any]]]:
        """The joined-row entries of the table rows with this key (none for a NULL key)."""
        if key is None:
            return []
        try:
            return self.index.get(key, [])
        except TypeError:  # a key holding JSON arrays or objects
            return self.index.get(hashable(key), [])


def key_text(values: tuple) -> str:
    return "|".join("" if v is None else str(to_text(v)) for v in values)

