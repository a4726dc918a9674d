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
    flags: list[Any] = field(default_factory=list)  # velotui.sql.reference.Flag, one per statement and divergence

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
                   allow_outside: list[Path] | None = None, dialect: str | None = None) -> ValidationResult:
    """Check SQL, specs, schemas and configs of every app; one app's error never hides another's.
    Divergence flags are listed per app; under ``strict`` a warning or a flag the spec does not accept is
    an error, as it fails the query in a run."""
    from velotui.core.discovery import suite_warnings
    from velotui.errors import VelotuiWarning

    items: list[ValidationItem] = []
    suite = discover(path)
    # the files a run leaves out (a SQL file whose spec is not found, a spec of no SQL file), as a run says them
    left_out = suite_warnings(suite, orphans=Path(path).is_dir()) if spec_override is None else []
    not_run = {w.file: w for w in left_out}
    for app_files in suite.apps:
        item = ValidationItem(file=str(app_files.sql_path))
        if app_files.spec_path is None and spec_override is None:
            try:  # a SQL file without a spec is still checked as SQL
                from velotui import files
                from velotui.core.loading import sql_problems
                from velotui.core.paths import suite_root
                from velotui.sql import load_app
                from velotui.sql.reference import flags

                with files.confined_to(files.SuiteFolders.of(suite_root(suite.root, app_files), allow_outside)):
                    app = load_app(app_files.sql_path)
                    problems = sql_problems(app, dialect=dialect)
                if problems:
                    problems.sort(key=lambda e: (e.line or 0, e.column or 0))
                    item.error, item.more_errors = problems[0], problems[1:]
                else:
                    item.flags = [f for st in app.statements for f in flags(st, app.path, app)]
                item.warnings.append(not_run.pop(str(app_files.sql_path), None)
                                     or VelotuiWarning("no test spec found: not run", file=app_files.sql_path))
                if strict and item.error is None:
                    item.error = item.warnings[-1].as_error()
            except VelotuiError as e:
                item.error = e
            items.append(item)
            continue
        try:
            loaded = load_app_under_test(app_files, strict=strict, spec_override=spec_override,
                                         extra_schema_dirs=extra_schema_dirs, root=suite.root,
                                         allow_outside=allow_outside, dialect=dialect)
            from velotui.golden import golden_dir

            folder = str(golden_dir(loaded.spec_path, loaded.sql_path.stem))
            golden = [w for w in loaded.warnings if (w.file or "").startswith(folder + "/")]
            item.warnings.extend(w for w in loaded.warnings if w not in golden)  # golden ones: errors here
            seen: set[tuple[str, str]] = set()
            for q in loaded.spec.queries:
                for f in loaded.query_flags(q):
                    if (f.statement, f.id) not in seen:
                        seen.add((f.statement, f.id))
                        item.flags.append(f)
            errors: list[VelotuiError] = list(_check_golden_files(loaded)) + [
                w.as_error("validate refuses a golden file no query is compared with") for w in golden]
            if strict:
                errors += [w.as_error() for w in item.warnings]
                errors += [SpecError(f"{f.statement}: divergence from the reference engine: {f.text}", file=f.file,
                                     line=f.line, column=f.column,
                                     hint=f"rewrite the query, or accept it in the spec: accepted_divergences: "
                                     f"[{f.id}] (divergence flags are errors under --strict)")
                           for f in item.flags if not f.accepted]
            if errors:
                item.error, item.more_errors = errors[0], errors[1:]
        except VelotuiError as e:
            item.error = e
        except Exception as e:  # never let one file stop the others
            item.error = SpecError(f"internal error while validating: {e!r}", file=app_files.sql_path)
        items.append(item)
    for w in not_run.values():  # a spec of no SQL file
        items.append(ValidationItem(file=str(w.file), warnings=[w], error=w.as_error() if strict else None))
    return ValidationResult(items)


def _check_golden_files(loaded: Any) -> list[VelotuiError]:
    """The app's golden files (velotui.golden) read whole: a broken line is reported before a run."""
    from velotui.golden import golden_path, read_golden

    problems: list[VelotuiError] = []
    queries = {q.name for q in loaded.spec.queries}
    for name in sorted(queries):
        path = golden_path(loaded.spec_path, loaded.sql_path.stem, name)
        if path.is_file():
            try:
                read_golden(path)
            except VelotuiError as e:
                problems.append(e)
    # a golden file of no query (or misnamed) is a loading warning (velotui.golden.golden_warnings): an error here
    return problems

