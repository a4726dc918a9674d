"""The minimal failing input (``--shrink``): delta-debug a failed query's inputs to a smallest input that
still fails the same assertion the same way.

Per source the query reads from a topic: the whole source emptied if that still fails, else records
removed in halves, then in smaller chunks down to single records (Zeller's ddmin: the result fails, and
removing any one record of it does not); then each remaining field value simplified toward its default
(0, "", false — or the simplest value the data schema allows: its first enum value, the end of its range
nearest 0), kept where the failure stays. Identifiers (``id``, ``*_id``, the schema's key field) and
the event-time field are kept, so the records can be found in the original data. Every trial is a run
through the normal run path with the same seed and clock, and the search is bounded (time and runs) and
deterministic. The result is written beside the spec as ``X.<query>.min.jsonl`` (one file per source
when there are several) with the command that reproduces the failure from it, and that command is run
once to check it does.

Shrinking applies to checks of output values and to expectations computed from the inputs. It does not
apply to a constant expectation (``record_count equals 4``, a golden file: shrinking would only find the
empty input, or any record), to a failure the empty input has too, to performance budgets, nor with fault
injection (it changes the inputs on every run).
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from velotui.core.inputs import PreparedInput
from velotui.core.run import app_key
from velotui.records import Message
from velotui.report.model import MinimalInput

BUDGET_S = 120.0  # per failed query: a safety net; the run count below is the bound that is met first
MAX_TESTS = 2000  # runs per failed query: the bound that keeps the result deterministic
PERFORMANCE = frozenset({"execution_time", "throughput", "latency", "memory_usage"})


def shrink_failures(run: Any, report: Any, *, budget_s: float = BUDGET_S, max_tests: int = MAX_TESTS,
                    write: bool = True, on_progress: Any = None) -> list[tuple[str, str, MinimalInput]]:
    """Shrink every failed query of a finished run; each QueryReport gets its ``minimal_input`` and
    ``run.minimal_inputs[(app, query)]`` holds it for the explainer (``app``: the app's SQL file, AppReport.file,
    as ``run.query_records`` is keyed: two apps may share a name). Returns (app's label, query, result)."""
    out = []
    if not hasattr(run, "minimal_inputs"):
        run.minimal_inputs = {}
    for app in report.apps:
        for q in app.queries:
            if q.status != "failed":
                continue
            rec = run.record(app.file, q.name)
            if rec is None:
                continue
            label = run.app_label(app.file, app.name)
            if on_progress:
                on_progress(f"shrinking {label} / {q.name} ({q.records_in} input records)")
            found = shrink_query(run, rec, budget_s=budget_s, max_tests=max_tests, write=write,
                                 engine=getattr(q, "engine", "embedded") or "embedded")
            q.minimal_input = found
            run.minimal_inputs[(app.file, q.name)] = found
            out.append((label, q.name, found))
    return out


@dataclass
class _Target:
    index: int  # position among the query's results
    result: Any  # the AssertionResult that failed


def _where(result: Any) -> str:
    return f"`{result.type}`" + (f" at {Path(result.file).name}:{result.line}" if result.line else "")


def describes(minimal: MinimalInput, result: Any) -> bool:
    """The shrink result is about this failed assertion."""
    return minimal.assertion == _where(result)


def _does_not_apply(result: Any, why: str) -> MinimalInput:
    return MinimalInput(assertion=_where(result), applies=False, reason=why)


def _constant(spec: Any) -> bool:
    params = getattr(spec, "params", None) or {}
    return spec.type == "record_count" and "expression" not in params and "{{" not in str(params)


def shrink_query(run: Any, rec: Any, *, budget_s: float = BUDGET_S, max_tests: int = MAX_TESTS,
                 write: bool = True, engine: str = "embedded") -> MinimalInput:
    """Shrink one failed query of ``run`` (a finished SuiteRun); ``rec`` is its QueryRecord."""
    failed = [(i, r) for i, r in enumerate(rec.results) if r.status == "failed"]
    if not failed:
        return MinimalInput(assertion="", applies=False, reason="no assertion failed (an error is not shrunk)")
    index, result = failed[0]
    target = _Target(index, result)
    spec = _spec_of(rec, index)
    loaded = rec.loaded
    if result.type in PERFORMANCE:
        return _does_not_apply(result, "a performance budget: a smaller input says nothing about it")
    if result.type == "golden":
        return _does_not_apply(result, "a golden file is a recorded output, a constant: its row-level diff already "
                               "shows the records that changed")
    if result.type == "coverage":
        return _does_not_apply(result, "required coverage fails on what the inputs lack, not on a record: fewer "
                               "records cover less (each item's hint says what input would cover it)")
    if spec is not None and _constant(spec):
        return _does_not_apply(result, f"a constant expectation ({result.type} {_params_text(spec)}): shrinking "
                               "would only find the empty input")
    if loaded.spec.fault_injection is not None:
        return _does_not_apply(result, "fault_injection changes the inputs on every run")
    if engine != "embedded" or getattr(run.options, "compare", None):
        return _does_not_apply(result, f"the query ran on {engine if engine != 'embedded' else 'two engines'} "
                               "(--engine, --compare): every trial would need that engine; shrink on the embedded "
                               "engine (the default)")
    chain = _chain(loaded, rec.query.name)
    for p in rec.prepared:
        p.materialize()  # an input that was run block by block: its records, to take apart
    shrinkable = [p for p in rec.prepared if p.topic is not None and not p.from_previous and p.messages]
    if not shrinkable:
        return _does_not_apply(result, "the query reads no records velotui publishes (its inputs come from files "
                               "or from an earlier query)")
    trial = _Trial(run, rec, target, chain, budget_s, max_tests)
    current = {p.source: list(p.messages) for p in shrinkable}
    if trial({s: [] for s in current}):
        return _does_not_apply(result, "it fails the same way with no input at all: the expectation does not "
                               "depend on the input")
    if not trial(current):
        return MinimalInput(assertion=_where(result), applies=False, tests=trial.tests,
                            reason="run again on the same inputs, it does not fail the same way (is it "
                            "timing-dependent?)")
    for _round in range(3):  # until no source shrinks any more
        changed = False
        for source in list(current):
            smaller = _ddmin(current, source, trial)
            if len(smaller) < len(current[source]):
                current[source] = smaller
                changed = True
        if not changed or trial.exhausted:
            break
    simplified = _simplify(current, shrinkable, loaded, trial)
    minimal = MinimalInput(
        assertion=_where(result), applies=True, tests=trial.tests, simplified=simplified,
        duration_ms=(time.perf_counter() - trial.started) * 1000, stopped_early=trial.exhausted,
        sizes={p.source: (len(p.messages), len(current[p.source])) for p in shrinkable},
        records={s: [_envelope(m) for m in msgs] for s, msgs in current.items()})
    if trial.exhausted:
        minimal.reason = (f"stopped after {trial.tests} runs ({budget_s:g} s / {max_tests} runs budget): smaller, "
                          "not necessarily smallest")
    if write:
        _write(minimal, rec, run, target)
    return minimal


def _params_text(spec: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in (spec.params or {}).items())


def _spec_of(rec: Any, index: int) -> Any:
    """The AssertionSpec behind result ``index`` (the run evaluates them in this order)."""
    q = rec.query
    specs = [*q.assertions, *(a for o in (getattr(q, "outputs", None) or []) for a in o.assertions)]
    return specs[index] if index < len(specs) else None


def _chain(loaded: Any, query: str) -> list[str]:
    """The query and the earlier queries it needs (dependencies, from_previous), in run order."""
    by_name = {q.name: q for q in loaded.spec.queries}
    need: list[str] = []

    def visit(name: str) -> None:
        q = by_name.get(name)
        if q is None or name in need:
            return
        for dep in list(q.dependencies or []) + [i.from_previous for i in q.inputs if i.from_previous]:
            visit(dep)
        need.append(name)

    visit(query)
    return need


class _Trial:
    """Runs the failed query (and the queries it needs) on candidate inputs: does it fail the same way?"""

    def __init__(self, run: Any, rec: Any, target: _Target, chain: list[str], budget_s: float,
                 max_tests: int) -> None:
        self.run, self.rec, self.target, self.chain = run, rec, target, chain
        self.deadline = time.perf_counter() + budget_s
        self.started = time.perf_counter()
        self.max_tests = max_tests
        self.tests = 0
        self.exhausted = False
        self.cache: dict[bytes, bool] = {}
        app = app_key(rec.loaded)
        self.base: dict[str, dict[str, PreparedInput]] = {}
        for q in chain:
            crec = run.record(app, q)
            prepared = crec.prepared if crec is not None else []
            self.base[q] = {p.source: p for p in prepared if not p.from_previous}

    def __call__(self, candidate: dict[str, list[Message]]) -> bool:
        # by content, never by id(): a discarded candidate's messages are freed and their ids reused
        key = orjson.dumps(sorted((s, [[m.timestamp, m.key, m.value] for m in msgs]) for s, msgs in candidate.items()),
                           default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        if key in self.cache:
            return self.cache[key]
        if self.tests >= self.max_tests or time.perf_counter() > self.deadline:
            self.exhausted = True
            return False
        self.tests += 1
        self.cache[key] = verdict = self._run(candidate)
        return verdict

    def _run(self, candidate: dict[str, list[Message]]) -> bool:
        from velotui.core.run import RunOptions, SuiteRun

        fixed: dict[str, dict[str, PreparedInput]] = {}
        for q, sources in self.base.items():
            fixed[q] = {s: (p.with_messages(candidate[s]) if s in candidate else p) for s, p in sources.items()}
        opts = self.run.options
        trial = SuiteRun(self.rec.loaded.sql_path, RunOptions(  # the seed and clock the query ran with
            seed=self.rec.seed, now_ms=self.rec.now_ms, strict=opts.strict, timeout_s=opts.timeout_s, lineage=False,
            engine="embedded", by_blocks=False))
        trial.run_loaded(self.rec.loaded, fixed_inputs=fixed, queries=self.chain)
        again = trial.record(app_key(self.rec.loaded), self.rec.query.name)
        return again is not None and same_failure(self.target.result, again.results, self.target.index)


def same_failure(original: Any, results: list[Any], index: int) -> bool:
    """The assertion at ``index`` failed again, the way the original did: the same assertion, failed (not an
    error), with offending records when the original had some, and a message of the same shape (the same
    words up to the first number or quoted value: "expected 8 records, got 1" is not "record 3 differs")."""
    if index >= len(results):
        return False
    r = results[index]
    return (r.status == "failed" and r.type == original.type and r.line == original.line
            and (bool(r.samples) or not original.samples) and _shape(r.message) == _shape(original.message))


def _shape(message: str) -> str:
    import re

    return re.split(r"[0-9'\"]", message or "", maxsplit=1)[0]


def _ddmin(current: dict[str, list[Message]], source: str, trial: _Trial) -> list[Message]:
    """Zeller's ddmin over one source's records, the others held as they are."""
    items = current[source]

    def fails(subset: list[Message]) -> bool:
        return trial({**current, source: subset})

    if fails([]):
        return []
    n = 2
    while len(items) >= 2 and not trial.exhausted:
        size = len(items)
        chunks = [items[i * size // n:(i + 1) * size // n] for i in range(n)]
        chunks = [c for c in chunks if c]
        reduced = False
        for c in chunks:
            if fails(c):
                items, n, reduced = c, 2, True
                break
        if not reduced and len(chunks) > 2:
            for i in range(len(chunks)):
                rest = [m for j, c in enumerate(chunks) if j != i for m in c]
                if fails(rest):
                    items, n, reduced = rest, max(n - 1, 2), True
                    break
        if not reduced:
            if n >= len(items):
                break
            n = min(len(items), n * 2)
    return items


_IDENTITY = ("id",)


def _keep(field: str, schema: Any, ts_field: str | None) -> bool:
    low = field.lower()
    if field.startswith("$") or field == ts_field:
        return True
    if low in _IDENTITY or low.endswith("_id") or (field.endswith("Id") and len(field) > 2):
        return True
    return schema is not None and getattr(schema, "key_field", None) == field


def _default(value: Any, field: Any = None) -> Any:
    """The simplest value of a field: 0, "", false — or, when the data schema allows no such value, its
    first enum value or the end of its range nearest 0. None: leave it (times, identifiers by pattern, a
    value of no simple kind)."""
    cons = getattr(field, "constraints", None)
    kind = getattr(field, "kind", None)
    if kind in ("timestamp", "date", "uuid") or (cons is not None and (cons.derived or cons.references)):
        return None
    if cons is not None and cons.enum_values is not None and cons.enum_values.values:
        first = cons.enum_values.values[0]
        return first if type(first) is type(value) else None
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        zero: float = 0
        if cons is not None and cons.range is not None:
            lo, hi = cons.range.min, cons.range.max
            zero = lo if lo > 0 else (hi if hi < 0 else 0)
        return type(value)(zero)
    if isinstance(value, str):
        if cons is not None and (cons.pattern or (cons.length is not None and cons.length.min > 0)):
            return None  # "" would not be a value of this field
        return ""
    return None


def _simplify(current: dict[str, list[Message]], shrinkable: list[PreparedInput], loaded: Any,
              trial: _Trial) -> int:
    """Each field value of the remaining records toward its default, kept where the failure stays."""
    ts_field = next((st.properties.get("event.time.field") for st in loaded.app.statements
                     if st.properties.get("event.time.field")), None)
    schemas = {p.source: p.schema for p in shrinkable}
    fields = {source: {f.name: f for f in getattr(schema, "fields", None) or []} for source, schema in schemas.items()}
    done = 0
    for source in list(current):
        for i in range(len(current[source])):
            for field in list((current[source][i].value or {}).keys()):
                if trial.exhausted:
                    return done
                m = current[source][i]
                value = (m.value or {}).get(field)
                if value is None or _keep(field, schemas.get(source), ts_field):
                    continue
                simple = _default(value, fields.get(source, {}).get(field))
                if simple is None or (simple == value and type(simple) is type(value)):
                    continue
                changed = Message(value={**(m.value or {}), field: simple}, key=m.key, headers=dict(m.headers),
                                  timestamp=m.timestamp)
                candidate = {**current, source: [*current[source][:i], changed, *current[source][i + 1:]]}
                if trial(candidate):
                    current[source] = candidate[source]
                    done += 1
    return done


def _envelope(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"$ts": m.timestamp}
    if m.key is not None:
        out["$key"] = m.key
    out.update(m.value or {})
    return out


def _json_default(v: Any) -> Any:
    from decimal import Decimal

    if isinstance(v, Decimal):
        return float(v)
    return str(v)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def _write(minimal: MinimalInput, rec: Any, run: Any, target: _Target) -> None:
    """The files beside the spec, the command that replays them, and one replay to check it."""
    loaded = rec.loaded
    stem = loaded.sql_path.stem
    q = rec.query.name
    folder = loaded.spec_path.parent
    files: dict[str, Path] = {}
    for source, rows in minimal.records.items():
        name = f"{stem}.{q}.min.jsonl" if len(minimal.records) == 1 else f"{stem}.{q}.{source}.min.jsonl"
        path = folder / name
        path.write_bytes(b"".join(orjson.dumps(r, default=_json_default) + b"\n" for r in rows))
        files[source] = path
    minimal.files = {s: _shown(p) for s, p in files.items()}
    opts = run.options
    seed, now_ms = rec.seed, rec.now_ms  # what the query ran with (a golden file's recorded pair, say)
    alone = _chain(loaded, q) == [q]
    argv = ["velotui", "--headless", _shown(loaded.sql_path)]
    if opts.spec_path is not None:
        argv += ["--spec", _shown(Path(opts.spec_path))]
    argv += [x for d in opts.schema_dirs for x in ("--schemas", _shown(Path(d)))]
    argv += [x for d in opts.allow_outside for x in ("--allow-outside", _shown(Path(d)))]
    if alone:
        argv += ["--query", q]
    for source, shown in minimal.files.items():
        argv += ["--input", f"{source}={shown}"]
    argv += ["--seed", str(seed), "--now", str(now_ms)]
    minimal.command = " ".join(shlex.quote(a) for a in argv)
    minimal.reproduced = _replays(loaded, opts, files, seed, now_ms, q, alone, target)


def _replays(loaded: Any, opts: Any, files: dict[str, Path], seed: int, now_ms: int, query: str, alone: bool,
             target: _Target) -> bool:
    """Run what the command runs: does the query fail the same way?"""
    from velotui.core.run import RunOptions, SuiteRun

    replay = SuiteRun(loaded.sql_path, RunOptions(
        seed=seed, now_ms=now_ms, query=query if alone else None, inputs=files, spec_path=opts.spec_path,
        schema_dirs=list(opts.schema_dirs), allow_outside=list(opts.allow_outside), strict=opts.strict,
        timeout_s=opts.timeout_s, lineage=False, engine="embedded"))
    try:
        replay.execute()
    except Exception:
        return False
    again = replay.record(app_key(loaded), query)
    return again is not None and same_failure(target.result, again.results, target.index)
