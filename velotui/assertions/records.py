"""Assertions on the captured records: counts, fields, values, aggregates, templates, expectations."""

from __future__ import annotations

import statistics
from collections import Counter
from functools import reduce
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import Field, field_validator, model_validator

from velotui.assertions.base import (
    MAX_SAMPLES,
    Assertion,
    AssertionContext,
    Check,
    NothingChecked,
    Outcome,
    Tally,
    as_float,
    as_number,
    canonical_text,
    compare,
    field_values,
    known_operator,
    register,
    template_checked_nothing,
    template_env,
    values_equal,
)
from velotui.errors import SandboxError, SpecError
from velotui.numbers import add as add_numbers
from velotui.numbers import quotient
from velotui.patterns import PatternTooSlow
from velotui.patterns import fullmatch as fullmatch_pattern
from velotui.records import Message


class RecordCountParams(Check):
    equals: int | float | None = None
    greater_than: int | float | None = None
    less_than: int | float | None = None
    greater_than_or_equals: int | float | None = None
    less_than_or_equals: int | float | None = None
    between: list[int | float] | None = None
    expression: str | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> RecordCountParams:
        if all(getattr(self, k) is None for k in type(self).model_fields):
            raise ValueError("give equals, greater_than, less_than, between or expression")
        if self.between is not None and len(self.between) != 2:
            raise ValueError("between takes [low, high]")
        return self


@register
class RecordCount(Assertion):
    type = "record_count"
    Params = RecordCountParams

    def tally(self, p: RecordCountParams) -> Tally | None:
        return _Count(p) if p.expression is None else None  # an expression may read anything

    def check(self, p: RecordCountParams, ctx: AssertionContext) -> Outcome:
        return count_outcome(p, len(ctx.records), ctx)


class _Count(Tally):
    def __init__(self, p: RecordCountParams) -> None:
        self.p, self.n = p, 0

    def add(self, records: list[dict[str, Any]], messages: list[Message]) -> None:
        self.n += len(records)

    def outcome(self, ctx: AssertionContext) -> Outcome:
        return count_outcome(self.p, self.n, ctx)


def count_outcome(p: RecordCountParams, n: int, ctx: AssertionContext) -> Outcome:
    """record_count's verdict on ``n`` records."""
    fails, expected = [], {}
    for op in ("equals", "greater_than", "less_than", "greater_than_or_equals", "less_than_or_equals"):
        v = getattr(p, op)
        if v is not None:
            expected[op] = v
            if not compare(n, op, v):
                fails.append(f"{op.replace('_', ' ')} {v:g}")
    if p.between is not None:
        expected["between"] = p.between
        if not p.between[0] <= n <= p.between[1]:
            fails.append(f"between {p.between[0]:g} and {p.between[1]:g}")
    if p.expression is not None:
        expected["expression"] = p.expression
        from velotui.sandbox import compile_expression

        text = p.expression.strip()
        expr = text if any(text.startswith(o) for o in ("==", "!=", ">", "<")) else f"== {text}"
        if not compile_expression(f"count {expr}").evaluate({**template_env(ctx), "count": n}):
            fails.append(f"count {expr}")
    if fails:
        return Outcome(False, f"expected record count {', '.join(fails)}, got {n}", expected, n)
    return Outcome(True, f"{n} records", expected, n)


class FieldsParams(Check):
    fields: list[str] = Field(default_factory=list)
    key_field: str | None = None


class SchemaParams(FieldsParams):
    criteria = ("fields", "key_field")  # no_nulls without fields looks at every field; schema_contains at none


@register
class SchemaContains(Assertion):
    type = "schema_contains"
    reads_records = True  # a missing field is its own failure; no records at all is nothing checked
    Params = SchemaParams

    def tally(self, p: FieldsParams) -> Tally:
        return _SchemaTally(p)


