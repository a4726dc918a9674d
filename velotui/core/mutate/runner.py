"""Run every mutant of a suite through the normal run path and classify what became of it.

Per app: load it, run its spec on the original SQL (the baseline; an app whose tests fail as they are
cannot be mutation-tested), check that the SQL written back unchanged computes the same outputs, then run
each mutant with the same seed, clock and inputs (the baseline's inputs, reused) — only the queries whose
statements read the mutated one. Mutants run in ``jobs`` processes; a ``budget_s`` bounds the whole run
(mutants not started by then are reported as not run). Results come back in mutant order, whatever the
scheduling, so a report is the same for the same seed.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlglot import exp

from velotui.core import events as ev
from velotui.core.discovery import AppFiles, discover
from velotui.core.mutate.diagnosis import data_hint, first_difference, spec_hint, suggest_assertion
from velotui.core.mutate.mutants import Mutant, generate_mutants, identity_text
from velotui.core.mutate.operators import OPERATORS
from velotui.core.run import app_key
from velotui.errors import VelotuiError
from velotui.report.mutation import (
    DATA_CANNOT_TELL,
    KILLED,
    NOT_RUN,
    SPEC_DOES_NOT_LOOK,
    SURVIVED,
    AppMutation,
    MutantResult,
    MutationReport,
    QueryMutation,
)

DEFAULT_SEED = 1
DEFAULT_NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: mutation runs are reproducible without --now


class StopFlag(Protocol):
    """A flag another thread or process sets (a threading.Event, a multiprocessing Event)."""

    def is_set(self) -> bool: ...


@dataclass
class MutationOptions:
    seed: int | None = None  # default: the spec's seed, else DEFAULT_SEED
    now_ms: int | None = None  # default: DEFAULT_NOW_MS
    pattern: str | None = None  # -k
    query: str | None = None  # only the mutants of the statement this query tests
    operators: list[str] | None = None  # default: every registered operator
    budget_s: float | None = None
    jobs: int = 1
    strict: bool = False
    spec_path: Path | None = None
    schema_dirs: list[Path] = field(default_factory=list)
    allow_outside: list[Path] = field(default_factory=list)
    argv: list[str] | None = None
    # set from another thread or process (the TUI's stop): no app is planned and no mutant started after it
    # is set; the mutants left are reported as not run ("cancelled") and the report says it was cancelled
    stop: StopFlag | None = None


@dataclass
class AppPlan:
    """One app ready for its mutants: the baseline's outputs and inputs, and the mutants."""

    files: AppFiles
    report: AppMutation
    loaded: Any = None
    run_seed: int = DEFAULT_SEED
    baseline: dict[str, Any] = field(default_factory=dict)  # query -> QueryRecord of the original
    fixed_inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # query -> source -> PreparedInput
    mutants: list[Mutant] = field(default_factory=list)
    affected: dict[str, list[str]] = field(default_factory=dict)  # statement -> queries to run, in order
    timeout_s: float = 30.0
    coverage: dict[str, Any] = field(default_factory=dict)  # statement -> the baseline's QueryCoverage


def run_mutation(path: str | Path, options: MutationOptions | None = None,
                 on_event: ev.EventSink | None = None) -> MutationReport:
    """Mutation-test every app with a spec under ``path`` (a folder or one .sql file)."""
    options = options or MutationOptions()
    emit = on_event or (lambda e: None)
    for name in options.operators or []:
        if name not in OPERATORS:
            import difflib

            close = difflib.get_close_matches(name, list(OPERATORS), n=1)
            from velotui.errors import SpecError

            raise SpecError(f"unknown mutation operator {name!r}", hint=(f"did you mean {close[0]!r}? " if close
                                                                         else "") + "operators: " + ", ".join(OPERATORS))
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    deadline = started + options.budget_s if options.budget_s else None
    suite = discover(Path(path))
    apps = [a for a in suite.apps if a.spec_path is not None or options.spec_path is not None]
    plans: list[AppPlan] = []
    for files in apps:
        if _stopped(options):
            break
        plan = plan_app(files, suite.root, options)
        if plan is None:
            continue
        plans.append(plan)
        emit(ev.MutationPlanned(plan.report.name, plan.report.file, len(plan.mutants), plan.report.error))
    tasks = [(i, j) for i, plan in enumerate(plans) for j in range(len(plan.mutants))]
    results = _execute(plans, tasks, options, deadline, emit)
    for i, plan in enumerate(plans):
        by_statement: dict[str, QueryMutation] = {}
        for j, mutant in enumerate(plan.mutants):
            by_statement.setdefault(mutant.statement, QueryMutation(mutant.statement)).mutants.append(results[(i, j)])
        plan.report.queries = list(by_statement.values())
    seed = options.seed if options.seed is not None else DEFAULT_SEED
    now_ms = options.now_ms if options.now_ms is not None else DEFAULT_NOW_MS
    return MutationReport(
        seed=seed, now_ms=now_ms, started_at=started_at, duration_ms=(time.perf_counter() - started) * 1000,
        reproduce=_reproduce(options, path, seed, now_ms), jobs=max(1, options.jobs), budget_s=options.budget_s,
        budget_exhausted=any(r.status == NOT_RUN and r.reason == "budget" for r in results.values()),
        cancelled=_stopped(options),
        operators=list(options.operators or OPERATORS), apps=[p.report for p in plans])


