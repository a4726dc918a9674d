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
from velotui.sql.dialect import VeloWindow, node_position
from velotui.sql.model import Statement

REFERENCE = "Velostream c61189e7"
MEASURED_ON = "2026-12-01"
DIALECTS = ("reference", "extended")
DIALECT_KEY = "sql.dialect"

Finder = Callable[[Statement], list[exp.Expression]]


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
    """Columns qualified by a source's own name where the source has no alias (``FROM s … s.id``)."""
    tree = _tree(st)
    if tree is None:
        return []
    bare = {t.name for t in tree.find_all(exp.Table) if not t.alias}
    return [c for c in tree.find_all(exp.Column) if c.table and c.table in bare]


def _rewrite_name_qualified(node: exp.Expression) -> str:
    return f"give {node.table} an alias (FROM {node.table} x … x.{node.name}) or write {node.name} unqualified"


REFUSALS: tuple[Refusal, ...] = (
    Refusal("R1", "simple CASE (CASE x WHEN 'A' THEN …)", "CASE expression must have at least one WHEN clause",
            "write a searched CASE: CASE WHEN x = 'A' THEN …", _find_simple_case, _rewrite_simple_case),
    Refusal("R2", "a CAST to a type with parameters (CAST(x AS DECIMAL(10, 2)))", "Expected RightParen, found LeftParen",
            "write CAST(x AS DECIMAL), with ROUND(…, 2) where the scale matters", _find_typed_cast, _rewrite_typed_cast),
    Refusal("R3", "unary minus on a column or expression (-price)", "a parse error", "write 0 - price",
            _find_unary_minus, _rewrite_unary_minus),
    Refusal("R4", "a column qualified by the name of a source that has no alias (FROM s … s.id)",
            "accepted, then every record is dropped (\"fields not found\")",
            "give s an alias (FROM s x … x.id) or write the names unqualified", _find_name_qualified, _rewrite_name_qualified),
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
    applies: Finder  # the nodes of a statement that use the construct (empty: the statement does not)
    measured: str = f"{REFERENCE}, measured {MEASURED_ON}"
    rewrite_for: Callable[[exp.Expression], str] | None = None  # the rewrite of the statement's own node

    def text(self, node: exp.Expression | None = None) -> str:
        """The flag's one line (with the rewrite of ``node``, the statement's own use, where one is made)."""
        rewrite = self.rewrite_for(node) if self.rewrite_for is not None and node is not None else self.rewrite
        tail = f"; both agree with {rewrite}" if rewrite else "; no rewrite makes both agree"
        return f"{self.id} {self.construct}: the reference engine ({self.measured}) {self.reference}{tail}"


def _d1(st: Statement) -> list[exp.Expression]:
    comparisons = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Like, exp.ILike, exp.Between,
                   exp.Is)
    return [n for n in _all(st, exp.Not) if (n.meta or {}).get("prefix_not") and isinstance(n.this, comparisons)]


def _rewrite_d1(node: exp.Expression) -> str:
    return f"parentheses: NOT ({node.this.sql()})"


def _rewrite_d11(node: exp.Expression) -> str:
    return f"{node.this.sql()} / NULLIF({node.expression.sql()}, 0) (NULL in both)"


def _d2(st: Statement) -> list[exp.Expression]:
    q = st.query
    ok = q.window is not None and q.window.kind == "tumbling" and q.group_by and _emit_final(st)
    return [q.group_by[0]] if ok else []


def _d3(st: Statement) -> list[exp.Expression]:
    q = st.query
    ok = q.window is not None and q.window.kind == "tumbling" and q.group_by and q.emit == "changes"
    return [q.group_by[0]] if ok else []


def _d4(st: Statement) -> list[exp.Expression]:
    q = st.query
    return [q.group_by[0]] if q.window is not None and q.window.kind == "session" and q.group_by else []


def _d5(st: Statement) -> list[exp.Expression]:
    return [w for w in _all(st, exp.Window) if isinstance(_window_fn(w), exp.Lead)]


def _d6(st: Statement) -> list[exp.Expression]:
    return [w for w in _all(st, exp.Window) if isinstance(_window_fn(w), (exp.Rank, exp.DenseRank))]


def _d7(st: Statement) -> list[exp.Expression]:
    buffered = [w for w in _all(st, VeloWindow) if w.args.get("buffer_rows") is not None]
    sizes = {w.args["buffer_rows"] for w in buffered}
    return buffered[1:2] if len(sizes) > 1 else []


def _d8(st: Statement) -> list[exp.Expression]:
    return [on for on, kind in _table_join(st) if kind in ("left", "full") and on is not None]


def _d9(st: Statement) -> list[exp.Expression]:
    return [on for on, kind in _table_join(st) if kind in ("inner", "right") and on is not None]


def _d10(st: Statement) -> list[exp.Expression]:
    joins = _stream_stream_joins(st)
    out = [on for on, kind in joins if kind != "inner" and on is not None]
    if joins and st.query.where is not None:
        out.append(st.query.where)
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


def _d11(st: Statement) -> list[exp.Expression]:
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
            if isinstance(cond, exp.Not) and isinstance(cond.this, exp.Is) and cond.this.this.sql() == subject:
                return True
        if isinstance(parent, exp.Case) and child is parent.args.get("default"):
            for branch in parent.args.get("ifs") or []:
                cond = branch.this
                if isinstance(cond, exp.Is) and isinstance(cond.expression, exp.Null) and cond.this.sql() == subject:
                    return True
        child, parent = parent, parent.parent
    return False


def _d12(st: Statement) -> list[exp.Expression]:
    return [c for c in _all(st, exp.Cast) if isinstance(c.to, exp.DataType) and _is_string_type(c.to)
            and not _never_null(c.this) and not _null_guarded(c)]


