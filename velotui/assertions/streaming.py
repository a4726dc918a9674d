"""Assertions on streaming behaviour: joins, windows, event order, completeness, performance, errors."""

from __future__ import annotations

import difflib
import statistics
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from velotui.assertions.base import (
    AfterTheRun,
    Assertion,
    AssertionContext,
    Check,
    NothingChecked,
    Outcome,
    Tally,
    as_float,
    canonical_text,
    compare,
    known_operator,
    missing_field,
    register,
)
from velotui.assertions.records import percentile
from velotui.errors import SpecError


def _timestamp_ms(v: Any) -> float | None:
    n = as_float(v)
    if n is not None:
        return n
    if isinstance(v, str):
        from velotui.timefmt import iso_to_ms

        ms = iso_to_ms(v)
        return float(ms) if ms is not None else None
    return None


class JoinCoverageParams(Check):
    min_match_rate: float = Field(0.0, ge=0, le=1)
    left_source: str | None = None
    right_source: str | None = None
    match_field: str | None = None  # a right-side field that is NULL when a LEFT JOIN found no match


@register
class JoinCoverage(Assertion):
    type = "join_coverage"
    record_fields = ("match_field",)

    def nothing_checked(self, p: JoinCoverageParams, ctx: AssertionContext) -> NothingChecked | None:
        left = p.left_source or next(iter(ctx.inputs), None)
        if left in ctx.inputs and not ctx.inputs[left]:
            return NothingChecked(f"the left input {left!r} has no records", empty=True)
        return super().nothing_checked(p, ctx) if ctx.records else None
    Params = JoinCoverageParams

    def check(self, p: JoinCoverageParams, ctx: AssertionContext) -> Outcome:
        left = p.left_source or next(iter(ctx.inputs), None)
        if left is None or left not in ctx.inputs:
            raise SpecError(f"join_coverage: left_source {left!r} is not an input of this query "
                            f"(inputs: {', '.join(ctx.inputs) or 'none'})")
        n_left = len(ctx.inputs[left])
        if p.match_field:
            matched = sum(1 for r in ctx.records if r.get(p.match_field) is not None)
        else:
            matched = len(ctx.records)
        rate = matched / n_left if n_left else 1.0
        ok = rate + 1e-12 >= p.min_match_rate
        return Outcome(ok, f"join matched {matched} of {n_left} {left} records ({rate:.1%}), "
                       f"minimum {p.min_match_rate:.1%}", p.min_match_rate, round(rate, 6))


class WindowBoundaryParams(Check):
    timestamp_field: str | None = None
    window_start_field: str = "window_start"
    window_end_field: str = "window_end"
    window_size_ms: int | None = Field(None, gt=0)
    tolerance_ms: int = 0
    verify_containment: bool = True
    verify_alignment: bool = True


@register
class WindowBoundary(Assertion):
    type = "window_boundary"
    reads_records = True
    record_fields = ("window_start_field", "window_end_field", "timestamp_field")
    Params = WindowBoundaryParams

    def check(self, p: WindowBoundaryParams, ctx: AssertionContext) -> Outcome:
        bad, reasons = [], set()
        for r in ctx.records:
            s, e = _timestamp_ms(r.get(p.window_start_field)), _timestamp_ms(r.get(p.window_end_field))
            if s is None or e is None:
                bad.append(r)
                reasons.add(f"missing {p.window_start_field}/{p.window_end_field}")
                continue
            if e <= s:
                bad.append(r)
                reasons.add("window end is not after its start")
                continue
            if p.window_size_ms is not None:
                if abs((e - s) - p.window_size_ms) > p.tolerance_ms:
                    bad.append(r)
                    reasons.add(f"window length is not {p.window_size_ms} ms")
                    continue
                if p.verify_alignment and (s % p.window_size_ms) > p.tolerance_ms and \
                        (p.window_size_ms - s % p.window_size_ms) > p.tolerance_ms:
                    bad.append(r)
                    reasons.add(f"window start is not aligned to {p.window_size_ms} ms")
                    continue
            if p.verify_containment and p.timestamp_field and r.get(p.timestamp_field) is not None:
                t = _timestamp_ms(r.get(p.timestamp_field))
                if t is not None and not (s - p.tolerance_ms <= t < e + p.tolerance_ms):
                    bad.append(r)
                    reasons.add(f"{p.timestamp_field} outside its window")
        if not ctx.records:
            return Outcome(False, "no windows were emitted", "windows", 0)
        return Outcome(not bad, "; ".join(sorted(reasons)) or f"{len(ctx.records)} windows well-formed",
                       {"window_size_ms": p.window_size_ms}, f"{len(bad)} bad windows" if bad else "ok", bad)


