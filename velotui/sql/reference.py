"""The reference engine's measured behaviour, as data: what it refuses, and where it computes something else.

Facts measured on the Velostream engine itself (docs/REFERENCE_BEHAVIOUR.md of the design docs; the
version and date are in ``REFERENCE``). Two tables:

- ``REFUSALS``: constructs the reference's parser refuses. velotui refuses them too (validation error,
  file:line:column, the rewrite both engines accept), unless the app opts in to velotui's extended
  dialect (``'sql.dialect' = 'extended'`` in WITH, the spec's ``config:``, or ``--dialect extended``).
- ``DIVERGENCES``: constructs where the reference computes something else than velotui (which keeps the
  intended result). A statement that uses one gets a flag: one line naming what the reference does,
  the version measured, and the rewrite where one makes both engines agree.

Each row has one predicate: a small function of one statement (its parsed sqlglot tree and the app
model's view of it) that returns the nodes where the construct is used — never a match on the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from velotui.errors import SqlError
from velotui.spec.config import config_get
from velotui.sql.dialect import VeloWindow, conjuncts, node_position
from velotui.sql.model import Statement

REFERENCE = "Velostream c61189e7"
MEASURED_ON = "2026-12-01"
DIALECTS = ("reference", "extended")
DIALECT_KEY = "sql.dialect"

Finder = Callable[[Statement], list[exp.Expression]]


@dataclass(frozen=True)
class Upstream:
    """What the statements before one make, where its flags depend on it (a source of the statement that is
    an earlier statement's output): columns of DECIMAL values (D13), columns of a fractional number (an
    ``x / 1000``: D19), and whether the records' event time is one the reference never read (a file source's
    ``event.time.field``, D14), carried through every statement that reads them."""

    decimal: frozenset[str] = frozenset()
    fractional: frozenset[str] = frozenset()
    wall_clock: bool = False


NO_UPSTREAM = Upstream()
Divergent = Callable[[Statement, Upstream], list[exp.Expression]]


# -- helpers over one statement ------------------------------------------------------------------
def _tree(st: Statement) -> exp.Expression | None:
    return st.query.select


def _all(st: Statement, kind: type[exp.Expression] | tuple[type[exp.Expression], ...]) -> list[exp.Expression]:
    tree = _tree(st)
    return list(tree.find_all(kind)) if tree is not None else []


def _pos(node: exp.Expression | None, st: Statement) -> tuple[int, int | None]:
    line, col = node_position(node)
    return (line, col) if line is not None else (st.line, st.column)


def _is_number(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string


def _is_decimal_literal(node: exp.Expression) -> bool:
    text = str(node.this) if _is_number(node) else ""
    return "." in text and "e" not in text.lower()


def _is_string_type(dt: exp.DataType) -> bool:
    return dt.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR,
                       exp.DataType.Type.NVARCHAR, exp.DataType.Type.NCHAR)


def _is_decimal_type(dt: exp.DataType) -> bool:
    return dt.this in (exp.DataType.Type.DECIMAL, exp.DataType.Type.BIGDECIMAL)


def _window_fn(node: exp.Expression) -> exp.Expression | None:
    return node.this if isinstance(node, exp.Window) else None


def _emit_final(st: Statement) -> bool:
    return st.query.window is not None and (st.query.emit or "final") == "final"


def _table_join(st: Statement) -> list[tuple[exp.Expression | None, str]]:
    """(node, kind) of each join where one side is a table (a file source, a CREATE TABLE, a declared table)."""
    out = []
    left_table = st.query.source.is_table
    for j in st.query.joins:
        if j.source.is_table or left_table:
            out.append((j.on, j.kind))
    return out


def _stream_stream_joins(st: Statement) -> list[tuple[exp.Expression | None, str]]:
    if st.query.source.is_table:
        return []
    return [(j.on, j.kind) for j in st.query.joins if not j.source.is_table]


# -- REFUSALS: the reference's parser refuses these -------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    id: str
    construct: str
    reference_says: str  # the reference parser's own words
    rewrite: str  # the form both engines accept
    find: Finder
    rewrite_for: Callable[[exp.Expression], str] | None = None  # the rewrite of this very node


def _find_simple_case(st: Statement) -> list[exp.Expression]:
    return [c for c in _all(st, exp.Case) if c.this is not None]


def _rewrite_simple_case(node: exp.Expression) -> str:
    subject = node.this.sql()
    first = node.args["ifs"][0] if node.args.get("ifs") else None
    if first is None:
        return f"write a searched CASE: CASE WHEN {subject} = … THEN … END"
    return f"write a searched CASE: CASE WHEN {subject} = {first.this.sql()} THEN {first.args['true'].sql()} …"


def _find_typed_cast(st: Statement) -> list[exp.Expression]:
    return [c for c in _all(st, (exp.Cast, exp.TryCast)) if isinstance(c.to, exp.DataType) and c.to.expressions]


def _rewrite_typed_cast(node: exp.Expression) -> str:
    base = node.to.this.value if hasattr(node.to.this, "value") else str(node.to.this)
    inner = f"CAST({node.this.sql()} AS {base})"
    params = node.to.expressions
    if _is_decimal_type(node.to) and len(params) == 2:
        return f"write ROUND({inner}, {params[1].sql()})"
    return f"write {inner}"


def _find_unary_minus(st: Statement) -> list[exp.Expression]:
    return [n for n in _all(st, exp.Neg) if not _is_number(n.this)]


def _rewrite_unary_minus(node: exp.Expression) -> str:
    text = f"0 - {node.this.sql()}"
    return f"write ({text})" if isinstance(node.parent, exp.Binary) else f"write {text}"


def _find_name_qualified(st: Statement) -> list[exp.Expression]:
    """Columns qualified by a source's own name rather than an alias: where the source has none (``FROM s …
    s.id``) and where it has one (``FROM s x … s.id``), anywhere a column is named (the WINDOW clause too)."""
    tree = _tree(st)
    if tree is None:
        return []
    tables = list(tree.find_all(exp.Table))
    aliases = {t.alias for t in tables if t.alias}
    names = {t.name for t in tables}
    return [c for c in tree.find_all(exp.Column) if c.table and c.table in names and c.table not in aliases]


def _rewrite_name_qualified(node: exp.Expression) -> str:
    return (f"qualify by an alias of {node.table} (FROM {node.table} x … x.{node.name}) or write {node.name} "
            "unqualified")


def _find_inline_file_source(st: Statement) -> list[exp.Expression]:
    """Sources of type ``file_source`` (FROM, JOIN, a subquery's FROM) whose path is written in WITH
    (``'s.path'``) with no ``config_file``: the name where the statement first reads it."""
    tree = _tree(st)
    if tree is None:
        return []
    props = st.properties
    configured = {src.name: str(src.config.get("type", "")) for src in st.sources}
    out: list[exp.Expression] = []
    for name in dict.fromkeys(t.name for t in tree.find_all(exp.Table)):
        kind = str(props.get(f"{name}.type") or configured.get(name, "")).lower()
        if kind != "file_source" or f"{name}.path" not in props or f"{name}.config_file" in props:
            continue
        table = next(t for t in tree.find_all(exp.Table) if t.name == name)
        ident = exp.to_identifier(name)
        ident.meta.update(table.this.meta if isinstance(table.this, exp.Expression) else {})
        out.append(ident)
    return out


def _rewrite_inline_file_source(node: exp.Expression) -> str:
    name = node.name
    return (f"read a stream from a file as '{name}.type' = 'file_source_mmap' with '{name}.format' = 'jsonlines'; "
            f"a table as '{name}.type' = 'file_source' with '{name}.config_file' naming a file that holds its path "
            "and key")


REFUSALS: tuple[Refusal, ...] = (
    Refusal("R1", "simple CASE (CASE x WHEN 'A' THEN …)", "CASE expression must have at least one WHEN clause",
            "write a searched CASE: CASE WHEN x = 'A' THEN …", _find_simple_case, _rewrite_simple_case),
    Refusal("R2", "a CAST to a type with parameters (CAST(x AS DECIMAL(10, 2)))", "Expected RightParen, found LeftParen",
            "write CAST(x AS DECIMAL), with ROUND(…, 2) where the scale matters", _find_typed_cast, _rewrite_typed_cast),
    Refusal("R3", "unary minus on a column or expression (-price)", "a parse error", "write 0 - price",
            _find_unary_minus, _rewrite_unary_minus),
    Refusal("R4", "a column qualified by a source's name instead of an alias (FROM s … s.id, FROM s x … s.id)",
            "accepted, then every record is dropped (\"fields not found\")",
            "qualify by an alias (FROM s x … x.id) or write the names unqualified", _find_name_qualified,
            _rewrite_name_qualified),
    Refusal("R5", "a file_source whose path is written in WITH ('s.path') without a config_file",
            "taken as a table dependency and refused without a config_file",
            "a stream: 's.type' = 'file_source_mmap' with 's.format' = 'jsonlines'; a table: 's.config_file' "
            "naming a file that holds its path and key", _find_inline_file_source, _rewrite_inline_file_source),
)


def statement_dialect(st: Statement, overrides: dict[str, str] | None = None, default: str | None = None) -> str:
    """The dialect a statement is checked in: ``default`` (the CLI's --dialect) when given, else the spec's
    ``config:`` override, else the statement's own ``'sql.dialect'``, else ``reference``."""
    if default:
        return default
    value = (overrides or {}).get(DIALECT_KEY) or st.properties.get(DIALECT_KEY) or "reference"
    return str(value).lower()


def refusals(app: object, *, dialect: str | None = None, overrides: dict[str, str] | None = None) -> list[SqlError]:
    """Every use of a construct the reference refuses, in statements checked in the reference dialect."""
    out: list[SqlError] = []
    path: Path | None = getattr(app, "path", None)
    for st in getattr(app, "statements", []):
        chosen = statement_dialect(st, overrides, dialect)
        if chosen not in DIALECTS:
            out.append(SqlError(f"{st.name}: unknown SQL dialect {chosen!r}", file=path, line=st.line,
                                column=st.column, hint="'sql.dialect' is 'reference' (the default) or 'extended'"))
            continue
        if chosen == "extended":
            continue
        for r in REFUSALS:
            for node in r.find(st):
                line, col = _pos(node, st)
                specific = r.rewrite_for(node) if r.rewrite_for else r.rewrite
                out.append(SqlError(
                    f"{st.name}: {node.sql()} — {r.construct} is refused by the reference engine ({REFERENCE}: "
                    f"{r.reference_says}); {specific}",
                    file=path, line=line, column=col,
                    hint="velotui's extended dialect accepts it: WITH ('sql.dialect' = 'extended') or --dialect "
                    "extended (then the app does not deploy to Velostream)"))
    out.sort(key=lambda e: (e.line or 0, e.column or 0))
    return out


# -- DIVERGENCES: the reference computes something else ----------------------------------------------
@dataclass(frozen=True)
class Divergence:
    """One row of REFERENCE_BEHAVIOUR.md §3: a construct, what each engine does, and the flag."""

    id: str
    construct: str
    reference: str  # what the reference engine does (measured)
    velotui: str  # what velotui does
    rewrite: str | None  # how to write it so both engines agree, where there is a way
    applies: Divergent  # the nodes of a statement that use the construct (empty: the statement does not)
    measured: str = f"{REFERENCE}, measured {MEASURED_ON}"
    rewrite_for: Callable[[exp.Expression], str] | None = None  # the rewrite of the statement's own node

    def text(self, node: exp.Expression | None = None) -> str:
        """The flag's one line (with the rewrite of ``node``, the statement's own use, where one is made)."""
        rewrite = self.rewrite_for(node) if self.rewrite_for is not None and node is not None else self.rewrite
        tail = f"; both agree with {rewrite}" if rewrite else "; no rewrite makes both agree"
        return f"{self.id} {self.construct}: the reference engine ({self.measured}) {self.reference}{tail}"


def _prefix_not(node: exp.Expression) -> bool:
    return isinstance(node, exp.Not) and bool((node.meta or {}).get("prefix_not"))


def _d1(st: Statement, up: Upstream) -> list[exp.Expression]:
    """A prefix NOT whose operand is a comparison, also a negated one (``NOT v NOT IN (3)``, ``NOT b IS NOT
    NULL``, ``NOT v NOT BETWEEN …``: the inner NOT is the comparison's own)."""
    comparisons = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Like, exp.ILike, exp.Between,
                   exp.Is, exp.RegexpLike, exp.SimilarTo)
    out = []
    for n in _all(st, exp.Not):
        if not _prefix_not(n):
            continue
        inner = n.this
        while isinstance(inner, exp.Not) and not _prefix_not(inner):
            inner = inner.this
        if isinstance(inner, comparisons):
            out.append(n)
    return out


def _rewrite_d1(node: exp.Expression) -> str:
    return f"parentheses: NOT ({node.this.sql()})"


def _rewrite_d11(node: exp.Expression) -> str:
    return f"{node.this.sql()} / NULLIF({node.expression.sql()}, 0) (NULL in both)"


def _d2(st: Statement, up: Upstream) -> list[exp.Expression]:
    q = st.query
    ok = q.window is not None and q.window.kind == "tumbling" and q.group_by and _emit_final(st)
    return [q.group_by[0]] if ok else []


def _d3(st: Statement, up: Upstream) -> list[exp.Expression]:
    """EMIT CHANGES of a tumbling window, with or without GROUP BY (one group is a first group too)."""
    q = st.query
    ok = q.window is not None and q.window.kind == "tumbling" and q.emit == "changes"
    return ([q.group_by[0]] if q.group_by else [q.select]) if ok and q.select is not None else []


def _stream_window(st: Statement) -> exp.Expression | None:
    return st.query.select.args.get("stream_window") if st.query.select is not None else None


def _d4(st: Statement, up: Upstream) -> list[exp.Expression]:
    """Sessions per key: by GROUP BY, or by SESSION's own partition column (``SESSION(ts, 10s, k)``)."""
    q = st.query
    if q.window is None or q.window.kind != "session":
        return []
    if q.group_by:
        return [q.group_by[0]]
    kinds = [a.kind for a in q.window.arguments]
    if "duration" in kinds and "column" in kinds[kinds.index("duration"):]:
        sw = _stream_window(st)
        cols = (sw.args.get("columns") or []) if sw is not None else []
        return [cols[-1] if cols else q.select]
    return []


def _d5(st: Statement, up: Upstream) -> list[exp.Expression]:
    return [w for w in _all(st, exp.Window) if isinstance(_window_fn(w), exp.Lead)]


def _d6(st: Statement, up: Upstream) -> list[exp.Expression]:
    return [w for w in _all(st, exp.Window) if isinstance(_window_fn(w), (exp.Rank, exp.DenseRank))]


def _d7(st: Statement, up: Upstream) -> list[exp.Expression]:
    """A ROWS WINDOW BUFFER beside any OVER clause of another frame: another buffer size, no buffer (the whole
    partition so far), or ROWS BETWEEN: the reference's one buffer serves them all."""
    overs = _all(st, exp.Window)
    buffered = [w for w in overs if isinstance(w, VeloWindow) and w.args.get("buffer_rows") is not None]
    if not buffered:
        return []

    def frame(w: exp.Expression) -> object:
        size = w.args.get("buffer_rows") if isinstance(w, VeloWindow) else None
        spec = w.args.get("spec")
        return size, spec.sql() if spec is not None else None

    first = frame(buffered[0])
    return [next(w for w in overs if frame(w) != first)] if any(frame(w) != first for w in overs) else []


def _d8(st: Statement, up: Upstream) -> list[exp.Expression]:
    return [on for on, kind in _table_join(st) if kind in ("left", "full") and on is not None]


def _d9(st: Statement, up: Upstream) -> list[exp.Expression]:
    return [on for on, kind in _table_join(st) if kind in ("inner", "right") and on is not None]


def _key_equality(node: exp.Expression) -> bool:
    """``a.k = b.k``: an equality of two columns (a join key), which is all of ON the reference reads."""
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.EQ) and isinstance(node.this, exp.Column) and isinstance(node.expression, exp.Column)


