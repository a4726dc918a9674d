"""Joins (SQL_SEMANTICS.md §8): stream-table lookups and stream-stream joins.

Joined rows hold every side's fields qualified by its alias (``o.id``) plus the unqualified names (the
first side with a non-NULL value wins). Keys compare exactly (``values.key_of``): ``1`` matches ``1.0``,
integers above 2**53 never collide.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from velotui.engine.expr.errors import DropRecord
from velotui.engine.expr.values import key_of
from velotui.engine.operators.base import Batch, Operator, RunState
from velotui.records import Message

RowFn = Callable[..., Any]


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


def _key(fns: list[RowFn], row: dict, m: Any, t: Any) -> Any:
    if len(fns) == 1:
        v = fns[0](row, m, t)
        return None if v is None else (key_of(v),)
    vals = tuple(key_of(f(row, m, t)) for f in fns)
    return None if any(v is None for v in vals) else vals


class DriverRow(Operator):
    """The driving stream's record as a joined row: its own keys, then ``alias.field`` for each (the
    qualified names cached per key set)."""

    def __init__(self, ref: str) -> None:
        self.prefix = f"{ref}."
        self._names: dict[tuple, tuple] = {}

    def qualify(self, row: dict) -> dict:
        keys = tuple(row)
        names = self._names.get(keys)
        if names is None:
            names = self._names[keys] = tuple(self.prefix + k for k in keys)
        out = dict(row)
        out.update(zip(names, row.values()))
        return out

    def push(self, batch: Batch) -> None:
        qualify = self.qualify
        assert self.downstream is not None
        self.downstream.push(Batch([qualify(r) for r in batch.rows], batch.metas, batch.times, batch.idxs))


class TableLookup(Operator):
    """Stream-table join: the table is fully loaded (``load``) before any stream record and indexed by
    its join key; each stream row looks its key up. ``preserved``: a row without a match is emitted with
    NULLs for the table's fields (LEFT/FULL with the stream on the left, RIGHT/FULL with it on the right).
    ``driver``: the alias of the driving stream when its records come straight from the source (this
    stage then makes them joined rows itself, as ``DriverRow`` would)."""

    def __init__(self, run: RunState, alias: str, table_key: list[RowFn], stream_key: list[RowFn],
                 condition: RowFn | None, preserved: bool, driver: str | None = None,
                 coverage: tuple[list[int], int] | None = None) -> None:
        self.run = run
        self.coverage = coverage  # (hits, slot): stream records matched at slot, unmatched at slot + 1
        self.alias = alias
        self.table_key = table_key
        self.stream_key = stream_key
        self.condition = condition
        self.preserved = preserved
        self.driver = DriverRow(driver) if driver is not None else None
        self.index: dict[Any, list[list[tuple[str, str, Any]]]] = {}
        self.fields: list[str] = []

    def load(self, rows: list[dict]) -> None:
        meta = Message(value=None)
        seen = set(self.fields)
        for r in rows:
            for f in r:
                if f not in seen:
                    seen.add(f)
                    self.fields.append(f)
            full = {f"{self.alias}.{k}": v for k, v in r.items()} | r
            try:
                k = _key(self.table_key, full, meta, None)
            except DropRecord as e:
                self.run.dead_letter(e.kind, e.message, None, record=r)
                continue
            if k is not None:
                self.index.setdefault(k, []).append([(f, f"{self.alias}.{f}", v) for f, v in r.items()])

    def push(self, batch: Batch) -> None:
        rows: list[dict] = []
        metas: list[Message] = []
        times: list[int] = []
        idxs: list[Any] | None = [] if batch.idxs is not None else None
        add_row, add_meta, add_time = rows.append, metas.append, times.append
        index, condition, alias, errors = self.index, self.condition, self.alias, self.run.errors
        one = self.stream_key[0] if len(self.stream_key) == 1 else None
        qualify = self.driver.qualify if self.driver is not None else None
        hits, slot = self.coverage if self.coverage is not None else (None, 0)
        for i, (row, m, t) in enumerate(zip(batch.rows, batch.metas, batch.times)):
            errors.context = m
            try:
                if qualify is not None:
                    row = qualify(row)
                if one is not None:
                    v = one(row, m, t)
                    matches = index.get((key_of(v),), ()) if v is not None else ()
                else:
                    key = _key(self.stream_key, row, m, t)
                    matches = index.get(key, ()) if key is not None else ()
                matched = False
                for items in matches:
                    joined = dict(row)
                    for f, qf, v in items:
                        joined[qf] = v
                        if f not in joined or (joined[f] is None and v is not None):
                            joined[f] = v
                    if condition is None or condition(joined, m, t):
                        matched = True
                        add_row(joined)
                        add_meta(m)
                        add_time(t)
                        if idxs is not None:
                            idxs.append(batch.idxs[i])  # type: ignore[index]
            except DropRecord as e:
                self.run.dropped(e, m)
                continue
            if hits is not None:
                hits[slot if matched else slot + 1] += 1
            if not matched and self.preserved:
                out = dict(row)
                for f in self.fields:
                    out[f"{alias}.{f}"] = None
                    out.setdefault(f, None)
                add_row(out)
                add_meta(m)
                add_time(t)
                if idxs is not None:
                    idxs.append(batch.idxs[i])  # type: ignore[index]
        if rows:
            assert self.downstream is not None
            self.downstream.push(Batch(rows, metas, times, idxs))


class StreamStreamJoin(Operator):
    """Both sides retained for the retention; one output per matching pair when the second arrives;
    outer rows at expiry (watermark past time + retention) or end of input. Records arrive in event-time
    order through ``push_side``."""

    def __init__(self, run: RunState, kind: str, refs: tuple[str, str], keys: tuple[list[RowFn], list[RowFn]],
                 condition: RowFn | None, retention_ms: int, lower_ms: int | None, upper_ms: int | None,
                 coverage: tuple[list[int], int] | None = None) -> None:
        self.run = run
        self.kind = kind
        # (hits, slot): pairs matched at slot, records of side 0 / 1 that never matched at slot + 1 / slot + 2
        self.coverage = coverage
        self.refs = refs
        self.keys = keys
        self.condition = condition
        self.retention = retention_ms
        self.lower, self.upper = lower_ms, upper_ms
        self.fields: tuple[list[str], list[str]] = ([], [])
        self.buffers: tuple[dict[Any, list[list[Any]]], dict[Any, list[list[Any]]]] = ({}, {})
        self.expiry: list[tuple[int, int, int, list[Any]]] = []
        self.seq = 0
        self.wm: float = float("-inf")
        self._out: Batch | None = None

    def _time_ok(self, lt: int, rt: int) -> bool:
        d = rt - lt
        if self.lower is not None or self.upper is not None:
            lo = self.lower if self.lower is not None else -self.retention
            hi = self.upper if self.upper is not None else self.retention
            return lo <= d <= hi
        return abs(d) <= self.retention

    def _row(self, left: dict | None, right: dict | None) -> dict:
        return merge_joined([(self.refs[0], left, self.fields[0]), (self.refs[1], right, self.fields[1])])

    def _side_key(self, side: int, row: dict, m: Any, t: Any) -> Any:
        ref = self.refs[side]
        return _key(self.keys[side], {f"{ref}.{k}": v for k, v in row.items()} | row, m, t)

    def _send(self, row: dict, m: Any, t: int, idx: Any) -> None:
        out = self._out
        assert out is not None
        out.rows.append(row)
        out.metas.append(m)
        out.times.append(t)
        if out.idxs is not None:
            out.idxs.append(idx)

    def push_side(self, side: int, batch: Batch) -> None:
        self._out = Batch([], [], [], [] if batch.idxs is not None else None)
        fields = self.fields[side]
        seen = set(fields)
        for i, (row, m, t) in enumerate(zip(batch.rows, batch.metas, batch.times)):
            for f in row:
                if f not in seen:
                    seen.add(f)
                    fields.append(f)
            self.run.errors.context = m
            try:
                self._process(side, row, m, t, batch.idxs[i] if batch.idxs is not None else None)
            except DropRecord as e:
                self.run.dropped(e, m)
        self._flush()

    def push(self, batch: Batch) -> None:
        self.push_side(0, batch)

    def _flush(self) -> None:
        out, self._out = self._out, None
        if out is not None and out.rows and self.downstream is not None:
            self.downstream.push(out)

    def _process(self, side: int, row: dict, m: Any, t: int, idx: Any) -> None:
        key = self._side_key(side, row, m, t)
        other = 1 - side
        entry = [row, m, t, False, self.seq, idx]  # row, meta, time, matched, arrival, lineage
        self.seq += 1
        if key is not None:
            for cand in self.buffers[other].get(key, []):
                lt, rt = (t, cand[2]) if side == 0 else (cand[2], t)
                if not self._time_ok(lt, rt):
                    continue
                left, right = (row, cand[0]) if side == 0 else (cand[0], row)
                joined = self._row(left, right)
                if self.condition is not None and not self.condition(joined, m, t):
                    continue
                cand[3] = True
                entry[3] = True
                self._send(joined, m, t, idx)
                if self.coverage is not None:
                    self.coverage[0][self.coverage[1]] += 1
            self.buffers[side].setdefault(key, []).append(entry)
        elif self._outer(side):
            self._unmatched(side)
            self._emit_outer(side, entry)
            return
        heapq.heappush(self.expiry, (t + self.retention, entry[4], side, entry))
        self._expire(t)

    def _unmatched(self, side: int) -> None:
        if self.coverage is not None:
            self.coverage[0][self.coverage[1] + 1 + side] += 1

    def _outer(self, side: int) -> bool:
        return self.kind == "full" or (self.kind == "left" and side == 0) or (self.kind == "right" and side == 1)

    def _emit_outer(self, side: int, entry: list[Any]) -> None:
        row, m, t = entry[0], entry[1], entry[2]
        joined = self._row(row, None) if side == 0 else self._row(None, row)
        self._send(joined, m, t, entry[5])

    def _expire(self, t: int) -> None:
        self.wm = max(self.wm, t)
        while self.expiry and self.expiry[0][0] < self.wm:
            _, _, side, entry = heapq.heappop(self.expiry)
            key = self._side_key(side, entry[0], entry[1], entry[2])
            bucket = self.buffers[side].get(key)
            if bucket is not None:
                try:
                    bucket.remove(entry)
                except ValueError:
                    pass
            if not entry[3]:
                self._unmatched(side)
                if self._outer(side):
                    self._emit_outer(side, entry)

    def finish(self) -> None:
        self._out = Batch([], [], [], [] if self.run.lineage else None)
        rest = sorted(self.expiry, key=lambda x: (x[0], x[1]))
        self.expiry = []
        for _, _, side, entry in rest:
            if not entry[3]:
                self._unmatched(side)
                if self._outer(side):
                    self._emit_outer(side, entry)
        self._flush()
        super().finish()


__all__ = ["DriverRow", "StreamStreamJoin", "TableLookup", "merge_joined"]
