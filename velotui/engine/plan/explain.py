"""A plan as text: one line per node, the tree drawn below the statement (``velotui explain-plan``)."""

from __future__ import annotations

from velotui.engine.plan import nodes as pn
from velotui.engine.plan.nodes import sql


def duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    if ms == 0:
        return "0"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def describe(node: pn.PlanNode) -> str:
    """One node's line."""
    if isinstance(node, pn.Sink):
        targets = ", ".join(f"topic {t.topic}" + (f" ({t.format})" if t.format != "json" else "") if t.kind == "topic"
                            else f"file {t.path} ({t.format}{', append' if t.append else ''})" for t in node.targets)
        key = {"group": "the GROUP BY values", "primary_key": "the PRIMARY KEY"}.get(node.key or "", node.key or "")
        if key.startswith("field:"):
            key = f"field {key[6:]}"
        return f"sink {node.statement} → {targets}" + (f" · key: {key}" if key else "")
    if isinstance(node, pn.Limit):
        return f"limit {node.count}"
    if isinstance(node, pn.OrderBy):
        items = ", ".join(sql(o.expression) + (" DESC" if o.descending else "") for o in node.items)
        scope = "each window's rows" if node.per_window else "the whole bounded input, as one batch"
        return f"order by {items} (NULLs last; {scope})"
    if isinstance(node, pn.Distinct):
        return "distinct (first occurrence of each output row)"
    if isinstance(node, pn.Project):
        items = ", ".join(i.name if sql(i.expression) == i.name else f"{i.name} = {sql(i.expression)}"
                          + (" PRIMARY KEY" if i.primary_key else "") for i in node.items)
        return "project: " + ("*" + (", " if items else "") if node.star else "") + items
    if isinstance(node, pn.Aggregate):
        calls = ", ".join(sql(c.call) if c.call is not None else c.name for c in node.calls)
        groups = ", ".join(sql(g) for g in node.group_by) or "(one group)"
        text = f"aggregate group by {groups}: {calls or '-'} · emit {node.emit}"
        return text + (f" · having {sql(node.having)}" if node.having is not None else "")
    if isinstance(node, pn.Window):
        kind = node.kind.describe() if node.kind is not None else {}
        name = kind.pop("kind", "?")
        params = " ".join(f"{k.removesuffix('_ms')} {duration(v)}" if k.endswith("_ms") else f"{k} {v}"
                          for k, v in kind.items())
        late = "dead letters" if node.late_records == "dead_letter" else "dropped"
        wm = node.watermark + (f" {duration(node.max_out_of_orderness_ms)}" if node.max_out_of_orderness_ms else "")
        return (f"window {name} {params} · watermark {wm} · allowed lateness {duration(node.allowed_lateness_ms)},"
                f" late records {late}")
    if isinstance(node, pn.Over):
        parts = []
        for c in node.calls:
            text = sql(c.call) if c.call is not None else c.name
            if c.frame_rows:
                text += f" [last {c.frame_rows} rows]"
            parts.append(text)
        return "over: " + "; ".join(parts)
    if isinstance(node, pn.Filter):
        return f"filter: {sql(node.predicate) if node.predicate is not None else ''}"
    if isinstance(node, pn.Join):
        on = " AND ".join(f"{sql(k.left)} = {sql(k.right)}" for k in node.keys)
        if node.condition is not None:
            on += f" AND {sql(node.condition)}"
        if node.mode == "stream-table":
            how = f"stream-table, the table on the {node.table_side}" + (", unmatched stream rows kept"
                                                                         if node.preserved else "")
        else:
            how = f"stream-stream, retention {duration(node.retention_ms)}"
            if node.lower_ms is not None or node.upper_ms is not None:
                how += f", bounds [{duration(node.lower_ms)}, {duration(node.upper_ms)}]"
        return f"join {node.kind} ({how}) on {on}"
    if isinstance(node, pn.Source):
        name = node.name + (f" {node.alias}" if node.alias else "")
        if node.origin == "statement":
            where = f"statement {node.name}'s sink " + (f"topic {node.topic}" if node.topic else f"file {node.path}")
        elif node.origin == "file":
            where = f"file {node.path}" + (f" ({node.format})" if node.format else "")
        else:
            where = f"topic {node.topic}" + (f" ({node.format})" if node.format != "json" else "")
        extra = " · table (loaded whole first)" if node.table else f" · event time: {node.event_time.describe()}"
        return f"source {name} ← {where}{extra}"
    return node.node


def explain_text(plan: pn.AppPlan | pn.StatementPlan) -> str:
    """The plan drawn as a tree, one statement after the other."""
    statements = plan.statements if isinstance(plan, pn.AppPlan) else [plan]
    out: list[str] = []
    for st in statements:
        where = f"{st.file}:{st.line}" if st.file else f"line {st.line}"
        out.append(f"{st.name} ({st.kind})  {where}" + (f"  [null semantics: {st.null_semantics}]"
                                                        if st.null_semantics != "reference" else ""))
        _draw(st.root, "", True, out, root=True)
        for t in st.subquery_tables:
            out.append(f"   subquery table: {describe(t)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _draw(node: pn.PlanNode, prefix: str, last: bool, out: list[str], root: bool = False) -> None:
    out.append(f"{prefix}{'└─ ' if last else '├─ '}{describe(node)}")
    child_prefix = prefix + ("   " if last else "│  ")
    for i, child in enumerate(node.inputs):
        _draw(child, child_prefix, i == len(node.inputs) - 1, out)


__all__ = ["describe", "duration", "explain_text"]
