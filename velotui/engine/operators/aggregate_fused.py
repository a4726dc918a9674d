"""GROUP BY without a window, EMIT CHANGES (SQL_SEMANTICS.md §4 S2, S6), fused into one generated function.

The common grouped aggregation — each record updates its group and the group's row is emitted — runs as
one generated Python function per statement: WHERE, the group key, the aggregate arguments, the updates
(COUNT, SUM, AVG, MIN and MAX inline on a per-group list; the other aggregates through their accumulator
objects), HAVING, the select items and the output message, with no call per record beyond what the
expressions need. The rules are those of the general operator (aggregate.py) and of the accumulators
(expr/aggregates.py): NULLs are ignored, SUM of INTEGERs stays an exact INTEGER, SUM of no value is 0, a
value that is not a number is left out with a row error, a failed CAST drops the record.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from velotui.engine.expr.aggregates import AGGREGATES, Acc, NotANumber, _add, _number, _quotient
from velotui.engine.expr.compiler import ExpressionCompiler
from velotui.engine.expr.values import key_of
from velotui.engine.operators.base import Batch, InlineOutput, Operator, RunState
from velotui.engine.operators.output import Emit
from velotui.engine.plan.nodes import AggregateCall
from velotui.records import Message
from velotui.sql.analysis import is_aggregate

INLINE = ("COUNT", "SUM", "AVG", "MIN", "MAX")  # kept on the group's list; the others as accumulator objects


def fusable(calls: list[AggregateCall]) -> bool:
    return all(c.name in AGGREGATES for c in calls)


class FusedGroupBy(Operator):
    def __init__(self, run: RunState, emit: Emit, compiler: ExpressionCompiler, *, calls: list[AggregateCall],
                 group_by: list[exp.Expression], where: exp.Expression | None, having: exp.Expression | None,
                 items: list[tuple[str, exp.Expression]]) -> None:
        self.run = run
        self.emit = emit
        self.groups: dict[Any, list[Any]] = {}
        ns = compiler.namespace
        layout: list[tuple[AggregateCall, int]] = []  # (call, first index in the group's list)
        init: list[Any] = []
        makers: dict[int, Callable[[], Acc]] = {}
        for c in calls:
            layout.append((c, len(init)))
            kind = self._kind(c)
            if kind in ("COUNT", "COUNT*"):
                init.append(0)
            elif kind in ("SUM", "AVG"):
                init += [0, 0]
            elif kind in ("MIN", "MAX"):
                init.append(None)
            else:
                makers[len(init)] = AGGREGATES[c.name].accumulator(star=c.argument is None, distinct=c.distinct)
                init.append(None)
        self._init, self._makers = init, makers
        value_src: dict[str, str] = {}
        safe_src: dict[str, str] = {}  # where the safe body computes otherwise: AVG never raising (_quotient)
        for c, i in layout:
            kind = self._kind(c)
            value_src[c.call.sql()] = {  # type: ignore[union-attr]
                "COUNT": f"_st[{i}]", "COUNT*": f"_st[{i}]", "SUM": f"_st[{i + 1}]",
                "AVG": f"(_st[{i + 1}] / _st[{i}] if _st[{i}] else None)", "MIN": f"_st[{i}]", "MAX": f"_st[{i}]",
            }.get(kind, f"_st[{i}].value()")
            if kind == "AVG":
                safe_src[c.call.sql()] = f"(_quotient(_st[{i + 1}], _st[{i}]) if _st[{i}] else None)"  # type: ignore[union-attr]

        # the inputs of a record: key and arguments (fast body, and a safe function for the fallback)
        key_expr = (group_by[0] if len(group_by) == 1 else exp.Tuple(expressions=list(group_by))) if group_by \
            else None
        args = [c.argument for c in calls]

        def inputs_body() -> list[str]:
            lines = []
            if where is not None:
                lines.append(f"if not ({compiler._pred(where)}): return None")
            parts = [compiler._src(key_expr) if key_expr is not None else "()"]
            parts += [compiler._src(a) if a is not None else "None" for a in args]
            lines.append(f"o = ({', '.join(parts)},)")
            return lines

        if key_expr is not None:
            compiler._check_depth(key_expr)
        for a in args:
            if a is not None:
                compiler._check_depth(a)
        fast_in, safe_in, logs_in = compiler.fast_and_safe(inputs_body)
        names = ["_k"] + [f"_a{n}" for n in range(len(args))]
        fast_in = [line.replace("return None", "continue") for line in fast_in]
        fast_in[-1] = fast_in[-1].replace("o = (", f"{', '.join(names)}, = (", 1)

        # the output row: aggregates read from the group's list, other columns from the record
        def agg_value(node: exp.Expression, comp: ExpressionCompiler) -> str:
            text = node.sql()
            if is_aggregate(node) and text in value_src:
                return safe_src.get(text, value_src[text]) if comp._safe else value_src[text]
            from velotui.sql.analysis import call_name

            return comp._call(node, call_name(node) or "")

        compiler.special.update({exp.AggFunc: agg_value, exp.Anonymous: agg_value})
        out_body = compiler.projection_body(items, having, star=False)
        fast_out, safe_out, logs_out = compiler.fast_and_safe(out_body, params="r, m, t, _st")
        fast_out = [line.replace("return None", "continue") for line in fast_out]

        updates: list[str] = []
        for (c, i), a in zip(layout, names[1:]):
            kind = self._kind(c)
            if kind == "COUNT*":
                updates.append(f"_st[{i}] += 1")
            elif kind == "COUNT":
                updates.append(f"if {a} is not None: _st[{i}] += 1")
            elif kind in ("SUM", "AVG"):
                updates += [f"if {a} is not None:",
                            f"    if (type({a}) is int or type({a}) is float) and type(_st[{i + 1}]) is not _Decimal:",
                            "        try:",
                            f"            _st[{i + 1}] += {a}",
                            "        except OverflowError:  # an int no float holds, met by a float: aggregates._add's rule",
                            f"            _st[{i + 1}] = _acc_add(_st[{i + 1}], {a})",
                            f"        _st[{i}] += 1",
                            "    else:",
                            f"        _sum_add(_st, {i}, {a}, m)"]
            elif kind in ("MIN", "MAX"):
                op = "<" if kind == "MIN" else ">"
                updates += [f"if {a} is not None:",
                            f"    _b = _st[{i}]",
                            "    try:",
                            f"        if _b is None or {a} {op} _b: _st[{i}] = {a}",
                            "    except (TypeError, ArithmeticError):  # mixed types, a DECIMAL NaN: by their text",
                            f"        if str({a}) {op} str(_b): _st[{i}] = {a}"]
            else:
                updates += ["try:", f"    _st[{i}].add({a})", "except _NotANumber as e:",
                            "    _not_a_number(e, m)"]
        compiler.provide(_Decimal=Decimal, _NotANumber=NotANumber, _acc_add=_add, _quotient=_quotient,
                         _sum_add=self._sum_add, _not_a_number=self._not_a_number, _new_state=self._new_state,
                         _key_of=key_of, _groups=self.groups, _dropped=run.dropped, **InlineOutput.NAMES)
        pre = "        _errs.context = m\n        mark = len(_elog)\n" if (logs_in or logs_out) else ""
        undo = "            del _elog[mark:]\n" if (logs_in or logs_out) else ""
        ind = "        "
        body = (
            pre +
            f"{ind}try:\n" + "".join(f"{ind}    {x}\n" for x in fast_in) +
            f"{ind}except _Drop as e:\n{ind}    _dropped(e, m)\n{ind}    continue\n"
            f"{ind}except _FAST:\n" + undo +
            f"{ind}    _errs.context = m\n"
            f"{ind}    try:\n{ind}        _got = {safe_in}(r, m, t)\n"
            f"{ind}    except _Drop as e:\n{ind}        _dropped(e, m)\n{ind}        continue\n"
            f"{ind}    except Exception as e:\n{ind}        _elog.append(('expression_error', repr(e), m))\n"
            f"{ind}        continue\n"
            f"{ind}    if _got is None:\n{ind}        continue\n"
            f"{ind}    {', '.join(names)}, = _got\n"
            f"{ind}try:\n{ind}    _st = _groups[_k]\n"
            f"{ind}except KeyError:\n{ind}    _st = _groups[_k] = _new_state()\n"
            f"{ind}except TypeError:\n{ind}    _k = _key_of(_k)\n"
            f"{ind}    _st = _groups.get(_k)\n{ind}    if _st is None:\n{ind}        _st = _groups[_k] = _new_state()\n"
            + "".join(f"{ind}{x}\n" for x in updates) +
            f"{ind}try:\n" + "".join(f"{ind}    {x}\n" for x in fast_out) +
            f"{ind}except _Drop as e:\n{ind}    _dropped(e, m)\n{ind}    continue\n"
            f"{ind}except _FAST:\n"
            f"{ind}    _errs.context = m\n"
            f"{ind}    try:\n{ind}        o = {safe_out}(r, m, t, _st)\n"
            f"{ind}    except _Drop as e:\n{ind}        _dropped(e, m)\n{ind}        continue\n"
            f"{ind}    except Exception as e:\n{ind}        _elog.append(('expression_error', repr(e), m))\n"
            f"{ind}        continue\n"
            f"{ind}    if o is None:\n{ind}        continue\n"
            + InlineOutput.code(ind, "o", "{}", "t"))
        args_sig = f"{InlineOutput.ARGS}, _Drop=_Drop, _FAST=_FAST_ERRORS, type=type, float=float, int=int"
        # a loop over a source's messages tells a value that is no record itself, before the fast body (which
        # a mapping of another kind would pass)
        check = InlineOutput.record_check(ind)
        src = (f"def _grouped(rows, metas, times, {args_sig}):\n"
               "    for r, m, t in zip(rows, metas, times):\n" + body +
               f"def _grouped_messages(metas, times, _undecoded, {args_sig}):\n"
               "    for m in metas:\n"
               "        r = m.value\n" + check +
               "        t = m.timestamp\n" + body +
               f"def _grouped_messages_timed(metas, times, _undecoded, {args_sig}):\n"
               "    for m, t in zip(metas, times):\n"
               "        r = m.value\n" + check + body)
        compiler.exec(src)
        self._grouped = ns["_grouped"]
        self._grouped_messages = ns["_grouped_messages"]
        self._grouped_messages_timed = ns["_grouped_messages_timed"]
        self._has_times = False
        self.source = src

    @staticmethod
    def _kind(c: AggregateCall) -> str:
        if c.name == "COUNT" and c.argument is None:
            return "COUNT*"
        if c.name in INLINE and not c.distinct:
            return c.name
        return "OBJECT"

    def _new_state(self) -> list[Any]:
        st = list(self._init)
        for i, make in self._makers.items():
            st[i] = make()
        return st

    def _not_a_number(self, e: NotANumber, m: Message) -> None:
        self.run.errors.context = m
        self.run.errors("wrong_type", f"{e.value!r} is not a number: left out of the aggregate")

    def _sum_add(self, st: list[Any], i: int, v: Any, m: Message) -> None:
        try:
            v = _number(v)
        except NotANumber as e:
            self._not_a_number(e, m)
            return
        st[i + 1] = _add(st[i + 1], v) if st[i] else v
        st[i] += 1

    def push(self, batch: Batch) -> None:
        out = InlineOutput.block(self.run)
        self._grouped(batch.rows, batch.metas, batch.times, *InlineOutput.appenders(out))
        if out:
            self.emit(out, None)

    def push_messages(self, msgs: list[Message], times: list[int] | None,
                      undecoded: Callable[[Message], None]) -> None:
        """Messages straight from a source; one whose value is no record goes to ``undecoded``."""
        out = InlineOutput.block(self.run)
        if times is None:
            self._grouped_messages(msgs, None, undecoded, *InlineOutput.appenders(out))
        else:
            self._grouped_messages_timed(msgs, times, undecoded, *InlineOutput.appenders(out))
        if out:
            self.emit(out, None)


__all__ = ["FusedGroupBy", "fusable"]
