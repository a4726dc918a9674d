"""The driver: runs one planned statement over a bus.

Each statement reads its sources from bus topics — an external source's topic, or, for a source that is
an upstream statement of the same app, that statement's sink topic (on the memory bus and on Kafka alike:
on Kafka the intermediate topics are real, read back, and visible in the topic tail) — or from files.
Tables (a join's table side, a subquery's table) are loaded whole before the first stream record; stream
records are decoded (undecodable ones and, when the source's schema is known, records whose fields do not
fit it go to the dead letters), given their event time, merged in event-time order across sources and
partitions (ties: source order, partition, offset) and pushed through the operators in chunks. Outputs go
to the sinks as the operators emit them.

``StatementRun`` takes its input pushed in chunks (``push``/``end``) and hands outputs on as they come,
so a caller can bound what it holds; ``run`` does the bounded-input run every test needs: read every
source, push, finish.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from operator import methodcaller
from pathlib import Path
from typing import Any

from velotui.bus.memory import MemoryBus
from velotui.engine.api import DeadLetter, EngineOptions, StatementResult
from velotui.engine.coverage import CoverageProbes
from velotui.engine.expr.values import key_of
from velotui.engine.operators.base import Batch, RunState
from velotui.engine.operators.build import Pipeline, build_statement
from velotui.engine.plan.nodes import Source, StatementPlan
from velotui.engine.sources import check_schema, decode, undecodable
from velotui.engine.timekeeping import event_time_reader, message_time
from velotui.errors import RunCancelled, RunTimeout
from velotui.records import Message, RecordColumns, values_of

CHUNK = 4096  # records per push (the deadline and Ctrl-C are checked between pushes)
SINK_CHUNK = 50_000  # messages per publish to a sink topic


class SinkWriter:
    """One statement's sinks: topics on the bus, files (written through velotui.datafiles)."""

    def __init__(self, plan: StatementPlan, bus: Any, options: EngineOptions) -> None:
        self.bus = bus
        self.topics: list[str] = []
        self.files: list[tuple[Path, str, bool]] = []
        for t in plan.root.targets:
            if t.kind == "topic":
                logical = t.topic or plan.name
                real = options.topic_names.get(logical, logical)
                bus.create_topic(real)
                self.topics.append(real)
            elif t.path:
                self.files.append((real_path(t.path, options), t.format, t.append))
        # outputs not published yet: lists of messages, or blocks (MessageBlock) the memory bus holds as they are
        self._pending: list[Sequence[Message]] = []
        self._pending_n = 0
        self._file_started = [False] * len(self.files)
        # the memory bus takes outputs stamped with their first topic sink's name and offsets as they are
        self._stamped = bool(self.topics) and type(bus) is MemoryBus  # (a subclass may publish its own way)

    def stamp(self) -> tuple[str, int, int]:
        """Where the outputs made now land (RunState.stamp): (first topic sink, the offset the next of them
        gets there, 1) on the memory bus, whose topic takes them as they are; ('', -1, 0) elsewhere."""
        if self._stamped:
            topic = self.topics[0]
            base = self.bus.next_offset(topic)
            if base is not None:
                return topic, base + self._pending_n, 1
        return "", -1, 0

    def write(self, msgs: Sequence[Message]) -> None:
        if self.topics:
            self._pending.append(msgs)
            self._pending_n += len(msgs)
            if self._pending_n >= SINK_CHUNK:
                self.flush()
        for i, (path, fmt, append) in enumerate(self.files):
            from velotui.datafiles import write_rows

            write_rows(path, values_of(msgs), fmt, append=append or self._file_started[i])
            self._file_started[i] = True

    def flush(self) -> None:
        pending, self._pending, self._pending_n = self._pending, [], 0
        if not pending:
            return
        for i, topic in enumerate(self.topics):  # a second topic gets its own copies (the bus owns offsets)
            if i == 0 and self._stamped:
                for chunk in pending:
                    self.bus.append_stamped(topic, chunk)
                continue
            batch = [m for chunk in pending for m in chunk]
            if i > 0:
                batch = [Message(m.value, m.key, dict(m.headers), m.timestamp, 0, -1, "", None, m.event_time)
                         for m in batch]
            self.bus.publish(topic, batch)

    def close(self) -> None:
        self.flush()
        for i, (path, fmt, append) in enumerate(self.files):
            if not self._file_started[i] and not append:  # a sink that received nothing is an empty file
                from velotui.datafiles import write_rows

                write_rows(path, [], fmt)