JOIN_BOUND_KEYS = ("join.lower_bound", "join.upper_bound")


def _d10(st: Statement, up: Upstream) -> list[exp.Expression]:
    """A stream-stream join that is not inner pairs by key alone: an outer join, a WHERE, a filter in ON
    (``ON a.k = b.k AND a.amt > 10``), or interval bounds (``join.lower_bound`` / ``join.upper_bound``)."""
    joins = _stream_stream_joins(st)
    out = [on for on, kind in joins if kind != "inner" and on is not None]
    for on, _ in joins:
        out += [c for c in conjuncts(on) if not _key_equality(c)] if on is not None else []
    if joins and st.query.where is not None:
        out.append(st.query.where)
    if joins and any(k.endswith(b) for k in st.properties for b in JOIN_BOUND_KEYS):
        out.append(joins[0][0] if joins[0][0] is not None else st.query.select)
    return out


def _nonzero_divisor(node: exp.Expression) -> bool:
    """A divisor that can never be 0: a non-zero number, or NULLIF(x, 0) (NULL instead of 0 in both engines)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if _is_number(node):
        try:
            return float(str(node.this)) != 0
        except ValueError:
            return False
    if isinstance(node, exp.Neg):
        return _nonzero_divisor(node.this)
    if isinstance(node, exp.Nullif):
        second = node.expression
        return second is not None and _is_number(second) and float(str(second.this)) == 0
    return False


def _d11(st: Statement, up: Upstream) -> list[exp.Expression]:
    return [d for d in _all(st, (exp.Div, exp.IntDiv)) if not _nonzero_divisor(d.expression)]


def _never_null(node: exp.Expression) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, (exp.Literal, exp.Boolean)):
        return True
    if isinstance(node, exp.Coalesce):
        args = [node.this, *(node.expressions or [])]
        return bool(args) and _never_null(args[-1])
    return False


def _null_guarded(cast: exp.Expression) -> bool:
    """The CAST sits in a CASE branch that only runs when its argument is not NULL."""
    subject = cast.this.sql()
    child: exp.Expression = cast
    parent = cast.parent
    while parent is not None:
        if isinstance(parent, exp.If) and child is parent.args.get("true"):
            cond = parent.this
            if isinstance(cond, exp.Not) and isinstance(cond.this, exp.Is) and isinstance(cond.this.expression, exp.Null) \
                    and cond.this.this.sql() == subject:
                return True
        if isinstance(parent, exp.Case) and child is parent.args.get("default"):
            for branch in parent.args.get("ifs") or []:
                cond = branch.this
                if isinstance(cond, exp.Is) and isinstance(cond.expression, exp.Null) and cond.this.sql() == subject:
                    return True
        child, parent = parent, parent.parent
    return False


def _d12(st: Statement, up: Upstream) -> list[exp.Expression]:
    return [c for c in _all(st, exp.Cast) if isinstance(c.to, exp.DataType) and _is_string_type(c.to)
            and not _never_null(c.this) and not _null_guarded(c)]


_KEEPS_TYPE = (exp.Round, exp.Abs, exp.Ceil, exp.Floor, exp.Nullif)  # of their first argument
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)


def _decimal_operand(node: exp.Expression | None, up: Upstream = NO_UPSTREAM) -> bool:
    """An expression whose value is a DECIMAL: a decimal literal (also negative), a CAST to DECIMAL, an
    earlier statement's DECIMAL column, and arithmetic, ROUND/ABS/CEIL/FLOOR/NULLIF, COALESCE, GREATEST,
    LEAST and CASE over one."""
    while isinstance(node, (exp.Paren, exp.Neg)):
        node = node.this
    if node is None:
        return False
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return isinstance(node.to, exp.DataType) and _is_decimal_type(node.to)
    if isinstance(node, exp.Column):
        return node.name in up.decimal
    if isinstance(node, _ARITHMETIC):
        return _decimal_operand(node.this, up) or _decimal_operand(node.expression, up)
    if isinstance(node, _KEEPS_TYPE):
        return _decimal_operand(node.this, up)
    if isinstance(node, (exp.Coalesce, exp.Greatest, exp.Least)):
        return any(_decimal_operand(a, up) for a in [node.this, *(node.expressions or [])])
    if isinstance(node, exp.Case):
        branches = [i.args.get("true") for i in node.args.get("ifs") or []] + [node.args.get("default")]
        return any(_decimal_operand(b, up) for b in branches)
    if isinstance(node, exp.If):
        return _decimal_operand(node.args.get("true"), up) or _decimal_operand(node.args.get("false"), up)
    return _is_decimal_literal(node)


def _d13(st: Statement, up: Upstream) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    for node in _all(st, (exp.EQ, exp.NEQ)):
        if _decimal_operand(node.this, up) or _decimal_operand(node.expression, up):
            out.append(node)
    for node in _all(st, exp.In):
        if _decimal_operand(node.this, up) or any(_decimal_operand(e, up) for e in node.expressions or []):
            out.append(node)
    return out


def _reads_unread_event_time(st: Statement, up: Upstream) -> bool:
    """The statement's records have an event time the reference never read: its file source sets one in WITH
    (the file reader never receives it), or an earlier statement's records had one (``Upstream.wall_clock``)
    and this statement sets none of its own for them."""
    own = st.properties.get("event.time.field")
    for src in st.sources:
        if src.kind == "file" and (config_get(src.config, "event.time.field") or own):
            return True
    return up.wall_clock and not own and not any(config_get(s.config, "event.time.field") for s in st.sources)


def _d14(st: Statement, up: Upstream) -> list[exp.Expression]:
    """A window by the event time (no time column, or ``_event_time``), or ``_event_time`` itself, where the
    reference never read the event time: the statement's own file source, or any statement before it."""
    q = st.query
    if q.select is None or not _reads_unread_event_time(st, up):
        return []
    out: list[exp.Expression] = []
    if q.window is not None and (q.window.time_column or "_event_time").lower() == "_event_time":
        out.append(q.group_by[0] if q.group_by else q.select)
    out += [c for c in q.select.find_all(exp.Column) if c.name.lower() == "_event_time"]
    return out


