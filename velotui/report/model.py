"""The run report: what happened to every app, query and assertion of a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_INFRA = 3
EXIT_TIMEOUT = 4


@dataclass
class QueryReport:
    name: str
    status: str  # passed | failed | skipped | error
    records_in: int
    records_out: int
    duration_ms: float
    assertions: list[Any] = field(default_factory=list)  # velotui.assertions.AssertionResult
    error: str | None = None
    file: str | None = None
    line: int | None = None
    timed_out: bool = False
    infra_error: bool = False  # Kafka (or another service the run needs) failed under the query
    warnings: list[Any] = field(default_factory=list)  # velotui.errors.VelotuiWarning, about this query
    flags: list[Any] = field(default_factory=list)  # velotui.sql.reference.Flag: where the reference differs
    strict_failures: list[str] = field(default_factory=list)  # --strict: the warnings and flags that failed it

    @property
    def open_flags(self) -> list[Any]:
        """Flags the spec did not accept (``accepted_divergences``): these fail the query under --strict."""
        return [f for f in self.flags if not getattr(f, "accepted", False)]

    @property
    def failed_assertions(self) -> list[Any]:
        return [a for a in self.assertions if a.status in ("failed", "error")]


@dataclass
class AppReport:
    name: str
    file: str
    error: str | None = None  # the app could not be loaded (invalid spec, SQL or schema)
    queries: list[QueryReport] = field(default_factory=list)
    warnings: list[Any] = field(default_factory=list)  # velotui.errors.VelotuiWarning about the app's files

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if any(q.status in ("failed", "error") for q in self.queries):
            return "failed"
        return "passed"


@dataclass
class RunReport:
    run_id: str
    seed: int
    started_at: str
    now_ms: int
    duration_ms: float
    reproduce: str
    apps: list[AppReport] = field(default_factory=list)
    strict: bool = False  # --strict: every warning (and every flag not accepted) was an error

    @property
    def summary(self) -> dict[str, int]:
        qs = [q for a in self.apps for q in a.queries]
        return {
            "apps": len(self.apps),
            "queries": len(qs),
            "passed": sum(q.status == "passed" for q in qs),
            "failed": sum(q.status == "failed" for q in qs),
            "skipped": sum(q.status == "skipped" for q in qs),
            "errors": sum(q.status == "error" for q in qs) + sum(1 for a in self.apps if a.error),
            "assertions": sum(len(q.assertions) for q in qs),
            "assertions_failed": sum(len(q.failed_assertions) for q in qs),
            "warnings": sum(len(a.warnings) for a in self.apps) + sum(len(q.warnings) for q in qs)
            + sum(1 for q in qs for a in q.assertions if a.status == "warning"),
            "flags": sum(len(q.flags) for q in qs),
        }

    @property
    def exit_code(self) -> int:
        """0 all passed; 2 an app could not be loaded; 3 the infrastructure failed under a query (or
        before the run: raised then, before a report exists); 4 a query timed out; 1 anything else."""
        if any(a.error for a in self.apps):
            return EXIT_INVALID
        qs = [q for a in self.apps for q in a.queries]
        if any(q.infra_error for q in qs):
            return EXIT_INFRA
        if any(q.timed_out for q in qs):
            return EXIT_TIMEOUT
        if any(q.status in ("failed", "error") for q in qs):
            return EXIT_FAILED
        return EXIT_PASSED
