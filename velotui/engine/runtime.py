"""Run an app on a bus: plan it, run the statements asked for (and those they read) in order with the
driver (``-- @metric`` values are computed by the harness from the outputs: velotui.core.metrics). Also
``run_sql`` (SQL text and inputs in, results out: the conformance suite's entry) and ``Stepper`` (one
statement at a time, for step mode)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from velotui.bus.memory import MemoryBus
from velotui.engine.api import EngineOptions, EngineResult, StatementResult, StreamRefused
from velotui.engine.driver import StatementRun
from velotui.engine.plan.nodes import AppPlan, StatementPlan
from velotui.engine.plan.planner import Planner
from velotui.gcpause import paused
from velotui.records import Message, RecordColumns
from velotui.sql.model import App
from velotui.watchdog import deadline_for


def gc_paused(pause: bool = True) -> contextlib.AbstractContextManager[None]:
    """Pause the cyclic garbage collector while the engine's hot loops run (they allocate many short-lived
    dicts and build no reference cycles; collections of the input's live objects would otherwise halve the
    throughput: docs/PERFORMANCE.md). Counted across threads (velotui.gcpause)."""
    return paused(pause)


def _needed(plan: AppPlan, wanted: list[str] | None) -> list[StatementPlan]:
    if not wanted:
        return list(plan.statements)
    keep: set[str] = set()

    def visit(name: str) -> None:
        st = plan.statement(name)
        if name in keep or st is None:
            return
        keep.add(name)
        for up in st.upstream:
            visit(up)

    for w in wanted:
        visit(w)
    return [s for s in plan.statements if s.name in keep]


def _schema_kinds(options: EngineOptions) -> dict[str, dict[str, str]]:
    return {src: {f: kind for f, (kind, _) in fields.items()} for src, fields in options.source_schemas.items()}


def plan_for(app: App, options: EngineOptions) -> AppPlan:
    return Planner(app, options.properties, _schema_kinds(options), coverage=options.coverage).plan_app()


def run_app(app: App, bus: Any, options: EngineOptions) -> EngineResult:
    """Run every statement (or ``options.statements`` and what they read) over ``bus``."""
    deadline = deadline_for(options.timeout_s)
    plan = plan_for(app, options)
    result = EngineResult()
    with gc_paused(options.pause_gc):
        for st in _needed(plan, options.statements):
            result.statements[st.name] = StatementRun(st, bus, options, deadline).run()
    return result


class StatementStream:
    """One statement run over a stream input that arrives block by block, in bounded memory.

    Publish a block of the source's records to its topic, then ``advance()``: the engine takes the block off
    the topic (``drain``: the memory bus releases it), decodes and checks it, runs it through the operators
    and publishes what came out to the sink topics, where the caller drains it too. ``finish()`` ends the
    input (windows close, held outputs go out) and returns the result. The records go through in the
    order and the chunks a bounded run (``run_app``) gives them, so the outputs, dead letters and row
    errors are the same. Refused (``StreamRefused``, with the reason) for a statement that is not one
    statement over one stream topic of one partition: joins of two streams, statements that read other
    statements, file sources, buses that cannot release what was read."""

    def __init__(self, app: App, bus: Any, options: EngineOptions) -> None:
        if not hasattr(bus, "drain"):
            raise StreamRefused("the bus cannot release what was read")
        self.bus = bus
        self.options = options
        plan = plan_for(app, options)
        needed = _needed(plan, options.statements)
        if len(needed) != 1:
            raise StreamRefused("the statement reads other statements of the app")
        self.plan = needed[0]
        self.run = StatementRun(self.plan, bus, replace(options, keep_outputs=False), deadline_for(options.timeout_s))
        streams = self.run.pipeline.streams
        if len(streams) != 1 or self.run.pipeline.declare_fields:
            raise StreamRefused("the statement does not read exactly one stream")
        self.entry = streams[0].source
        if self.entry.origin != "topic":
            raise StreamRefused(f"its stream {self.entry.name!r} is not read from a topic")
        self.source = self.entry.name
        self.topic = self.run.topic_of(self.entry)
        if bus.partitions(self.topic) > 1:
            raise StreamRefused(f"topic {self.topic!r} has several partitions (their records merge by event time)")
        self._offset = 0  # the source topic's next offset, for blocks run as columns
        with paused(options.pause_gc):
            self.run.load_tables()

    def advance(self, *, schema_checked: bool = False) -> None:
        """Run what was published to the source's topic since the last call; ``schema_checked``: those
        records are known to fit the source's schema (checked as they were generated)."""
        with paused(self.options.pause_gc):
            msgs = self.run.checked(self.entry, self.bus.drain(self.topic), schema_checked=schema_checked)
            if msgs:
                self.run.push(0, msgs)
            self.run.sinks.flush()

    def advance_columns(self, block: RecordColumns, records: Callable[[], list[dict]], *,
                        schema_checked: bool = False) -> None:
        """Run the next block of generated records held as columns, without the bus: read as columns by the
        statement when it can (``StatementRun.push_columns``), else as the messages the source's topic
        would hold (``records()`` makes the rows), checked and pushed as ``advance`` does. Either way the
        records have the offsets the topic would give them, so the outputs, dead letters and row errors are
        those of publishing the block and calling ``advance``. For a run whose source topic nobody else reads
        (the harness's streamed runs, velotui.core.streamed)."""
        first, self._offset = self._offset, self._offset + len(block)
        with paused(self.options.pause_gc):
            if not (schema_checked and self.run.push_columns(0, block, self.topic, first)):
                msgs = self.run.checked(self.entry, block.messages(records(), self.topic, first),
                                        schema_checked=schema_checked)
                if msgs:
                    self.run.push(0, msgs)
            self.run.sinks.flush()

    def finish(self) -> EngineResult:
        with paused(self.options.pause_gc):
            res = self.run.finish()
        return EngineResult(statements={self.plan.name: res})


