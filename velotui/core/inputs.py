"""Prepare a query's inputs: generated, from a data file, from a file source, or from a previous query.

Precedence (FORMATS.md §2): ``from_previous``, then a file ``source_type``, then ``data_file``, then
generation from ``schema``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from velotui.errors import SpecError
from velotui.records import Message, RecordColumns, messages_of

EVENT_TIME_HEADER = "_EVENT_TIME"


@dataclass
class PreparedInput:
    source: str  # the source name as the SQL writes it
    topic: str | None  # logical topic to publish to; None when the engine reads a file itself
    records: list[dict]  # the record values (what `inputs.<source>` shows assertions)
    messages: list[Message] = field(default_factory=list)
    partitions: int = 1
    schema: Any = None  # the data schema the records were generated from
    value_format: str | None = None  # the input's `format:` when it names the topic's serialization
    from_previous: bool = False  # the outputs of an earlier query, not data of its own
    fits_schema: bool = False  # generated, and every record fits ``schema`` (checked column by column)
    # a generated input bigger than one block, not made yet: its run makes it block by block (bounded
    # memory) or whole (``materialize``); ``records`` and ``messages`` stay empty until then
    deferred: Deferred | None = None

    def fresh(self) -> PreparedInput:
        """The same input with new message envelopes: a bus stamps topic and offset on what it publishes, so
        an input run again (mutation testing, shrinking) must not share them with an earlier run."""
        msgs = [Message(value=m.value, key=m.key, headers=dict(m.headers), timestamp=m.timestamp, raw=m.raw)
                for m in self.messages]
        return replace(self, messages=msgs)

    @property
    def count(self) -> int:
        """How many records the input has (a deferred one: will have)."""
        return self.deferred.count if self.deferred is not None else len(self.messages if self.topic else self.records)

    def materialize(self) -> None:
        """Make a deferred input whole: the records and messages of every block, in order."""
        d, self.deferred = self.deferred, None
        if d is not None:
            data = d.generator.generate(d.schema, d.count, time_simulation=d.time_simulation,
                                        null_probability=d.null_probability)
            self.records, self.messages = data.records, generated_messages(data.records, data.timestamps_ms,
                                                                           d.key_field)
            self.fits_schema = data.fits_schema

    def with_messages(self, messages: list[Message]) -> PreparedInput:
        """This input holding only ``messages`` (their values are its records)."""
        return replace(self, messages=list(messages), records=[m.value for m in messages if m.value is not None])


@dataclass
class Deferred:
    """A generated input made when its run asks: block by block (``blocks``), or whole."""

    generator: Any  # velotui.datagen.DataGenerator
    schema: Any
    count: int
    time_simulation: Any = None
    null_probability: float | None = None
    key_field: str | None = None

    def blocks(self) -> Iterator[tuple[list[Message], bool]]:
        """(messages, every record fits the schema) of each block of GENERATION_BLOCK records, in order: the
        records a whole input has, made one block at a time."""
        for data in self.generator.blocks(self.schema, self.count, time_simulation=self.time_simulation,
                                          null_probability=self.null_probability):
            yield generated_messages(data.records, data.timestamps_ms, self.key_field), data.fits_schema


    def column_blocks(self) -> Iterator[tuple[RecordColumns, Callable[[], list[dict]], bool]]:
        """The blocks of ``blocks()`` as columns: (the block's records as columns with their envelopes,
        a function that makes its rows when asked, every record fits the schema). No dict and no message
        is made per record unless asked for."""
        for data in self.generator.blocks(self.schema, self.count, time_simulation=self.time_simulation,
                                          null_probability=self.null_probability):
            headers = _EventTimeHeaders()  # per block, as generated_messages makes them: bounded memory
            keys = None
            if self.key_field:
                keys = data.columns[data.names.index(self.key_field)] if self.key_field in data.names else \
                    [None] * data.count
            block = RecordColumns(data.names, data.columns, data.timestamps_ms,
                                  list(map(headers.__getitem__, data.timestamps_ms)), keys)
            yield block, (lambda data=data: data.records), data.fits_schema  # type: ignore[misc]


class _EventTimeHeaders(dict):  # type: ignore[type-arg]
    """timestamp -> the headers of a message with that event time, made once per timestamp."""

    def __missing__(self, ts: int) -> dict[str, str]:
        headers = self[ts] = {EVENT_TIME_HEADER: str(ts)}
        return headers


def generated_messages(records: list[dict], timestamps: list[int], key_field: str | None) -> list[Message]:
    """Generated records as messages: the key from ``key_field``, the timestamp and its ``_EVENT_TIME``
    header. Messages with the same timestamp share one headers dict (headers are never changed in place:
    whoever adds one makes a new dict), so a million records at the run's "now" make one."""
    headers = _EventTimeHeaders()
    keys = [r.get(key_field) for r in records] if key_field else None
    return messages_of(records, list(map(headers.__getitem__, timestamps)), timestamps, keys)