class _SchemaTally(Tally):
    def __init__(self, p: FieldsParams) -> None:
        self.p = p
        self.n = self.bad = self.nokey = 0
        self.missing: set[str] = set()
        self.bad_samples: list[dict[str, Any]] = []
        self.nokey_samples: list[dict[str, Any]] = []

    def add(self, records: list[dict[str, Any]], messages: list[Message]) -> None:
        p = self.p
        self.n += len(records)
        for r in records:
            lacking = [f for f in p.fields if f not in r]
            if lacking:
                self.bad += 1
                self.missing.update(lacking)
                if len(self.bad_samples) < MAX_SAMPLES:
                    self.bad_samples.append(r)
        if p.key_field:
            for m in messages:
                if m.value is not None and (m.key is None or not values_equal(m.key, m.value.get(p.key_field))):
                    self.nokey += 1
                    if len(self.nokey_samples) < MAX_SAMPLES:
                        self.nokey_samples.append(m.value)

    def outcome(self, ctx: AssertionContext) -> Outcome:
        p = self.p
        if self.bad:
            missing = sorted(self.missing)
            return Outcome(False, f"{self.bad} of {self.n} records lack field(s) {', '.join(missing)}",
                           p.fields, missing, self.bad_samples)
        if p.key_field and self.nokey:
            return Outcome(False, f"{self.nokey} records do not carry {p.key_field!r} as the message key",
                           p.key_field, f"{self.nokey} mismatches", self.nokey_samples)
        return Outcome(True, f"every record has {', '.join(p.fields)}", p.fields, p.fields)


@register
class NoNulls(Assertion):
    type = "no_nulls"
    reads_records = True
    record_fields = ("fields",)
    Params = FieldsParams

    def tally(self, p: FieldsParams) -> Tally:
        return _NullTally(p)


class _NullTally(Tally):
    def __init__(self, p: FieldsParams) -> None:
        self.p, self.bad = p, 0
        self.fields: set[str] = set()
        self.samples: list[dict[str, Any]] = []

    def add(self, records: list[dict[str, Any]], messages: list[Message]) -> None:
        given = self.p.fields
        for r in records:
            nulls = [f for f in (given or list(r)) if f in r and r[f] is None]
            if nulls:
                self.bad += 1
                self.fields.update(nulls)
                if len(self.samples) < MAX_SAMPLES:
                    self.samples.append(r)

    def outcome(self, ctx: AssertionContext) -> Outcome:
        if self.bad:
            return Outcome(False, f"{self.bad} records have NULL in {', '.join(sorted(self.fields))}", "no NULLs",
                           f"{self.bad} records with NULL", self.samples)
        return Outcome(True, "no NULLs", "no NULLs", "no NULLs")


class FieldInSetParams(Check):
    field: str
    values: list[Any]


@register
class FieldInSet(Assertion):
    type = "field_in_set"
    reads_records = True
    record_fields = ("field",)
    Params = FieldInSetParams

    def tally(self, p: FieldInSetParams) -> Tally:
        return _InSetTally(p)


class _InSetTally(Tally):
    SHOWN = 10  # the smallest values outside the set are shown

    def __init__(self, p: FieldInSetParams) -> None:
        self.p, self.bad = p, 0
        self.allowed = {canonical_text(v) for v in p.values}
        self.outside: set[str] = set()  # the SHOWN smallest texts outside the set so far
        self.samples: list[dict[str, Any]] = []

    def add(self, records: list[dict[str, Any]], messages: list[Message]) -> None:
        name, allowed = self.p.field, self.allowed
        for r, v in field_values(records, name):
            text = canonical_text(v)
            if text not in allowed:
                self.bad += 1
                self.outside.add(text)
                if len(self.samples) < MAX_SAMPLES:
                    self.samples.append(r)
        if len(self.outside) > 4 * self.SHOWN:
            self.outside = set(sorted(self.outside)[:self.SHOWN])

    def outcome(self, ctx: AssertionContext) -> Outcome:
        p = self.p
        if self.bad:
            seen = sorted(self.outside)[:self.SHOWN]
            return Outcome(False, f"{self.bad} records have {p.field} outside the set: {', '.join(seen)}",
                           p.values, seen, self.samples)
        return Outcome(True, f"every {p.field} is in the set", p.values, p.values)


