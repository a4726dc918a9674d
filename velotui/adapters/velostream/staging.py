"""Staging an app for ``velo-sql``: a run folder holding the SQL, its configs and data files, rewritten so the
engine reads and writes this run's topics and files.

Everything comes from velotui's own parse: the app model says which statements run, what they read and
write and which config file each source and sink names; the dialect's tokens say where each WITH value
sits (velotui.sql.rewrite). Per deployed statement, velotui

- sets ``'<x>.topic.name'`` in WITH to the run's prefixed topic for every Kafka source and sink (the
  engine lets WITH override a config file), and writes the same name into the staged config;
- writes each config file it names, ``extends:`` chain merged and ``${VAR:default}`` expanded (the
  engine expands variables for its consumers but not for its Kafka producer), with the run's bootstrap
  servers, into ``configs/``, and points ``'<x>.config_file'`` at it;
- replaces ``performance_profile: low_latency`` (about 8-10 records/s) by ``high_throughput``;
- copies the data files of file sources and the schema files of configs into ``data/`` and
  ``schemas/``, and points file sinks into ``sinks/`` (the engine writes them relative to its
  working directory, which is the run folder);
- sets the spec's ``config:`` overrides, and expands ``${VAR:default}`` in WITH values;
- adds the ``-- SQL Application: NAME`` header the engine requires, when the file has none.

The staged SQL is parsed again and every Kafka topic it names must be one of the run's: a rewrite that
did not take is an error, never a run against the wrong topics.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from velotui.errors import SpecError, VelotuiError
from velotui.sql.model import App, SinkRef, SourceRef, Statement
from velotui.sql.rewrite import application_name, needed_statements, rewrite_statement, statement_spans

SLOW_PROFILE = "low_latency"
FAST_PROFILE = "high_throughput"
DLQ_KEYS = ("dlq.topic", "dlq.topic.name")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_UNRESOLVED = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass
class Reader:
    """A Kafka source the engine reads: its name as in FROM/JOIN, its index in the job, the run topic."""

    statement: str
    source: str
    index: int
    topic: str


@dataclass
class StagedApp:
    folder: Path
    sql_file: Path
    app_name: str
    statements: list[str]  # deployed, in file order
    readers: list[Reader] = field(default_factory=list)  # external Kafka sources of the deployed statements
    sink_topics: list[str] = field(default_factory=list)  # run topics of every deployed Kafka sink
    file_sinks: dict[str, Path] = field(default_factory=dict)  # path as written -> where the engine writes it
    dlq_topics: dict[str, str] = field(default_factory=dict)  # statement -> the run's DLQ topic
    notes: list[str] = field(default_factory=list)


def safe_name(text: str) -> str:
    return _SAFE.sub("_", text).strip("_") or "app"


def stage_app(app: App, sql_path: Path, statement: str, folder: Path, *, topic_names: dict[str, str],
              bootstrap: str, properties: dict[str, str] | None = None, app_name: str | None = None,
              dlq_topic: Callable[[str, str], str] | None = None) -> StagedApp:
    """Write the run folder for ``statement`` (and the statements it reads); ``dlq_topic(statement,
    written)`` gives the run topic for a DLQ topic the app names."""
    from velotui import files

    text = files.read_text(sql_path, what="SQL file")
    base = sql_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("configs", "data", "schemas", "sinks"):
        (folder / sub).mkdir(exist_ok=True)
    name = safe_name(app_name or app.name)
    staged = StagedApp(folder=folder, sql_file=folder / f"{name}.sql", app_name=name,
                       statements=needed_statements(app, statement))
    spans = statement_spans(text)
    if len(spans) != len(app.statements) or any(s.name != st.name for s, st in zip(spans, app.statements)):
        raise VelotuiError(f"{sql_path}: the statements read by the tokenizer differ from the parse",
                           hint="this is a velotui bug; please report it with the SQL file")
    stager = _Stager(staged, base, topic_names, bootstrap, dlq_topic)
    chunks: list[str] = []
    for st, span in zip(app.statements, spans):
        if st.name not in staged.statements:
            continue
        changes = stager.statement_changes(st)
        for k, v in (properties or {}).items():
            changes.setdefault(k, str(v))
        chunks.append(rewrite_statement(text, span, changes))
    header = ""
    if application_name(text) is None:
        header = f"-- SQL Application: {name}\n-- (header added by velotui: velo-sql refuses a file without one)\n"
        staged.notes.append(f"velotui added the header '-- SQL Application: {name}' (velo-sql requires one)")
    body = "".join(chunks).lstrip("\n")
    staged.sql_file.write_text(header + body + ("" if body.endswith("\n") else "\n"))
    staged.notes.extend(stager.notes)
    _check_staged(staged, set(topic_names.values()) | set(staged.dlq_topics.values()))
    return staged


class _Stager:
    def __init__(self, staged: StagedApp, base: Path, topic_names: dict[str, str], bootstrap: str,
                 dlq_topic: Callable[[str, str], str] | None) -> None:
        self.staged = staged
        self.base = base
        self.topic_names = topic_names
        self.bootstrap = bootstrap
        self.dlq_topic = dlq_topic
        self.notes: list[str] = []
        self._copied: dict[Path, str] = {}

    def statement_changes(self, st: Statement) -> dict[str, str]:
        from velotui.spec.config import substitute_env

        changes: dict[str, str] = {}
        for k, v in st.properties.items():  # ${VAR:default} in WITH values
            expanded = substitute_env(v)
            if expanded != v:
                changes[k] = expanded
        for index, src in enumerate(st.sources):
            if src.kind == "kafka":
                topic = self._run_topic(src.topic or src.name, st, src.name)
                changes[f"{src.name}.topic.name"] = topic
                self._config(st, src.name, changes, topic=topic)
                self.staged.readers.append(Reader(st.name, src.name, index, topic))
            elif src.kind == "file" and src.path:
                staged = self._copy(src.path, "data", src.name)
                key = f"{src.name}.file.path" if f"{src.name}.file.path" in st.properties else f"{src.name}.path"
                changes[key] = staged
                self._config(st, src.name, changes, path=staged)
        for sink in st.sinks:
            self._sink(st, sink, changes)
        self._other_files(st, changes)
        for key in DLQ_KEYS:
            if key in st.properties and self.dlq_topic is not None:
                topic = self.dlq_topic(st.name, st.properties[key])
                changes[key] = topic
                self.staged.dlq_topics[st.name] = topic
        return changes

    def _other_files(self, st: Statement, changes: dict[str, str]) -> None:
        """Files named in WITH by owners that are neither a FROM/JOIN source nor a sink (a table read by a
        subquery): their config files and data files are staged too."""
        from velotui.spec.config import config_get, load_config_file

        for key, value in st.properties.items():
            if key in changes:
                continue
            owner, _, rest = key.rpartition(".")
            if key.endswith(".config_file"):
                owner = key[: -len(".config_file")]
                cfg = load_config_file(self.base / value)
                path = config_get(cfg, "path") or config_get(cfg, "file.path")
                staged = self._copy(str(path), "data", owner) if path else None
                self._config(st, owner, changes, path=staged)
                if staged is not None and f"{owner}.path" not in st.properties:
                    changes[f"{owner}.path"] = staged
            elif key.endswith((".path", ".file.path")) and f"{owner.removesuffix('.file')}.type" in st.properties \
                    and "sink" not in str(st.properties[f"{owner.removesuffix('.file')}.type"]).lower():
                changes[key] = self._copy(value, "data", owner.removesuffix(".file"))

    def _sink(self, st: Statement, sink: SinkRef, changes: dict[str, str]) -> None:
        if sink.kind == "kafka":
            topic = self._run_topic(sink.topic or st.name, st, sink.name)
            if f"{sink.name}.type" not in st.properties:  # the implicit sink, made explicit
                changes[f"{sink.name}.type"] = "kafka_sink"
            changes[f"{sink.name}.topic.name"] = topic
            self._config(st, sink.name, changes, topic=topic)
            self.staged.sink_topics.append(topic)
            cfg_dlq = _dlq_of(sink.config)
            if cfg_dlq and self.dlq_topic is not None and st.name not in self.staged.dlq_topics:
                self.staged.dlq_topics[st.name] = self.dlq_topic(st.name, cfg_dlq)
        elif sink.path:
            suffix = Path(sink.path).suffix or ".jsonl"
            rel = f"sinks/{safe_name(sink.name)}{suffix}"
            self.staged.file_sinks[sink.path] = self.staged.folder / rel
            key = f"{sink.name}.file.path" if f"{sink.name}.file.path" in st.properties else f"{sink.name}.path"
            changes[key] = rel
            self._config(st, sink.name, changes, path=rel)

    def _run_topic(self, logical: str, st: Statement, owner: str) -> str:
        topic = self.topic_names.get(logical)
        if topic is None:
            raise VelotuiError(f"{st.name}: no run topic for {owner!r} (topic {logical!r})",
                               hint="this is a velotui bug; please report it with the SQL file")
        return topic

    def _config(self, st: Statement, owner: str, changes: dict[str, str], *, topic: str | None = None,
                path: str | None = None) -> None:
        """Stage the config file ``owner`` names (merged, expanded, rewritten) and point WITH at it."""
        from velotui.spec.config import load_config_file

        ref = st.properties.get(f"{owner}.config_file")
        if not ref:
            return
        source = self.base / ref
        cfg = load_config_file(source)
        cfg.pop("extends", None)
        if topic is not None:
            _set_topic(cfg, topic)
            cfg["bootstrap.servers"] = self.bootstrap
            cfg.pop("bootstrap", None)
        if path is not None:
            for key in ("path", "file.path"):
                if key in cfg:
                    cfg[key] = path
            if "file" in cfg and isinstance(cfg["file"], dict) and "path" in cfg["file"]:
                cfg["file"]["path"] = path
        if cfg.get("performance_profile") == SLOW_PROFILE:
            cfg["performance_profile"] = FAST_PROFILE
            self.notes.append(f"{owner}: performance_profile {SLOW_PROFILE} -> {FAST_PROFILE} in the staged copy of "
                              f"{ref} ({SLOW_PROFILE} makes velo-sql emit about 8-10 records/s)")
        for key, value in _schema_files(cfg):
            cfg_set(cfg, key, self._copy(str(value), "schemas", owner))
        left = sorted({m.group(0) for v in _strings(cfg) for m in _UNRESOLVED.finditer(v)})
        if left:
            raise SpecError(f"config {ref}: {', '.join(left)} has no value and no default",
                            file=source, hint="set the variable, or write ${VAR:default}: velo-sql's Kafka producer "
                            "does not expand variables, so the sink would fail")
        rel = f"configs/{safe_name(owner)}.yaml"
        (self.staged.folder / rel).write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
        changes[f"{owner}.config_file"] = rel

    def _copy(self, written: str, sub: str, owner: str) -> str:
        from velotui import files

        # through the path resolver: inside the suite, a regular file (a FIFO or a device is refused)
        src = files.resolve(written, base=self.base, what=f"file {written!r} of {owner}")
        if src in self._copied:
            return self._copied[src]
        rel = f"{sub}/{safe_name(owner)}_{src.name}"
        if src.exists():
            (self.staged.folder / rel).write_bytes(files.read_bytes(src, what=f"file of {owner}",
                                                                    max_bytes=files.MAX_DATA_BYTES))
        self._copied[src] = rel
        return rel


def _set_topic(cfg: dict[str, Any], topic: str) -> None:
    """Name the run's topic wherever the config names one (``topic: {name}``, ``topic: x``, ``topic.name``)."""
    node = cfg.get("topic")
    if isinstance(node, dict):
        node["name"] = topic
    elif isinstance(node, str):
        cfg["topic"] = topic
    if "topic.name" in cfg or not isinstance(node, (dict, str)):
        cfg["topic.name"] = topic


