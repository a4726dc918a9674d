"""Group aggregation, with or without a window (SQL_SEMANTICS.md §4 S2–S6, §5).

Without a window, EMIT CHANGES: each record updates its group and the group's row is emitted. With a
window (velotui/engine/windows/), records are assigned to windows by event time; EMIT FINAL emits one row
per (group, window) when the watermark closes it, EMIT CHANGES one per record and window. Late records
(the watermark already past the window's end plus the allowed lateness) are dropped and counted, or sent
to the dead letters. State: per window, per group, the accumulators and the group's last row.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from velotui.engine.expr.aggregates import Acc, NotANumber
from velotui.engine.expr.errors import DropRecord
from velotui.engine.expr.values import key_of
from velotui.engine.operators.base import Batch, Operator, RunState
from velotui.engine.operators.output import key_text
from velotui.engine.timekeeping import POS_INF, Watermark
from velotui.engine.windows import WindowKind
from velotui.records import Message

RowFn = Callable[[dict, Message, int], Any]


class GroupState:
    __slots__ = ("accs", "emitted", "fns", "key", "last_meta", "last_row", "members", "order")

    def __init__(self, makers: list[Callable[[], Acc]], order: int, key: str | None) -> None:
        self.accs: list[Acc] = [make() for make in makers]
        self.last_row: dict = {}
        self.last_meta: Message | None = None
        self.order = order
        self.members: list[int] = []
        self.emitted = False
        self.key = key
        self.fns: list[tuple[Callable, Callable, str]] = []  # (add, value, slot): the unwindowed fast path


FILTERED = object()  # GroupAggregate._inputs: WHERE filtered the record out


class GroupAggregate(Operator):
    """``makers``/``slots``: one accumulator constructor and output slot per aggregate call; ``args(r, m, t)``
    the tuple of their arguments; ``group_key(r, m, t)`` the tuple of GROUP BY values; ``where`` the WHERE."""

    def __init__(self, run: RunState, *, makers: list[Callable[[], Acc]], slots: list[str], args: RowFn,
                 group_key: RowFn | None, where: RowFn | None, window: WindowKind | None, final: bool,
                 watermark: Watermark, allowed_lateness_ms: int, late_strategy: str, keyed: bool,
                 coverage: tuple[list[int], int] | None = None) -> None:
        self.run = run
        self.coverage = coverage  # (hits, slot): records on time for a window at slot, late at slot + 1
        self.makers = makers
        self.slots = slots
        self.args = args
        self.group_key = group_key or (lambda r, m, t: ())
        self.where = where
        self.window = window
        self.final = final
        self.wm = watermark
        self.lateness = allowed_lateness_ms
        self.late_strategy = late_strategy
        self.keyed = keyed  # the output message key is the group values
        self.lineage = run.lineage
        self.groups: dict[Any, dict[Any, GroupState]] = {}  # window -> group -> state
        self.closing: list[tuple[float, float, int, Any]] = []  # heap of (end, start, seq, window key)
        self.seen_windows: set[Any] = set()
        self.sessions: dict[Any, list[list[int]]] = {}  # group -> [[first, last], …] (merging windows)
        self.counter = 0
        self._seq = 0
        self._out: Batch | None = None
        self._unwindowed: dict[Any, GroupState] = self.groups.setdefault((None, None), {})

    # -- emitting -------------------------------------------------------------------------------------
    def _emit(self, wkey: Any, st: GroupState, ts: int) -> None:
        row = dict(st.last_row)
        for slot, acc in zip(self.slots, st.accs):
            row[slot] = acc.value()
        row["_window_start"], row["_window_end"] = wkey
        if self.keyed:
            row["__key"] = st.key
        out = self._out
        assert out is not None
        out.rows.append(row)
        out.metas.append(st.last_meta)  # type: ignore[arg-type]
        out.times.append(ts)
        if out.idxs is not None:  # a window's members when it closes; the triggering input for an update
            out.idxs.append(list(st.members) if self.final else st.members[-1:])

    def _begin(self) -> None:
        self._out = Batch([], [], [], [] if self.lineage else None)

    def _flush(self) -> None:
        out, self._out = self._out, None
        if out is not None and out.rows and self.downstream is not None:
            self.downstream.push(out)

    def _add(self, st: GroupState, vals: tuple, m: Message, accs: list[Acc] | None = None) -> None:
        for acc, v in zip(st.accs if accs is None else accs, vals):
            try:
                acc.add(v)
            except NotANumber as e:
                self.run.errors.context = m
                self.run.errors("wrong_type", f"{e.value!r} is not a number: left out of the aggregate")

    # -- records --------------------------------------------------------------------------------------
    def push(self, batch: Batch) -> None:
        self._begin()
        if self.window is None:
            self._push_unwindowed(batch)
        elif self.window.merging:
            self._push_sessions(batch)
        else:
            self._push_windowed(batch)
        self._flush()

    def _inputs(self, r: dict, m: Message, t: int) -> tuple[Any, tuple] | object | None:
        """(group key, aggregate arguments) of a record; ``FILTERED`` when WHERE filters it out (it still moves
        event time); None when it takes no part: it is dropped (a failed CAST: its dead letter), or its key or
        arguments could not be computed (a compiled function gives None then, its row error recorded)."""
        try:
            if self.where is not None and not self.where(r, m, t):
                return FILTERED
            gkey, vals = self.group_key(r, m, t), self.args(r, m, t)
        except DropRecord as e:
            self.run.dropped(e, m)
            return None
        if gkey is None or vals is None:
            return None
        return gkey, vals

    def _push_unwindowed(self, batch: Batch) -> None:
        errors = self.run.errors
        idxs = batch.idxs
        for i, (r, m, t) in enumerate(zip(batch.rows, batch.metas, batch.times)):
            errors.context = m
            got = self._inputs(r, m, t)
            if type(got) is tuple:
                self._unwindowed_update(got[0], got[1], r, m, t, idxs[i][0] if idxs is not None else 0)

    def _unwindowed_update(self, gkey: tuple, vals: tuple, r: dict, m: Message, t: int, index: int) -> None:
        groups = self._unwindowed
        try:
            st = groups.get(gkey)
        except TypeError:
            gkey = key_of(gkey)
            st = groups.get(gkey)
        if st is None:
            self.counter += 1
            st = groups[gkey] = GroupState(self.makers, self.counter, key_text(gkey) if self.keyed else None)
            st.fns = [(acc.add, acc.value, slot) for acc, slot in zip(st.accs, self.slots)]
        row = dict(r)
        for (add, value, slot), v in zip(st.fns, vals):
            try:
                add(v)
            except NotANumber as e:
                self.run.errors("wrong_type", f"{e.value!r} is not a number: left out of the aggregate")
            row[slot] = value()
        row["_window_start"] = row["_window_end"] = None
        if self.keyed:
            row["__key"] = st.key
        out = self._out
        assert out is not None
        out.rows.append(row)
        out.metas.append(m)
        out.times.append(t)
        if out.idxs is not None:
            out.idxs.append([index])

    def _push_windowed(self, batch: Batch) -> None:
        """Windows that do not merge (tumbling, sliding): assign, update, and close on the watermark."""
        errors = self.run.errors
        idxs = batch.idxs
        assign = self.window.assign  # type: ignore[union-attr]
        wm = self.wm
        lateness = self.lateness
        final = self.final
        lineage = self.lineage
        all_groups = self.groups
        hits, on_time = self.coverage if self.coverage is not None else (None, 0)
        for i, (r, m, t) in enumerate(zip(batch.rows, batch.metas, batch.times)):
            errors.context = m
            got = self._inputs(r, m, t)
            if type(got) is not tuple:
                if got is FILTERED:
                    self._advance(t)  # filtered records still move event time
                continue
            gkey, vals = got
            wm_before = wm.value
            for wkey in assign(t):
                we = wkey[1]
                if wm_before >= we + lateness:
                    self._late(r, m, f"late for window [{wkey[0]}, {we})")
                    continue
                if hits is not None:
                    hits[on_time] += 1
                groups = all_groups.get(wkey)
                if groups is None:
                    groups = self._window(wkey)
                try:
                    st = groups.get(gkey)
                except TypeError:  # a key holding JSON arrays or objects
                    gkey = key_of(gkey)
                    st = groups.get(gkey)
                if st is None:
                    self.counter += 1
                    st = groups[gkey] = GroupState(self.makers, self.counter, key_text(gkey) if self.keyed else None)
                    st.fns = [(acc.add, acc.value, slot) for acc, slot in zip(st.accs, self.slots)]
                k = 0
                try:
                    for (add, _, _), v in zip(st.fns, vals):
                        add(v)
                        k += 1
                except NotANumber as e:
                    self._add_rest(st, vals, k, e, m)
                st.last_row = r
                st.last_meta = m
                if lineage:
                    if final:
                        st.members.append(idxs[i][0])  # type: ignore[index]
                    else:
                        st.members[:] = [idxs[i][0]]  # type: ignore[index]
                if not final:
                    self._emit(wkey, st, t)
                elif st.emitted or wm.value >= we:
                    st.emitted = True  # allowed lateness: a closed window was corrected, emit it again
                    self._emit(wkey, st, we - 1)
            if t > wm.max_seen:
                self._advance(t)

    def _add_rest(self, st: GroupState, vals: tuple, k: int, e: NotANumber, m: Message) -> None:
        """Value ``k`` was not a number (a row error, left out); the adds after it still happen."""
        self.run.errors.context = m
        self.run.errors("wrong_type", f"{e.value!r} is not a number: left out of the aggregate")
        self._add(st, vals[k + 1:], m, st.accs[k + 1:])

    def _window(self, wkey: Any) -> dict[Any, GroupState]:
        groups = self.groups[wkey] = {}
        if wkey not in self.seen_windows:
            self._seq += 1
            heapq.heappush(self.closing, (wkey[1], wkey[0], self._seq, wkey))
            self.seen_windows.add(wkey)
        return groups

    def _push_sessions(self, batch: Batch) -> None:
        errors = self.run.errors
        idxs = batch.idxs
        for i, (r, m, t) in enumerate(zip(batch.rows, batch.metas, batch.times)):
            errors.context = m
            got = self._inputs(r, m, t)
            if type(got) is not tuple:
                if got is FILTERED:
                    self._advance(t)
                continue
            gkey, vals = got
            try:
                hash(gkey)
            except TypeError:
                gkey = key_of(gkey)
            text = key_text(gkey) if self.keyed else None
            self._session(gkey, text, vals, r, m, t, idxs[i][0] if idxs is not None else 0, self.wm.value)
            self._advance(t)

    def _late(self, r: dict, m: Message, why: str) -> None:
        self.run.late_records += 1
        if self.coverage is not None:
            self.coverage[0][self.coverage[1] + 1] += 1
        if self.late_strategy == "dead_letter":
            self.run.dead_letter("late_record", why, m, record=r)

    def _advance(self, t: int) -> None:
        before = self.wm.value
        after = self.wm.observe(t)
        if after > before:
            self._fire(after)

    def _fire(self, wm: float) -> None:
        if self.window is not None and self.window.merging:
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
        if self.window is not None:
            self._begin()
            self.wm.finish()
            self._fire(POS_INF)
            self._flush()
        super().finish()

    # -- merging windows (sessions) --------------------------------------------------------------------
    def _session(self, gkey: Any, text: str | None, vals: tuple, r: dict, m: Message, t: int, index: int,
                 wm: float) -> None:
        w = self.window
        assert w is not None
        sessions = self.sessions.setdefault(gkey, [])
        touching = w.merge(sessions, t)
        if not touching and w.late(w.end(t, t), wm, self.lateness):
            self._late(r, m, f"late for session starting {t}")
            return
        if touching and all(w.late(w.end(s[0], s[1]), wm, self.lateness) for s in touching):
            self._late(r, m, f"late for session [{touching[0][0]}, {w.end(touching[0][0], touching[0][1])})")
            return
        if self.coverage is not None:
            self.coverage[0][self.coverage[1]] += 1
        # merge every touching session (a late record can bridge two) into one
        start = min([t, *[s[0] for s in touching]])
        last = max([t, *[s[1] for s in touching]])
        holder = self.groups.setdefault(("session", gkey), {})
        old_states = []
        for s in touching:
            st = holder.pop((s[0], s[1]), None)
            if st is not None:
                old_states.append(st)
            sessions.remove(s)
        sessions.append([start, last])
        sessions.sort()
        if old_states:
            merged = old_states[0]
            for other in old_states[1:]:
                for a, b in zip(merged.accs, other.accs):
                    a.merge(b)
                merged.members.extend(other.members)
                merged.emitted = merged.emitted and other.emitted
            merged.order = min(s.order for s in old_states)
        else:
            self.counter += 1
            merged = GroupState(self.makers, self.counter, text)
        holder[(start, last)] = merged
        self._add(merged, vals, m)
        merged.last_row = r
        merged.last_meta = m
        if self.lineage:
            merged.members.append(index)
        end = w.end(start, last)
        if not self.final:
            self._emit((start, end), merged, t)
        elif merged.emitted:
            self._emit((start, end), merged, end - 1)

    def _fire_sessions(self, wm: float) -> None:
        w = self.window
        assert w is not None
        ready = []
        for gkey, sessions in self.sessions.items():
            holder = self.groups.get(("session", gkey), {})
            for s in list(sessions):
                end = w.end(s[0], s[1])
                st = holder.get((s[0], s[1]))
                if st is None:
                    continue
                if end <= wm and not st.emitted:
                    ready.append((end, s[0], st.order, st))
                if end + self.lateness <= wm:
                    sessions.remove(s)
                    holder.pop((s[0], s[1]), None)
        for end, start, _, st in sorted(ready, key=lambda x: (x[0], x[1], x[2])):
            st.emitted = True
            if self.final:
                self._emit((start, end), st, int(end) - 1)


__all__ = ["GroupAggregate", "GroupState"]