def _d15(st: Statement, up: Upstream) -> list[exp.Expression]:
    q = st.query
    ok = q.window is not None and q.window.kind == "tumbling" and _emit_final(st)
    return [q.select] if ok and q.select is not None else []


def _d17(st: Statement, up: Upstream) -> list[exp.Expression]:
    q = st.query
    return [q.order_by[0].expr] if q.order_by and q.window is None else []


def _fractional(node: exp.Expression, up: Upstream = NO_UPSTREAM) -> bool:
    """A value that can have a fraction: a division, a fractional literal (``* 0.001``, ``1e-3``), or an
    earlier statement's column that was one."""
    return any(isinstance(n, exp.Div) for n in node.walk()) or any(
        _is_number(n) and ("." in str(n.this) or "e" in str(n.this).lower()) for n in node.walk()) or any(
        isinstance(n, exp.Column) and n.name in up.fractional for n in node.walk())


def _d19(st: Statement, up: Upstream) -> list[exp.Expression]:
    out = []
    for fn in _all(st, exp.Anonymous):
        if str(fn.name).upper() != "FROM_UNIXTIME" or not fn.expressions:
            continue
        if _fractional(fn.expressions[0], up):
            out.append(fn)
    for fn in _all(st, exp.UnixToTime):
        if _fractional(fn.this, up):
            out.append(fn)
    return out