class FieldValuesParams(Check):
    field: str
    operator: str = "equals"
    value: Any = None

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, v: str | None) -> str | None:
        return known_operator(v)

    @model_validator(mode="after")
    def _has_a_value(self) -> FieldValuesParams:
        """NULLs are skipped, so a value of NULL (or none given) compares with nothing: ``not_equals`` with
        no value passed on any output."""
        if self.value is None:
            raise ValueError(f"{self.operator} what? give value (NULLs are not compared: no_nulls checks them)")
        return self


@register
class FieldValues(Assertion):
    type = "field_values"
    skips_nulls = True
    reads_records = True
    record_fields = ("field",)
    Params = FieldValuesParams

    def tally(self, p: FieldValuesParams) -> Tally:
        return _ValuesTally(p)


class _ValuesTally(Tally):
    def __init__(self, p: FieldValuesParams) -> None:
        self.p, self.pairs, self.bad = p, 0, 0
        self.samples: list[dict[str, Any]] = []

    def add(self, records: list[dict[str, Any]], messages: list[Message]) -> None:
        p = self.p
        pairs = field_values(records, p.field)
        self.pairs += len(pairs)
        for r, v in pairs:
            if not compare(v, p.operator, p.value):
                self.bad += 1
                if len(self.samples) < MAX_SAMPLES:
                    self.samples.append(r)

    def outcome(self, ctx: AssertionContext) -> Outcome:
        p = self.p
        want = f"{p.field} {p.operator.replace('_', ' ')} {canonical_text(p.value)}"
        if self.bad:
            shown = [canonical_text(r[p.field]) for r in self.samples[:3]]
            return Outcome(False, f"expected every {want}; {self.bad} of {self.pairs} records do not "
                           f"(e.g. {', '.join(shown)})", {"operator": p.operator, "value": p.value},
                           shown, self.samples)
        return Outcome(True, f"every {want} ({self.pairs} records)", {"operator": p.operator, "value": p.value},
                       f"{self.pairs} records")


class AggregateParams(Check):
    function: Literal["SUM", "COUNT", "AVG", "MIN", "MAX", "sum", "count", "avg", "min", "max"]
    field: str | None = None
    expected: float
    tolerance: float | None = None


@register
class AggregateCheck(Assertion):
    type = "aggregate_check"
    skips_nulls = True
    reads_records = True
    record_fields = ("field",)

    def nothing_checked(self, p: AggregateParams, ctx: AssertionContext) -> NothingChecked | None:
        if p.function.upper() == "COUNT" and not self.records_seen(p, ctx).count:
            return None  # a count of no records is 0: a count check, like record_count
        return super().nothing_checked(p, ctx)
    Params = AggregateParams

    def tally(self, p: AggregateParams) -> Tally:
        return _AggregateTally(p)


class _AggregateTally(Tally):
    """COUNT, SUM, AVG, MIN, MAX of a field in one pass: the sum added up record by record, in order (the
    same float however the records come in chunks)."""

    def __init__(self, p: AggregateParams) -> None:
        self.p = p
        self.values = self.nums = 0
        self.total: Any = 0  # exact: an int at any size, a Decimal, or a float once a float comes
        self.low: float | None = None
        self.high: float | None = None

    def add(self, records: list[dict[str, Any]], messages: list[Message]) -> None:
        p = self.p
        if p.field is None:
            self.values += len(records)
            return
        values = [v for _, v in field_values(records, p.field)]
        self.values += len(values)
        nums = [x for x in map(as_number, values) if x is not None]
        if nums:
            self.nums += len(nums)
            self.total = reduce(add_numbers, nums, self.total)
            lo, hi = min(nums), max(nums)
            self.low = lo if self.low is None else min(self.low, lo)
            self.high = hi if self.high is None else max(self.high, hi)

    def outcome(self, ctx: AssertionContext) -> Outcome:
        p = self.p
        fn = p.function.upper()
        if p.field is None and fn != "COUNT":
            raise SpecError(f"aggregate_check {p.function} needs 'field'")
        if fn == "COUNT":
            got: float | None = float(self.values)
        elif not self.nums:
            got = 0.0 if fn == "SUM" else None
        else:
            got = {"SUM": self.total, "AVG": quotient(self.total, self.nums), "MIN": self.low,
                   "MAX": self.high}[fn]
        ok = got is not None and values_equal(got, p.expected, p.tolerance)
        what = f"{fn}({p.field or '*'})"
        return Outcome(ok, f"{what} = {got if got is None else round(got, 6)}, expected {p.expected:g}"
                       + (f" ± {p.tolerance:g}" if p.tolerance else ""), p.expected, got)


