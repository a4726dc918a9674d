"""A query over a big generated input, run block by block in bounded memory.

A query whose stream input is generated and bigger than one block of generation (65,536 records) and
whose checks can all be made in one pass is run this way: each block of its input is generated, published
to the source's topic, run by the engine (which takes it off the topic) and its output drained from the
sink topic into the checks' tallies (velotui.assertions.base.Tally), then let go. At most a block's
inputs and outputs are held at a time, whatever the input's size; the report is the one a run holding
every record gives (the blocks are the input's own blocks of generation, the engine runs them in the same
order and chunks, and every check is its tally either way: tests/unit/test_streamed_runs.py).

``why_whole`` says why a query is run whole instead (docs/PERFORMANCE.md lists the reasons).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from velotui.assertions.base import RecordsSeen, Tally, fields_read_by, one_pass
from velotui.core import events as ev
from velotui.records import Message, MessageBlock


def why_whole(run: Any, loaded: Any, query: Any, statement: Any, engines: list[str]) -> str | None:
    """Why ``query`` cannot run block by block (None: it can, if the engine agrees and an input is big)."""
    opts = run.options
    if not opts.by_blocks:
        return "the run holds every record (--whole-inputs)"
    if engines != ["embedded"]:
        return "it runs on another engine, or on two (--compare)"
    if run._cluster is not None:
        return "its topics are on Kafka"
    spec = loaded.spec
    if spec.fault_injection:
        return "fault injection changes the input as a whole"
    if statement.kind == "table":
        return "a table's checks read its state at the end"
    if len(statement.sinks) != 1 or statement.sinks[0].kind != "kafka":
        return "the statement does not write exactly one topic"
    if loaded.app.metrics:
        return "the app's -- @metric values are computed from its whole output"
    if opts.update_golden:
        return "--update-golden writes the whole output"
    from velotui.core.coverage import wanted

    coverage = wanted(spec, query)
    if opts.coverage or (coverage is not None and coverage.required):
        return "its data coverage is counted (the hints read the inputs)"
    from velotui.core import golden

    if golden.target_for(loaded, query.name).path.exists():
        return "the query has a golden file (compared with its whole output)"
    for q in spec.queries:
        for inp in q.inputs:
            if getattr(inp, "from_previous", None) == query.name:
                return f"query {q.name!r} reads its output (from_previous)"
        for cl in q.check_lists():
            for a in cl.checks:
                if one_pass(a) is None:  # this query's checks, or a later one's that may read its inputs
                    where = "its" if q is query else f"query {q.name!r}'s"
                    return f"{where} check {a.type} needs every record at once"
    return None


@dataclass
class StreamedChecks:
    """The query's check lists, fed as the output goes by: per list what "nothing checked" needs of the
    records (RecordsSeen) and a tally per check."""

    seen: dict[str | None, RecordsSeen] = field(default_factory=dict)  # check list's sink -> what went by
    tallies: dict[int, Tally] = field(default_factory=dict)  # id(check) -> its tally
    records_out: int = 0

    @classmethod
    def of(cls, query: Any) -> StreamedChecks:
        out = cls()
        for cl in query.check_lists():
            names = {name for a in cl.checks for _, name in fields_read_by(a)}
            seen = out.seen.setdefault(cl.sink, RecordsSeen())
            seen.absent_so_far.update(names)
            for a in cl.checks:
                tally = one_pass(a)
                assert tally is not None  # why_whole made sure
                out.tallies[id(a)] = tally
        return out

    def add(self, messages: Sequence[Message]) -> None:
        """The next output messages of the statement's one sink (every check list reads them; a block's
        values are read as they are, its messages made only for a check that reads them)."""
        self.records_out += len(messages)
        values = messages.values if isinstance(messages, MessageBlock) else [m.value for m in messages
                                                                             if m.value is not None]
        for seen in self.seen.values():
            seen.add(values)
        for tally in self.tallies.values():
            tally.add(values, messages)

    def tally(self, check: Any) -> Tally:
        return self.tallies[id(check)]


@dataclass
class StreamedRun:
    """What the block-by-block run left: the engine's result, the time the engine took, the checks fed."""

    result: Any  # velotui.engine.EngineResult
    engine_seconds: float
    checks: StreamedChecks
    blocks: int


def run_blocks(stream: Any, deferred_input: Any, bus: Any, source_topic: str, sink_topic: str, query: Any,
               emit: Callable[[ev.Event], None], app_name: str, set_phase: Callable[[str], None]) -> StreamedRun:
    """Generate, publish, run and check ``deferred_input`` block by block on the engine's ``stream``."""
    from velotui.datagen.generator import GENERATION_BLOCK

    checks = StreamedChecks.of(query)
    total = deferred_input.count
    n_blocks = max(1, -(-total // GENERATION_BLOCK))
    engine_s = 0.0
    published = 0
    keeps_values = bool(getattr(bus, "keeps_values", False))
    as_columns = keeps_values and not getattr(bus, "watched", True) and hasattr(stream, "advance_columns")
    if as_columns:
        # nobody else reads the source topic: each block goes to the engine as it was generated, in columns
        # (the engine reads them as they are when the statement allows, else as the messages the topic would
        # hold: velotui.engine.StatementStream.advance_columns), with no publish and no drain in between
        for k, (block, records, fits) in enumerate(deferred_input.deferred.column_blocks(), start=1):
            set_phase(f"running the app on block {k} of {n_blocks} of {deferred_input.source!r}")
            emit(ev.Progress(app_name, "publish", published, total))
            published += len(block)
            t0 = time.perf_counter()
            stream.advance_columns(block, records, schema_checked=fits)
            engine_s += time.perf_counter() - t0
            del block, records
            checks.add(bus.drain(sink_topic))
    for k, (messages, fits) in enumerate(deferred_input.deferred.blocks() if not as_columns else (), start=1):
        set_phase(f"running the app on block {k} of {n_blocks} of {deferred_input.source!r}")
        emit(ev.Progress(app_name, "publish", published, total))
        published += bus.publish(source_topic, messages)
        del messages  # the topic holds the block now; the engine takes it off
        t0 = time.perf_counter()
        stream.advance(schema_checked=fits and keeps_values)
        engine_s += time.perf_counter() - t0
        checks.add(bus.drain(sink_topic))
    emit(ev.RecordsPublished(app_name, deferred_input.source, source_topic, published))
    t0 = time.perf_counter()
    result = stream.finish()
    engine_s += time.perf_counter() - t0
    checks.add(bus.drain(sink_topic))
    return StreamedRun(result=result, engine_seconds=engine_s, checks=checks, blocks=n_blocks)
