"""The mutation report (``velotui mutate``): per app and query, the mutants and what became of them; text,
JSON and JUnit writers.

A mutant is *killed* when an assertion fails on it, or when velotui refuses or cannot run it. A
*survivor* passes every assertion and is one of two kinds: **the spec does not look** (its output differs
from the original's: an assertion is missing) or **the data cannot tell** (its output is the same, record
for record, on these inputs: better data is the cure, not a better spec). The score is killed over
killed + the-spec-does-not-look; the-data-cannot-tell is counted apart.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape

KILLED, SURVIVED, NOT_RUN = "killed", "survived", "not_run"
SPEC_DOES_NOT_LOOK, DATA_CANNOT_TELL = "spec_does_not_look", "data_cannot_tell"


@dataclass
class Difference:
    """The first place where a survivor's output differs from the original's."""

    query: str
    index: int  # position in the query's captured output (or in its dead letters)
    what: str  # "value" | "missing" | "extra" | "dead_letters"
    field: str | None = None  # the first field whose value differs ("value")
    original: Any = None  # the original's record there (None: it has none)
    mutant: Any = None  # the mutant's record there (None: it has none)
    original_count: int = 0
    mutant_count: int = 0

    def describe(self) -> str:
        if self.what == "dead_letters":
            return (f"`{self.query}` sends {self.mutant_count} records to the dead-letter list instead of "
                    f"{self.original_count}")
        if self.what == "missing":
            return (f"`{self.query}` emits {self.mutant_count} records instead of {self.original_count}: "
                    f"record {self.index + 1} ({_short(self.original)}) is missing")
        if self.what == "extra":
            return (f"`{self.query}` emits {self.mutant_count} records instead of {self.original_count}: "
                    f"an extra record {self.index + 1} ({_short(self.mutant)})")
        if self.field is not None:
            a = (self.original or {}).get(self.field) if isinstance(self.original, dict) else None
            b = (self.mutant or {}).get(self.field) if isinstance(self.mutant, dict) else None
            return f"`{self.query}` record {self.index + 1}: `{self.field}` is {_short(b)} instead of {_short(a)}"
        return f"`{self.query}` record {self.index + 1} differs: {_short(self.mutant)} instead of {_short(self.original)}"


@dataclass
class MutantResult:
    id: str  # M1, M2, … per app, in generation order
    statement: str  # the query (CREATE STREAM/TABLE) whose SQL was changed
    operator: str
    title: str  # "`amount > 100` → `amount >= 100`"
    line: int | None
    column: int | None
    diff: str  # the statement, original vs mutant
    status: str  # killed | survived | not_run
    # killed: assertion | refused | timeout; survived: spec_does_not_look | data_cannot_tell;
    # not_run: budget | cancelled | engine_error | internal_error (velotui bugs, never counted as kills)
    reason: str
    detail: str = ""  # what killed it, or why it was not run
    killed_by: list[str] = field(default_factory=list)  # the failed assertions ("query: type at file:line")
    difference: Difference | None = None
    suggestion: str | None = None  # YAML of an assertion checked to pass on the original and fail on the mutant
    hint: str = ""  # for a survivor: what no assertion looks at, or what the data never reaches
    duration_ms: float = 0.0

    @property
    def survived(self) -> bool:
        return self.status == SURVIVED


@dataclass
class QueryMutation:
    """The mutants of one statement (the query of that name in the spec)."""

    name: str
    mutants: list[MutantResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return _counts(self.mutants)

    @property
    def score(self) -> float | None:
        return _score(self.counts)


@dataclass
class AppMutation:
    name: str
    file: str
    error: str | None = None  # the app could not be mutation-tested (invalid, or its tests fail as they are)
    error_kind: str | None = None  # "invalid" (exit 2) | "failing" | "round_trip" (exit 1)
    queries: list[QueryMutation] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def mutants(self) -> list[MutantResult]:
        return [m for q in self.queries for m in q.mutants]

    @property
    def counts(self) -> dict[str, int]:
        return _counts(self.mutants)

    @property
    def score(self) -> float | None:
        return _score(self.counts)


@dataclass
class MutationReport:
    seed: int
    now_ms: int
    started_at: str
    duration_ms: float
    reproduce: str
    jobs: int = 1
    budget_s: float | None = None
    budget_exhausted: bool = False
    cancelled: bool = False  # stopped before the end (the TUI's cancel): the mutants left are not run
    operators: list[str] = field(default_factory=list)
    apps: list[AppMutation] = field(default_factory=list)

    @property
    def mutants(self) -> list[MutantResult]:
        return [m for a in self.apps for m in a.mutants]

    @property
    def counts(self) -> dict[str, int]:
        return _counts(self.mutants)

    @property
    def score(self) -> float | None:
        return _score(self.counts)

    def survivors_at(self, sql_file: str | Path) -> dict[int, list[MutantResult]]:
        """Surviving mutants of one SQL file by line (for a gutter beside the SQL)."""
        out: dict[int, list[MutantResult]] = {}
        target = Path(sql_file).resolve()
        for app in self.apps:
            if Path(app.file).resolve() != target:
                continue
            for m in app.mutants:
                if m.survived and m.line is not None:
                    out.setdefault(m.line, []).append(m)
        return out

    def exit_code(self, min_score: float | None = None) -> int:
        """2 an app could not be loaded; 1 an app's tests fail as they are, or the score is below
        ``min_score`` (percent); else 0."""
        if any(a.error_kind == "invalid" for a in self.apps):
            return 2
        if any(a.error for a in self.apps):
            return 1
        score = self.score
        if min_score is not None and score is not None and score * 100 < min_score - 1e-9:
            return 1
        return 0


def _counts(mutants: list[MutantResult]) -> dict[str, int]:
    return {
        "mutants": len(mutants),
        "killed": sum(m.status == KILLED for m in mutants),
        "refused": sum(m.status == KILLED and m.reason == "refused" for m in mutants),
        "survived": sum(m.status == SURVIVED for m in mutants),
        SPEC_DOES_NOT_LOOK: sum(m.reason == SPEC_DOES_NOT_LOOK for m in mutants),
        DATA_CANNOT_TELL: sum(m.reason == DATA_CANNOT_TELL for m in mutants),
        "not_run": sum(m.status == NOT_RUN for m in mutants),
    }


def _score(c: dict[str, int]) -> float | None:
    den = c["killed"] + c[SPEC_DOES_NOT_LOOK]
    return c["killed"] / den if den else None


def _short(v: Any, width: int = 160) -> str:
    text = orjson.dumps(v, default=str).decode() if isinstance(v, (dict, list, str)) else str(v)
    return text if len(text) <= width else text[: width - 1] + "…"


def score_text(score: float | None) -> str:
    return "n/a" if score is None else f"{score * 100:.1f}%"


# -- text ----------------------------------------------------------------------------------------------
def render_mutation_text(report: MutationReport, console: Console) -> None:
    for app in report.apps:
        if app.error:
            console.print(f"[red]ERROR[/] {escape(app.name)}  {escape(app.file)}: {escape(app.error)}")
            continue
        if not app.queries:
            console.print(f"[dim]{score_text(None):>6} {escape(app.name)}  no mutants: no operator applies to its "
                          "SQL[/]")
        for q in app.queries:
            c = q.counts
            colour = "green" if c[SPEC_DOES_NOT_LOOK] == 0 else "red"
            console.print(f"[{colour}]{score_text(q.score):>6}[/] {escape(app.name)} / {escape(q.name)}  "
                          f"{c['mutants']} mutants: {c['killed']} killed, {c[SPEC_DOES_NOT_LOOK]} the spec does "
                          f"not look, {c[DATA_CANNOT_TELL]} the data cannot tell"
                          + (f", {c['not_run']} not run" if c["not_run"] else ""))
    survivors = [(a, m) for a in report.apps for m in a.mutants if m.survived]
    for kind, title in ((SPEC_DOES_NOT_LOOK, "the spec does not look"), (DATA_CANNOT_TELL, "the data cannot tell")):
        shown = [(a, m) for a, m in survivors if m.reason == kind]
        if not shown:
            continue
        console.print()
        console.rule(f"[{'red' if kind == SPEC_DOES_NOT_LOOK else 'yellow'}]survivors: {title}[/] ({len(shown)})",
                     align="left")
        for app, m in shown:
            where = f"{app.file}:{m.line}:{m.column}" if m.line else app.file
            console.print(f"[bold]{m.id}[/] {escape(app.name)} / {escape(m.statement)}  {m.operator}: "
                          f"{escape(m.title)}  [dim]{escape(where)}[/]")
            for line in m.diff.splitlines():
                style = "red" if line.startswith("-") else "green" if line.startswith("+") else "dim"
                console.print(f"    {escape(line)}", style=style, highlight=False)
            if m.difference is not None:
                console.print(f"    first difference: {escape(m.difference.describe())}")
            if m.hint:
                console.print(f"    hint: {escape(m.hint)}")
            if m.suggestion:
                console.print("    an assertion that kills it:")
                for line in m.suggestion.splitlines():
                    console.print(f"      {escape(line)}", style="cyan", highlight=False)
    not_run = [m for m in report.mutants if m.status == NOT_RUN]
    broken = [(a, m) for a in report.apps for m in a.mutants
              if m.status == NOT_RUN and m.reason not in ("budget", "cancelled")]
    if broken:
        console.print()
        console.rule(f"[red]mutants velotui could not run[/] ({len(broken)})", align="left")
        for app, m in broken:
            console.print(f"[bold]{m.id}[/] {escape(app.name)} / {escape(m.statement)}  {m.operator}: "
                          f"{escape(m.title)}: {escape(m.detail.splitlines()[0] if m.detail else m.reason)}")
    c = report.counts
    console.print()
    console.print(f"mutation score {score_text(report.score)}: {c['killed']} killed ({c['refused']} refused), "
                  f"{c[SPEC_DOES_NOT_LOOK]} the spec does not look, {c[DATA_CANNOT_TELL]} the data cannot tell"
                  + (f", {len(not_run)} not run" if not_run else "")
                  + (f" (budget of {report.budget_s:g} s used up)" if report.budget_exhausted else "")
                  + (" (cancelled)" if report.cancelled else "")
                  + f" · {c['mutants']} mutants", highlight=False)
    console.print(f"seed {report.seed} · {report.duration_ms / 1000:.2f} s · -j {report.jobs}", highlight=False)
    console.print(f"reproduce: {escape(report.reproduce)}", highlight=False)


# -- JSON ----------------------------------------------------------------------------------------------
def mutation_dict(report: MutationReport) -> dict[str, Any]:
    def mutant(m: MutantResult) -> dict[str, Any]:
        d = m.difference
        return {
            "id": m.id, "statement": m.statement, "operator": m.operator, "title": m.title, "line": m.line,
            "column": m.column, "diff": m.diff, "status": m.status, "reason": m.reason, "detail": m.detail,
            "killed_by": m.killed_by, "hint": m.hint, "suggestion": m.suggestion,
            "difference": None if d is None else {
                "query": d.query, "index": d.index, "what": d.what, "field": d.field, "original": d.original,
                "mutant": d.mutant, "original_count": d.original_count, "mutant_count": d.mutant_count,
                "text": d.describe()},
            "duration_ms": round(m.duration_ms, 3),
        }

    return {
        "version": 1,
        "kind": "mutation",
        "seed": report.seed,
        "now_ms": report.now_ms,
        "started_at": report.started_at,
        "duration_ms": round(report.duration_ms, 3),
        "jobs": report.jobs,
        "budget_s": report.budget_s,
        "budget_exhausted": report.budget_exhausted,
        "cancelled": report.cancelled,
        "operators": report.operators,
        "reproduce": report.reproduce,
        "apps": [{
            "name": a.name, "file": a.file, "error": a.error, "error_kind": a.error_kind, "score": a.score,
            "counts": a.counts,
            "queries": [{"name": q.name, "score": q.score, "counts": q.counts,
                         "mutants": [mutant(m) for m in q.mutants]} for q in a.queries],
        } for a in report.apps],
        "summary": {**report.counts, "score": report.score},
    }


def mutation_json(report: MutationReport) -> bytes:
    return orjson.dumps(mutation_dict(report), default=str, option=orjson.OPT_INDENT_2)


# -- JUnit ---------------------------------------------------------------------------------------------
def mutation_junit(report: MutationReport) -> ET.Element:
    """A testsuite per app, a testcase per mutant: killed passes, the-spec-does-not-look fails,
    the-data-cannot-tell and not-run are skipped (with the reason)."""
    from velotui.report.writers import _xml_text

    root = ET.Element("testsuites", name="velotui mutate", time=f"{report.duration_ms / 1000:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for app in report.apps:
        suite = ET.SubElement(root, "testsuite", name=_xml_text(f"mutate {app.name}"), file=_xml_text(app.file))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="seed", value=str(report.seed))
        ET.SubElement(props, "property", name="score", value=score_text(app.score))
        ET.SubElement(props, "property", name="reproduce", value=_xml_text(report.reproduce))
        if app.error:
            case = ET.SubElement(suite, "testcase", classname=_xml_text(app.name), name="mutate", time="0.000")
            err = ET.SubElement(case, "error", message=_xml_text(app.error[:500]), type="CannotMutate")
            err.text = _xml_text(app.error)
            counts["tests"] += 1
            counts["errors"] += 1
        for m in app.mutants:
            where = f"{app.file}:{m.line}:{m.column}" if m.line else app.file
            case = ET.SubElement(suite, "testcase", classname=_xml_text(f"{app.name}.{m.statement}"),
                                 name=_xml_text(f"{m.id} {m.operator}: {m.title}"), file=_xml_text(app.file),
                                 line=str(m.line or 0), time=f"{m.duration_ms / 1000:.3f}")
            counts["tests"] += 1
            if m.reason == SPEC_DOES_NOT_LOOK:
                fail = ET.SubElement(case, "failure", type="SurvivingMutant",
                                     message=_xml_text(f"survived: the spec does not look ({where})"))
                parts = [m.diff]
                if m.difference is not None:
                    parts.append("first difference: " + m.difference.describe())
                if m.hint:
                    parts.append("hint: " + m.hint)
                if m.suggestion:
                    parts.append("an assertion that kills it:\n" + m.suggestion)
                fail.text = _xml_text("\n".join(parts))
                counts["failures"] += 1
            elif m.status != KILLED:
                why = "survived: the data cannot tell" if m.reason == DATA_CANNOT_TELL else f"not run: {m.detail}"
                skipped = ET.SubElement(case, "skipped", message=_xml_text(why))
                skipped.text = _xml_text("\n".join(x for x in (m.diff, m.hint) if x))
                counts["skipped"] += 1
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    return root


def write_mutation_junit(report: MutationReport, path: Path) -> None:
    from velotui.report.output import write_report_file, xml_bytes

    write_report_file(path, xml_bytes(mutation_junit(report)))
