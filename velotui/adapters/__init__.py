"""Engines velotui runs an app on, behind one small interface (in the style of Harlequin's adapters).

core publishes a query's inputs, then hands an ``EngineJob`` (a typed value holding everything an engine
needs: the parsed app, the statement under test, the bus, the run's topic names, the inputs published) to
an ``EngineAdapter`` and gets an ``EngineRun`` back (per statement results, metrics, where file sinks
landed, the engine's log and first error, notes on what velotui did to the app). Then core captures the
sinks from the bus as for every engine. An adapter never sequences the run, never asserts, never reports.

Built in: ``embedded`` (velotui's own engine), ``external`` (a user command deploys the app elsewhere),
``velostream`` (the real ``velo-sql`` binary). Other packages may add engines through the
``velotui.engines`` entry-point group: each entry point names a factory ``(settings) -> EngineAdapter``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from velotui.engine.api import EngineResult
from velotui.errors import SpecError
from velotui.records import Message
from velotui.sql.model import App

BUILT_IN = ("embedded", "external", "velostream")


@dataclass
class EngineJob:
    """One query's run on an engine, as core decided it."""

    app: App
    sql_path: Path
    statement: str  # the statement under test (the engine also runs what it reads)
    bus: Any  # the bus the inputs were published to and the sinks are read from
    cluster: Any = None  # velotui.infra.KafkaCluster when the bus is Kafka
    topic_names: dict[str, str] = field(default_factory=dict)  # logical topic -> the run's topic
    file_paths: dict[str, str] = field(default_factory=dict)  # file sink path as written -> where to write it
    published: dict[str, list[Message]] = field(default_factory=dict)  # external source -> what was published
    properties: dict[str, str] = field(default_factory=dict)  # the spec's `config:` on top of WITH
    now_ms: int = 0
    timeout_s: float | None = None
    run_id: str = ""
    app_name: str = ""
    query_name: str = ""
    work_dir: Path | None = None  # a folder this query may use (staging, logs)
    wants_metrics: bool = False  # the spec checks metrics
    should_stop: Callable[[], bool] = lambda: False  # True once the user pressed Ctrl-C
    log: Callable[..., None] = lambda level, message, extra=None: None  # (level, message, extra) -> a run event
    # embedded engine only
    source_schemas: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)
    schema_checked: set[str] = field(default_factory=set)  # sources whose records are known to fit their schema
    lineage: bool = False
    slow_processing: bool = False
    deploy: str | None = None  # external engine: the deploy command
    coverage: bool = False  # embedded engine: count the statement's coverage items (StatementResult.coverage)


@dataclass
class EngineRun:
    """What an engine left behind for core to capture and report."""

    result: EngineResult
    file_sinks: dict[str, Path] = field(default_factory=dict)  # file sink path as written -> where it landed
    log_file: Path | None = None  # the engine's own log, kept as an artifact of the run
    first_error: str | None = None  # the first error line of that log (not its last lines)
    notes: list[str] = field(default_factory=list)  # what velotui changed or added for this engine
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (stage, start, done, stop)
    metrics_measured: bool = False  # result.metrics are the engine's own (else core computes the app's metrics)
    # what this engine cannot tell velotui, and why: "dead_letters", "metrics" -> the reason. A check that
    # needs it is an error that says so, never a check of an empty list
    unavailable: dict[str, str] = field(default_factory=dict)


class EngineAdapter(Protocol):
    """An engine: ``run`` one job; ``check`` says whether the engine is usable here (for ``health``)."""

    name: str
    needs_kafka: bool  # its inputs must be on a real Kafka cluster

    def check(self) -> dict[str, Any]:
        """``{"ok": bool, "version": str}`` or ``{"ok": False, "hint": str}``."""

    def run(self, job: EngineJob) -> EngineRun:
        """Run the job's statement (and what it reads) to completion; raise VelotuiError subclasses
        (EngineError, RunTimeout, RunCancelled, InfraError) for what went wrong."""


def engine_names() -> list[str]:
    return [*BUILT_IN, *sorted(_plugins())]


def _plugins() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="velotui.engines") if ep.name not in BUILT_IN}


def get_adapter(name: str, settings: Any = None) -> EngineAdapter:
    """The adapter called ``name``; ``settings`` are the run's engine settings (EngineSettings)."""
    from velotui.adapters.settings import EngineSettings

    settings = settings or EngineSettings()
    if name == "embedded":
        from velotui.adapters.embedded import EmbeddedAdapter

        return EmbeddedAdapter()
    if name == "external":
        from velotui.adapters.external import ExternalAdapter

        return ExternalAdapter()
    if name == "velostream":
        from velotui.adapters.velostream import VelostreamAdapter

        return VelostreamAdapter(settings.velostream)
    plugin = _plugins().get(name)
    if plugin is None:
        raise SpecError(f"unknown engine {name!r}", hint="engines: " + ", ".join(engine_names()))
    adapter: EngineAdapter = plugin.load()(settings)
    return adapter


__all__ = ["BUILT_IN", "EngineAdapter", "EngineJob", "EngineRun", "engine_names", "get_adapter"]
