"""Plan nodes: what a statement computes, as a value other code can read.

A statement's plan is a tree rooted at its ``Sink``; each node's ``inputs`` are the nodes it reads
(a ``Join`` has two). Expressions stay sqlglot nodes (``exp.Expression``) for the operator builder;
``to_dict`` renders them as SQL text, so the plan prints as text or JSON (``velotui explain-plan``) and
divergence flags and mutation tools can inspect it without knowing how operators run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from sqlglot import exp

from velotui.engine.windows import WindowKind


def sql(node: exp.Expression | None) -> str | None:
    """An expression as SQL text, in the Velostream dialect (OVER (… ROWS WINDOW BUFFER …), EMIT …)."""
    if node is None:
        return None
    from velotui.sql.dialect import Velostream

    return node.sql(dialect=Velostream)


@dataclass
class PlanNode:
    node: ClassVar[str] = ""
    inputs: list[PlanNode] = field(default_factory=list, kw_only=True)
    line: int | None = field(default=None, kw_only=True)
    column: int | None = field(default=None, kw_only=True)

    def walk(self) -> Iterator[PlanNode]:
        """This node and every node below it, depth first."""
        stack: list[PlanNode] = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.inputs))

    def find(self, kind: type[PlanNode]) -> list[Any]:
        return [n for n in self.walk() if isinstance(n, kind)]

    def attributes(self) -> dict[str, Any]:
        """This node's own attributes as JSON values (expressions as SQL text)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("inputs", "line", "column", "config") or f.name.startswith("_"):
                continue
            v = getattr(self, f.name)
            out[f.name] = _plain(v)
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"node": self.node, **{k: v for k, v in self.attributes().items() if v not in
                                                      (None, [], {}, False)}}
        if self.line is not None:
            out["line"] = self.line
        if self.inputs:
            out["inputs"] = [i.to_dict() for i in self.inputs]
        return out


def _plain(v: Any) -> Any:
    if isinstance(v, exp.Expression):
        return sql(v)
    if isinstance(v, WindowKind):
        return v.describe()
    if isinstance(v, PlanNode):
        return v.to_dict()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "__dataclass_fields__"):  # (a source's or sink's whole config stays out of the plan)
        return {f.name: _plain(getattr(v, f.name)) for f in fields(v) if not f.name.startswith("_")
                and f.name != "config"}
    return v


@dataclass
class EventTime:
    """Where a source's event time comes from: a field (parsed by ``format``) or the message timestamp."""

    field: str | None = None
    format: str | None = None

    def describe(self) -> str:
        return f"field {self.field}" + (f" ({self.format})" if self.format else "") if self.field else \
            "message timestamp"


@dataclass
class Source(PlanNode):
    """A FROM or JOIN source: a topic, a file, or an upstream statement's sink (read back from the bus)."""

    node: ClassVar[str] = "source"
    name: str = ""
    alias: str | None = None
    origin: str = "topic"  # topic | file | statement
    topic: str | None = None  # logical topic (origin topic; for a statement: its sink topic)
    path: str | None = None  # file sources (and statements whose only sink is a file)
    format: str = "json"
    table: bool = False  # fully loaded before any stream record (file sources, CREATE TABLE outputs, tables)
    event_time: EventTime = field(default_factory=EventTime)
    schema: dict[str, str] = field(default_factory=dict)  # field -> kind, when the input's schema is known
    config: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ref(self) -> str:
        return self.alias or self.name


@dataclass
class JoinKey:
    """One key equality: ``left`` is computed on the join's first input, ``right`` on its second."""

    left: exp.Expression
    right: exp.Expression


@dataclass
class Join(PlanNode):
    """``inputs[0] JOIN inputs[1]``. ``mode`` stream-table (the table side is looked up, ``table_side``
    says which) or stream-stream (both sides retained ``retention_ms``, bounds narrow the pair's time)."""

    node: ClassVar[str] = "join"
    kind: str = "inner"  # inner | left | right | full
    mode: str = "stream-table"
    keys: list[JoinKey] = field(default_factory=list)
    condition: exp.Expression | None = None  # ON predicates beyond the key equalities
    table_side: str | None = None  # left | right (stream-table)
    preserved: bool = False  # the stream side's records are emitted without a match (outer)
    retention_ms: int | None = None
    lower_ms: int | None = None
    upper_ms: int | None = None


@dataclass
class Filter(PlanNode):
    node: ClassVar[str] = "filter"
    predicate: exp.Expression | None = None


@dataclass
class AggregateCall:
    slot: str  # the internal field its value is kept in
    name: str  # COUNT, SUM, …
    argument: exp.Expression | None  # None for COUNT(*)
    distinct: bool = False
    call: exp.Expression | None = field(default=None, repr=False)


@dataclass
class Window(PlanNode):
    """Records assigned to windows of ``kind`` (tumbling, sliding, session, …) by event time."""

    node: ClassVar[str] = "window"
    kind: WindowKind | None = None
    watermark: str = "bounded_out_of_orderness"
    max_out_of_orderness_ms: int = 0
    allowed_lateness_ms: int = 0
    late_records: str = "drop"  # drop | dead_letter


