"""One mutation run started from the TUI (`m`): what it covers, how far it got, what it found so far.

Built from the events of ``velotui.core.mutate.run_mutation`` (``MutationPlanned``, ``MutantFinished``) as
they arrive, then from its ``MutationReport``; the Mutants view and the SQL gutter read it. The UI thread
owns it (the worker posts the events); ``stop`` is the one thing the worker reads (it passes it on to the
child process that runs the mutants)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from velotui.report.mutation import (
    DATA_CANNOT_TELL,
    NOT_RUN,
    SPEC_DOES_NOT_LOOK,
    MutantResult,
    MutationReport,
    QueryMutation,
    score_text,
)
from velotui.tui.widgets.gutter import GutterMark

MARK_OF = {SPEC_DOES_NOT_LOOK: "mutant-spec", DATA_CANNOT_TELL: "mutant-data"}
DIAGNOSIS = {SPEC_DOES_NOT_LOOK: "the spec does not look", DATA_CANNOT_TELL: "the data cannot tell"}


def resolved(path: str | Path) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)


@dataclass
class MutatedApp:
    name: str
    file: str  # the SQL file, as the report names it
    planned: int = 0  # mutants planned
    error: str | None = None  # cannot be mutation-tested (invalid, or its tests fail as they are)
    results: list[MutantResult] = field(default_factory=list)
    changed: bool = False  # its SQL or spec changed since this run (its gutter marks are gone)

    def queries(self) -> list[QueryMutation]:
        """The results so far, per statement, in the order their first mutant came."""
        out: dict[str, QueryMutation] = {}
        for r in sorted(self.results, key=lambda r: _mutant_number(r.id)):
            out.setdefault(r.statement, QueryMutation(r.statement)).mutants.append(r)
        return list(out.values())

    @property
    def counts(self) -> dict[str, int]:
        return QueryMutation(self.name, self.results).counts

    @property
    def score(self) -> float | None:
        return QueryMutation(self.name, self.results).score

    @property
    def survivors(self) -> list[MutantResult]:
        return sort_survivors([r for r in self.results if r.survived])


def _mutant_number(mutant_id: str) -> int:
    digits = "".join(ch for ch in mutant_id if ch.isdigit())
    return int(digits) if digits else 0


def sort_survivors(results: list[MutantResult]) -> list[MutantResult]:
    """The spec-does-not-look ones first (a missing assertion), then the data-cannot-tell ones, each in
    mutant order."""
    return sorted(results, key=lambda r: (r.reason != SPEC_DOES_NOT_LOOK, _mutant_number(r.id)))


def counts_text(counts: dict[str, int]) -> str:
    text = (f"{counts['killed']} killed · {counts[SPEC_DOES_NOT_LOOK]} the spec does not look · "
            f"{counts[DATA_CANNOT_TELL]} the data cannot tell")
    return text + (f" · {counts['not_run']} not run" if counts["not_run"] else "")


@dataclass
class MutationSession:
    path: Path  # what run_mutation was given: an app's SQL file, a folder, the root
    label: str  # what the user picked, in words ("big_orders", "big_orders / big_orders", "every app")
    query: str | None = None
    expected_apps: int = 0  # apps with a spec under ``path`` (planning progress)
    digests: dict[str, str] = field(default_factory=dict)  # resolved SQL file -> digest of its text at the start
    stop: threading.Event = field(default_factory=threading.Event)
    apps: dict[str, MutatedApp] = field(default_factory=dict)  # resolved SQL file -> app
    done: int = 0
    total: int = 0
    state: str = "planning"  # planning | running | done | stopped | failed
    report: MutationReport | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    view_cursor: object = None  # what the Mutants view last highlighted (it reopens there)
    process: Any = None  # velotui.core.mutate.background.MutationProcess, once the worker started it

    @property
    def running(self) -> bool:
        return self.state in ("planning", "running")

    def apply(self, event: Any) -> MutantResult | None:
        """Take in one event of the run; returns the mutant a MutantFinished brought."""
        from velotui.core import events as ev

        if isinstance(event, ev.MutationPlanned):
            app = self.apps.setdefault(resolved(event.file), MutatedApp(event.app, event.file))
            app.planned, app.error = event.mutants, event.error
            return None
        if isinstance(event, ev.MutantFinished):
            self.state = "running"
            app = self.apps.setdefault(resolved(event.file), MutatedApp(event.app, event.file))
            app.results.append(event.result)
            self.done, self.total = event.done, event.total
            return event.result  # type: ignore[no-any-return]
        return None

    def finish(self, report: MutationReport | None, error: str | None = None) -> None:
        """The run is over: the report is the truth (it names every mutant, also those not run)."""
        self.finished = time.monotonic()
        self.error = error
        if report is None:
            self.state = "failed"
            return
        self.report = report
        for a in report.apps:
            app = self.apps.setdefault(resolved(a.file), MutatedApp(a.name, a.file))
            app.name, app.error = a.name, a.error
            app.results = list(a.mutants)
            app.planned = len(a.mutants)
        self.total = len(report.mutants)
        self.done = sum(1 for m in report.mutants if m.status != NOT_RUN or m.reason not in ("cancelled", "budget"))
        self.state = "stopped" if report.cancelled or self.stop.is_set() else "done"

    # -- what the views show ----------------------------------------------------------------------
    def app_for(self, file: str | Path) -> MutatedApp | None:
        return self.apps.get(resolved(file))

    def marks(self, file: str | Path) -> list[GutterMark]:
        """The gutter marks of one SQL file: a mark per surviving mutant, on its line."""
        app = self.app_for(file)
        if app is None or app.changed:
            return []
        if self.report is not None:
            by_line = self.report.survivors_at(file)
            survivors = [m for line in sorted(by_line) for m in by_line[line]]
        else:
            survivors = [r for r in app.results if r.survived and r.line is not None]
        return [GutterMark(MARK_OF[m.reason], m.line, f"{m.id} {DIAGNOSIS[m.reason]}: {m.title}", m.id)
                for m in sort_survivors(survivors) if m.line is not None and m.reason in MARK_OF]

    @property
    def survivor_count(self) -> int:
        return sum(len(a.survivors) for a in self.apps.values())

    def counts(self) -> dict[str, int]:
        return QueryMutation("", [r for a in self.apps.values() for r in a.results]).counts

    def score(self) -> float | None:
        return QueryMutation("", [r for a in self.apps.values() for r in a.results]).score

    def progress_text(self) -> str:
        """One line: where the run is (the status line, the Mutants view's title)."""
        if self.state == "planning":
            return (f"mutation testing {self.label}: running the tests on the original SQL "
                    f"({len(self.apps)} of {self.expected_apps} apps)…")
        if self.state == "running":
            return (f"mutation testing {self.label}: {self.done}/{self.total} mutants, "
                    f"{self.survivor_count} survived so far…")
        if self.state == "failed":
            return f"mutation testing {self.label} failed: {self.error}"
        c = self.counts()
        head = (f"mutation testing {self.label} stopped at {self.done}/{self.total} mutants"
                if self.state == "stopped" else f"mutation testing {self.label} done")
        if not c["mutants"]:
            broken = sum(1 for a in self.apps.values() if a.error)
            return head + (f": no mutants; {broken} app(s) cannot be mutation-tested" if broken else ": no mutants")
        return f"{head}: score {score_text(self.score())} · {counts_text(c)}"