def _decimal_operand(node: exp.Expression) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType) and _is_decimal_type(node.to):
        return True
    return _is_decimal_literal(node)


def _d13(st: Statement) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    for node in _all(st, (exp.EQ, exp.NEQ)):
        if _decimal_operand(node.this) or _decimal_operand(node.expression):
            out.append(node)
    for node in _all(st, exp.In):
        if _decimal_operand(node.this) or any(_decimal_operand(e) for e in node.expressions or []):
            out.append(node)
    return out


def _d14(st: Statement) -> list[exp.Expression]:
    q = st.query
    if q.window is None or q.window.time_column:
        return []
    hits = []
    for src in st.sources:
        if src.kind == "file" and (config_get(src.config, "event.time.field") or st.properties.get("event.time.field")):
            hits.append(src)
    return [q.group_by[0] if q.group_by else q.select] if hits and q.select is not None else []


def _d15(st: Statement) -> list[exp.Expression]:
    q = st.query
    ok = q.window is not None and q.window.kind == "tumbling" and _emit_final(st)
    return [q.select] if ok and q.select is not None else []


def _d17(st: Statement) -> list[exp.Expression]:
    q = st.query
    return [q.order_by[0].expr] if q.order_by and q.window is None else []


def _d19(st: Statement) -> list[exp.Expression]:
    out = []
    for fn in _all(st, exp.Anonymous):
        if str(fn.name).upper() != "FROM_UNIXTIME" or not fn.expressions:
            continue
        arg = fn.expressions[0]
        fractional = any(isinstance(n, (exp.Div,)) for n in arg.walk()) or any(
            _is_number(n) and ("." in str(n.this) or "e" in str(n.this).lower()) for n in arg.walk())
        if fractional:
            out.append(fn)
    for fn in _all(st, exp.UnixToTime):
        if any(isinstance(n, exp.Div) for n in fn.this.walk()):
            out.append(fn)
    return out


DIVERGENCES: tuple[Divergence, ...] = (
    Divergence("D1", "NOT before a comparison (NOT v > 5)",
               "parses it as (NOT v) > 5: a type error on every record, so nothing passes",
               "NOT applies to the whole comparison", "parentheses: NOT (v > 5)", _d1, rewrite_for=_rewrite_d1),
    Divergence("D2", "GROUP BY with WINDOW TUMBLING … EMIT FINAL",
               "emits one group per window and loses the later windows",
               "one row per group and window", None, _d2),
    Divergence("D3", "GROUP BY with WINDOW TUMBLING … EMIT CHANGES",
               "emits the first group's first row for every input record",
               "the updated row of the record's group", None, _d3),
    Divergence("D4", "WINDOW SESSION with GROUP BY",
               "keeps one global session for all keys", "one session per key", None, _d4),
    Divergence("D5", "LEAD(…) OVER (…)", "always gives NULL", "the value of the next row of the partition",
               None, _d5),
    Divergence("D6", "RANK() / DENSE_RANK() OVER (…)", "always gives 1", "the rank within the partition",
               None, _d6),
    Divergence("D7", "OVER clauses with different ROWS WINDOW BUFFER sizes",
               "shares one buffer between them (measured: buffers of 2 and 4 rows both gave the 4-row values)",
               "each clause its own frame",
               "one buffer size per statement (move the other frames to another statement)", _d7),
    Divergence("D8", "a stream-table LEFT JOIN", "gives NULL for every table column of every row",
               "the table row of the key, NULLs only when there is none", None, _d8),
    Divergence("D9", "a stream-table INNER JOIN",
               "gave NULL table columns in one measurement and no rows at all in another",
               "one row per stream record with a matching table row",
               "k IN (SELECT k FROM table) where only membership in the table matters", _d9),
    Divergence("D10", "a stream-stream LEFT/RIGHT/FULL JOIN, or a stream-stream join with WHERE",
               "ignores the join type and the WHERE: emits the inner pairs only",
               "the join type and the WHERE as written",
               "an INNER join without WHERE over inputs filtered in earlier statements", _d10),
    Divergence("D11", "a division whose divisor can be 0 (x / y)", "gives 1 for x / 0",
               "NULL plus a row error", "x / NULLIF(y, 0) (NULL in both)", _d11, rewrite_for=_rewrite_d11),
    Divergence("D12", "CAST(… AS STRING) of a value that can be NULL", "gives the text 'NULL' for NULL",
               "NULL", "CASE WHEN x IS NULL THEN NULL ELSE CAST(x AS STRING) END", _d12),
    Divergence("D13", "a DECIMAL compared with = or IN (CAST(p AS DECIMAL) = 10.50, p IN (7.25))",
               "never finds them equal", "compares the values", None, _d13),
    Divergence("D14", "a time window over a file source whose event time is set in WITH ('src.event.time.field')",
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


def flags(st: Statement, path: str | Path | None = None) -> list[Flag]:
    """The divergence flags of one statement: one per construct it uses, at its first use."""
    out = []
    for d in DIVERGENCES:
        nodes = d.applies(st)
        if not nodes:
            continue
        line, col = _pos(nodes[0], st)
        text = d.text(nodes[0])
        rewrite = d.rewrite_for(nodes[0]) if d.rewrite_for is not None else d.rewrite
        out.append(Flag(d.id, st.name, text, str(path) if path else None, line, col, rewrite, divergence=d))
    return out


def divergence(id_: str) -> Divergence | None:
    return next((d for d in DIVERGENCES if d.id == id_), None)


__all__ = ["DIALECTS", "DIALECT_KEY", "DIVERGENCES", "MEASURED_ON", "REFERENCE", "REFUSALS", "Divergence", "Flag",
           "Refusal", "divergence", "flags", "refusals", "statement_dialect"]