class EventOrderingParams(Check):
    timestamp_field: str
    partition_field: str | None = None
    window_size_ms: int | None = None
    direction: Literal["ascending", "descending"] = "ascending"
    allow_gaps: bool = True
    max_out_of_order_percent: float = 0.0
    max_gap_ms: float | None = None


@register
class EventOrdering(Assertion):
    type = "event_ordering"
    reads_records = True
    record_fields = ("timestamp_field", "partition_field")
    Params = EventOrderingParams

    def check(self, p: EventOrderingParams, ctx: AssertionContext) -> Outcome:
        last: dict[str, float] = {}
        out_of_order, gaps, n = [], [], 0
        for r in ctx.records:
            t = _timestamp_ms(r.get(p.timestamp_field))
            if t is None:
                continue
            n += 1
            key = canonical_text(r.get(p.partition_field)) if p.partition_field else ""
            if key in last:
                prev = last[key]
                if (t < prev) if p.direction == "ascending" else (t > prev):
                    out_of_order.append(r)
                if p.max_gap_ms is not None and abs(t - prev) > p.max_gap_ms:
                    gaps.append(r)
            last[key] = t
        pct = 100.0 * len(out_of_order) / n if n else 0.0
        ok = pct <= p.max_out_of_order_percent and (p.allow_gaps or not gaps)
        msg = f"{len(out_of_order)} of {n} records out of order ({pct:.2f}%, max {p.max_out_of_order_percent:g}%)"
        if gaps and not p.allow_gaps:
            msg += f"; {len(gaps)} gaps over {p.max_gap_ms:g} ms"
        return Outcome(ok, msg, p.max_out_of_order_percent, round(pct, 4), out_of_order or gaps)


class CompletenessParams(Check):
    input_source: str
    key_field: str
    output_key_field: str | None = None
    min_completeness: float = Field(1.0, ge=0, le=1)
    required_fields: list[str] = Field(default_factory=list)


@register
class Completeness(Assertion):
    type = "completeness"

    def nothing_checked(self, p: CompletenessParams, ctx: AssertionContext) -> NothingChecked | None:
        rows = ctx.inputs.get(p.input_source)
        if rows is None:
            return None  # the check says which inputs there are
        if not rows:
            return NothingChecked(f"the input {p.input_source!r} has no records", empty=True)
        why = missing_field(p.key_field, rows, f"records of input {p.input_source!r}", "key_field")
        if why is not None or not ctx.records:
            return why
        for param, name in [("output_key_field", p.output_key_field or p.key_field),
                            *(("required_fields", f) for f in p.required_fields)]:
            why = missing_field(name, ctx.records, ctx.output_label, param)
            if why is not None:
                return why
        return None
    Params = CompletenessParams

    def check(self, p: CompletenessParams, ctx: AssertionContext) -> Outcome:
        if p.input_source not in ctx.inputs:
            raise SpecError(f"completeness: input_source {p.input_source!r} is not an input "
                            f"(inputs: {', '.join(ctx.inputs) or 'none'})")
        want = {canonical_text(r.get(p.key_field)) for r in ctx.inputs[p.input_source] if r.get(p.key_field) is not None}
        out_key = p.output_key_field or p.key_field
        have = {canonical_text(r.get(out_key)) for r in ctx.records
                if all(r.get(f) is not None for f in p.required_fields)}
        share = len(want & have) / len(want) if want else 1.0
        missing = sorted(want - have)[:5]
        return Outcome(share + 1e-12 >= p.min_completeness,
                       f"{len(want & have)} of {len(want)} input keys present ({share:.1%}), minimum "
                       f"{p.min_completeness:.1%}" + (f"; missing e.g. {', '.join(missing)}" if missing else ""),
                       p.min_completeness, round(share, 6), [{p.key_field: k} for k in missing])