class TemplateParams(Check):
    expression: str


@register
class TemplateAssertion(Assertion):
    type = "template"
    decides_while_checking = True  # a loop over no records, a field no record has: seen while evaluating
    Params = TemplateParams

    def check(self, p: TemplateParams, ctx: AssertionContext) -> Outcome:
        from velotui.sandbox import compile_expression

        text = p.expression.strip()
        if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
            text = text[2:-2]
        from velotui.sandbox import Watch

        env = template_env(ctx)
        watch = Watch()
        try:
            value = compile_expression(text.replace("{{", "(").replace("}}", ")")).evaluate(env, watch)
        except SandboxError as e:  # a field read as NULL is the likeliest cause: say so
            typo, _ = template_checked_nothing(watch, ctx, misses_only=True)
            if typo is None:
                raise
            raise SandboxError(f"{e.message}: {typo}", hint=e.hint) from None
        if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):  # no verdict: 'false' is truthy
            raise SpecError(f"template {p.expression!r} gives {type(value).__name__} {str(value)[:60]!r}, not "
                            "true or false", hint="compare it: len(records) > 0, r.status == 'ok', all(…)")
        # a false template checked something, unless it read a field no record has (then say the typo)
        why, empty = template_checked_nothing(watch, ctx) if value else (template_checked_nothing(
            watch, ctx, misses_only=True)[0], False)
        return Outcome(bool(value), f"{p.expression} is {bool(value)}", True, value, nothing_checked=why, empty=empty)


class NoDuplicatesParams(Check):
    key_fields: list[str] = Field(default_factory=list)
    allow_updates: bool = False
    max_duplicate_percent: float = Field(0.0, ge=0, le=100)