# -- planning ------------------------------------------------------------------------------------------
def _new_run(loaded_path: Path, options: MutationOptions, run_seed: int, *, timeout_s: float | None = None,
             fail_fast: bool = False, coverage: bool = False) -> Any:
    from velotui.core.run import RunOptions, SuiteRun

    run = SuiteRun(loaded_path, RunOptions(
        seed=options.seed, now_ms=options.now_ms if options.now_ms is not None else DEFAULT_NOW_MS,
        strict=options.strict, timeout_s=timeout_s, lineage=False, fail_fast=fail_fast, engine="embedded",
        coverage=coverage,
        by_blocks=False))  # survivors are diagnosed from the baseline's records: every record is held
    run.seed = run_seed  # a spec without a seed gets the same one every time, not a random one
    return run


def plan_app(files: AppFiles, root: Path, options: MutationOptions) -> AppPlan | None:
    """Load an app, run its baseline and list its mutants; None when ``-k`` matches none of it."""
    from velotui.core.loading import load_app_under_test
    from velotui.core.run import _matches

    name = files.sql_path.stem
    report = AppMutation(name=name, file=str(files.sql_path))
    plan = AppPlan(files=files, report=report)
    try:
        loaded = load_app_under_test(files, strict=options.strict, spec_override=options.spec_path,
                                     extra_schema_dirs=options.schema_dirs, root=root,
                                     allow_outside=options.allow_outside)
    except VelotuiError as e:
        if options.pattern and not _matches(options.pattern, str(files.sql_path), name):
            return None
        report.error, report.error_kind = str(e), "invalid"
        return plan
    report.name = loaded.name
    plan.loaded = loaded
    if options.pattern and not _matches(options.pattern, str(files.sql_path), name, loaded.name) and \
            not any(_matches(options.pattern, q.name) for q in loaded.spec.queries):
        return None
    if options.query and options.query not in {q.name for q in loaded.spec.queries} | \
            {s.name for s in loaded.app.statements}:
        return None
    plan.run_seed = options.seed if options.seed is not None else (
        loaded.spec.seed if loaded.spec.seed is not None else DEFAULT_SEED)
    t0 = time.perf_counter()
    run = _new_run(loaded.sql_path, options, plan.run_seed, coverage=True)  # coverage names what data cannot tell
    baseline = run.run_loaded(loaded)
    elapsed = time.perf_counter() - t0
    broken = [q for q in baseline.queries if q.status in ("failed", "error")]
    if broken:
        q = broken[0]
        why = q.error or "; ".join(f"{a.type}: {a.message}" for a in q.failed_assertions)
        why = " ".join(why.split())
        why = why if len(why) <= 200 else why[:199] + "…"
        report.error, report.error_kind = (f"its tests fail on the original SQL ({q.name}: {why}); fix them "
                                           "first, then mutation testing can tell how good they are"), "failing"
        return plan
    plan.baseline = run.records_of(app_key(loaded))
    plan.coverage = {q.coverage.statement: q.coverage for q in baseline.queries if q.coverage is not None}
    plan.fixed_inputs = {q: {p.source: p for p in rec.prepared if not p.from_previous}
                         for q, rec in plan.baseline.items()}
    plan.timeout_s = max(5.0, 20 * elapsed)
    ran = [q.name for q in baseline.queries if q.status == "passed"]
    plan.affected = _affected(loaded, ran)
    problem = _round_trip_problem(plan, options)
    if problem:
        report.error, report.error_kind = problem, "round_trip"
        return plan
    mutants = generate_mutants(loaded, options.operators)
    if options.query:
        target = loaded.statement_for(options.query).name if options.query in [q.name for q in loaded.spec.queries] \
            else options.query
        mutants = [m for m in mutants if m.statement == target]
    plan.mutants = mutants
    return plan


