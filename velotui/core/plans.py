"""The plan of an app (``velotui explain-plan``): its SQL checked as every run checks it, then planned with
its spec's ``config:`` overrides when it has a spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from velotui.errors import SqlError


def app_plan(sql_path: Path, *, spec: Path | None = None, dialect: str | None = None) -> Any:
    """The engine's plan of the app in ``sql_path`` (a velotui.engine.AppPlan); raises the first problem."""
    from velotui.core.loading import SqlProblems, sql_problems
    from velotui.engine import plan_app
    from velotui.sql import load_app

    if not sql_path.exists():
        raise SqlError("no such file", file=sql_path, hint="give the path of the app's .sql file")
    if sql_path.suffix != ".sql" or not sql_path.is_file():
        raise SqlError("not a .sql file", file=sql_path, hint="give the app's SQL file")
    overrides: dict[str, str] = {}
    spec_path = spec or sql_path.with_suffix(".test.yaml")
    if spec_path.is_file():
        from velotui.spec import load_test_spec

        overrides = {str(k): str(v) for k, v in (load_test_spec(spec_path).config or {}).items()}
    app = load_app(sql_path)
    problems = sql_problems(app, overrides, dialect)
    if problems:
        raise problems[0] if len(problems) == 1 else SqlProblems(problems)
    return plan_app(app, overrides)