def real_path(text: str, options: EngineOptions) -> Path:
    if text in options.file_paths:
        return Path(options.file_paths[text])
    p = Path(text)
    if not p.is_absolute() and options.base_dir is not None:
        p = options.base_dir / p
    return p


class StatementRun:
    """One statement running over a bus: ``run()`` for a bounded run, or ``load_tables()``, then
    ``push(source_index, messages)`` as input arrives and ``end()``."""

    def __init__(self, plan: StatementPlan, bus: Any, options: EngineOptions,
                 deadline: float | None = None, on_output: Callable[[Sequence[Message]], None] | None = None) -> None:
        self.plan = plan
        self.bus = bus
        self.options = options
        self.deadline = deadline
        self.result = StatementResult(name=plan.name)
        self.state = RunState(plan.name, lineage=options.lineage, check=self._check)
        self.sinks = SinkWriter(plan, bus, options)
        self.state.stamp = self.sinks.stamp
        self.on_output = on_output
        self.outputs: list[Sequence[Message]] = []  # keep_outputs: what was emitted, as it was emitted
        self.lineage: list[list[int]] = []
        self.coverage = CoverageProbes(plan.coverage) if options.coverage else None
        self.pipeline: Pipeline = build_statement(plan, run=self.state, emit=self._emit, now_ms=options.now_ms,
                                                  fuse=options.fuse, coverage=self.coverage)
        self._index = 0  # records pushed so far: the lineage index of the next one
        self._t0 = time.perf_counter()

    # -- outputs ---------------------------------------------------------------------------------
    def _emit(self, msgs: Sequence[Message], lineage: list[list[int]] | None) -> None:
        """Outputs as they are made: a list of messages, or a fused operator's block (MessageBlock), whose
        messages carry the topic and offsets of their first topic sink already (``on_output`` sees them so;
        the others get theirs when the sinks flush)."""
        if self.options.keep_outputs:
            self.outputs.append(msgs)
        if lineage is not None:
            self.lineage.extend(lineage)
        self.result.records_out += len(msgs)
        self.sinks.write(msgs)
        if self.on_output is not None:
            self.on_output(msgs)

    # -- input -------------------------------------------------------------------------------------
    def _check(self) -> None:
        stop = self.options.should_stop
        if stop is not None and stop():
            raise RunCancelled(f"{self.plan.name}: interrupted")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise RunTimeout(f"{self.plan.name}: timed out after {self.options.timeout_s:g} s",
                             file=self.plan.file, line=self.plan.line,
                             hint="raise timeout_ms in the spec, or --timeout")

    def read(self, src: Source) -> list[Message]:
        """Every record of a source now: its topic (decoded, schema-checked) or its file."""
        if self._is_file(src):
            return self._read_file(src)
        return self._checked_read(src, self.bus.read_all(self.topic_of(src)))

    @staticmethod
    def _is_file(src: Source) -> bool:
        return src.path is not None and src.origin in ("file", "statement")

    def _checked_read(self, src: Source, msgs: list[Message]) -> list[Message]:
        return self.checked(src, msgs, schema_checked=src.name in self.options.schema_checked)

    def _stream_inputs(self, entries: list[Any]) -> list[list[Message]]:
        """Every stream source's records now (``read``); the one source of an operator that tells non-records
        itself (``_decodes_itself``) as its topic holds them, when they are one partition's (records of
        several merge by event time, where a non-record must take no part: those are checked first)."""
        if not self._decodes_itself(entries):
            return [self.read(e.source) for e in entries]
        src = entries[0].source
        if self._is_file(src):
            return [self._read_file(src)]
        msgs = self.bus.read_all(self.topic_of(src))
        if msgs and msgs[0].partition != msgs[-1].partition:
            msgs = self._checked_read(src, msgs)
        return [msgs]

    def _decodes_itself(self, entries: list[Any]) -> bool:
        """Whether the one stream source of the statement is read straight by its first operator, which then
        tells a message whose value is no record itself (``_undecoded``: the dead letter ``decode`` makes)
        in the loop it runs anyway, instead of a pass over every message first: only when no schema check
        has to see the records first, and nothing reads the records before the operator does (and, once
        read, only when they are one partition's: ``_stream_inputs``)."""
        if len(entries) != 1 or entries[0].push_messages is None or self.pipeline.declare_fields:
            return False
        src = entries[0].source
        if self.options.slow_processing or self.state.lineage:
            return False
        return not (src.origin == "topic" and self.options.source_schemas.get(src.name)
                    and src.name not in self.options.schema_checked)

    def _undecoded(self, src: Source, m: Message) -> None:
        """A message of a stream source whose value is no record: a dead letter, and no record in."""
        self.result.dead_letters.append(undecodable(m, self.plan.name, src.name))
        self.result.records_in -= 1

    def topic_of(self, src: Source) -> str:
        logical = src.topic or src.name
        return self.options.topic_names.get(logical, logical)

    def checked(self, src: Source, msgs: list[Message], *, schema_checked: bool = False) -> list[Message]:
        """A source's messages that decode to records (and fit its schema, when it has one and they were not
        checked already); the others go to the dead letters."""
        dead = self.result.dead_letters
        msgs = decode(msgs, self.plan.name, src.name, dead)
        schema = self.options.source_schemas.get(src.name) if src.origin == "topic" else None
        if schema and not schema_checked:
            msgs = check_schema(msgs, schema, self.plan.name, src.name, dead)
        return msgs

    def _read_file(self, src: Source) -> list[Message]:
        from velotui.datafiles import read_rows
        from velotui.spec.config import config_get

        types = config_get(src.config, "datasource.schema")
        has_headers = str(config_get(src.config, "has_headers") or "true").lower() != "false"
        path = real_path(str(src.path), self.options)
        label = src.path or src.name

        def bad_row(line: int, message: str, raw: str) -> None:
            self.result.dead_letters.append(DeadLetter(statement=self.plan.name, error_type="bad_row",
                                                       message=f"{label}:{line}: {message}", source=label,
                                                       offset=line, record=raw))

        declared = {str(k): str(v) for k, v in types.items()} if isinstance(types, dict) else None
        rows = read_rows(path, src.format or None, types=declared, has_headers=has_headers, on_bad_row=bad_row,
                         what=f"file source {src.name}")
        msgs = [Message(value=r, offset=i, topic=label) for i, r in enumerate(rows)]
        if declared:  # a cell that does not read as its declared type: the record is a dead letter
            fields = {k: (kind_of(v), True) for k, v in declared.items()}
            msgs = check_schema(msgs, fields, self.plan.name, label, self.result.dead_letters)
        return msgs

    def load_tables(self) -> None:
        """Every table the statement reads, whole, before any stream record (§6)."""
        for entry in self.pipeline.tables:
            msgs = self.read(entry.source)
            entry.load(table_state(msgs, keyed=entry.source.origin == "statement" or entry.source.origin == "topic"))

    def times_of(self, src: Source, msgs: list[Message]) -> list[int] | None:
        """Each record's event time: its event-time field, else (None) its message timestamp."""
        et = src.event_time
        if not et.field:
            return None
        fmt = (et.format or "").strip()
        if fmt in ("", "epoch_millis"):  # the common case: every record's field holds epoch milliseconds
            try:
                raw = list(map(methodcaller("get", et.field), [m.value for m in msgs]))
            except AttributeError:  # a message without a record
                raw = None
            if raw is not None and set(map(type, raw)) <= {int}:
                return raw
        reader = event_time_reader(et.field, et.format)
        out = []
        for m in msgs:  # (a value that is no record, not decoded yet: its timestamp; it goes to the dead letters)
            t = reader(m.value, m.timestamp) if isinstance(m.value, dict) else None
            out.append(int(t) if t is not None else m.timestamp)
        return out

    def _timed(self, src: Source, msgs: list[Message], times: list[int] | None
               ) -> tuple[list[Message], list[int] | None]:
        """The messages and their event times (``times_of``) with every time an int of epoch milliseconds: a
        message timestamp that is a float is cut to one (``message_time``); a message with no time at all (a
        timestamp of NaN, text or None, where its record gives none either: only a bus back-end or the Python
        API can make one) is a dead letter, and no record in. Files and Kafka give ints: one pass at C speed."""
        raw = [m.timestamp for m in msgs] if times is None else times
        if set(map(type, raw)) <= {int}:
            return msgs, times
        keep: list[Message] = []
        out: list[int] = []
        for m, t in zip(msgs, raw):
            ms = message_time(t)
            if ms is None:
                self.result.dead_letters.append(DeadLetter(
                    statement=self.plan.name, error_type="bad_timestamp", source=src.name, offset=m.offset,
                    message=f"message at offset {m.offset} has no time: its timestamp {m.timestamp!r} is not "
                            f"epoch milliseconds" + (f" and its field {src.event_time.field!r} gives none"
                                                     if src.event_time.field else ""),
                    record=m.value))
                self.result.records_in -= 1
                continue
            keep.append(m)
            out.append(ms)
        return keep, out

    def run(self) -> StatementResult:
        """The bounded run: tables, then every stream record in event-time order, then the end of input."""
        self.load_tables()
        entries = self.pipeline.streams
        inputs = self._stream_inputs(entries)
        for side, declare in self.pipeline.declare_fields:
            declare(list({k for m in inputs[side] for k in (m.value or {})}))
        self.result.records_in = sum(len(x) for x in inputs)
        timed = [self._timed(e.source, msgs, self.times_of(e.source, msgs)) for e, msgs in zip(entries, inputs)]
        inputs = [msgs for msgs, _ in timed]
        times = [ts for _, ts in timed]
        for si, msgs, ts in merged_runs(inputs, times):
            self._push(si, msgs, ts)
        return self.finish()

    def _push(self, si: int, msgs: list[Message], times: list[int] | None) -> None:
        entry = self.pipeline.streams[si]
        slow = self.options.slow_processing
        straight = entry.push_messages if not slow and not self.state.lineage else None
        undecoded = partial(self._undecoded, entry.source)
        for start in range(0, len(msgs), CHUNK):
            self._check()
            part = msgs[start:start + CHUNK]
            ts = times[start:start + CHUNK] if times is not None else None
            if straight is not None:
                straight(part, ts, undecoded)
                continue
            if ts is None:
                ts = [m.timestamp for m in part]
            if slow:
                for m, t in zip(part, ts):  # fault injection: some records take longer to process
                    delay = m.headers.get("x-velotui-delay-ms")
                    if delay:
                        time.sleep(int(delay) / 1000)  # the injected slowness itself, not a wait for a condition
                    self._push_batch(entry.push, [m], [t])
                continue
            self._push_batch(entry.push, part, ts)

    def _push_batch(self, push: Callable[[Batch], None], msgs: list[Message], times: list[int]) -> None:
        n = len(msgs)
        idxs = [[i] for i in range(self._index, self._index + n)] if self.state.lineage else None
        self._index += n
        push(Batch([m.value for m in msgs], msgs, times, idxs))  # type: ignore[misc]

    def push(self, source_index: int, msgs: list[Message]) -> None:
        """Push a chunk of one source's records (already in processing order) — the streaming entry."""
        src = self.pipeline.streams[source_index].source
        self.result.records_in += len(msgs)
        msgs, times = self._timed(src, msgs, self.times_of(src, msgs))
        self._push(source_index, msgs, times)

    def push_columns(self, source_index: int, block: RecordColumns, topic: str, first_offset: int) -> bool:
        """Push records held as columns (already in processing order, known to fit the source's schema) —
        the streaming entry for generated records — when the statement's first operator reads columns as
        they are (a fused projection over the fields of ``block``): no dict and no message per record; the
        outputs, dead letters and row errors are those of the same records pushed as the messages ``topic``
        would hold from ``first_offset`` on. False (nothing done) when it does not."""
        entry = self.pipeline.streams[source_index]
        if entry.columns_for is None or self.options.slow_processing or self.state.lineage:
            return False
        times = column_times(entry.source, block)
        push = entry.columns_for(block.names) if times is not None else None
        if push is None or times is None:
            return False
        n = len(block)
        self.result.records_in += n

        def message(i: int) -> Message:
            return block.message(i, topic, first_offset + i)

        for start in range(0, n, CHUNK):
            self._check()
            push(block, start, min(n, start + CHUNK), times, message)
        return True

    def finish(self) -> StatementResult:
        self.pipeline.finish()
        self.sinks.close()
        res = self.result
        for kind, message, m in self.state.errors.entries:
            res.row_errors += 1
            res.dead_letters.append(DeadLetter(statement=self.plan.name, error_type=kind, message=message,
                                               source=m.topic if m else None, offset=m.offset if m else None,
                                               record=m.value if m else None))
        self.state.errors.entries.clear()
        res.dead_letters.extend(self.state.dead_letters)
        res.late_records = self.state.late_records
        res.duration_ms = (time.perf_counter() - self._t0) * 1000
        res.output_chunks = self.outputs
        res.lineage = self.lineage if self.lineage and len(self.lineage) == res.records_out else None
        if self.coverage is not None:
            res.coverage = self.coverage.results(self.options.source_schemas, self.plan)
        return res


