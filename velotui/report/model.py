"""The run report: what happened to every app, query and assertion of a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_INFRA = 3
EXIT_TIMEOUT = 4
EXIT_INTERRUPTED = 130


@dataclass
class MinimalInput:
    """What ``--shrink`` found for a failed query: a smallest input that still fails the same assertion the
    same way (docs/QUALITY.md), or why shrinking does not apply to that failure."""

    assertion: str  # the failure shrunk: "field_values at spec.test.yaml:12"
    applies: bool
    reason: str = ""  # why it does not apply, or how the search ended
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # source -> (records before, after)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # source -> the minimal records
    files: dict[str, str] = field(default_factory=dict)  # source -> the .min.jsonl written
    command: str = ""  # reproduces the failure with the files
    reproduced: bool | None = None  # the command was run once and failed the same way
    simplified: int = 0  # field values simplified toward defaults
    tests: int = 0  # runs it took
    duration_ms: float = 0.0
    stopped_early: bool = False  # the time or run budget ran out: smaller, not smallest


@dataclass
class Comparison:
    """``--compare A,B``: B's run of the same query on the same inputs, and how its records differ from A's."""

    engines: tuple[str, str]
    verdict: str  # same | explained | unexplained | error (the second engine failed)
    flags: list[str] = field(default_factory=list)  # the flag ids that explain the difference
    flag_notes: list[str] = field(default_factory=list)  # "Dn: what the reference does"
    ordered: bool = False  # compared position by position (the query has ORDER BY), else as a multiset
    counts: tuple[int, int] = (0, 0)  # records of A, of B
    first_difference: int | None = None  # ordered: the first position that differs
    only_left: list[Any] = field(default_factory=list)  # the first records only A emitted (ordered: A's from there)
    only_right: list[Any] = field(default_factory=list)  # the first records only B emitted
    missing_left: int = 0  # how many records B has that A lacks (multiset)
    missing_right: int = 0  # how many records A has that B lacks
    other: QueryReport | None = None  # B's report of the query (status, assertions, error)

    @property
    def label(self) -> str:
        if self.verdict == "same":
            return "same"
        if self.verdict == "error":
            return f"not compared: {self.engines[1]} failed"
        if self.verdict == "explained":
            return "differs, explained by flag " + ", ".join(self.flags)
        return "differs, unexplained"


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
    invalid_input: bool = False  # a file or value the suite gives could not be used (bad data file lines…)
    engine: str = "embedded"  # the engine that ran it (docs/ENGINES.md)
    engine_log: str | None = None  # the engine's own log, kept as an artifact (velostream)
    engine_error: str | None = None  # the first error line of that log
    notes: list[str] = field(default_factory=list)  # what velotui changed or added for the engine
    comparison: Comparison | None = None  # --compare: the second engine's run and the record diff
    warnings: list[Any] = field(default_factory=list)  # velotui.errors.VelotuiWarning, about this query
    flags: list[Any] = field(default_factory=list)  # velotui.sql.reference.Flag: where the reference differs
    strict_failures: list[str] = field(default_factory=list)  # --strict: the warnings and flags that failed it
    minimal_input: MinimalInput | None = None  # --shrink
    coverage: Any = None  # --coverage: velotui.report.coverage.QueryCoverage

    @property
    def open_flags(self) -> list[Any]:
        """Flags the spec did not accept (``accepted_divergences``): these fail the query under --strict."""
        return [f for f in self.flags if not getattr(f, "accepted", False)]

    @property
    def failed_assertions(self) -> list[Any]:
        return [a for a in self.assertions if a.status in ("failed", "error")]

    @property
    def warning_texts(self) -> list[str]:
        """Every warning of the query, one line each: its spec's and run's (``warnings``), then each assertion
        of severity warning that did not hold. What every format shows, the summary counts and --strict fails."""
        return [str(w) for w in self.warnings] + [assertion_warning(a) for a in self.assertions
                                                  if a.status == "warning"]


def assertion_warning(a: Any) -> str:
    """An assertion of severity warning that did not hold, as one warning: ``type: message (file:line)``."""
    where = f"{a.file}:{a.line}" if a.line else (a.file or "")
    return f"{a.type}: {a.message}" + (f" ({where})" if where else "")


@dataclass
class AppReport:
    name: str
    file: str
    error: str | None = None  # the app could not be loaded (invalid spec, SQL or schema)
    queries: list[QueryReport] = field(default_factory=list)
    duration_ms: float = 0.0  # wall time of the whole app: load, generate, publish, run, capture, assert
    warnings: list[Any] = field(default_factory=list)  # velotui.errors.VelotuiWarning about the app's files

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if any(q.status in ("failed", "error") for q in self.queries):
            return "failed"
        return "passed"


def distinct_tails(files: list[str]) -> list[str]:
    """The fewest trailing parts of each path that no other path of ``files`` ends with (``a/p.sql``,
    ``b/p.sql``): how the reports tell apart apps of one name."""
    parts = [tuple(f.replace("\\", "/").split("/")) for f in files]
    out = []
    for i, p in enumerate(parts):
        n = 1
        while n < len(p) and any(q[-n:] == p[-n:] for j, q in enumerate(parts) if j != i):
            n += 1
        out.append("/".join(p[-n:]))
    return out


def app_labels(apps: list[AppReport]) -> list[str]:
    """Each app's name in the reports: its name, qualified by its file when another app of the run has the
    same name (``orders (a/orders.sql)``), so that a CI dashboard never merges two apps' test cases."""
    labels = [a.name for a in apps]
    groups: dict[str, list[int]] = {}
    for i, a in enumerate(apps):
        groups.setdefault(a.name, []).append(i)
    for name, idx in groups.items():
        if len(idx) > 1:
            for i, tail in zip(idx, distinct_tails([apps[i].file for i in idx]), strict=True):
                labels[i] = f"{name} ({tail})"
    return labels