class ExecutionTimeParams(Check):
    criteria = ('max_ms', 'min_ms')
    max_ms: float | None = None
    min_ms: float | None = None


@register
class ExecutionTime(Assertion):
    type = "execution_time"
    Params = ExecutionTimeParams

    def tally(self, p: Any) -> Tally:
        return AfterTheRun(self, p)  # reads no output record

    def check(self, p: ExecutionTimeParams, ctx: AssertionContext) -> Outcome:
        t = ctx.duration_ms
        ok = (p.max_ms is None or t <= p.max_ms) and (p.min_ms is None or t >= p.min_ms)
        return Outcome(ok, f"query took {t:.1f} ms (bounds {p.min_ms or 0:g}–{p.max_ms or float('inf'):g} ms)",
                       p.model_dump(exclude_none=True), round(t, 3))


class MemoryParams(Check):
    max_bytes: float | None = None
    max_mb: float | None = None
    max_growth_bytes: float | None = None


@register
class MemoryUsage(Assertion):
    type = "memory_usage"
    Params = MemoryParams

    def tally(self, p: Any) -> Tally:
        return AfterTheRun(self, p)  # reads no output record

    def check(self, p: MemoryParams, ctx: AssertionContext) -> Outcome:
        peak, growth = ctx.memory_peak_bytes, ctx.memory_growth_bytes
        limit = p.max_bytes if p.max_bytes is not None else (p.max_mb * 1_000_000 if p.max_mb is not None else None)
        problems = []
        if limit is not None and peak > limit:
            problems.append(f"peak {peak / 1e6:.1f} MB over {limit / 1e6:.1f} MB")
        if p.max_growth_bytes is not None and growth > p.max_growth_bytes:
            problems.append(f"growth {growth / 1e6:.1f} MB over {p.max_growth_bytes / 1e6:.1f} MB")
        return Outcome(not problems, "; ".join(problems) or f"peak {peak / 1e6:.1f} MB, growth {growth / 1e6:.1f} MB",
                       p.model_dump(exclude_none=True), {"peak_bytes": peak, "growth_bytes": growth})


class ThroughputParams(Check):
    min_records_per_second: float | None = None
    max_records_per_second: float | None = None
    expected_records_per_second: float | None = None
    tolerance_percent: float = 20.0


@register
class Throughput(Assertion):
    type = "throughput"
    Params = ThroughputParams

    def tally(self, p: Any) -> Tally:
        return AfterTheRun(self, p)  # reads no output record

    def check(self, p: ThroughputParams, ctx: AssertionContext) -> Outcome:
        n = max(ctx.records_in, ctx.record_total)
        rate = n / (ctx.duration_ms / 1000) if ctx.duration_ms > 0 else float("inf")
        problems = []
        if p.min_records_per_second is not None and rate < p.min_records_per_second:
            problems.append(f"below the minimum {p.min_records_per_second:g}")
        if p.max_records_per_second is not None and rate > p.max_records_per_second:
            problems.append(f"above the maximum {p.max_records_per_second:g}")
        if p.expected_records_per_second is not None:
            tol = p.expected_records_per_second * p.tolerance_percent / 100
            if abs(rate - p.expected_records_per_second) > tol:
                problems.append(f"not within {p.tolerance_percent:g}% of {p.expected_records_per_second:g}")
        return Outcome(not problems, f"{rate:,.0f} records/s" + (": " + "; ".join(problems) if problems else ""),
                       p.model_dump(exclude_none=True), round(rate, 1) if rate != float("inf") else "inf")


class LatencyParams(Check):
    criteria = ('max_latency_ms', 'avg_latency_ms', 'p50_latency_ms', 'p95_latency_ms', 'p99_latency_ms')
    timestamp_field: str | None = None
    max_latency_ms: float | None = None
    avg_latency_ms: float | None = None
    p50_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    p99_latency_ms: float | None = None
    min_records: int = 1