DIVERGENCES: tuple[Divergence, ...] = (
    Divergence("D1", "NOT before a comparison (NOT v > 5)",
               "parses it as (NOT v) > 5: a type error on every record, so nothing passes",
               "NOT applies to the whole comparison", "parentheses: NOT (v > 5)", _d1, rewrite_for=_rewrite_d1),
    Divergence("D2", "GROUP BY with WINDOW TUMBLING … EMIT FINAL",
               "emits one group per window and loses the later windows",
               "one row per group and window", None, _d2),
    Divergence("D3", "WINDOW TUMBLING … EMIT CHANGES (with or without GROUP BY)",
               "emits the first group's first row for every input record",
               "the updated row of the record's group", None, _d3),
    Divergence("D4", "WINDOW SESSION per key (GROUP BY, or SESSION(ts, gap, key))",
               "keeps one global session for all keys", "one session per key", None, _d4),
    Divergence("D5", "LEAD(…) OVER (…)", "always gives NULL", "the value of the next row of the partition",
               None, _d5),
    Divergence("D6", "RANK() / DENSE_RANK() OVER (…)", "always gives 1", "the rank within the partition",
               None, _d6),
    Divergence("D7", "ROWS WINDOW BUFFER beside an OVER clause of another frame (another size, none, ROWS BETWEEN)",
               "shares one buffer between them (measured: buffers of 2 and 4 rows both gave the 4-row values)",
               "each clause its own frame",
               "one buffer size per statement (move the other frames to another statement)", _d7),
    Divergence("D8", "a stream-table LEFT JOIN", "gives NULL for every table column of every row",
               "the table row of the key, NULLs only when there is none", None, _d8),
    Divergence("D9", "a stream-table INNER JOIN",
               "gave NULL table columns in one measurement and no rows at all in another",
               "one row per stream record with a matching table row",
               "k IN (SELECT k FROM table) where only membership in the table matters", _d9),
    Divergence("D10", "a stream-stream LEFT/RIGHT/FULL JOIN, or one with WHERE, a filter in ON or join bounds",
               "ignores the join type and the WHERE: emits the inner pairs only",
               "the join type and the WHERE as written",
               "an INNER join without WHERE over inputs filtered in earlier statements", _d10),
    Divergence("D11", "a division whose divisor can be 0 (x / y)", "gives 1 for x / 0",
               "NULL plus a row error", "x / NULLIF(y, 0) (NULL in both)", _d11, rewrite_for=_rewrite_d11),
    Divergence("D12", "CAST(… AS STRING) of a value that can be NULL", "gives the text 'NULL' for NULL",
               "NULL", "CASE WHEN x IS NULL THEN NULL ELSE CAST(x AS STRING) END", _d12),
    Divergence("D13", "a DECIMAL compared with = or IN (CAST(p AS DECIMAL) = 10.50, p IN (7.25))",
               "never finds them equal", "compares the values", None, _d13),
    Divergence("D14", "a time window or _event_time over records of a file source whose event time is set in WITH "
               "('src.event.time.field'), in the statement or one before it",
               "never passes the event-time setting to the file reader: windows follow the wall clock",
               "windows by the event-time field", "the time column named in the window: TUMBLING(ts, 1m)", _d14),
    Divergence("D15", "WINDOW TUMBLING … EMIT FINAL with a late record",
               "lets a late record make the next window lose its later records",
               "drops the late record and keeps the next window whole", None, _d15),
    Divergence("D17", "ORDER BY over a stream without a window",
               "sorts within each 100-record source batch, then applies LIMIT to the stream",
               "sorts the whole bounded test input as one batch", None, _d17),
    Divergence("D19", "FROM_UNIXTIME of a fractional value (FROM_UNIXTIME(ts / 1000))",
               "truncates through a float: up to 1 ms low", "the exact millisecond", None, _d19),
)


