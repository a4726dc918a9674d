"""``velotui validate``: load and check every app of a suite, run nothing, report every problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from velotui.core.discovery import discover
from velotui.core.loading import load_app_under_test
from velotui.errors import SpecError, VelotuiError


@dataclass
class ValidationItem:
    file: str
    error: VelotuiError | None = None  # the first problem
    warnings: list[Any] = field(default_factory=list)
    more_errors: list[VelotuiError] = field(default_factory=list)  # the others of the same app

    @property
    def errors(self) -> list[VelotuiError]:
        return ([self.error] if self.error is not None else []) + self.more_errors


@dataclass
class ValidationResult:
    items: list[ValidationItem]

    @property
    def error_count(self) -> int:
        return sum(1 for i in self.items if i.error is not None)

    @property
    def ok_count(self) -> int:
        return sum(1 for i in self.items if i.error is None)


def validate_suite(path: Path, *, strict: bool = False, spec_override: Path | None = None,
                   extra_schema_dirs: list[Path] | None = None,
                   allow_outside: list[Path] | None = None) -> ValidationResult:
    """Check SQL, specs, schemas and configs of every app; one app's error never hides another's."""
    items: list[ValidationItem] = []
    suite = discover(path)
    for app_files in suite.apps:
        item = ValidationItem(file=str(app_files.sql_path))
        if app_files.spec_path is None and spec_override is None:
            try:  # a SQL file without a spec is still checked as SQL
                from velotui.core.loading import sql_problems
                from velotui.sql import load_app

                problems = sql_problems(load_app(app_files.sql_path))
                if problems:
                    item.error = problems[0]
                item.warnings.append(f"{app_files.sql_path}: no test spec (not run)")
            except VelotuiError as e:
                item.error = e
            items.append(item)
            continue
        try:
            loaded = load_app_under_test(app_files, strict=strict, spec_override=spec_override,
                                         extra_schema_dirs=extra_schema_dirs, root=suite.root,
                                         allow_outside=allow_outside)
            item.warnings.extend(loaded.warnings)
            problems = _check_assertions(loaded)
            if problems:
                item.error, item.more_errors = problems[0], problems[1:]
        except VelotuiError as e:
            item.error = e
        except Exception as e:  # never let one file stop the others
            item.error = SpecError(f"internal error while validating: {e!r}", file=app_files.sql_path)
        items.append(item)
    return ValidationResult(items)


def _check_assertions(loaded: Any) -> list[VelotuiError]:
    """Every assertion of every query: its params, and a template's expression compiled; all problems,
    not just the first."""
    from velotui.assertions import validate_assertion
    from velotui.sandbox import compile_expression

    problems: list[VelotuiError] = []
    specs = [a for q in loaded.spec.queries for a in q.assertions]
    specs += [a for q in loaded.spec.queries for out in getattr(q, "outputs", None) or [] for a in out.assertions]
    for a in specs:
        try:
            validate_assertion(a)
            expression = a.params.get("expression") if a.type == "template" else None
            if isinstance(expression, str) and "{{" not in expression:
                compile_expression(expression)
        except VelotuiError as e:
            if e.file is None:
                e.file, e.line = a.file, a.line
            problems.append(e)
    return problems