def column_times(src: Source, block: RecordColumns) -> list[int] | None:
    """Each record's event time, as ``StatementRun.times_of`` reads it, for records held as columns: the
    message timestamps, or the event-time field's column when every value is an integer of epoch
    milliseconds; None for any other case (those records go as messages)."""
    et = src.event_time
    if not et.field:
        return block.timestamps
    if (et.format or "").strip() not in ("", "epoch_millis") or et.field not in block.names:
        return None
    col = block.columns[block.names.index(et.field)]
    return col if set(map(type, col)) <= {int} else None


def kind_of(declared: str) -> str:
    """A declared type (``int``, ``DECIMAL(10,2)``, ``varchar``) as a schema field kind."""
    t = declared.strip().lower()
    if t.startswith("decimal") or t == "numeric":
        return "decimal"
    return {"int": "integer", "bigint": "integer", "long": "integer", "smallint": "integer", "double": "float",
            "real": "float", "number": "float", "bool": "boolean", "varchar": "string", "text": "string",
            "str": "string", "datetime": "timestamp"}.get(t, t if t in ("integer", "float", "boolean", "timestamp")
                                                          else "string")


def table_state(msgs: list[Message], keyed: bool) -> list[dict]:
    """A table's current rows: the last row per message key (a row without a key is its own row)."""
    if not keyed or all(m.key is None for m in msgs):
        return [m.value for m in msgs if m.value is not None]
    state: dict[Any, dict] = {}
    for m in msgs:
        if m.value is not None:  # a key holding an array or a map is a key as GROUP BY's (values.key_of)
            state[key_of(m.key) if m.key is not None else id(m)] = m.value
    return list(state.values())


