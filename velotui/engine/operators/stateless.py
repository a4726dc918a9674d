"""Stateless pipelines fused into one generated function (SQL_SEMANTICS.md §4 S1).

A statement that only filters and projects (no DISTINCT, ORDER BY, LIMIT, message key, SET_HEADER or
lineage) runs as one generated Python function per statement that loops over a pushed batch: WHERE, the
select items and the output message, with no call per record beyond what the expressions need. The NULL
rules and dead letters are those of every other path: a record whose fast path raises (a NULL in
arithmetic, a missing field, a type mismatch) is re-run on the NULL-safe version of the same expressions,
and a failed CAST sends the record to the dead letters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from velotui.engine.expr.compiler import ExpressionCompiler
from velotui.engine.operators.base import Batch, Operator, RunState
from velotui.engine.operators.output import Emit
from velotui.records import Message


class FusedStateless(Operator):
    def __init__(self, run: RunState, emit: Emit, compiler: ExpressionCompiler,
                 items: list[tuple[str, exp.Expression]], where: exp.Expression | None, star: bool) -> None:
        self.run = run
        self.emit = emit
        body = compiler.projection_body(items, where, star=star)
        fast, safe, logs = compiler.fast_and_safe(body)
        fast = [line.replace("return None", "continue") for line in fast]
        compiler.namespace["_dropped"] = run.dropped
        pre = ("            _errs.context = m\n            mark = len(_elog)\n") if logs else ""
        undo = "                del _elog[mark:]\n" if logs else ""
        src = (
            "def _fused(rows, metas, times, out_append, _M=_Message, _Drop=_Drop, _FAST=_FAST_ERRORS):\n"
            "    for r, m, t in zip(rows, metas, times):\n"
            "        if True:\n" + pre +
            "            try:\n" + "".join(f"                {line}\n" for line in fast) +
            "            except _Drop as e:\n"
            "                _dropped(e, m)\n"
            "                continue\n"
            "            except _FAST:\n" + undo +
            "                _errs.context = m\n"
            "                try:\n"
            f"                    o = {safe}(r, m, t)\n"
            "                except _Drop as e:\n"
            "                    _dropped(e, m)\n"
            "                    continue\n"
            "                except Exception as e:\n"
            "                    _elog.append(('expression_error', repr(e), m))\n"
            "                    continue\n"
            "                if o is None:\n"
            "                    continue\n"
            "            out_append(_M(o, None, m.headers, t, 0, -1, '', None, t))\n")
        compiler.namespace["_Message"] = Message
        compiler.exec(src)
        self._fused: Callable[..., Any] = compiler.namespace["_fused"]
        self.source = src

    def push(self, batch: Batch) -> None:
        out: list[Message] = []
        self._fused(batch.rows, batch.metas, batch.times, out.append)
        if out:
            self.emit(out, None)


__all__ = ["FusedStateless"]