ENVELOPE_KEYS = ("$ts", "$key")  # data file records may carry their message timestamp and key


def data_file_messages(rows: list[dict], *, ts_field: str | None, key_field: str | None,
                       now_ms: int) -> tuple[list[dict], list[Message]]:
    """Records of a data file as messages. A record's ``$ts`` (epoch ms) and ``$key`` are its envelope, not
    fields (``velotui --shrink`` writes them so a minimal input replays exactly); else the timestamp is
    the event-time field's value, else the run's now, and the key is ``key_field``'s value."""
    records, msgs = [], []
    for r in rows:
        if "$ts" in r or "$key" in r:
            r = dict(r)
            ts = r.pop("$ts", None)
            key = r.pop("$key", None)
        else:
            ts = r.get(ts_field) if ts_field else None
            key = r.get(key_field) if key_field else None
        ts = ts if isinstance(ts, int) and not isinstance(ts, bool) else now_ms
        records.append(r)
        msgs.append(Message(value=r, key=key, headers={EVENT_TIME_HEADER: str(ts)}, timestamp=ts))
    return records, msgs


def _config_get(cfg: dict[str, Any], dotted: str) -> Any:
    if dotted in cfg:
        return cfg[dotted]
    node: Any = cfg
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def app_for_query(app: Any, query: Any) -> Any:
    """The app as one query runs it. An input whose ``source`` is not an external source but a statement of
    the app (velo-test's pipeline idiom: ``source: s1, from_previous: q1`` for a statement that reads s1)
    feeds the statements that read it: in this run they read it as a topic — statement 1's sink topic,
    where the input is published — and statement 1 itself does not run."""
    import dataclasses

    fed = {inp.source for inp in query.inputs if app.statement(inp.source) is not None}
    if not fed:
        return app

    def as_topic(src: Any) -> Any:
        if src.kind != "stream" or src.name not in fed:
            return src
        producer = app.statement(src.name)
        kafka = [k for k in producer.sinks if k.kind == "kafka"]
        topic = (kafka[0].topic if kafka else None) or producer.name
        return dataclasses.replace(src, kind="kafka", topic=topic, format="json", is_table=producer.kind == "table",
                                   config=dict(kafka[0].config) if kafka else {})

    statements = []
    for st in app.statements:
        q = st.query
        joins = [dataclasses.replace(j, source=as_topic(j.source)) for j in q.joins]
        statements.append(dataclasses.replace(st, query=dataclasses.replace(q, source=as_topic(q.source), joins=joins)))
    return dataclasses.replace(app, statements=statements)