@register
class Latency(Assertion):
    type = "latency"
    record_fields = ("timestamp_field",)
    Params = LatencyParams

    def check(self, p: LatencyParams, ctx: AssertionContext) -> Outcome:
        if ctx.latencies_ms is not None:
            lat = list(ctx.latencies_ms)
        else:
            now = ctx.now_ms if ctx.now_ms is not None else time.time() * 1000
            lat = []
            for m in ctx.messages:
                if m.value is None:
                    continue
                src = _timestamp_ms(m.value.get(p.timestamp_field)) if p.timestamp_field else None
                src = src if src is not None else (m.event_time or None)
                if src is not None:  # output (capture) time minus event time
                    lat.append(max(0.0, now - src))
        if len(lat) < p.min_records:
            return Outcome(False, f"only {len(lat)} latency samples, need {p.min_records}", p.min_records, len(lat))
        s = sorted(lat)
        actual = {"max": s[-1], "avg": statistics.fmean(s), "p50": percentile(s, 0.5), "p95": percentile(s, 0.95),
                  "p99": percentile(s, 0.99)}
        checks = [("max", p.max_latency_ms), ("avg", p.avg_latency_ms), ("p50", p.p50_latency_ms),
                  ("p95", p.p95_latency_ms), ("p99", p.p99_latency_ms)]
        bad = [f"{k} {actual[k]:.1f} ms > {v:g} ms" for k, v in checks if v is not None and actual[k] > v]
        return Outcome(not bad, "; ".join(bad) or "latency within bounds", p.model_dump(exclude_none=True),
                       {k: round(v, 3) for k, v in actual.items()})


def _known_error_types(v: Any) -> Any:
    """``error_types`` names kinds of dead letters that exist (velotui.records.DEAD_LETTER_KINDS): another
    name would count none, and a check expecting none would pass whatever the app does."""
    from velotui.records import DEAD_LETTER_KINDS
    from velotui.spec.validation import near_key

    if not isinstance(v, list):
        return v
    for name in v:
        if isinstance(name, str) and name in DEAD_LETTER_KINDS:
            continue
        near = near_key(str(name), list(DEAD_LETTER_KINDS)) or next(
            iter(difflib.get_close_matches(str(name), DEAD_LETTER_KINDS, n=1)), None)
        raise ValueError(f"unknown error type {name!r}" + (f"; did you mean {near!r}?" if near else "")
                         + f" (the kinds of dead letters: {', '.join(DEAD_LETTER_KINDS)})")
    return v


class DlqParams(Check):
    topic: str | None = Field(None, description="the statement's DLQ topic ('dlq.topic' in WITH): checked at load")
    equals: int | None = None
    max: int | None = None
    min: int | None = None
    greater_than: int | None = None
    less_than: int | None = None
    error_types: list[str] = Field(default_factory=list)

    _error_types = field_validator("error_types")(_known_error_types)


@register
class DlqCount(Assertion):
    type = "dlq_count"
    Params = DlqParams

    def tally(self, p: Any) -> Tally:
        return AfterTheRun(self, p)  # reads no output record

    def check(self, p: DlqParams, ctx: AssertionContext) -> Outcome:
        dl = [d for d in ctx.dead_letters if not p.error_types or getattr(d, "error_type", None) in p.error_types]
        n = len(dl)
        bounds = {"equals": p.equals, "less_than_or_equals": p.max, "greater_than_or_equals": p.min,
                  "greater_than": p.greater_than, "less_than": p.less_than}
        bad = [f"{k.replace('_', ' ')} {v}" for k, v in bounds.items() if v is not None and not compare(n, k, v)]
        samples = [{"error_type": d.error_type, "message": d.message, "record": d.record} for d in dl[:5]]
        types = sorted({getattr(d, "error_type", "?") for d in dl})
        return Outcome(not bad, f"{n} dead letters" + (f" ({', '.join(types)})" if types else "")
                       + (f"; expected {', '.join(bad)}" if bad else ""),
                       {k: v for k, v in bounds.items() if v is not None}, n, samples)


class ErrorRateParams(Check):
    max_rate: float | None = None
    max_percent: float | None = None
    error_types: list[str] = Field(default_factory=list)
    min_records: int = 0

    _error_types = field_validator("error_types")(_known_error_types)


