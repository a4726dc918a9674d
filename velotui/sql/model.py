"""The app model: what a SQL file means, independent of how it is executed.

``velotui.sql.parse_app`` builds these from SQL text; ``velotui.engine`` plans operators from them;
``velotui.core`` reads sources and sinks from them to publish inputs and capture outputs.
Expressions stay sqlglot ``exp.Expression`` nodes (the engine compiles them once per query).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlglot import exp

SourceKind = Literal["kafka", "file", "stream"]  # "stream": output of an earlier statement (pipeline)
SinkKind = Literal["kafka", "file"]


@dataclass
class SourceRef:
    """A FROM or JOIN source as the SQL names it."""

    name: str  # the name in FROM/JOIN (``src`` in ``FROM src s``)
    alias: str | None = None  # ``s``
    kind: SourceKind = "kafka"
    topic: str | None = None  # logical topic (``src.topic.name``, config ``topic.name``, else ``name``)
    path: str | None = None  # file sources: path as written (relative to the SQL file)
    format: str = "json"  # json | avro | protobuf | csv | jsonl
    format_written: str | None = None  # the format name as the SQL/config wrote it (jsonlines, jsonl, …)
    is_table: bool = False  # file sources, CREATE TABLE outputs, sources declared as tables
    config: dict[str, object] = field(default_factory=dict)  # merged config file + WITH keys of this name
    line: int | None = None
    column: int | None = None

    @property
    def ref_name(self) -> str:
        """The name select items qualify columns with (alias, else name)."""
        return self.alias or self.name


@dataclass
class SinkRef:
    """Where a statement's output goes."""

    name: str  # the sink name in WITH (``name.type`` = kafka_sink), else the statement name
    kind: SinkKind = "kafka"
    topic: str | None = None  # logical topic (``name.topic.name``, config ``topic.name``, else statement name)
    path: str | None = None
    format: str = "json"
    config: dict[str, object] = field(default_factory=dict)


@dataclass
class WindowArgument:
    """One argument of ``WINDOW KIND(…)``: a duration (ms) or a column name."""

    kind: Literal["duration", "column", "expression"]
    value: int | str


@dataclass
class WindowSpec:
    """``WINDOW KIND(…)`` as written: the kind's name (lower case) and its arguments. What they mean —
    which kinds exist, which arguments each takes, their bounds — is the engine's (velotui/engine/windows/,
    one module per kind), checked when the statement is planned."""

    kind: str  # "tumbling", "sliding", "session", … as written (lower case)
    arguments: list[WindowArgument] = field(default_factory=list)
    line: int | None = None
    column: int | None = None

    @property
    def durations(self) -> list[int]:
        return [int(a.value) for a in self.arguments if a.kind == "duration"]

    @property
    def columns(self) -> list[str]:
        return [str(a.value) for a in self.arguments if a.kind == "column"]

    @property
    def time_column(self) -> str | None:
        """A leading column: the event time of the window, instead of the statement's (§1)."""
        first = self.arguments[0] if self.arguments else None
        return str(first.value) if first is not None and first.kind == "column" else None

    @property
    def size_ms(self) -> int | None:
        """The first duration (a tumbling or sliding window's size, a session's gap)."""
        return self.durations[0] if self.durations else None


@dataclass
class SelectItem:
    expr: exp.Expression  # without its alias
    name: str  # output field name, resolved per SQL_SEMANTICS.md §2 (alias, column, function, _2 …)
    primary_key: bool = False


@dataclass
class JoinClause:
    kind: Literal["inner", "left", "right", "full"]
    source: SourceRef
    on: exp.Expression | None


@dataclass
class OrderItem:
    expr: exp.Expression
    descending: bool = False
    nulls_first: bool = False


@dataclass
class Query:
    """One SELECT, decomposed."""

    items: list[SelectItem]
    star: bool  # SELECT * (possibly with extra items)
    source: SourceRef
    joins: list[JoinClause] = field(default_factory=list)
    where: exp.Expression | None = None
    group_by: list[exp.Expression] = field(default_factory=list)
    having: exp.Expression | None = None
    window: WindowSpec | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    distinct: bool = False
    emit: Literal["changes", "final"] | None = None  # as written; None = the shape's default
    select: exp.Select | None = None  # the full sqlglot tree, for analyses that need it
    subquery_sources: list[SourceRef] = field(default_factory=list)  # FROM of IN/EXISTS/scalar subqueries


@dataclass
class MetricDecl:
    """A ``-- @metric`` annotation block."""

    name: str
    type: Literal["counter", "gauge", "histogram"] = "counter"
    help: str = ""
    field: str | None = None
    labels: list[str] = dataclasses.field(default_factory=list)
    statement: str | None = None  # the statement it precedes
    line: int | None = None  # where its -- @metric line is


@dataclass
class Statement:
    """``CREATE STREAM|TABLE name AS SELECT … [WITH (…)]``."""

    name: str
    kind: Literal["stream", "table"]
    query: Query
    sinks: list[SinkRef]
    properties: dict[str, str] = field(default_factory=dict)  # WITH (…) keys as written
    annotations: dict[str, str] = field(default_factory=dict)  # annotations just above the statement
    text: str = ""
    line: int = 1
    column: int = 1

    @property
    def sources(self) -> list[SourceRef]:
        return [self.query.source, *(j.source for j in self.query.joins)]


@dataclass
class App:
    """A SQL file: its statements in order plus file-level annotations."""

    name: str  # ``-- @app:`` else the file stem
    path: Path | None
    statements: list[Statement]
    description: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    metrics: list[MetricDecl] = field(default_factory=list)
    data_hints: dict[str, dict[str, str]] = field(default_factory=dict)  # @data.<field>.<hint>: value

    def statement(self, name: str) -> Statement | None:
        return next((s for s in self.statements if s.name == name), None)

    @property
    def external_sources(self) -> list[SourceRef]:
        """Sources not produced by a statement of this app, de-duplicated by name, in first-use order."""
        seen: dict[str, SourceRef] = {}
        for st in self.statements:
            for src in st.sources:
                if src.kind != "stream" and src.name not in seen:
                    seen[src.name] = src
        return list(seen.values())