def _reads(app: Any, statement: Any) -> set[str]:
    """Statements ``statement`` reads, directly or through others (FROM, JOIN, subqueries)."""
    by_name = {s.name: s for s in app.statements}
    seen: set[str] = set()

    def visit(st: Any) -> None:
        names = {src.name for src in st.sources if src.kind == "stream"}
        if st.query.select is not None:
            names |= {t.name for t in st.query.select.find_all(exp.Table)}
        for n in names:
            if n in by_name and n not in seen and n != st.name:
                seen.add(n)
                visit(by_name[n])

    visit(statement)
    return seen


def _affected(loaded: Any, ran: list[str]) -> dict[str, list[str]]:
    """Per statement, the spec's queries (in run order) whose result a change to it can alter: queries of
    statements that read it, and queries fed by those through ``from_previous`` or ``dependencies``."""
    queries = [q for q in loaded.spec.queries if q.name in ran]
    out: dict[str, list[str]] = {}
    for st in loaded.app.statements:
        hit: set[str] = set()
        for q in queries:
            target = loaded.statement_for(q.name)
            if target.name == st.name or st.name in _reads(loaded.app, target):
                hit.add(q.name)
        changed = True
        while changed:
            changed = False
            for q in queries:
                feeds = set(q.dependencies or []) | {i.from_previous for i in q.inputs if i.from_previous}
                if q.name not in hit and feeds & hit:
                    hit.add(q.name)
                    changed = True
        out[st.name] = [q for q in ran if q in hit]
    return out


def _round_trip_problem(plan: AppPlan, options: MutationOptions) -> str | None:
    """Every mutant is the SQL written back by the generator; written back unchanged it must compute
    exactly what the original computes, or mutants would be killed for the wrong reason."""
    from velotui.sql import parse_app, validate
    from velotui.sql.dialect import parse_statements

    loaded = plan.loaded
    original_text = loaded.sql_path.read_text()
    text = identity_text(loaded)
    try:
        if parse_statements(text) == parse_statements(original_text):
            return None  # the same trees: the engine cannot compute anything else (no run needed)
    except Exception:  # a text that does not parse is reported below
        pass
    try:
        app = parse_app(text, loaded.sql_path)
        problems = validate(app)
    except VelotuiError as e:
        problems = [e]
    if problems:
        return f"cannot mutate: written back, the SQL does not load ({problems[0]}); this is a velotui bug"
    run = _new_run(loaded.sql_path, options, plan.run_seed)
    run.run_loaded(replace(loaded, app=app), fixed_inputs=plan.fixed_inputs)
    again = run.records_of(app_key(loaded))
    diff = first_difference(list(plan.baseline), plan.baseline, again)
    if diff is not None or set(again) != set(plan.baseline):
        return ("cannot mutate: written back unchanged, the SQL computes something else "
                f"({diff.describe() if diff else 'queries missing'}); this is a velotui bug")
    return None