@register
class ErrorRate(Assertion):
    type = "error_rate"

    def nothing_checked(self, p: ErrorRateParams, ctx: AssertionContext) -> NothingChecked | None:
        if ctx.records_in == 0 and p.min_records == 0:
            return NothingChecked("the query had no input records", empty=True)
        return None
    Params = ErrorRateParams

    def tally(self, p: Any) -> Tally:
        return AfterTheRun(self, p)  # reads no output record

    def check(self, p: ErrorRateParams, ctx: AssertionContext) -> Outcome:
        errors = [d for d in ctx.dead_letters if not p.error_types or getattr(d, "error_type", None) in p.error_types]
        if ctx.records_in < p.min_records:
            return Outcome(False, f"only {ctx.records_in} input records, need {p.min_records}", p.min_records,
                           ctx.records_in)
        rate = len(errors) / ctx.records_in if ctx.records_in else 0.0
        limit = p.max_rate if p.max_rate is not None else (p.max_percent / 100 if p.max_percent is not None else 0.0)
        return Outcome(rate <= limit + 1e-12, f"error rate {rate:.2%} ({len(errors)} of {ctx.records_in}), "
                       f"maximum {limit:.2%}", limit, round(rate, 6))


class TableFreshnessParams(Check):
    table: str | None = None
    timestamp_field: str | None = None
    max_age_ms: float | None = None
    max_lag_ms: float | None = None
    min_records: int = 1


@register
class TableFreshness(Assertion):
    type = "table_freshness"
    record_fields = ("timestamp_field",)
    Params = TableFreshnessParams

    def check(self, p: TableFreshnessParams, ctx: AssertionContext) -> Outcome:
        state = ctx.table_state
        if state is None:
            rows = ctx.outputs.get(p.table, []) if p.table else ctx.records
            state = {i: r for i, r in enumerate(rows)}
        if len(state) < p.min_records:
            return Outcome(False, f"table has {len(state)} rows, need {p.min_records}", p.min_records, len(state))
        times = []
        for m in ctx.messages:
            t = _timestamp_ms(m.value.get(p.timestamp_field)) if p.timestamp_field and m.value else m.timestamp
            if t:
                times.append(t)
        if not times:
            return Outcome(True, f"table has {len(state)} rows (no timestamps to age)", p.min_records, len(state))
        newest, oldest = max(times), min(times)
        now = ctx.now_ms or time.time() * 1000
        age = now - newest
        lag = newest - oldest
        bad = []
        if p.max_age_ms is not None and age > p.max_age_ms:
            bad.append(f"newest row is {age:.0f} ms old (max {p.max_age_ms:g})")
        if p.max_lag_ms is not None and lag > p.max_lag_ms:
            bad.append(f"rows span {lag:.0f} ms (max lag {p.max_lag_ms:g})")
        return Outcome(not bad, "; ".join(bad) or f"table fresh: {len(state)} rows", p.model_dump(exclude_none=True),
                       {"rows": len(state), "age_ms": age, "lag_ms": lag})


# -- file sinks ---------------------------------------------------------------------------------
def _resolve_file(path: str, ctx: AssertionContext, what: str = "file assertion path") -> Path:
    """A file sink of the app (written into the run's temporary folder), else a file of the suite:
    either way through the suite's path resolver, so a path outside the suite is refused."""
    from velotui import files

    if path in ctx.sink_files:
        return files.resolve(ctx.sink_files[path], what=what)
    for written, real in ctx.sink_files.items():
        if Path(written).name == Path(path).name:
            return files.resolve(real, what=what)
    return files.resolve(path, base=ctx.base_dir, what=what)


def _read_rows(path: Path, fmt: str | None) -> list[dict[str, Any]]:
    from velotui.datagen import load_data_file

    return load_data_file(path, fmt=fmt, what="file", allow_empty=True)


class FileExistsParams(Check):
    path: str
    min_size_bytes: int | None = None
    max_size_bytes: int | None = None


