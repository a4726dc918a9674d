"""Validation of an app model's shape, with line and column (SQL_SEMANTICS.md §10): EMIT FINAL without a
window, aggregates mixed with ungrouped columns, window functions in WHERE, subqueries over streams, joins
without an equality. What depends on the engine's catalogues (functions, window kinds, sizes) is checked
when the engine plans the app (``velotui.engine.plan_problems``)."""

from __future__ import annotations

from sqlglot import exp

from velotui.errors import SqlError
from velotui.sql.analysis import find_aggregates, is_aggregate
from velotui.sql.dialect import node_position
from velotui.sql.model import App, Statement

_WINDOW_FN_CLASSES = (exp.Window,)


def _pos(node: exp.Expression | None, st: Statement) -> tuple[int, int | None]:
    line, col = node_position(node)
    return (line, col) if line is not None else (st.line, st.column)


def _grouped_ok(node: exp.Expression, group_sqls: set[str], group_cols: set[str]) -> bool:
    """True when ``node`` only uses grouped columns, aggregates, window bounds and literals."""
    if is_aggregate(node) or node.sql() in group_sqls:
        return True
    if isinstance(node, exp.Column):
        return node.name in group_cols or node.name.lower() in ("_window_start", "_window_end")
    if isinstance(node, (exp.Subquery, exp.Exists)):
        return True
    return all(_grouped_ok(c, group_sqls, group_cols) for c in node.iter_expressions())


def _ancestors(node: exp.Expression, top: exp.Expression) -> list[exp.Expression]:
    out = []
    p = node.parent
    while p is not None:
        out.append(p)
        if p is top:
            break
        p = p.parent
    return out


def validate_statement(st: Statement, app: App) -> list[SqlError]:
    """The statement's shape: what no engine could run (calls, windows and sizes are checked when the
    engine plans the statement: velotui/engine/plan/)."""
    errors: list[SqlError] = []
    q = st.query
    file = app.path

    def err(msg: str, node: exp.Expression | None, hint: str | None = None) -> None:
        line, col = _pos(node, st)
        errors.append(SqlError(f"{st.name}: {msg}", file=file, line=line, column=col, hint=hint))

    has_agg = any(find_aggregates(i.expr) for i in q.items) or bool(q.group_by)
    if q.emit == "final" and q.window is None:
        err("EMIT FINAL needs a WINDOW", q.select, hint="add WINDOW TUMBLING(…) or use EMIT CHANGES")
    if q.where is not None:
        for w in q.where.find_all(exp.Window):
            err("window functions are not allowed in WHERE", w, hint="compute it in an earlier statement")
        for a in find_aggregates(q.where):
            err(f"aggregate {a.sql()} is not allowed in WHERE", a, hint="use HAVING")
    if q.window is not None and not has_agg:
        err("a WINDOW needs aggregates (COUNT, SUM, …) or GROUP BY", q.select,
            hint="remove the WINDOW clause for a stateless query")
    if has_agg:
        group_sqls = {g.sql() for g in q.group_by}
        group_cols = {g.name for g in q.group_by if isinstance(g, exp.Column)}
        if q.star:
            err("SELECT * cannot be combined with GROUP BY or aggregates", q.select,
                hint="list the grouped columns and aggregates")
        for item in q.items:
            if item.expr.find(exp.Window) is not None:
                err("window functions (OVER) cannot be mixed with GROUP BY aggregates", item.expr)
                continue
            if not _grouped_ok(item.expr, group_sqls, group_cols):
                bad = next((c for c in item.expr.find_all(exp.Column) if c.name not in group_cols
                            and c.name.lower() not in ("_window_start", "_window_end")), item.expr)
                err(f"column {bad.sql()} must appear in GROUP BY or inside an aggregate", bad,
                    hint=f"add {bad.sql()} to GROUP BY, or wrap it: MAX({bad.sql()})")
    if q.having is not None and not has_agg:
        err("HAVING needs GROUP BY or aggregates", q.having)
    elif q.having is not None:  # HAVING sees what the grouped row has: its keys, aggregates and select names
        group_sqls = {g.sql() for g in q.group_by}
        names = {g.name for g in q.group_by if isinstance(g, exp.Column)} | {i.name for i in q.items}
        if not _grouped_ok(q.having, group_sqls, names):
            bad = next((c for c in q.having.find_all(exp.Column) if c.name not in names
                        and not any(is_aggregate(a) for a in _ancestors(c, q.having))), q.having)
            err(f"HAVING uses {bad.sql()}, which is neither in GROUP BY nor inside an aggregate", bad,
                hint=f"add {bad.sql()} to GROUP BY, move the condition to WHERE, or aggregate it: "
                     f"MAX({bad.sql()}) > …")
    for sub in q.select.find_all(exp.Select) if q.select is not None else []:
        if sub is q.select:
            continue
        from_ = sub.args.get("from_") or sub.args.get("from")
        if from_ is None or not isinstance(from_.this, exp.Table):
            err("a subquery needs FROM <table>", sub)
            continue
        name = from_.this.name
        producer = app.statement(name)
        src = next((s for s in app.external_sources if s.name == name), None)
        props = st.properties
        declared_file = props.get(f"{name}.type", "").lower() in ("file_source", "table_source", "kafka_table") \
            or f"{name}.path" in props
        is_table = (producer is not None and producer.kind == "table") or (src is not None and src.is_table) \
            or declared_file
        if not is_table:
            err(f"subquery over {name!r}, which is a stream; subqueries read tables (§9)", sub,
                hint=f"declare {name} as a file table ('{name}.type' = 'file_source', '{name}.config_file' "
                     "naming a file with its path) or a CREATE TABLE")
    for j in q.joins:
        if j.on is None:
            err(f"JOIN {j.source.name} needs ON a.k = b.k", q.select)
        elif not any(isinstance(n, exp.EQ) for n in j.on.find_all(exp.EQ)):
            err(f"JOIN {j.source.name} needs an equality in ON (a.k = b.k)", j.on)
    return errors


