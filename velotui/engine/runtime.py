"""Run an app on a bus: every statement in order, outputs to sinks (``-- @metric`` values are computed by
the harness from the outputs: velotui.core.metrics)."""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from velotui.bus.memory import MemoryBus
from velotui.engine.api import EngineOptions, EngineResult, StatementResult
from velotui.engine.statement import EngineContext, StatementRunner
from velotui.records import Message
from velotui.sql.model import App, Statement
from velotui.watchdog import deadline_for


def _needed(app: App, wanted: list[str] | None) -> list[Statement]:
    if not wanted:
        return list(app.statements)
    by_name = {s.name: s for s in app.statements}
    keep: set[str] = set()

    def visit(name: str) -> None:
        if name in keep or name not in by_name:
            return
        keep.add(name)
        st = by_name[name]
        for src in st.sources:
            if src.kind == "stream":
                visit(src.name)
        if st.query.select is not None:  # subqueries over CREATE TABLE outputs
            from sqlglot import exp

            for t in st.query.select.find_all(exp.Table):
                visit(t.name)

    for w in wanted:
        visit(w)
    return [s for s in app.statements if s.name in keep]


def _json_default(v: Any) -> Any:
    from decimal import Decimal

    if isinstance(v, Decimal):
        return float(v)
    return str(v)


def _write_file_sink(path: Path, fmt: str, messages: list[Message], append: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "ab" if append else "wb"
    if fmt == "csv":
        import csv
        import io

        cols: list[str] = []
        for m in messages:
            for k in (m.value or {}):
                if k not in cols:
                    cols.append(k)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        for m in messages:
            w.writerow(["" if (m.value or {}).get(c) is None else (m.value or {}).get(c) for c in cols])
        path.write_text(buf.getvalue())
        return
    with path.open(mode) as fh:
        for m in messages:
            fh.write(orjson.dumps(m.value, default=_json_default) + b"\n")


def run_app(app: App, bus: Any, options: EngineOptions) -> EngineResult:
    """Run every statement (or ``options.statements`` and what they depend on) over ``bus``."""
    deadline = deadline_for(options.timeout_s)
    ctx = EngineContext(bus=bus, options=options, deadline=deadline)
    result = EngineResult()
    # the engine's hot loops allocate many short-lived dicts and build no reference cycles: the cyclic
    # garbage collector only slows them down (by half on 100k records), so it pauses during the run
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _run_statements(app, bus, options, ctx, result)
    finally:
        if gc_was_enabled:
            gc.enable()
    return result


def _run_statements(app: App, bus: Any, options: EngineOptions, ctx: EngineContext, result: EngineResult) -> None:
    for st in _needed(app, options.statements):
        runner = StatementRunner(app, st, ctx)
        res = runner.run()
        ctx.results[st.name] = res
        result.statements[st.name] = res
        for sink in st.sinks:
            if sink.kind == "kafka":
                topic = options.topic_names.get(sink.topic or st.name, sink.topic or st.name)
                bus.create_topic(topic)
                bus.publish(topic, res.outputs)  # the bus sets topic, partition and offset on them
            elif sink.path:
                real = options.file_paths.get(sink.path)
                path = Path(real) if real else (options.base_dir or Path.cwd()) / sink.path
                append = str(sink.config.get("append", "false")).lower() == "true"
                _write_file_sink(path, sink.format, res.outputs, append)


def run_sql(sql: str, inputs: Mapping[str, Sequence[Message | dict]], *, now_ms: int = 0,
            files: Mapping[str, str] | None = None, properties: Mapping[str, str] | None = None) -> EngineResult:
    """Parse ``sql``, publish ``inputs`` (by source name) to a memory bus, run, return the result."""
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
        bus = MemoryBus()
        external = {s.name: s for s in app.external_sources}
        for name, records in inputs.items():
            src = external.get(name)
            if src is None:
                from velotui.errors import SqlError

                raise SqlError(f"input {name!r} is not a source of the SQL (sources: {', '.join(external)})")
            if src.kind == "file":
                continue
            topic = src.topic or name
            bus.create_topic(topic, max([1, *(r.partition + 1 for r in records if isinstance(r, Message))]))
            msgs = [r if isinstance(r, Message) else Message(value=dict(r)) for r in records]
            for m in msgs:
                m.partition = m.partition or 0
            _publish_keep_partitions(bus, topic, msgs)
        return run_app(app, bus, EngineOptions(now_ms=now_ms, base_dir=base, properties=dict(properties or {})))


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
    """Runs an app's statements one at a time over a bus (step mode): ``step()`` runs the next one and
    publishes its outputs, so the following statement reads them; ``rerun_from(name)`` starts again there."""

    def __init__(self, app: App, bus: Any, options: EngineOptions) -> None:
        self.app = app
        self.bus = bus
        self.options = options
        self.ctx = EngineContext(bus=bus, options=options)
        self.position = 0

    @property
    def done(self) -> bool:
        return self.position >= len(self.app.statements)

    @property
    def next_statement(self) -> Statement | None:
        return None if self.done else self.app.statements[self.position]

    def step(self) -> StatementResult:
        st = self.app.statements[self.position]
        res = StatementRunner(self.app, st, self.ctx).run()
        self.ctx.results[st.name] = res
        for sink in st.sinks:
            if sink.kind == "kafka":
                topic = self.options.topic_names.get(sink.topic or st.name, sink.topic or st.name)
                self.bus.delete_topic(topic)
                self.bus.create_topic(topic)
                self.bus.publish(topic, [Message(value=m.value, key=m.key, headers=dict(m.headers),
                                                 timestamp=m.timestamp) for m in res.outputs])
        self.position += 1
        return res

    def rerun_from(self, name: str) -> None:
        names = [s.name for s in self.app.statements]
        if name not in names:
            raise KeyError(name)
        self.position = names.index(name)
        for later in names[self.position:]:
            self.ctx.results.pop(later, None)