def name_clash_warnings(apps: list[AppReport]) -> dict[int, Any]:
    """A warning for each app whose name another app of the run has (index of the app -> warning). Two
    specs saying one ``application:`` is most likely a spec copied and not renamed."""
    from velotui.errors import VelotuiWarning

    labels = app_labels(apps)
    out: dict[int, Any] = {}
    for i, a in enumerate(apps):
        if labels[i] == a.name:
            continue
        others = [apps[j].file for j in range(len(apps)) if j != i and apps[j].name == a.name]
        out[i] = VelotuiWarning(
            f"app name {a.name!r} is also the name of {', '.join(others)}: the reports call this app "
            f"{labels[i]!r}", file=a.file,
            hint="give each app its own name: the spec's 'application:', or the SQL file's name")
    return out


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
    # files of the folder the run left out (velotui.core.discovery.suite_warnings): a SQL file whose spec
    # is not found, a spec of no SQL file; every format shows them, and --strict fails the run on them
    warnings: list[Any] = field(default_factory=list)
    # the run ended without a verdict of its own queries: nothing ran, or an error stopped it (Kafka not
    # reachable, a --input no query reads, a velotui bug); ``error_code`` is then the exit code. Every format
    # says it (text: a ✗ line; JSON: "error"; JUnit: a "velotui run" testcase in error)
    error: str | None = None
    error_code: int = EXIT_INVALID
    interrupted: bool = False  # Ctrl-C: what had not run yet is not in the report (exit 130, in every format)
    # --fail-fast: the files of the apps after the one that stopped the run (in run order), not run; every
    # format lists them (text: a line each; JSON: "not_run"; JUnit: a skipped testcase each, with the reason)
    not_run: list[str] = field(default_factory=list)
    stopped_by: str | None = None  # --fail-fast: the file of the app whose failure stopped the run

    @property
    def not_run_reason(self) -> str:
        return f"not run: --fail-fast stopped the run after {self.stopped_by} failed"

    @property
    def run_errors(self) -> list[tuple[str, str]]:
        """(kind, text) of what went wrong with the run itself, not with an app: each is an error of the
        summary and a testcase of JUnit."""
        out = [("RunError", self.error)] if self.error else []
        if self.strict:  # --strict: two apps of one name fail the run, as the other warnings do
            out += [("StrictWarning", f"--strict: warning: {w}") for w in self.name_clashes.values()]
        if self.interrupted:
            out.append(("Interrupted", "interrupted (Ctrl-C): the apps and queries it had not reached are not in "
                                       "this report"))
        return out

    @property
    def app_labels(self) -> list[str]:
        """The apps' names in every report format (``app_labels``): two apps of one name are qualified by file."""
        return app_labels(self.apps)

    @property
    def name_clashes(self) -> dict[int, Any]:
        """Apps another app of the run shares its name with (index -> warning): said in every format."""
        return name_clash_warnings(self.apps)

    @property
    def summary(self) -> dict[str, int]:
        qs = [q for a in self.apps for q in a.queries]
        return {
            "apps": len(self.apps),
            "queries": len(qs),
            "passed": sum(q.status == "passed" for q in qs),
            "failed": sum(q.status == "failed" for q in qs),
            "skipped": sum(q.status == "skipped" for q in qs),
            "errors": sum(q.status == "error" for q in qs) + sum(1 for a in self.apps if a.error)
            + len(self.run_errors),
            "assertions": sum(len(q.assertions) for q in qs),
            "assertions_failed": sum(len(q.failed_assertions) for q in qs),
            "warnings": len(self.warnings) + sum(len(a.warnings) for a in self.apps)
            + sum(len(q.warning_texts) for q in qs) + len(self.name_clashes),
            "flags": sum(len(q.flags) for q in qs),
            # the files the run left out (``warnings``): JUnit's "files not run" testcases, skipped (failed
            # under --strict); so JUnit's tests are queries + apps not loaded + files_not_run + run errors
            "files_not_run": len(self.warnings),
            "apps_not_run": len(self.not_run),  # --fail-fast: JUnit's skipped "not run" testcases
        }

    @property
    def exit_code(self) -> int:
        """0 all passed; 2 an app could not be loaded or a query's input is invalid (docs/CLI.md); 3 the
        infrastructure failed under a query (or before the run: raised then, before a report exists); 4 a
        query timed out; 1 anything else. Before all of these: 130 when interrupted, and the run's own error
        (``error_code``) when it has one."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.error:
            return self.error_code
        qs = [q for a in self.apps for q in a.queries]
        if any(a.error for a in self.apps) or any(q.invalid_input for q in qs) or (
                self.strict and (self.warnings or self.name_clashes)):
            return EXIT_INVALID
        if any(q.infra_error for q in qs):
            return EXIT_INFRA
        if any(q.timed_out for q in qs):
            return EXIT_TIMEOUT
        if any(q.status in ("failed", "error") for q in qs):
            return EXIT_FAILED
        return EXIT_PASSED
