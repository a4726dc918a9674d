"""The engine interface: where the harness (core) and the embedded engine meet.

core calls ``run_app(app, bus, options)`` after publishing every input to the bus. The engine reads
each external source's topic from the bus (or its file), runs every statement in order as a
push-based operator pipeline with bounded-input semantics (a final watermark of +inf at the end), and
writes each statement's output to its sink topics on the bus (file sinks to files). It returns what
happened per statement. Nothing here knows whether the bus is in memory or Kafka.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from velotui.records import Message


@dataclass
class EngineOptions:
    now_ms: int = 0  # the run's frozen clock (NOW(), CURRENT_TIMESTAMP)
    topic_names: dict[str, str] = field(default_factory=dict)  # logical topic -> bus topic (run prefix)
    file_paths: dict[str, str] = field(default_factory=dict)  # path as written in SQL -> real path
    base_dir: Path | None = None  # resolves relative file paths in the SQL (the SQL file's folder)
    properties: dict[str, str] = field(default_factory=dict)  # spec `config:` overrides on top of WITH
    statements: list[str] | None = None  # run only these statements (and what they depend on)
    timeout_s: float | None = None  # raise velotui.errors.RunTimeout past this wall time
    slow_processing: bool = False  # honour x-velotui-delay-ms headers (fault injection: slow processing)
    should_stop: Any = None  # a callable; when it returns True the run stops with RunCancelled (Ctrl-C)
    lineage: bool = False  # record which inputs produced each output (for explanations; costs speed)
    # per source name: {field: (kind, nullable)}; when given, records are checked on decode and those with a
    # missing field, a wrong type, an unexpected NULL or an overflowing number go to the dead-letter list
    source_schemas: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)
    # sources whose records were checked against that schema already, column by column as they were generated
    # (and are read as the very values that were checked: a memory bus): not checked again record by record
    schema_checked: set[str] = field(default_factory=set)
    keep_outputs: bool = True  # keep every output in StatementResult.outputs (they are on the sinks anyway)
    pause_gc: bool = True  # pause the cyclic garbage collector while the engine runs (see runtime.gc_paused)
    fuse: bool = True  # generated fused functions for projections and GROUP BY (False: the general operators)
    coverage: bool = False  # count each statement's coverage items (StatementResult.coverage; costs speed)


class StreamRefused(Exception):
    """A statement that cannot run block by block (velotui.engine.runtime.StatementStream): the reason."""


@dataclass
class DeadLetter:
    """A record a query could not process (decode error, late record, row error)."""

    statement: str
    error_type: str  # e.g. invalid_json, missing_field, wrong_type, late_record, division_by_zero, cast
    message: str
    source: str | None = None
    offset: int | None = None
    record: Any = None


@dataclass
class CoverageOutcome:
    """One outcome of a coverage item (``true``, ``taken``, ``matched``, …) and how often the inputs produced
    it; covered once ``count`` reaches ``needed`` (a GROUP BY key needs 2 distinct values)."""

    name: str
    count: int
    needed: int = 1

    @property
    def covered(self) -> bool:
        return self.count >= self.needed


@dataclass
class CoveredItem:
    """A coverage item of a statement after a run (velotui/engine/coverage.py): what it is, where, and the
    counts of its outcomes. ``expression`` is the sqlglot node a hint reads (the condition, the argument, the
    key); ``context`` holds what the kind adds (a CASE arm's earlier conditions, a join's keys and sources,
    a window's lateness). ``unreachable`` says why no input can produce it under the statement's own contract
    (a NULL into fields the source's schema does not let be NULL): such an item is not counted."""

    id: str
    kind: str
    clause: str
    sql: str
    line: int | None
    column: int | None
    outcomes: list[CoverageOutcome]
    expression: Any = None
    context: dict[str, Any] = field(default_factory=dict)
    unreachable: str | None = None

    @property
    def missing(self) -> list[CoverageOutcome]:
        return [o for o in self.outcomes if not o.covered]


@dataclass
class StatementResult:
    name: str
    records_in: int = 0
    records_out: int = 0
    late_records: int = 0
    row_errors: int = 0
    duration_ms: float = 0.0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    # what the statement emitted, in order, as it emitted it (lists, and blocks whose messages are made only
    # when read: velotui.records.MessageBlock); ``outputs`` is every one of them in one list
    output_chunks: list[Sequence[Message]] = field(default_factory=list, repr=False)
    lineage: list[list[int]] | None = None  # per output: indexes of contributing input records (opt.)
    coverage: list[CoveredItem] | None = None  # EngineOptions.coverage: every coverage item with its counts

    @property
    def outputs(self) -> list[Message]:
        """Every output message, in order (EngineOptions.keep_outputs; made, the first time, of the chunks)."""
        chunks = self.output_chunks
        if len(chunks) != 1 or not isinstance(chunks[0], list):
            self.output_chunks = chunks = [[m for chunk in chunks for m in chunk]]
        return chunks[0]


@dataclass
class MetricSample:
    name: str
    type: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class EngineResult:
    statements: dict[str, StatementResult] = field(default_factory=dict)
    metrics: list[MetricSample] = field(default_factory=list)  # from -- @metric annotations

    @property
    def outputs(self) -> dict[str, list[Message]]:
        return {name: r.outputs for name, r in self.statements.items()}
