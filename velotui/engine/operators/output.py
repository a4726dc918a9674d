"""The output stage: projection (and HAVING), DISTINCT, ORDER BY, LIMIT, the message key and envelope,
then the sinks. It implements the plan's Project, Distinct, OrderBy, Limit and Sink nodes for every shape
that is not a fused stateless pipeline (stateless.py), and hands finished messages to the driver as they
come (all at the end when ORDER BY must see the whole bounded input)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from velotui.engine.expr.errors import DropRecord
from velotui.engine.expr.values import key_of, less, to_text
from velotui.engine.operators.base import Batch, Operator, OutputMessage, RunState
from velotui.records import Message

Emit = Callable[[list[Message], list[list[int]] | None], None]  # (messages, lineage per message)


def key_text(values: tuple) -> str:
    """A compound message key: the values joined with ``|`` (NULL as empty), SQL_SEMANTICS.md §1."""
    return "|".join("" if v is None else str(to_text(v)) for v in values)


class SortKey:
    """ORDER BY key of one row: NULLs last, ASC/DESC per item, values of mixed types compared as text."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[Any, bool]]) -> None:
        self.items = items

    def __lt__(self, other: SortKey) -> bool:
        for (a, desc), (b, _) in zip(self.items, other.items):
            if a is None or b is None:
                if (a is None) != (b is None):
                    return b is None  # NULLs last, for DESC too
                continue
            if _less(a, b):
                return not desc
            if _less(b, a):
                return desc
        return False


_less = less  # values.less: mixed types by their text, never raising


class Output(Operator):
    """Rows in, messages out. ``project(r, m, t)`` is the compiled projection (None when HAVING/WHERE fails);
    ``order`` the compiled ORDER BY expressions; ``key`` the plan's key mode."""

    def __init__(self, run: RunState, emit: Emit, project: Callable[..., dict | None], *, distinct: bool = False,
                 order: list[tuple[Callable[..., Any], bool]] | None = None, per_window: bool = False,
                 limit: int | None = None, key: str | None = None, primary_key: list[str] | None = None,
                 copy_headers: bool = True, set_headers: dict | None = None) -> None:
        self.run = run
        self.emit = emit
        self.project = project
        self.distinct = distinct
        self.seen: set[Any] = set()
        self.order = order
        self.per_window = per_window
        self.limit = limit
        self.count = 0
        self.key = key
        self.primary_key = primary_key or []
        self.copy_headers = copy_headers
        self.set_headers = set_headers  # the dict SET_HEADER writes into while a row is projected
        self.held: list[tuple[Message, SortKey, list[int] | None]] = []  # ORDER BY: every output until the end

    def push(self, batch: Batch) -> None:
        if self.limit is not None and self.order is None and self.count >= self.limit:
            return
        out_msgs: list[Message] = []
        lineage: list[list[int]] | None = [] if batch.idxs is not None else None
        errors = self.run.errors
        project = self.project
        hdrs = self.set_headers
        for i, (r, m, t) in enumerate(zip(batch.rows, batch.metas, batch.times)):
            errors.context = m
            if hdrs is not None:
                hdrs.clear()
            try:
                out = project(r, m, t)
                if out is None:
                    continue
                sort = SortKey([(f({**r, **out}, m, t), desc) for f, desc in self.order]) if self.order else None
            except DropRecord as e:
                self.run.dropped(e, m)
                continue
            if self.distinct:
                k = key_of(out)
                if k in self.seen:
                    continue
                self.seen.add(k)
            key = self._key(r, out)
            if self.copy_headers:
                headers = dict(m.headers) if m is not None else {}
                if hdrs:
                    headers.update(hdrs)
            else:
                headers = dict(hdrs) if hdrs else {}
            ts = int(t)
            msg = OutputMessage.of(out, key, headers, ts)
            lin = batch.idxs[i] if batch.idxs is not None else None  # type: ignore[index]
            if sort is not None:
                self.held.append((msg, sort, lin))
                continue
            out_msgs.append(msg)
            if lineage is not None:
                lineage.append(lin)  # type: ignore[arg-type]
            self.count += 1
            if self.limit is not None and self.count >= self.limit:
                break
        if out_msgs:
            self.emit(out_msgs, lineage)

    def _key(self, r: dict, out: dict) -> Any:
        mode = self.key
        if mode is None:
            return None
        if mode == "group":
            return r.get("__key")
        if mode == "primary_key":
            pk = self.primary_key
            return key_text(tuple(out.get(p) for p in pk)) if len(pk) > 1 else out.get(pk[0])
        return out.get(mode[len("field:"):])

    def finish(self) -> None:
        if self.held:
            held = self.held
            if self.per_window:  # the rows of each window emission sorted (consecutive, same window)
                runs: list[list[int]] = []
                last: Any = object()
                for i, (m, _, _) in enumerate(held):
                    wk = ((m.value or {}).get("_window_start"), m.timestamp)
                    if wk != last:
                        runs.append([])
                        last = wk
                    runs[-1].append(i)
                order = [i for run in runs for i in sorted(run, key=lambda j: held[j][1])]
            else:
                order = sorted(range(len(held)), key=lambda j: held[j][1])
            if self.limit is not None:
                order = order[: self.limit]
            msgs = [held[i][0] for i in order]
            lineage = [held[i][2] for i in order] if held[0][2] is not None else None
            self.held = []
            self.emit(msgs, lineage)  # type: ignore[arg-type]
        super().finish()


__all__ = ["Emit", "Output", "SortKey", "key_text"]
