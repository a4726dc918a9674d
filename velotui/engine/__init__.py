"""The embedded streaming engine: plan (engine/plan/) → operators (engine/operators/) → driver
(engine/driver.py). The interface core uses is velotui/engine/api.py plus the functions below."""

from __future__ import annotations

from velotui.engine.api import (
    DeadLetter,
    EngineOptions,
    EngineResult,
    MetricSample,
    StatementResult,
)
from velotui.engine.plan import AppPlan, explain_text, plan_app, plan_problems
from velotui.engine.runtime import Stepper, run_app, run_sql
from velotui.engine.windows import window_for

__all__ = [
    "AppPlan",
    "DeadLetter",
    "EngineOptions",
    "EngineResult",
    "MetricSample",
    "StatementResult",
    "Stepper",
    "explain_text",
    "plan_app",
    "plan_problems",
    "run_app",
    "run_sql",
    "window_for",
]