@register
class FileExists(Assertion):
    type = "file_exists"
    Params = FileExistsParams

    def check(self, p: FileExistsParams, ctx: AssertionContext) -> Outcome:
        f = _resolve_file(p.path, ctx, "file_exists path")
        if not f.exists():
            return Outcome(False, f"file {p.path} was not written", "exists", "missing")
        size = f.stat().st_size
        ok = (p.min_size_bytes is None or size >= p.min_size_bytes) and (p.max_size_bytes is None or
                                                                        size <= p.max_size_bytes)
        return Outcome(ok, f"{p.path}: {size} bytes", p.model_dump(exclude_none=True), size)


class FileRowCountParams(Check):
    path: str
    format: str | None = None
    equals: int | None = None
    greater_than: int | None = None
    less_than: int | None = None
    skip_header: bool = True


@register
class FileRowCount(Assertion):
    type = "file_row_count"
    Params = FileRowCountParams

    def check(self, p: FileRowCountParams, ctx: AssertionContext) -> Outcome:
        f = _resolve_file(p.path, ctx, "file_row_count path")
        if not f.exists():
            return Outcome(False, f"file {p.path} was not written", p.equals, None)
        n = len(_read_rows(f, p.format))
        bounds = {"equals": p.equals, "greater_than": p.greater_than, "less_than": p.less_than}
        bad = [f"{k.replace('_', ' ')} {v}" for k, v in bounds.items() if v is not None and not compare(n, k, v)]
        return Outcome(not bad, f"{p.path}: {n} rows" + (f", expected {', '.join(bad)}" if bad else ""),
                       {k: v for k, v in bounds.items() if v is not None}, n)


class FileContainsParams(Check):
    path: str
    format: str | None = None
    field: str
    expected_values: list[Any]
    mode: Literal["all", "any"] = "all"


@register
class FileContains(Assertion):
    type = "file_contains"
    Params = FileContainsParams

    def check(self, p: FileContainsParams, ctx: AssertionContext) -> Outcome:
        f = _resolve_file(p.path, ctx, "file_contains path")
        if not f.exists():
            return Outcome(False, f"file {p.path} was not written", p.expected_values, None)
        have = {canonical_text(r.get(p.field)) for r in _read_rows(f, p.format)}
        want = [canonical_text(v) for v in p.expected_values]
        found = [v for v in want if v in have]
        ok = len(found) == len(want) if p.mode == "all" else bool(found)
        missing = [v for v in want if v not in have]
        return Outcome(ok, f"{p.path}: {len(found)} of {len(want)} expected {p.field} values present"
                       + (f"; missing {', '.join(missing[:5])}" if missing else ""), want, found)


class FileMatchesParams(Check):
    actual_path: str
    expected_path: str
    format: str | None = None
    compare_fields: list[str] = Field(default_factory=list)
    ignore_fields: list[str] = Field(default_factory=list)
    ignore_order: bool = True
    numeric_tolerance: float | None = None


@register
class FileMatches(Assertion):
    type = "file_matches"
    decides_while_checking = True  # compare_fields / ignore_fields that are in no row of either file
    Params = FileMatchesParams

    def check(self, p: FileMatchesParams, ctx: AssertionContext) -> Outcome:
        from velotui.assertions.base import values_equal

        a_path = _resolve_file(p.actual_path, ctx, "file_matches actual_path")
        e_path = _resolve_file(p.expected_path, ctx, "file_matches expected_path")
        if not a_path.exists():
            return Outcome(False, f"file {p.actual_path} was not written", p.expected_path, None)
        actual, expected = _read_rows(a_path, p.format), _read_rows(e_path, p.format)

        def project(r: dict[str, Any]) -> dict[str, Any]:
            keys = p.compare_fields or [k for k in r if k not in p.ignore_fields]
            return {k: r.get(k) for k in keys}

        named = [f for f in (*p.compare_fields, *p.ignore_fields)
                 if not any(f in r for r in actual) and not any(f in r for r in expected)]
        if named and (actual or expected):
            return Outcome(True, "", nothing_checked=f"field {named[0]!r} (compare_fields/ignore_fields) is in no row "
                           f"of {p.actual_path} or {p.expected_path}")
        pa, pe = [project(r) for r in actual], [project(r) for r in expected]
        if len(pa) != len(pe):
            return Outcome(False, f"{p.actual_path} has {len(pa)} rows, {p.expected_path} has {len(pe)}", len(pe),
                           len(pa))

        def same(x: dict[str, Any], y: dict[str, Any]) -> bool:
            return set(x) == set(y) and all(values_equal(x[k], y[k], p.numeric_tolerance) for k in x)

        if not p.ignore_order:
            for i, (x, y) in enumerate(zip(pa, pe)):
                if not same(x, y):
                    return Outcome(False, f"row {i} differs", y, x, [x])
        else:
            rest = list(pa)
            for y in pe:
                hit = next((i for i, x in enumerate(rest) if same(x, y)), None)
                if hit is None:
                    return Outcome(False, f"expected row {y} not in {p.actual_path}", y, None, rest[:5])
                rest.pop(hit)
        return Outcome(True, f"{p.actual_path} matches {p.expected_path} ({len(pa)} rows)", len(pe), len(pa))


