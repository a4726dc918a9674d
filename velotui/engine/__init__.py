"""The embedded streaming engine (see velotui/engine/api.py for the interface core uses)."""

from __future__ import annotations

from velotui.engine.api import (
    DeadLetter,
    EngineOptions,
    EngineResult,
    MetricSample,
    StatementResult,
)

__all__ = [
    "DeadLetter",
    "EngineOptions",
    "EngineResult",
    "MetricSample",
    "StatementResult",
]

from velotui.engine.runtime import run_app, run_sql

__all__ += ["run_app", "run_sql"]
