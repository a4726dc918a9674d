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
    error: VelotuiError | None = None
    warnings: list[Any] = field(default_factory=list)


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
                from velotui.sql import load_app, validate

                problems = validate(load_app(app_files.sql_path)) or []
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
            _check_assertions(loaded)
        except VelotuiError as e:
            item.error = e
        except Exception as e:  # never let one file stop the others
            item.error = SpecError(f"internal error while validating: {e!r}", file=app_files.sql_path)
        items.append(item)
    return ValidationResult(items)


def _check_assertions(loaded: Any) -> None:
    from velotui.assertions import validate_assertion

    for q in loaded.spec.queries:
        for a in q.assertions:
            validate_assertion(a)
        for out in getattr(q, "outputs", None) or []:
            for a in out.assertions:
                validate_assertion(a)