# -- running mutants -----------------------------------------------------------------------------------
def run_mutant(plan: AppPlan, mutant: Mutant, options: MutationOptions) -> MutantResult:
    """Run one mutant through the run path and say what became of it."""
    from velotui.sql import parse_app, validate

    t0 = time.perf_counter()
    result = MutantResult(id=mutant.id, statement=mutant.statement, operator=mutant.operator, title=mutant.title,
                          line=mutant.line, column=mutant.column, diff=mutant.diff, status=KILLED, reason="")
    loaded = plan.loaded
    queries = plan.affected.get(mutant.statement) or []
    if not queries:  # nothing the spec runs reads this statement: whatever the mutant computes, nobody looks
        result.status, result.reason = SURVIVED, SPEC_DOES_NOT_LOOK
        result.hint = (f"no query of the spec tests `{mutant.statement}` or anything that reads it: add a query "
                       f"named `{mutant.statement}` to the spec")
        return result
    try:
        app = parse_app(mutant.text, loaded.sql_path)
        problems = validate(app) or []
    except VelotuiError as e:
        problems = [e]
    if problems:
        result.reason, result.detail = "refused", f"refused: {problems[0].message}"
        result.duration_ms = (time.perf_counter() - t0) * 1000
        return result
    run = _new_run(loaded.sql_path, options, plan.run_seed, timeout_s=plan.timeout_s, fail_fast=True)
    previous = {q: rec.outputs for q, rec in plan.baseline.items()}
    report = run.run_loaded(replace(loaded, app=app), fixed_inputs=plan.fixed_inputs, previous_outputs=previous,
                            queries=queries)
    result.duration_ms = (time.perf_counter() - t0) * 1000
    for q in report.queries:
        if q.status == "error":
            if q.timed_out:
                result.reason, result.detail = "timeout", f"{q.name}: timed out after {plan.timeout_s:g} s"
            elif (q.error or "").startswith("engine crashed"):  # not a kill: neither a check nor a refusal
                result.status, result.reason = NOT_RUN, "engine_error"
                result.detail = f"{q.name}: {q.error}: a velotui bug, please report it"
            else:
                result.reason, result.detail = "refused", f"{q.name}: {q.error}"
            return result
        if q.status == "failed":
            result.reason = "assertion"
            result.killed_by = [f"{q.name}: {a.type}" + (f" ({a.description})" if a.description else "")
                                + (f" at {a.file}:{a.line}" if a.line else "") for a in q.failed_assertions]
            result.detail = "killed by " + "; ".join(result.killed_by)
            return result
    records = {q: rec for q, rec in run.records_of(app_key(loaded)).items() if q in queries}
    result.status = SURVIVED
    diff = first_difference(queries, plan.baseline, records)
    operator = OPERATORS[mutant.operator]
    if diff is None:
        result.reason = DATA_CANNOT_TELL
        inputs: dict[str, list[dict]] = {}
        for q in queries:
            for source, rows in plan.baseline[q].inputs.items():
                inputs.setdefault(source, rows)
        result.hint = data_hint(mutant, operator, inputs)
        item = uncovered_item_of(mutant, plan.coverage.get(mutant.statement))
        if item is not None:
            result.hint += f"; data coverage: {item.id} `{' '.join(item.sql.split())}` {item.gap()}" + \
                (f" ({item.hint})" if item.hint else "")
        return result
    result.reason = SPEC_DOES_NOT_LOOK
    result.difference = diff
    query = next(q for q in loaded.spec.queries if q.name == diff.query)
    assertions = [*query.assertions, *(a for o in (query.outputs or []) for a in o.assertions)]
    result.hint = spec_hint(mutant, diff, assertions)
    result.suggestion = suggest_assertion(diff, plan.baseline[diff.query], records[diff.query],
                                          lambda rec: _context(rec, loaded), loaded.statement_for(diff.query))
    return result


_ITEM_KINDS_OF = {"join-kind": ("join",), "join-key": ("join",), "window-size": ("window",),
                  "window-advance": ("window",), "window-kind": ("window",), "emit": ("window",),
                  "group-key": ("group_by",), "coalesce": ("coalesce",)}


def uncovered_item_of(mutant: Mutant, coverage: Any) -> Any:
    """The coverage item behind a mutant the data cannot tell, when the baseline left it uncovered: the
    innermost item at the mutant's place whose SQL holds the changed text (or holds it within), else the
    item of the construct the operator changes (the join for a join's kind, the window for its size)."""
    if coverage is None or mutant.line is None:
        return None
    before = " ".join(mutant.before.split())
    candidates = []
    for item in coverage.uncovered:
        text = " ".join(item.sql.split())
        if item.line == mutant.line and (before in text or text in before):
            candidates.append(item)
    at = [i for i in candidates if (i.column or 0) <= (mutant.column or 0)]
    if at or candidates:
        return max(at, key=lambda i: i.column or 0) if at else min(candidates, key=lambda i: i.column or 0)
    kinds = _ITEM_KINDS_OF.get(mutant.operator, ())
    same = [i for i in coverage.uncovered if i.kind in kinds]
    if same:
        return min(same, key=lambda i: abs((i.line or 0) - mutant.line))
    return None


def _context(rec: Any, loaded: Any) -> Any:
    from velotui.assertions import AssertionContext

    return AssertionContext(records=[m.value for m in rec.outputs if m.value is not None], messages=rec.outputs,
                            inputs=rec.inputs, dead_letters=rec.dead_letters, query=rec.query.name,
                            base_dir=loaded.spec_path.parent,
                            variables=dict(getattr(loaded.spec, "variables", None) or {}))