def run_sql(sql: str, inputs: Mapping[str, Sequence[Message | dict]], *, now_ms: int = 0,
            files: Mapping[str, str] | None = None, properties: Mapping[str, str] | None = None,
            coverage: bool = False, fuse: bool = True) -> EngineResult:
    """Parse ``sql``, publish ``inputs`` (by source name) to a memory bus, run, return the result
    (``coverage``: with each statement's coverage counts; ``fuse``: as EngineOptions.fuse)."""
    from velotui.errors import SqlError
    from velotui.sql import parse_app, validate

    with tempfile.TemporaryDirectory(prefix="velotui_sql_") as tmp:
        base = Path(tmp)
        for rel, content in (files or {}).items():
            p = base / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content)
        sql_path = base / "query.sql"
        sql_path.write_text(sql)
        app = parse_app(sql, sql_path)
        problems = validate(app)
        if problems:
            raise problems[0]
        options = EngineOptions(now_ms=now_ms, base_dir=base, properties=dict(properties or {}), coverage=coverage,
                                fuse=fuse)
        plan_for(app, options)  # refuses before anything is published
        bus = MemoryBus()
        external = {s.name: s for s in app.external_sources}
        for name, records in inputs.items():
            src = external.get(name)
            if src is None:
                raise SqlError(f"input {name!r} is not a source of the SQL (sources: {', '.join(external)})")
            if src.kind == "file":
                continue
            topic = src.topic or name
            bus.create_topic(topic, max([1, *(r.partition + 1 for r in records if isinstance(r, Message))]))
            msgs = [r if isinstance(r, Message) else Message(value=dict(r)) for r in records]
            for m in msgs:
                m.partition = m.partition or 0
            _publish_keep_partitions(bus, topic, msgs)
        return run_app(app, bus, options)


def _publish_keep_partitions(bus: MemoryBus, topic: str, msgs: list[Message]) -> None:
    """Publish with the partitions the caller chose (tests control the envelope exactly)."""
    parts = bus._topics[topic].partitions
    for m in msgs:
        while m.partition >= len(parts):
            parts.append([])
        m.topic = topic
        m.offset = len(parts[m.partition])
        parts[m.partition].append(m)


class Stepper:
    """Runs an app's statements one at a time over a bus (step mode): ``step()`` runs the next one, whose
    outputs go to its sink topics, where the following statement reads them; ``rerun_from(name)`` starts
    again there (the sink topics of the statements run again are emptied first)."""

    def __init__(self, app: App, bus: Any, options: EngineOptions) -> None:
        self.app = app
        self.bus = bus
        self.options = options
        self.plan = plan_for(app, options)
        self.position = 0

    @property
    def done(self) -> bool:
        return self.position >= len(self.plan.statements)

    @property
    def next_statement(self) -> Any:
        return None if self.done else self.app.statements[self.position]

    def step(self) -> StatementResult:
        st = self.plan.statements[self.position]
        for t in st.root.targets:
            if t.kind == "topic":
                logical = t.topic or st.name
                topic = self.options.topic_names.get(logical, logical)
                self.bus.delete_topic(topic)
                self.bus.create_topic(topic)
        with gc_paused(self.options.pause_gc):
            res = StatementRun(st, self.bus, self.options).run()
        self.position += 1
        return res

    def rerun_from(self, name: str) -> None:
        names = [s.name for s in self.plan.statements]
        if name not in names:
            raise KeyError(name)
        self.position = names.index(name)