class InputBuilder:
    """Builds a query's inputs. ``fixed`` (source → input) replaces what would be built for a source that is
    not ``from_previous`` (mutation testing reuses one query's inputs for every mutant, shrinking tries
    subsets); ``files`` (source → data file, ``--input SOURCE=FILE``) replaces a source's input with a file."""

    def __init__(self, loaded: Any, *, seed: int, now_ms: int, records_override: int | None,
                 previous_outputs: dict[str, list[Message]], app: Any = None,
                 fixed: Mapping[str, PreparedInput] | None = None, files: Mapping[str, Path] | None = None) -> None:
        self.loaded = loaded
        self.app = app if app is not None else loaded.app  # the app as this query runs it (app_for_query)
        self.seed = seed
        self.now_ms = now_ms
        self.records_override = records_override
        self.previous = previous_outputs
        self.fixed = dict(fixed or {})
        self.files = dict(files or {})
        self.files_used: set[str] = set()  # the sources whose input came from ``files``
        self._generator: Any = None
        self._defer = False

    @property
    def generator(self) -> Any:
        if self._generator is None:
            from velotui.datagen import DataGenerator

            self._generator = DataGenerator(self.loaded.schemas, seed=self.seed, now_ms=self.now_ms,
                                            base_dir=self.loaded.spec_path.parent)
        return self._generator

    def prepare(self, query: Any, statement: Any, *, defer: bool = False) -> list[PreparedInput]:
        """The query's inputs; ``defer``: a generated input bigger than one block of generation is not made
        yet (``PreparedInput.deferred``: its run makes it block by block, or whole)."""
        self._defer = defer
        app = self.app
        statement = app.statement(statement.name) or statement
        external = {s.name: s for s in app.external_sources}
        needed = _sources_needed(app, statement)
        prepared: list[PreparedInput] = []
        given: set[str] = set()
        for inp in query.inputs:
            src = external.get(inp.source)
            if src is None:
                raise SpecError(
                    f"input source {inp.source!r} is not a source of {self.loaded.sql_path.name}",
                    file=self.loaded.spec_path, line=getattr(inp, "line", None), column=getattr(inp, "column", None),
                    hint="sources in the SQL: " + (", ".join(sorted(external)) or "(none)"))
            given.add(inp.source)
            if inp.source in self.files:
                one = self._from_data_file(inp.source, src, self.files[inp.source], None)
            elif inp.source in self.fixed and not getattr(inp, "from_previous", None):
                one = self.fixed[inp.source].fresh()
            else:
                one = self._prepare_one(inp, src)
            one.value_format = getattr(inp, "topic_format", None)
            prepared.append(one)
        for name in needed:  # sources the spec does not mention: generate from a schema of that name
            if name in given or name not in external:
                continue
            src = external[name]
            if name in self.files:
                prepared.append(self._from_data_file(name, src, self.files[name], None))
            elif name in self.fixed:
                prepared.append(self.fixed[name].fresh())
            elif src.kind == "file":
                prepared.append(self._from_file_source(src))
            elif name in self.loaded.schemas:
                prepared.append(self._generate(src, None, name))
            else:
                prepared.append(PreparedInput(source=name, topic=src.topic or name, records=[]))
        return prepared

    # -- kinds ------------------------------------------------------------------------------------
    def _prepare_one(self, inp: Any, src: Any) -> PreparedInput:
        prev = getattr(inp, "from_previous", None)
        if prev:
            if prev not in self.previous:
                raise SpecError(f"input {inp.source!r}: from_previous names {prev!r}, which has not run",
                                file=self.loaded.spec_path, line=getattr(inp, "line", None),
                                hint="list the query earlier in the spec or add it to dependencies")
            # a new envelope per consumer (the bus sets topic and offset on it), the record values shared:
            # captured outputs are held once, however many queries read them (nothing mutates a value)
            msgs = [Message(value=m.value, key=m.key, headers=m.headers, timestamp=m.timestamp)
                    for m in self.previous[prev]]
            return PreparedInput(source=inp.source, topic=src.topic or src.name,
                                 records=[m.value for m in msgs if m.value is not None], messages=msgs,
                                 partitions=self._partitions(src), from_previous=True)
        source_type = getattr(inp, "source_type", None)
        if (source_type is not None and getattr(source_type, "type", None) == "file") or src.kind == "file":
            return self._from_file_source(src, source_type, inp)
        data_file = getattr(inp, "data_file", None)
        if data_file:
            return self._from_data_file(inp.source, src, self.loaded.spec_path.parent / data_file,
                                        getattr(inp, "key_field", None), getattr(inp, "file_format", None),
                                        getattr(inp, "schema_name", None), named_in=self.loaded.spec_path,
                                        line=getattr(inp, "line", None))
        schema_name = getattr(inp, "schema_name", None) or inp.source
        return self._generate(src, inp, schema_name if isinstance(schema_name, str) else inp.source)

    def _from_data_file(self, source: str, src: Any, path: Path, key_field: str | None,
                        fmt: str | None = None, schema_name: Any = None, *, named_in: Path | None = None,
                        line: int | None = None) -> PreparedInput:
        """A data file's records; with the input's schema (named, or the source's) a CSV cell reads as its
        field's type and the engine checks each record against the schema (a record that does not fit is
        a dead letter)."""
        from velotui.datagen import load_data_file

        if source in self.files:
            self.files_used.add(source)
        name = schema_name if isinstance(schema_name, str) else source
        schema = self.loaded.schemas.get(name)
        types = {f.name: f.kind for f in schema.fields} if schema is not None else None
        records, msgs = data_file_messages(load_data_file(path, fmt=fmt, types=types, what="data_file",
                                                          named_in=named_in, line=line),
                                           ts_field=self._event_time_field(), key_field=key_field, now_ms=self.now_ms)
        if src.kind == "file":  # the engine reads a file source itself: the file's rows are its records
            return PreparedInput(source=source, topic=None, records=records)
        return PreparedInput(source=source, topic=src.topic or src.name, records=records, messages=msgs,
                             partitions=self._partitions(src), schema=schema)

    def _from_file_source(self, src: Any, source_type: Any = None, inp: Any = None) -> PreparedInput:
        from velotui import files
        from velotui.datagen import load_data_file

        spec_path = getattr(source_type, "path", None)
        path_text = spec_path or src.path
        if not path_text:
            return PreparedInput(source=src.name, topic=None, records=[])
        # relative to the SQL file's folder; an error names the file (and line) that wrote the path
        named_in = self.loaded.spec_path if spec_path else self.loaded.sql_path
        what = "source_type path" if spec_path else f"file source {src.name}"
        path = files.resolve(path_text, base=self.loaded.sql_path.parent, what=what, named_in=named_in,
                             line=getattr(inp, "line", None) if spec_path else src.line)
        fmt = getattr(source_type, "format", None) or (src.format if src.kind == "file" else None)
        rows = load_data_file(path, what=what, named_in=named_in, fmt=fmt, line=getattr(inp, "line", None)
                              if spec_path else src.line) if path.exists() else []
        return PreparedInput(source=src.name, topic=None, records=rows)

    def _generate(self, src: Any, inp: Any, schema_name: str) -> PreparedInput:
        schema = self.loaded.schemas.get(schema_name)
        if schema is None and self.app.data_hints:  # -- @data.<field>.<hint> annotations
            from velotui.core.toolbox import schema_from_hints

            schema = schema_from_hints(schema_name, self.app.data_hints)
            self.loaded.schemas[schema_name] = schema
            self._generator = None
        if schema is None:
            raise SpecError(f"no schema {schema_name!r} for input {src.name!r}",
                            file=self.loaded.spec_path, line=getattr(inp, "line", None),
                            hint=f"add schemas/{schema_name}.schema.yaml, or give the input a data_file")
        count = self.records_override
        if count is None:
            count = getattr(inp, "records", None) if inp is not None else None
        if count is None:
            count = getattr(schema, "record_count", None)
        if count is None:
            count = self.loaded.spec.default_records
        key_field = (getattr(inp, "key_field", None) if inp is not None else None) or schema.key_field
        deferred = Deferred(self.generator, schema, int(count), getattr(inp, "time_simulation", None),
                            getattr(inp, "null_probability", None), key_field)
        prepared = PreparedInput(source=src.name, topic=src.topic or src.name, records=[],
                                 partitions=self._partitions(src), schema=schema, deferred=deferred)
        from velotui.datagen.generator import GENERATION_BLOCK

        if not (self._defer and deferred.count > GENERATION_BLOCK):
            prepared.materialize()
        return prepared

    def _partitions(self, src: Any) -> int:
        n = _config_get(src.config or {}, "topic.partitions")
        try:
            return max(1, int(n)) if n is not None else 1
        except (TypeError, ValueError):
            return 1

    def _event_time_field(self) -> str | None:
        for st in self.app.statements:
            f = st.properties.get("event.time.field")
            if f:
                return f
        return None


def _sources_needed(app: Any, statement: Any) -> list[str]:
    """External sources the statement reads, directly or through the statements it reads from."""
    by_name = {s.name: s for s in app.statements}
    out: list[str] = []
    seen: set[str] = set()

    def visit(st: Any) -> None:
        if st.name in seen:
            return
        seen.add(st.name)
        for src in st.sources:
            if src.kind == "stream" and src.name in by_name:
                visit(by_name[src.name])
            elif src.name not in out:
                out.append(src.name)

    visit(statement)
    return out
