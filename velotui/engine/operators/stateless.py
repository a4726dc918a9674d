"""Projections fused into one generated function (SQL_SEMANTICS.md §4 S1, and the output of joins,
window functions and aggregates when nothing else shapes it).

When a statement's output needs no DISTINCT, ORDER BY, LIMIT, message key, SET_HEADER or lineage, its
WHERE (or HAVING), select items and output messages are one generated Python function per statement that
loops over a pushed batch, with no call per record beyond what the expressions need. A stateless statement
(filter and project over one source) is only this operator. The NULL rules and dead letters are those of
every other path: a record whose fast path raises (a NULL in arithmetic, a missing field, a type mismatch)
is re-run on the NULL-safe version of the same expressions, and a failed CAST sends the record to the dead
letters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from velotui.engine.expr.compiler import ExpressionCompiler
from velotui.engine.operators.base import Batch, InlineOutput, Operator, RunState
from velotui.engine.operators.output import Emit
from velotui.records import Message, RecordColumns


class FusedProjection(Operator):
    """``headers``: ``share`` (the input message's headers: one output per input record) or ``none``
    (aggregate rows); ``drop``: internal fields a ``*`` projection must not output (window-function slots)."""

    def __init__(self, run: RunState, emit: Emit, compiler: ExpressionCompiler,
                 items: list[tuple[str, exp.Expression]], where: exp.Expression | None, star: bool,
                 headers: str = "share", drop: list[str] | None = None) -> None:
        self.run = run
        self.emit = emit
        body = compiler.projection_body(items, where, star=star)
        fast, safe, logs = compiler.fast_and_safe(body)
        self._columns_src = (compiler, body, safe) if headers == "share" and not drop else None
        self._column_fns: dict[tuple[str, ...], Callable[..., None] | None] = {}
        fast = [line.replace("return None", "continue") for line in fast]
        compiler.provide(_dropped=run.dropped)
        pre = "        _errs.context = m\n        mark = len(_elog)\n" if logs else ""
        undo = "            del _elog[mark:]\n" if logs else ""
        pops = "".join(f"        o.pop({d!r}, None)\n" for d in (drop or []))
        hdrs = "m.headers" if headers == "share" else "{}"
        body = (pre +
                "        try:\n" + "".join(f"            {line}\n" for line in fast) +
                "        except _Drop as e:\n"
                "            _dropped(e, m)\n"
                "            continue\n"
                "        except _FAST:\n" + undo +
                "            _errs.context = m\n"
                "            try:\n"
                f"                o = {safe}(r, m, t)\n"
                "            except _Drop as e:\n"
                "                _dropped(e, m)\n"
                "                continue\n"
                "            except Exception as e:\n"
                "                _elog.append(('expression_error', repr(e), m))\n"
                "                continue\n"
                "            if o is None:\n"
                "                continue\n" + pops +
                InlineOutput.code("        ", "o", hdrs, "t"))
        # a loop over a source's messages tells a value that is no record itself, before the fast body (which
        # a mapping of another kind would pass)
        check = InlineOutput.record_check("            ")
        args = f"{InlineOutput.ARGS}, _Drop=_Drop, _FAST=_FAST_ERRORS, type=type, float=float, int=int"
        src = (f"def _fused(rows, metas, times, {args}):\n"
               "    for r, m, t in zip(rows, metas, times):\n" + body +
               # straight from a source: the rows are the messages' values; the times, when the source has
               # no event-time field, their timestamps
               f"def _fused_messages(metas, times, _undecoded, {args}):\n"
               "    if times is None:\n"
               "        for m in metas:\n"
               "            r = m.value\n" + check +
               "            t = m.timestamp\n" + body.replace("\n        ", "\n            ").replace(
                   "        ", "            ", 1) +
               "    else:\n"
               "        for m, t in zip(metas, times):\n"
               "            r = m.value\n" + check +
               body.replace("\n        ", "\n            ").replace("        ", "            ", 1))
        compiler.provide(**InlineOutput.NAMES)
        compiler.exec(src)
        self._fused: Callable[..., Any] = compiler.namespace["_fused"]
        self._fused_messages: Callable[..., Any] = compiler.namespace["_fused_messages"]
        self.source = src

    def push_messages(self, msgs: list[Message], times: list[int] | None,
                      undecoded: Callable[[Message], None]) -> None:
        """Messages straight from a source (no joins before this operator); one whose value is no record goes
        to ``undecoded`` (the driver's dead letters), as ``sources.decode`` would have sent it."""
        out = InlineOutput.block(self.run)
        self._fused_messages(msgs, times, undecoded, *InlineOutput.appenders(out))
        if out:
            self.emit(out, None)

    def columns_for(self, names: list[str]) -> Callable[..., None] | None:
        """A push of records held as columns of these fields (velotui.records.RecordColumns), with no dict or
        message per record: ``push(block, start, end, times, message)`` runs records ``start:end`` of the
        block, ``times`` their event times, ``message(i)`` making record ``i``'s message when an error names
        it. None when the statement needs more than the columns (compiler.column_body says when)."""
        key = tuple(names)
        if key not in self._column_fns:
            self._column_fns[key] = self._column_push(names)
        return self._column_fns[key]

    def _column_push(self, names: list[str]) -> Callable[..., None] | None:
        if self._columns_src is None:
            return None
        compiler, make_body, safe = self._columns_src
        made = compiler.column_body(make_body, names)
        if made is None:
            return None
        lines, used = made
        target = ", ".join([f"_v{i}" for i in range(len(used))] + ["t", "h"])
        args = f"{InlineOutput.ARGS}, _Drop=_Drop, _FAST=_FAST_ERRORS, type=type, float=float, int=int"
        src = (f"def _fused_columns(used, times, hdrs, start, _msg, {args}):\n"
               f"    for _i, ({target},) in enumerate(zip(*used, times, hdrs), start):\n"
               "        try:\n" + "".join(f"            {line.replace('return None', 'continue')}\n" for line in lines) +
               "        except _Drop as e:\n"
               "            _dropped(e, _msg(_i))\n"
               "            continue\n"
               "        except _FAST:\n"
               "            m = _msg(_i)\n"
               "            _errs.context = m\n"
               "            try:\n"
               f"                o = {safe}(m.value, m, t)\n"
               "            except _Drop as e:\n"
               "                _dropped(e, m)\n"
               "                continue\n"
               "            except Exception as e:\n"
               "                _elog.append(('expression_error', repr(e), m))\n"
               "                continue\n"
               "            if o is None:\n"
               "                continue\n" +
               InlineOutput.code("        ", "o", "h", "t"))
        compiler.exec(src)
        fused = compiler.namespace["_fused_columns"]
        index = {n: i for i, n in enumerate(names)}
        picks = [index[n] for n in used]
        self.source += src

        def push(block: RecordColumns, start: int, end: int, times: list[int], message: Callable[[int], Message]
                 ) -> None:
            out = InlineOutput.block(self.run)
            cols = block.columns
            fused([cols[k][start:end] for k in picks], times[start:end], block.headers[start:end], start, message,
                  *InlineOutput.appenders(out))
            if out:
                self.emit(out, None)

        return push

    def push(self, batch: Batch) -> None:
        out = InlineOutput.block(self.run)
        self._fused(batch.rows, batch.metas, batch.times, *InlineOutput.appenders(out))
        if out:
            self.emit(out, None)


__all__ = ["FusedProjection"]