def merged_runs(inputs: list[list[Message]], times: list[list[int] | None]
                ) -> Iterator[tuple[int, list[Message], list[int] | None]]:
    """Bounded sources in event-time order: a k-way merge of every (source, partition) sequence by the
    event time of its next record; ties by source order, then partition, then offset. Order within one
    partition is kept, so out-of-order records stay out of order (and can be late). Yields runs of
    consecutive records of one source."""
    nonempty = [si for si, msgs in enumerate(inputs) if msgs]
    # one sequence: its order. A source's records are as the bus reads a topic (``Bus.read_all``: partition
    # by partition, in order) or a file (one partition), so they are all of one partition when the first
    # and the last are: no pass over them
    if len(nonempty) == 1 and inputs[nonempty[0]][0].partition == inputs[nonempty[0]][-1].partition:
        si = nonempty[0]
        yield si, inputs[si], times[si]
        return
    times = [ts if ts is not None else [m.timestamp for m in msgs] for ts, msgs in zip(times, inputs)]
    seqs: list[tuple[int, int, list[int]]] = []  # (source, partition, positions)
    for si, msgs in enumerate(inputs):
        parts: dict[int, list[int]] = {}
        for i, m in enumerate(msgs):
            parts.setdefault(m.partition, []).append(i)
        for p, positions in sorted(parts.items()):
            seqs.append((si, p, positions))
    if not seqs:
        return
    heap: list[tuple[int, int, int, int, int, int]] = []  # (t, source, partition, offset, seq, pos in seq)
    for k, (si, p, positions) in enumerate(seqs):
        i = positions[0]
        heap.append((times[si][i], si, p, inputs[si][i].offset, k, 0))
    heapq.heapify(heap)
    run_si, run_msgs, run_times = -1, [], []  # type: ignore[var-annotated]
    while heap:
        t, si, p, _, k, j = heapq.heappop(heap)
        positions = seqs[k][2]
        i = positions[j]
        if si != run_si and run_msgs:
            yield run_si, run_msgs, run_times
            run_msgs, run_times = [], []
        run_si = si
        run_msgs.append(inputs[si][i])
        run_times.append(t)
        if len(run_msgs) >= CHUNK:
            yield run_si, run_msgs, run_times
            run_msgs, run_times = [], []
        if j + 1 < len(positions):
            n = positions[j + 1]
            heapq.heappush(heap, (times[si][n], si, p, inputs[si][n].offset, k, j + 1))
    if run_msgs:
        yield run_si, run_msgs, run_times


__all__ = ["SinkWriter", "StatementRun", "merged_runs", "real_path", "table_state"]