@dataclass
class Flag:
    """A statement that uses a construct of ``DIVERGENCES``: where, and whether the spec accepted it."""

    id: str
    statement: str
    text: str  # the one line shown in every report and the TUI
    file: str | None = None
    line: int | None = None
    column: int | None = None
    rewrite: str | None = None
    accepted: bool = False  # the spec's accepted_divergences lists it: shown, never an error under --strict
    divergence: Divergence | None = field(default=None, repr=False, compare=False)

    @property
    def location(self) -> str:
        return ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.statement}: {self.text}" + (" (accepted by the spec)" if self.accepted else "")


def upstream(app: object) -> dict[str, Upstream]:
    """Each statement's ``Upstream``: what the statements before it in the app made of the records it reads
    (by the name it reads them by: the statement's name, its sinks' names and topics)."""
    made: dict[str, Upstream] = {}
    out: dict[str, Upstream] = {}
    for st in getattr(app, "statements", []):
        ins = [made[s.name] for s in st.sources if s.name in made]
        up = Upstream(frozenset().union(*(i.decimal for i in ins)), frozenset().union(*(i.fractional for i in ins)),
                      any(i.wall_clock for i in ins))
        out[st.name] = up
        q = st.query
        decimal = {i.name for i in q.items if _decimal_operand(i.expr, up)} | (set(up.decimal) if q.star else set())
        fractional = {i.name for i in q.items if _fractional(i.expr, up)} | (set(up.fractional) if q.star else set())
        facts = Upstream(frozenset(decimal), frozenset(fractional), _reads_unread_event_time(st, up))
        for name in [st.name, *(k.name for k in st.sinks), *(k.topic for k in st.sinks if k.topic)]:
            made[name] = facts
    return out


def flags(st: Statement, path: str | Path | None = None, app: object | None = None) -> list[Flag]:
    """The divergence flags of one statement: one per construct it uses, at its first use. With ``app`` (the
    statement's own), what earlier statements made of its records counts too (``upstream``)."""
    up = upstream(app).get(st.name, NO_UPSTREAM) if app is not None else NO_UPSTREAM
    out = []
    for d in DIVERGENCES:
        nodes = d.applies(st, up)
        if not nodes:
            continue
        line, col = _pos(nodes[0], st)
        text = d.text(nodes[0])
        rewrite = d.rewrite_for(nodes[0]) if d.rewrite_for is not None else d.rewrite
        out.append(Flag(d.id, st.name, text, str(path) if path else None, line, col, rewrite, divergence=d))
    return out


def divergence(id_: str) -> Divergence | None:
    return next((d for d in DIVERGENCES if d.id == id_), None)


__all__ = ["DIALECTS", "DIALECT_KEY", "DIVERGENCES", "MEASURED_ON", "NO_UPSTREAM", "REFERENCE", "REFUSALS",
           "Divergence", "Flag", "Refusal", "Upstream", "divergence", "flags", "refusals", "statement_dialect",
           "upstream"]