# -- engine metrics (-- @metric annotations) --------------------------------------------------------
class MetricParams(Check):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    operator: str | None = None
    value: float | None = None
    between: list[float] | None = None

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, v: str | None) -> str | None:
        return known_operator(v)

    @model_validator(mode="after")
    def _operator_and_value_together(self) -> MetricParams:
        """An operator with no value, or a value with no operator, would check only that the metric exists
        (a ``value: 20`` that 5 passes): refused at load, as a check of nothing is."""
        if self.between is not None:
            return self
        if self.operator and self.value is None:
            raise ValueError(f"operator {self.operator} has no value to compare with: give value")
        if self.value is not None and not self.operator:
            raise ValueError(f"value {self.value:g} has no operator: give operator (equals, greater_than, …), "
                             "or use metric_exists to check only that the metric is there")
        return self


def _metric_value(p: MetricParams, ctx: AssertionContext, kind: str | None) -> tuple[list[Any], float | None]:
    found = [m for m in ctx.metrics if m.name == p.name and (kind is None or m.type == kind)
             and all(str(m.labels.get(k)) == str(v) for k, v in p.labels.items())]
    if not found:
        return found, None
    if kind == "gauge":
        return found, float(found[-1].value)
    return found, float(sum(m.value for m in found))


def _metric_check(p: MetricParams, ctx: AssertionContext, kind: str | None) -> Outcome:
    found, value = _metric_value(p, ctx, kind)
    names = sorted({m.name for m in ctx.metrics})
    if value is None:
        return Outcome(False, f"no {kind or ''} metric {p.name!r}" + (f" (metrics: {', '.join(names)})" if names
                                                                       else " (no -- @metric annotations)"),
                       p.name, None)
    if p.between is not None:
        ok = p.between[0] <= value <= p.between[1]
        return Outcome(ok, f"{p.name} = {value:g}, expected between {p.between[0]:g} and {p.between[1]:g}",
                       p.between, value)
    if p.operator and p.value is not None:
        op = {"greater_than_or_equal": "greater_than_or_equals", "less_than_or_equal": "less_than_or_equals",
              "between": "equals"}.get(p.operator, p.operator)
        ok = compare(value, op, p.value)
        return Outcome(ok, f"{p.name} = {value:g}, expected {p.operator.replace('_', ' ')} {p.value:g}",
                       {p.operator: p.value}, value)
    return Outcome(True, f"{p.name} = {value:g}", None, value)


@register
class MetricCounter(Assertion):
    type = "metric_counter"
    Params = MetricParams

    def check(self, p: MetricParams, ctx: AssertionContext) -> Outcome:
        return _metric_check(p, ctx, "counter")


@register
class MetricGauge(Assertion):
    type = "metric_gauge"
    Params = MetricParams

    def check(self, p: MetricParams, ctx: AssertionContext) -> Outcome:
        return _metric_check(p, ctx, "gauge")


@register
class MetricExists(Assertion):
    type = "metric_exists"
    Params = MetricParams

    def check(self, p: MetricParams, ctx: AssertionContext) -> Outcome:
        found, value = _metric_value(p, ctx, None)
        return Outcome(bool(found), f"metric {p.name!r} " + ("exists" if found else "does not exist"), p.name,
                       value)