def _whole_record(r: dict[str, Any]) -> bytes:
    """A record as one comparable value: its JSON with sorted keys (an integer beyond 64 bits, which orjson
    cannot write, by the standard library: exact)."""
    try:
        return orjson.dumps(r, default=str, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        import json

        return json.dumps(r, default=str, sort_keys=True, separators=(",", ":")).encode()


@register
class NoDuplicates(Assertion):
    type = "no_duplicates"
    reads_records = True
    record_fields = ("key_fields",)
    Params = NoDuplicatesParams

    def check(self, p: NoDuplicatesParams, ctx: AssertionContext) -> Outcome:
        if p.key_fields:
            keys = [tuple(canonical_text(r.get(k)) for k in p.key_fields) for r in ctx.records]
        else:
            keys = [_whole_record(r) for r in ctx.records]
        if p.allow_updates and p.key_fields:
            whole = [_whole_record(r) for r in ctx.records]
            counts = Counter(whole)
            dupes = [r for r, w in zip(ctx.records, whole) if counts[w] > 1]
        else:
            counts = Counter(keys)
            dupes = [r for r, k in zip(ctx.records, keys) if counts[k] > 1]
        extra = sum(c - 1 for c in counts.values() if c > 1)
        pct = 100.0 * extra / len(ctx.records) if ctx.records else 0.0
        ok = pct <= p.max_duplicate_percent
        return Outcome(ok, f"{extra} duplicate records ({pct:.2f}%), allowed {p.max_duplicate_percent:g}%",
                       f"<= {p.max_duplicate_percent}%", round(pct, 4), dupes)


class OrderingParams(Check):
    field: str
    direction: Literal["ascending", "descending", "asc", "desc"] = "ascending"
    partition_by: str | list[str] | None = None
    allow_equal: bool = True


@register
class Ordering(Assertion):
    type = "ordering"
    skips_nulls = True
    reads_records = True
    record_fields = ("field", "partition_by")
    Params = OrderingParams

    def check(self, p: OrderingParams, ctx: AssertionContext) -> Outcome:
        parts = [p.partition_by] if isinstance(p.partition_by, str) else (p.partition_by or [])
        last: dict[tuple[Any, ...], Any] = {}
        bad = []
        desc = p.direction in ("descending", "desc")
        for r in ctx.records:
            if p.field not in r or r[p.field] is None:
                continue
            key = tuple(canonical_text(r.get(x)) for x in parts)
            v = as_number(r[p.field])
            v = v if v is not None else canonical_text(r[p.field])
            if key in last:
                prev = last[key]
                try:
                    ok = (v > prev if not desc else v < prev) or (p.allow_equal and v == prev)
                except (TypeError, ArithmeticError):  # a number after a text (or a DECIMAL NaN): by their text
                    a, b = canonical_text(v), canonical_text(prev)
                    ok = (a > b if not desc else a < b) or (p.allow_equal and a == b)
                if not ok:
                    bad.append(r)
            last[key] = v
        if bad:
            return Outcome(False, f"{len(bad)} records break {p.direction} order of {p.field}"
                           + (f" within {', '.join(parts)}" if parts else ""), p.direction, f"{len(bad)} breaks", bad)
        return Outcome(True, f"{p.field} is {p.direction}", p.direction, p.direction)


class ExpectedOutputParams(Check):
    records: list[dict[str, Any]] | None = None
    file: str | None = None
    order: Literal["exact", "per_key", "any"] = "any"
    columns: Literal["all", "partial"] = "partial"
    key_fields: list[str] = Field(default_factory=list)
    tolerance: float | None = None


def _load_expected(p: ExpectedOutputParams, base: Path) -> list[dict[str, Any]]:
    if p.records is not None:
        return p.records
    if not p.file:
        raise SpecError("expected_output needs records or a file")
    path = base / p.file
    if path.suffix in (".yaml", ".yml"):
        from velotui.spec.yaml_source import read_yaml

        data = read_yaml(path, what="expected_output file").data
        return list(data or [])
    from velotui.datagen import load_data_file

    return load_data_file(path, what="expected_output file")


def _row_matches(actual: dict[str, Any], expected: dict[str, Any], columns: str, tol: float | None) -> bool:
    if columns == "all" and set(actual) != set(expected):
        return False
    return all(k in actual and values_equal(actual[k], v, tol) for k, v in expected.items())


@register
class ExpectedOutput(Assertion):
    type = "expected_output"
    Params = ExpectedOutputParams

    def check(self, p: ExpectedOutputParams, ctx: AssertionContext) -> Outcome:
        want = _load_expected(p, ctx.base_dir)
        got = ctx.records
        if len(got) != len(want):
            return Outcome(False, f"expected {len(want)} records, got {len(got)}", len(want), len(got), got[:5])
        if p.order == "exact":
            for i, (a, e) in enumerate(zip(got, want)):
                if not _row_matches(a, e, p.columns, p.tolerance):
                    return Outcome(False, f"record {i} differs: expected {e}, got {a}", e, a, [a])
            return Outcome(True, f"{len(got)} records match in order", len(want), len(got))
        if p.order == "per_key":
            keys = p.key_fields or list(want[0]) if want else []
            def group(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
                out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
                for r in rows:
                    out.setdefault(tuple(canonical_text(r.get(k)) for k in keys), []).append(r)
                return out
            gw, gg = group(want), group(got)
            for k, rows in gw.items():
                other = gg.get(k, [])
                if len(other) != len(rows) or not all(_row_matches(a, e, p.columns, p.tolerance)
                                                      for a, e in zip(other, rows)):
                    return Outcome(False, f"records for key {k} differ", rows, other, other)
            return Outcome(True, f"{len(got)} records match per key", len(want), len(got))
        remaining = list(got)
        for e in want:
            hit = next((i for i, a in enumerate(remaining) if _row_matches(a, e, p.columns, p.tolerance)), None)
            if hit is None:
                return Outcome(False, f"expected record {e} not found in the output", e, None, remaining[:5])
            remaining.pop(hit)
        return Outcome(True, f"{len(got)} records match (any order)", len(want), len(got))


class DistributionParams(Check):
    criteria = ('mean', 'std_dev', 'min_value', 'max_value')
    field: str
    distribution_type: Literal["normal", "uniform", "exponential", "custom"] = "normal"
    mean: float | None = None
    std_dev: float | None = None
    min_value: float | None = None
    max_value: float | None = None
    tolerance: float = 0.1
    min_records: int = 10


@register
class DistributionCheck(Assertion):
    type = "distribution"
    skips_nulls = True
    reads_records = True
    record_fields = ("field",)
    Params = DistributionParams

    def check(self, p: DistributionParams, ctx: AssertionContext) -> Outcome:
        vals = [as_float(v) for _, v in field_values(ctx.records, p.field)]
        vals = [v for v in vals if v is not None]
        if len(vals) < p.min_records:
            return Outcome(False, f"only {len(vals)} values of {p.field}, need {p.min_records}", p.min_records,
                           len(vals))
        mean = statistics.fmean(vals)
        sd = statistics.pstdev(vals)
        problems = []
        if p.mean is not None and abs(mean - p.mean) > abs(p.mean) * p.tolerance + 1e-9:
            problems.append(f"mean {mean:.4g} vs {p.mean:g}")
        if p.std_dev is not None and abs(sd - p.std_dev) > abs(p.std_dev) * p.tolerance + 1e-9:
            problems.append(f"std_dev {sd:.4g} vs {p.std_dev:g}")
        if p.min_value is not None and min(vals) < p.min_value:
            problems.append(f"min {min(vals):.4g} < {p.min_value:g}")
        if p.max_value is not None and max(vals) > p.max_value:
            problems.append(f"max {max(vals):.4g} > {p.max_value:g}")
        if p.distribution_type == "uniform" and p.min_value is not None and p.max_value is not None:
            expected_mean = (p.min_value + p.max_value) / 2
            if abs(mean - expected_mean) > (p.max_value - p.min_value) * p.tolerance:
                problems.append(f"mean {mean:.4g} is not central for a uniform distribution ({expected_mean:g})")
        actual = {"mean": round(mean, 6), "std_dev": round(sd, 6), "min": min(vals), "max": max(vals)}
        return Outcome(not problems, "; ".join(problems) or f"{p.field} distribution within tolerance",
                       p.model_dump(exclude_none=True), actual)


class PercentileParams(Check):
    criteria = ('p50', 'p75', 'p90', 'p95', 'p99', 'p999')
    field: str
    p50: float | None = None
    p75: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    p999: float | None = None
    mode: Literal["less_than", "greater_than"] = "less_than"
    min_records: int = 1


def percentile(sorted_vals: list[float], q: float) -> float:
    if not sorted_vals:
        return float("nan")
    k = (len(sorted_vals) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    a, b = sorted_vals[lo], sorted_vals[hi]
    if k == lo or a == b:  # on a value (an infinity too: inf - inf would make NaN of it)
        return a
    return a + (b - a) * (k - lo)


@register
class Percentile(Assertion):
    type = "percentile"
    skips_nulls = True
    reads_records = True
    record_fields = ("field",)
    Params = PercentileParams

    def check(self, p: PercentileParams, ctx: AssertionContext) -> Outcome:
        vals = sorted(v for v in (as_float(x) for _, x in field_values(ctx.records, p.field)) if v is not None)
        if len(vals) < p.min_records:
            return Outcome(False, f"only {len(vals)} values, need {p.min_records}", p.min_records, len(vals))
        qs = {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p999": 0.999}
        actual, bad = {}, []
        for name, q in qs.items():
            bound = getattr(p, name)
            if bound is None:
                continue
            got = percentile(vals, q)
            actual[name] = round(got, 6)
            if (p.mode == "less_than" and not got <= bound) or (p.mode == "greater_than" and not got >= bound):
                bad.append(f"{name} {got:.4g} not {p.mode.replace('_', ' ')} {bound:g}")
        return Outcome(not bad, "; ".join(bad) or f"{p.field} percentiles within bounds",
                       {k: getattr(p, k) for k in qs if getattr(p, k) is not None}, actual)


class NumericRange(Check):
    field: str
    min: float = float("-inf")
    max: float = float("inf")


class StringPattern(Check):
    field: str
    pattern: str


class ReferentialIntegrity(Check):
    field: str
    reference_source: str = ""
    reference_field: str | None = None


class DataQualityParams(Check):
    criteria = ('no_nulls_in', 'no_empty_strings_in', 'numeric_ranges', 'string_patterns',
                'referential_integrity')
    no_nulls_in: list[str] = Field(default_factory=list)
    no_empty_strings_in: list[str] = Field(default_factory=list)
    numeric_ranges: list[NumericRange] = Field(default_factory=list)
    string_patterns: list[StringPattern] = Field(default_factory=list)
    referential_integrity: list[ReferentialIntegrity] = Field(default_factory=list)
    min_quality_score: float = 1.0


def _fullmatch(pattern: str, text: str) -> bool:
    try:
        return fullmatch_pattern(pattern, text)
    except PatternTooSlow as e:
        raise SandboxError(f"string_patterns: {e}") from None


@register
class DataQuality(Assertion):
    type = "data_quality"
    reads_records = True

    def fields_read(self, p: DataQualityParams) -> list[tuple[str, str]]:
        out = [("no_nulls_in", f) for f in p.no_nulls_in] + [("no_empty_strings_in", f) for f in p.no_empty_strings_in]
        for param in ("numeric_ranges", "string_patterns", "referential_integrity"):
            out += [(param, rule.field) for rule in getattr(p, param)]
        return out

    def nothing_checked(self, p: DataQualityParams, ctx: AssertionContext) -> NothingChecked | None:
        """As every type's, and a range or pattern over a field NULL in every record checked no value
        (NULLs are for ``no_nulls_in`` to find)."""
        why = super().nothing_checked(p, ctx)
        if why is None:
            seen = self.records_seen(p, ctx)
            for param in ("numeric_ranges", "string_patterns"):
                for rule in getattr(p, param):
                    why = why or seen.only_null(rule.field, ctx.output_label, param)
        return why

    Params = DataQualityParams

    def check(self, p: DataQualityParams, ctx: AssertionContext) -> Outcome:

        bad: list[dict[str, Any]] = []
        reasons: Counter[str] = Counter()
        refs = []
        for rule in p.referential_integrity:
            src = ctx.inputs.get(rule.reference_source) or ctx.outputs.get(rule.reference_source)
            if src is None:
                raise SpecError(f"data_quality: reference_source {rule.reference_source!r} is not an input "
                                f"or output (inputs: {', '.join(ctx.inputs)})")
            refs.append((rule.field, {canonical_text(r.get(rule.reference_field or rule.field)) for r in src}))
        patterns = [(r.field, r.pattern) for r in p.string_patterns]
        for r in ctx.records:
            why = [f"{f} is NULL" for f in p.no_nulls_in if r.get(f) is None]
            why += [f"{f} is empty" for f in p.no_empty_strings_in if r.get(f) == ""]
            for rng in p.numeric_ranges:
                v = as_number(r.get(rng.field))
                if v is not None and not (rng.min <= v <= rng.max):
                    why.append(f"{rng.field} out of range")
            why += [f"{f} does not match" for f, rx in patterns if r.get(f) is not None and not _fullmatch(rx, str(r[f]))]
            why += [f"{f} has no reference" for f, keys in refs if canonical_text(r.get(f)) not in keys]
            if why:
                bad.append(r)
                reasons.update(why)
        score = 1.0 - len(bad) / len(ctx.records) if ctx.records else 1.0
        ok = score >= p.min_quality_score
        return Outcome(ok, f"quality score {score:.4f} (min {p.min_quality_score:g})"
                       + (f"; problems: {dict(reasons)}" if reasons else ""), p.min_quality_score, round(score, 6),
                       bad)