def validate(app: App) -> list[SqlError]:
    """Every problem of every statement (an empty list when the app is valid)."""
    out: list[SqlError] = []
    for st in app.statements:
        out.extend(validate_statement(st, app))
    return out


# WITH (…) keys the engine reads: per source/sink (`<name>.<key>`) and for the whole statement
SOURCE_SINK_KEYS = {
    "type", "config_file", "topic", "topic.name", "topic.partitions", "topic.replication_factor", "path",
    "file.path", "format", "has_headers", "append", "value.format", "key.format", "key.field",
    "schema.registry.url", "avro.schema.file", "protobuf.schema.file", "protobuf.message", "schema.file",
    "table", "bootstrap.servers", "consumer.group", "datasource.schema", "performance_profile",
    "delivery_profile", "event.time.field", "event.time.format", "key.avro.schema.file",
    "key.protobuf.schema.file", "key.protobuf.message", "key.schema.file",
}
OPEN_GROUPS = ("topic.", "schema.registry.", "consumer.", "producer.", "kafka.", "security.", "sasl.", "ssl.")
STATEMENT_KEYS = {
    "event.time.field", "event.time.format", "join.lower_bound", "join.retention", "join.timeout",
    "join.upper_bound", "late.data.strategy", "dlq.topic", "dlq.topic.name", "sql.null_semantics", "watermark.max_out_of_orderness",
    "watermark.strategy", "window.allowed_lateness",
}


def property_warnings(app: App, problems: list[tuple[int, str]] | None = None) -> list[str]:
    """The near-misses (``property_problems``, or the ones given) as warning lines, ``file:line: …``."""
    found = property_problems(app) if problems is None else problems
    return [f"{app.path}:{line}: {msg}" if app.path else f"line {line}: {msg}" for line, msg in found]


def property_problems(app: App) -> list[tuple[int, str]]:
    """Near-misses among the WITH (…) keys: a key velotui does not read but that is one typo away from one
    it does (`'orders.typ'`, `'order.type'`, `'watermark.max_out_of_ordernes'`). Keys far from any known
    one are kept silently: the production engine may read them."""
    out: list[tuple[int, str]] = []
    for st in app.statements:
        for key in st.properties:
            problem = key_problem(key, st, "WITH key")
            if problem:
                out.append((st.line, problem))
    return out


def config_problems(app: App, config: dict[str, object]) -> list[tuple[str, str]]:
    """The same near-misses among a spec's ``config:`` keys (overrides of every statement's WITH keys): a key
    is a near-miss when it is one for every statement of the app (a key one statement reads is fine)."""
    out: list[tuple[str, str]] = []
    for key in config:
        found = [key_problem(str(key), st, "config key") for st in app.statements]
        if found and all(found):
            out.append((str(key), str(found[0])))
    return out


def key_problem(key: str, st: Statement, what: str = "WITH key") -> str | None:
    """Why ``key``, set on statement ``st``, looks like a typo of a key velotui reads (None: it is one it
    reads, or far from all of them)."""
    import difflib

    if key in STATEMENT_KEYS:
        return None
    names = sorted({s.name for s in st.sources} | {s.name for s in st.sinks} | {st.name}, key=len, reverse=True)
    owner = next((n for n in names if key.startswith(n + ".")), None)
    if owner is not None:
        rest = key[len(owner) + 1:]
        if rest in SOURCE_SINK_KEYS:
            return None
        from velotui.spec.validation import near_key

        near = near_key(rest, sorted(SOURCE_SINK_KEYS))  # one edit: a typo even inside an open group
        if near is not None:
            return f"{what} {key!r} is not one velotui reads; did you mean '{owner}.{near}'?"
        if rest.startswith(OPEN_GROUPS):
            return None
        close = difflib.get_close_matches(rest, sorted(SOURCE_SINK_KEYS), n=1, cutoff=0.75)
        if close:
            return f"{what} {key!r} is not one velotui reads; did you mean '{owner}.{close[0]}'?"
        return None
    head, _, rest = key.partition(".")
    close_name = difflib.get_close_matches(head, names, n=1, cutoff=0.75)
    close_key = difflib.get_close_matches(key, sorted(STATEMENT_KEYS), n=1, cutoff=0.85)
    if close_name and rest:
        return f"{what} {key!r} names no source or sink of {st.name}; did you mean '{close_name[0]}.{rest}'?"
    if close_key:
        return f"{what} {key!r} is not one velotui reads; did you mean {close_key[0]!r}?"
    return None