_PLANS: list[AppPlan] = []  # what forked workers inherit
_OPTIONS: MutationOptions | None = None


def _worker(task: tuple[int, int]) -> MutantResult:
    i, j = task
    assert _OPTIONS is not None
    return _safely(_PLANS[i], j, _OPTIONS)


def _safely(plan: AppPlan, j: int, options: MutationOptions) -> MutantResult:
    mutant = plan.mutants[j]
    try:
        return run_mutant(plan, mutant, options)
    except VelotuiError as e:
        reason, detail = "refused", f"refused: {e.message}"
        status = KILLED
    except Exception as e:  # a velotui bug: never counted as a kill
        import traceback

        reason, detail, status = "internal_error", f"internal error: {e!r}\n{traceback.format_exc()}", NOT_RUN
    return MutantResult(id=mutant.id, statement=mutant.statement, operator=mutant.operator, title=mutant.title,
                        line=mutant.line, column=mutant.column, diff=mutant.diff, status=status, reason=reason,
                        detail=detail)


def _stopped(options: MutationOptions) -> bool:
    return options.stop is not None and options.stop.is_set()


def _not_run(plan: AppPlan, j: int, budget: float | None, reason: str = "budget") -> MutantResult:
    m = plan.mutants[j]
    detail = ("the run was cancelled before it ran" if reason == "cancelled" else
              f"the budget of {budget:g} s was used up before it ran" if budget else "not run")
    return MutantResult(id=m.id, statement=m.statement, operator=m.operator, title=m.title, line=m.line,
                        column=m.column, diff=m.diff, status=NOT_RUN, reason=reason, detail=detail)


def _execute(plans: list[AppPlan], tasks: list[tuple[int, int]], options: MutationOptions, deadline: float | None,
             emit: ev.EventSink) -> dict[tuple[int, int], MutantResult]:
    results: dict[tuple[int, int], MutantResult] = {}
    total = len(tasks)

    def finished(task: tuple[int, int], result: MutantResult) -> None:
        results[task] = result
        plan = plans[task[0]]
        emit(ev.MutantFinished(plan.report.name, plan.report.file, result, len(results), total))

    jobs = min(max(1, options.jobs), max(1, len(tasks)))
    fork = "fork" in mp.get_all_start_methods()
    if jobs == 1 or len(tasks) < 2 or not fork:
        for task in tasks:
            if _stopped(options):
                finished(task, _not_run(plans[task[0]], task[1], options.budget_s, "cancelled"))
                continue
            if deadline is not None and time.perf_counter() > deadline:
                finished(task, _not_run(plans[task[0]], task[1], options.budget_s))
                continue
            finished(task, _safely(plans[task[0]], task[1], options))
        return results
    global _PLANS, _OPTIONS
    _PLANS, _OPTIONS = plans, options  # the workers are forked: they inherit the plans, inputs included
    try:
        with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
            futures = {pool.submit(_worker, task): task for task in tasks}
            pending = set(futures)
            try:
                while pending:
                    timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
                    if options.stop is not None:  # look at the stop flag a few times a second
                        timeout = 0.2 if timeout is None else min(timeout, 0.2)
                    done, pending = cf.wait(pending, timeout=timeout, return_when=cf.FIRST_COMPLETED)
                    for f in done:
                        if f.cancelled():
                            continue
                        finished(futures[f], f.result())
                    stopped = _stopped(options)
                    if stopped or (deadline is not None and time.perf_counter() > deadline):
                        for f in list(pending):
                            if f.cancel():
                                pending.discard(f)
                                task = futures[f]
                                finished(task, _not_run(plans[task[0]], task[1], options.budget_s,
                                                        "cancelled" if stopped else "budget"))
            except BaseException:
                for f in pending:
                    f.cancel()
                raise
    finally:
        _PLANS, _OPTIONS = [], None
    return results


def _reproduce(options: MutationOptions, path: str | Path, seed: int, now_ms: int) -> str:
    argv = list(options.argv or ["velotui", "mutate", str(path)])
    cleaned: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--seed", "--now"):
            skip = True
            continue
        if a.startswith(("--seed=", "--now=")):
            continue
        cleaned.append(a)
    return " ".join([*cleaned, "--seed", str(seed), "--now", str(now_ms)])