@dataclass
class Aggregate(PlanNode):
    """GROUP BY (possibly of one group) with aggregate calls; windowed when its input is a Window."""

    node: ClassVar[str] = "aggregate"
    group_by: list[exp.Expression] = field(default_factory=list)
    calls: list[AggregateCall] = field(default_factory=list)
    emit: str = "changes"  # changes | final
    having: exp.Expression | None = None
    _having_written: exp.Expression | None = field(default=None, repr=False)  # HAVING as the SQL writes it

    @property
    def window(self) -> Window | None:
        return next((i for i in self.inputs if isinstance(i, Window)), None)


@dataclass
class OverCall:
    slot: str
    name: str  # ROW_NUMBER, LAG, SUM, …
    arguments: list[exp.Expression] = field(default_factory=list)
    partition_by: list[exp.Expression] = field(default_factory=list)
    order_by: list[tuple[exp.Expression, bool]] = field(default_factory=list)  # (expression, descending)
    frame_rows: int | None = None  # the last n records (ROWS WINDOW BUFFER n ROWS / ROWS n PRECEDING)
    emit_on_buffer_full: bool = False
    expire_after_ms: int | None = None
    offset: int = 1  # LAG/LEAD
    call: exp.Expression | None = field(default=None, repr=False)


@dataclass
class Over(PlanNode):
    """Window functions (``f(…) OVER (…)``), one output per input."""

    node: ClassVar[str] = "over"
    calls: list[OverCall] = field(default_factory=list)


@dataclass
class ProjectItem:
    name: str
    expression: exp.Expression
    primary_key: bool = False


@dataclass
class Project(PlanNode):
    node: ClassVar[str] = "project"
    items: list[ProjectItem] = field(default_factory=list)
    star: bool = False  # every input field, then the items


@dataclass
class Distinct(PlanNode):
    node: ClassVar[str] = "distinct"


@dataclass
class OrderItem:
    expression: exp.Expression
    descending: bool = False


@dataclass
class OrderBy(PlanNode):
    """Sorts the statement's bounded input as one batch (a window's rows per emission), NULLs last."""

    node: ClassVar[str] = "order_by"
    items: list[OrderItem] = field(default_factory=list)
    per_window: bool = False


@dataclass
class Limit(PlanNode):
    node: ClassVar[str] = "limit"
    count: int = 0


@dataclass
class SinkTarget:
    name: str
    kind: str  # topic | file
    topic: str | None = None
    path: str | None = None
    format: str = "json"
    append: bool = False
    config: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Sink(PlanNode):
    """Where the statement's rows go, and their message key: the windowed GROUP BY values, else the
    PRIMARY KEY items, else the sink's ``key.field``."""

    node: ClassVar[str] = "sink"
    statement: str = ""
    targets: list[SinkTarget] = field(default_factory=list)
    key: str | None = None  # group | primary_key | field:<name> | None
    headers: str = "copied"  # copied (one output per input) | none (aggregates)


@dataclass
class StatementPlan:
    """The plan of one statement: its tree and what the driver needs around it."""

    name: str
    kind: str  # stream | table
    root: Sink
    file: str | None = None
    line: int = 1
    upstream: list[str] = field(default_factory=list)  # statements this one reads (sources, subqueries)
    null_semantics: str = "reference"
    properties: dict[str, str] = field(default_factory=dict, repr=False)
    subquery_tables: list[Source] = field(default_factory=list)  # tables read by IN/EXISTS/scalar subqueries
    # what data coverage watches (velotui/engine/coverage.py: CoverageItem), in the order of the SQL; listed
    # when the plan is made for a run that counts coverage (Planner(coverage=True))
    coverage: list[Any] = field(default_factory=list, repr=False)

    @property
    def sources(self) -> list[Source]:
        return self.root.find(Source)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"statement": self.name, "kind": self.kind, "line": self.line,
                               "null_semantics": self.null_semantics, "plan": self.root.to_dict()}
        if self.upstream:
            out["reads_statements"] = list(self.upstream)
        if self.subquery_tables:
            out["subquery_tables"] = [t.to_dict() for t in self.subquery_tables]
        return out


@dataclass
class AppPlan:
    name: str
    file: str | None
    statements: list[StatementPlan] = field(default_factory=list)

    def statement(self, name: str) -> StatementPlan | None:
        return next((s for s in self.statements if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {"app": self.name, "file": self.file, "statements": [s.to_dict() for s in self.statements]}


__all__ = ["Aggregate", "AggregateCall", "AppPlan", "Distinct", "EventTime", "Filter", "Join", "JoinKey", "Limit",
           "OrderBy", "OrderItem", "Over", "OverCall", "PlanNode", "Project", "ProjectItem", "Sink", "SinkTarget",
           "Source", "StatementPlan", "Window"]
