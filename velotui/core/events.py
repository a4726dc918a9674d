"""Events a run emits. The TUI and the headless CLI are two renderers of this one stream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from velotui.records import Message


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class RunStarted(Event):
    run_id: str
    seed: int
    now_ms: int
    apps: tuple[str, ...]  # SQL file paths, in run order


@dataclass(frozen=True)
class AppLoaded(Event):
    app: str  # app name
    file: str
    queries: tuple[str, ...]
    error: str | None = None  # load/validation error message (the app is reported as ERROR)
    warnings: tuple[str, ...] = ()  # warnings about the app's files (file:line:col: message)


@dataclass(frozen=True)
class TopicCreated(Event):
    app: str
    topic: str
    role: str  # "source" | "sink"


@dataclass(frozen=True)
class RecordsPublished(Event):
    app: str
    source: str
    topic: str
    count: int


@dataclass(frozen=True)
class RecordCaptured(Event):
    """Records published to or captured from a topic (renderers keep what they need: the tail keeps the
    last N per topic)."""

    app: str
    topic: str
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class QueryFinished(Event):
    app: str
    query: str
    status: str  # passed | failed | skipped | error
    records_in: int
    records_out: int
    duration_ms: float
    file: str = ""  # the SQL file of the app
    topics: tuple[str, ...] = ()  # the sink topics captured for this query
    error: str | None = None
    warnings: tuple[str, ...] = ()  # the query's warnings (file:line:col: message)
    flags: tuple[str, ...] = ()  # divergence flags: where the reference engine computes something else


@dataclass(frozen=True)
class AssertionEvaluated(Event):
    app: str
    query: str
    result: Any  # velotui.assertions.AssertionResult
    file: str = ""  # the SQL file of the app: what tells apart two apps of one name (velotui.core.run.app_key)


@dataclass(frozen=True)
class RunFinished(Event):
    report: Any  # velotui.report.RunReport
    exit_code: int


@dataclass(frozen=True)
class Progress(Event):
    app: str
    step: str  # generate | publish | run | capture | assert
    done: int
    total: int


@dataclass(frozen=True)
class Log(Event):
    level: str  # info | warning | error
    message: str
    app: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class MutationPlanned(Event):
    """``velotui mutate``: an app's tests passed on the original SQL and its mutants are ready (or the app
    cannot be mutation-tested: ``error``)."""

    app: str
    file: str
    mutants: int
    error: str | None = None


@dataclass(frozen=True)
class MutantFinished(Event):
    app: str
    file: str
    result: Any  # velotui.report.mutation.MutantResult
    done: int  # mutants finished so far, over every app
    total: int