def cfg_set(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` where it is written (dotted or nested)."""
    if dotted in cfg:
        cfg[dotted] = value
        return
    parts = dotted.split(".")
    for i in range(1, len(parts)):
        head, rest = ".".join(parts[:i]), ".".join(parts[i:])
        if isinstance(cfg.get(head), dict):
            cfg_set(cfg[head], rest, value)
            return
    cfg[dotted] = value


def _schema_files(cfg: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for k, v in cfg.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.extend(_schema_files(v, key + "."))
        elif key.endswith("schema.file") and isinstance(v, str) and v:
            out.append((key, v))
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _dlq_of(cfg: dict[str, Any]) -> str | None:
    from velotui.spec.config import config_get

    for key in DLQ_KEYS:
        v = config_get(cfg or {}, key)
        if isinstance(v, str) and v:
            return v
    return None


def _check_staged(staged: StagedApp, run_topics: set[str]) -> None:
    """Parse the staged SQL as the engine will read it: every Kafka topic must be one of the run's, and
    every file it reads (config files, data of file sources) must be in the run folder."""
    from velotui.sql import load_app

    app = load_app(staged.sql_file)
    wrong: list[str] = []
    for st in app.statements:
        for key, value in st.properties.items():
            owner = key.rsplit(".", 1)[0].removesuffix(".file")
            reads = key.endswith(".config_file") or (key.endswith(".path") and "sink" not in str(
                st.properties.get(f"{owner}.type", "")).lower())
            if reads and not (staged.folder / value).resolve().is_relative_to(staged.folder.resolve()):
                wrong.append(f"{st.name}: {key} -> {value} (outside the run folder)")
        refs: list[SourceRef | SinkRef] = [*st.sources, *st.sinks]
        for r in refs:
            if r.kind == "kafka" and r.topic and r.topic not in run_topics:
                wrong.append(f"{st.name}: {r.name} -> {r.topic}")
    if wrong:
        raise VelotuiError("the staged app still names topics or files outside this run: " + "; ".join(wrong),
                           file=staged.sql_file, hint="this is a velotui bug; please report it with the SQL file")
