"""The assertion framework: context, result, comparison rules, templates, and the registry."""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from itertools import chain
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

import velotui.patterns as patterns
from velotui.errors import SandboxError, SpecError, VelotuiError
from velotui.numbers import to_float
from velotui.records import Message

EPSILON = 1e-4
MAX_SAMPLES = 5


@dataclass
class AssertionContext:
    """What an assertion sees: the captured output of its query (or sink) and the run around it."""

    records: list[dict[str, Any]]
    messages: list[Message] = field(default_factory=list)
    inputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    outputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    records_in: int = 0
    duration_ms: float = 0.0
    dead_letters: list[Any] = field(default_factory=list)
    metrics: list[Any] = field(default_factory=list)
    memory_peak_bytes: int = 0
    memory_growth_bytes: int = 0
    latencies_ms: list[float] | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    sink_files: dict[str, Path] = field(default_factory=dict)
    table_state: dict[Any, dict[str, Any]] | None = None
    now_ms: int | None = None
    strict: bool = False  # --strict (warnings are errors)
    expects_empty: bool = False  # the check list this assertion belongs to expects no output records
    output_label: str = "output records"  # what ``records`` are, in messages ("records of sink s")
    # a run that checked its output block by block (velotui.core.run) holds no records: what "nothing
    # checked" needs of them was gathered as they went by (``records`` is empty then)
    seen: RecordsSeen | None = None

    @property
    def record_total(self) -> int:
        """How many output records there were (held in ``records``, or counted as they went by)."""
        return self.seen.count if self.seen is not None else len(self.records)


@dataclass
class AssertionResult:
    type: str
    description: str | None
    status: str  # passed | failed | warning | error
    message: str
    expected: Any = None
    actual: Any = None
    samples: list[Any] = field(default_factory=list)
    file: str | None = None
    line: int | None = None
    diff: Any = None  # golden comparisons: a velotui.golden.GoldenDiff (row-level: added, removed, changed)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


class Check(BaseModel):
    """Parameters of one assertion type (subclassed per type). Unknown keys are reported by validation.

    ``criteria``: the parameters that say what to check (bounds, fields, rules); a type that lists them is
    refused at load when none is given, since it would check nothing and pass (``schema_contains`` with no
    field, ``percentile`` with no bound)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, arbitrary_types_allowed=True)
    criteria: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _checks_something(self) -> Check:
        for name in type(self).model_fields:
            v = getattr(self, name, None)
            if isinstance(v, float) and math.isnan(v):
                raise ValueError(f"{name} is NaN: no number to check against")
            if name == "tolerance" and isinstance(v, (int, float)) and v < 0:
                raise ValueError(f"tolerance must not be negative (got {v:g})")
            if name == "between" and isinstance(v, list) and len(v) == 2 and all(
                    isinstance(x, (int, float)) for x in v) and v[0] > v[1]:
                raise ValueError(f"between [{v[0]:g}, {v[1]:g}]: the low bound is above the high one")
        names = type(self).criteria
        if names and all(getattr(self, n, None) in (None, [], {}, "") for n in names):
            given = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            raise ValueError(f"this checks nothing: give {given}")
        return self


class Outcome:
    """What an assertion's ``check`` returns. ``nothing_checked`` is set by a check that finds, while
    running, that its verdict rests on nothing (a template whose loop met no records)."""

    __slots__ = ("actual", "empty", "expected", "message", "nothing_checked", "ok", "samples")

    def __init__(self, ok: bool, message: str, expected: Any = None, actual: Any = None,
                 samples: list[Any] | None = None, nothing_checked: str | None = None, empty: bool = False) -> None:
        self.ok = ok
        self.message = message
        self.expected = expected
        self.actual = actual
        self.samples = (samples or [])[:MAX_SAMPLES]
        self.nothing_checked = nothing_checked
        self.empty = empty  # the reason is "there were no records" (a spec that expects none accepts it)


@dataclass
class NothingChecked:
    """Why an assertion checked nothing. ``empty``: because there were no records at all (accepted when
    the query's own spec expects an empty output), else because a field it reads is in no record."""

    reason: str
    empty: bool = False


def _as_names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


class RecordsSeen:
    """What "nothing checked" needs to know of the records a check reads, gathered in one pass, a chunk at a
    time: how many there are, which of the fields it reads appear in none of them so far, and the fields of
    the first 1,000 (for did-you-mean)."""

    FIRST = 1000

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.count = 0
        self.absent_so_far: set[str] = set(names)
        self.null_so_far: set[str] = set(self.absent_so_far)  # absent, or NULL in every record that has it
        self.first_fields: set[str] = set()

    def add(self, records: list[dict[str, Any]]) -> None:
        if self.count < self.FIRST:
            for r in records[:self.FIRST - self.count]:
                if isinstance(r, dict):
                    self.first_fields.update(str(k) for k in r)
        for name in list(self.absent_so_far):
            if any(isinstance(r, dict) and name in r for r in records):
                self.absent_so_far.discard(name)
        for name in list(self.null_so_far):
            if any(isinstance(r, dict) and r.get(name) is not None for r in records):
                self.null_so_far.discard(name)
        self.count += len(records)

    def only_null(self, name: str, what: str, param: str = "") -> NothingChecked | None:
        """``name`` is NULL in every record that has it (a check that skips NULLs looked at no value)."""
        if name not in self.null_so_far or name in self.absent_so_far:
            return None
        label = f"{param}: " if param and param not in ("field", "fields") else ""
        return NothingChecked(f"{label}field {name!r} is NULL in every one of the {self.count} {what}: no value "
                              "to check")

    def absent(self, name: str, what: str, param: str = "") -> NothingChecked | None:
        """``name`` is in none of the records: the reason (with did-you-mean), else None."""
        if name not in self.absent_so_far:
            return None
        seen = sorted(self.first_fields)
        close = difflib.get_close_matches(name, seen, n=1)
        label = f"{param}: " if param and param not in ("field", "fields") else ""
        return NothingChecked(f"{label}field {name!r} is in none of the {self.count} {what}"
                              + (f"; did you mean {close[0]!r}?" if close else "")
                              + (f" (fields: {', '.join(seen)})" if seen else ""))


def missing_field(name: str, records: list[dict[str, Any]], what: str, param: str = "") -> NothingChecked | None:
    """``name`` is in none of ``records``: the reason (with did-you-mean), else None."""
    seen = RecordsSeen([name])
    seen.add(records)
    return seen.absent(name, what, param)


class Tally:
    """An assertion's check made in one pass over the records: ``add`` each chunk of them (with their
    messages) in order, then ``outcome``. A one-pass type's ``check`` is its tally over the whole list in
    one chunk, so a run that captures and checks its output block by block, holding none of it (velotui.core
    .run), gets the verdict, message and samples a run holding every record gets. A tally keeps what its
    verdict needs (counts, the first samples), never the records."""

    def add(self, records: list[dict[str, Any]], messages: list[Message]) -> None:  # pragma: no cover
        raise NotImplementedError

    def outcome(self, ctx: AssertionContext) -> Outcome:  # pragma: no cover
        raise NotImplementedError


class AfterTheRun(Tally):
    """The tally of a check that reads no output record (its duration, memory, dead letters): nothing to
    gather, its check runs on the context at the end."""

    def __init__(self, assertion: Assertion, p: Any) -> None:
        self.assertion, self.p = assertion, p

    def add(self, records: list[dict[str, Any]], messages: list[Message]) -> None:
        return None

    def outcome(self, ctx: AssertionContext) -> Outcome:
        return self.assertion.check(self.p, ctx)


class Assertion:
    """One assertion type: a params model, what it reads, and a check over the context.

    What it reads is declared, and the framework (``evaluate``) decides "nothing checked" from it before
    the check runs: ``reads_records`` (its verdict rests on the captured records: none of them, nothing
    checked) and ``record_fields`` (parameters naming fields of those records, a name or a list: a field
    in none of them, nothing checked). A type whose reads depend on more overrides ``fields_read`` or
    ``nothing_checked``; a check that learns it while running returns ``Outcome(nothing_checked=…)``."""

    type: ClassVar[str]
    Params: ClassVar[type[Check]] = Check
    reads_records: ClassVar[bool] = False
    record_fields: ClassVar[tuple[str, ...]] = ()
    skips_nulls: ClassVar[bool] = False  # its check passes over NULL values: a field NULL in every record checked nothing
    decides_while_checking: ClassVar[bool] = False  # its check returns Outcome(nothing_checked=…) itself

    def fields_read(self, p: Any) -> list[tuple[str, str]]:
        """(parameter, field name) for every field of the output records the check reads."""
        return [(param, name) for param in self.record_fields for name in _as_names(getattr(p, param, None))]

    def records_seen(self, p: Any, ctx: AssertionContext) -> RecordsSeen:
        """What the records tell "nothing checked": gathered as they went by, or from the records held."""
        if ctx.seen is not None:
            return ctx.seen
        seen = RecordsSeen(name for _, name in self.fields_read(p))
        seen.add(ctx.records)
        return seen

    def nothing_checked(self, p: Any, ctx: AssertionContext) -> NothingChecked | None:
        seen = self.records_seen(p, ctx)
        if self.reads_records and not seen.count:
            return NothingChecked(f"there are no {ctx.output_label} to check", empty=True)
        for param, name in self.fields_read(p):
            why = seen.absent(name, ctx.output_label, param)
            if why is None and self.skips_nulls:
                why = seen.only_null(name, ctx.output_label, param)
            if why is not None:
                return why
        return None

    def tally(self, p: Any) -> Tally | None:
        """This check made in one pass over the records (``Tally``), or None: it needs them all at once."""
        return None

    def check(self, p: Any, ctx: AssertionContext) -> Outcome:
        """The check over the records held (a one-pass type: its tally over them all)."""
        t = self.tally(p)
        if t is None:  # pragma: no cover - every type defines check or tally
            raise NotImplementedError
        t.add(ctx.records, ctx.messages)
        return t.outcome(ctx)


ASSERTION_TYPES: dict[str, type[Assertion]] = {}


def register(cls: type[Assertion]) -> type[Assertion]:
    ASSERTION_TYPES[cls.type] = cls
    return cls


# -- comparison rules (FORMATS.md §4) -------------------------------------------------------------
Number = int | float | Decimal


def as_number(v: Any) -> Number | None:
    """A value as the number it is, exactly (an INTEGER stays an int at any size, a DECIMAL a Decimal: two
    ids that differ by 1 beyond 2**53 are two numbers); text that reads as one, as that number; else None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float, Decimal)):
        return v
    if isinstance(v, str):
        text = v.strip()
        try:
            return int(text) if len(text) <= 4300 else float(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return None
    return None


def as_float(v: Any) -> float | None:
    """``as_number`` as a float, for statistics (means, percentiles): an integer too big for a float is an
    infinity of its sign, never an OverflowError."""
    n = as_number(v)
    return n if n is None or type(n) is float else to_float(n)


def _close(a: Number, b: Number, tolerance: float) -> bool:
    """``|a - b| <= tolerance``, exactly (an int, a float and a Decimal as the numbers they are: no float
    rounding makes two different integers equal); a NaN is close to nothing, an infinity only to itself."""
    if a == b:
        return True
    for x in (a, b):
        if (type(x) is float and not math.isfinite(x)) or (type(x) is Decimal and not x.is_finite()):
            return False
    if type(a) is float and type(b) is float:
        return abs(a - b) <= tolerance
    if type(a) is int and type(b) is int:
        return abs(a - b) <= tolerance
    return abs(Fraction(a) - Fraction(b)) <= tolerance


def canonical_text(v: Any) -> str:
    """The text form used when values are compared as text."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v):
            return str(int(v))
        return repr(v)
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime):
        dt = v.astimezone(UTC) if v.tzinfo else v
        text = dt.strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{dt.microsecond // 1000:03d}" if dt.microsecond else "")
    return str(v)


def values_equal(a: Any, b: Any, tolerance: float | None = None) -> bool:
    na, nb = as_number(a), as_number(b)
    if na is not None and nb is not None and not (isinstance(a, str) and isinstance(b, str)):
        return _close(na, nb, EPSILON if tolerance is None else tolerance)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return canonical_text(a) == canonical_text(b)


def compare(actual: Any, op: str, expected: Any, tolerance: float | None = None) -> bool:
    """Type-aware comparison: numbers numerically, otherwise as canonical text."""
    if op in ("equals", "eq", "=="):
        return values_equal(actual, expected, tolerance)
    if op in ("not_equals", "ne", "!="):
        return not values_equal(actual, expected, tolerance)
    if op in ("contains", "starts_with", "ends_with", "matches"):
        if actual is None:
            return False
        text, pat = canonical_text(actual), canonical_text(expected)
        if op == "contains":  # literal text: only `matches` is a regular expression
            return pat in text
        if op == "starts_with":
            return text.startswith(pat)
        if op == "ends_with":
            return text.endswith(pat)
        try:
            return patterns.search(pat, text)
        except re.error as e:
            raise SpecError(f"matches {pat!r}: not a regular expression ({e})",
                            hint="escape the special characters, or use contains for literal text") from None
        except patterns.PatternTooSlow as e:
            raise SandboxError(f"matches: {e}") from None
    test = _ORDER_OPS.get(op)
    if test is None:
        raise SpecError(f"unknown operator {op!r}",
                        hint="use equals, not_equals, greater_than, less_than, greater_than_or_equals, "
                        "less_than_or_equals, contains, starts_with, ends_with or matches")
    na, nb = as_number(actual), as_number(expected)
    if na is None or nb is None:
        if actual is None:
            return False
        return test(canonical_text(actual), canonical_text(expected))
    try:
        return test(na, nb)  # the numbers as they are: exact
    except ArithmeticError:  # decimal.InvalidOperation: a DECIMAL NaN is in no order
        return False


_EQUALITY_OPS = ("equals", "eq", "==", "not_equals", "ne", "!=")
_TEXT_OPS = ("contains", "starts_with", "ends_with", "matches")


def known_operator(op: str | None) -> str | None:
    """``op`` when it is an operator of ``compare``; else a ValueError with a did-you-mean (at load: a
    misspelt operator is a mistake in the spec, never a check that fails for another reason at run time)."""
    if op is None or op in _EQUALITY_OPS or op in _TEXT_OPS or op in _ORDER_OPS:
        return op
    known = [*_EQUALITY_OPS[::3], *_EQUALITY_OPS[3::3], *_TEXT_OPS, *_ORDER_OPS]
    close = difflib.get_close_matches(str(op), known, n=1)
    raise ValueError(f"unknown operator {op!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                    f" (use {', '.join(dict.fromkeys(known))})"))


_ORDER_OPS: dict[str, Any] = {
    "greater_than": operator.gt, "gt": operator.gt, "less_than": operator.lt, "lt": operator.lt,
    "greater_than_or_equals": operator.ge, "greater_than_or_equal": operator.ge, "gte": operator.ge,
    "less_than_or_equals": operator.le, "less_than_or_equal": operator.le, "lte": operator.le}


# -- templates ---------------------------------------------------------------------------------
_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")


class Namespace(dict):  # type: ignore[type-arg]
    """A template namespace (inputs, outputs, variables): a missing name is an error naming the known ones."""

    label = "names"

    def __init__(self, label: str, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.label = label

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            known = ", ".join(sorted(self)) or "(none)"
            raise SandboxError(f"unknown {self.label} {key!r}; available: {known}")
        return super().get(key)


def dataset(records: list[dict[str, Any]], name: str = "") -> dict[str, Any]:
    """``inputs.X`` / ``outputs.X``: ``count`` and ``records``; any other attribute is an error naming them
    (a typo like ``inputs.x.record`` must not read as NULL)."""
    return Namespace(f"attribute of {name}" if name else "attribute", {"count": len(records), "records": records})


def template_env(ctx: AssertionContext) -> dict[str, Any]:
    return {
        "records": ctx.records,
        "inputs": Namespace("input", {k: dataset(v, f"inputs.{k}") for k, v in ctx.inputs.items()}),
        "outputs": Namespace("output", {k: dataset(v, f"outputs.{k}") for k, v in ctx.outputs.items()}),
        "variables": Namespace("variable", dict(ctx.variables)),
        "count_in": ctx.records_in,
        "dead_letters": [{"error_type": getattr(d, "error_type", None), "message": getattr(d, "message", None),
                          "record": getattr(d, "record", None)} for d in ctx.dead_letters],
    }


def vacuous_filter(watch: Any) -> str | None:
    """Why an evaluation that ``watch`` saw rests on nothing because all() read a filter that kept none of
    the items it looked at (velotui.sandbox.Watch.vacuous); None when it did not."""
    vacuous = watch.vacuous()
    if vacuous is None:
        return None
    text, seen = vacuous
    return f"the filter 'if {text}' of all(…) kept none of the {seen} item(s) it looked at (all() of nothing is true)"


def template_checked_nothing(watch: Any, ctx: AssertionContext, *, misses_only: bool = False
                             ) -> tuple[str | None, bool]:
    """A true template checked nothing when it looped over a record list that was empty, when all() read a
    filtered comprehension whose filter kept none of the items it looked at (all() of nothing is true), or
    when it read a field that none of the records it read it from has (a typo reads as NULL). ``misses_only``:
    only the last (a template that computes a parameter, or one that came out false).

    Only a field that some read did not find can be such a field, so the records are looked at only for
    those (a template that found every field it read costs nothing here, however many records it read)."""
    lists: dict[int, tuple[str, list[dict[str, Any]]]] = {id(ctx.records): ("records", ctx.records)}
    for kind, data in (("inputs", ctx.inputs), ("outputs", ctx.outputs)):
        for name, rows in data.items():
            lists.setdefault(id(rows), (f"{kind}.{name}.records", rows))
    for xs, n in watch.iterated if not misses_only else ():
        if n == 0 and id(xs) in lists:
            return f"the expression loops over {lists[id(xs)][0]}, which is empty", True
    vacuous = vacuous_filter(watch) if not misses_only else None
    if vacuous is not None:
        return vacuous, False
    if not watch.misses:
        return None, False
    records = {id(r) for _, rows in lists.values() for r in rows}
    for name, missed in watch.misses.items():
        read_from = [obj for obj in missed if id(obj) in records]
        if not read_from or any(id(obj) in records for obj in watch.hits.get(name, ())):
            continue  # not read from a record, or found in one
        seen_fields: set[str] = set()
        for obj in chain(read_from, (o for found in watch.hits.values() for o in found if id(o) in records)):
            if len(seen_fields) >= 200:
                break
            seen_fields.update(str(k) for k in obj)
        close = difflib.get_close_matches(name, sorted(seen_fields), n=1)
        return (f"field {name!r} is in none of the records the expression reads it from"
                + (f"; did you mean {close[0]!r}?" if close else "")
                + f" (fields: {', '.join(sorted(seen_fields))})"), False
    return None, False


def render(value: Any, ctx: AssertionContext, watch: Any = None) -> Any:
    """Resolve ``{{…}}`` in a value: a lone template gives the value itself, else text substitution.
    ``watch`` (velotui.sandbox.Watch): sees what the templates read."""
    if isinstance(value, list):
        return [render(v, ctx, watch) for v in value]
    if isinstance(value, dict):
        return {k: render(v, ctx, watch) for k, v in value.items()}
    if not isinstance(value, str) or "{{" not in value:
        return value
    from velotui.sandbox import compile_expression

    env = template_env(ctx)
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole:
        return compile_expression(whole.group(1)).evaluate(env, watch)
    return _TEMPLATE.sub(lambda m: canonical_text(compile_expression(m.group(1)).evaluate(env, watch)), value)


# -- running -----------------------------------------------------------------------------------
def _params_model(spec: Any, params: dict[str, Any] | None = None) -> tuple[type[Assertion], Check | None]:
    cls = ASSERTION_TYPES.get(spec.type)
    if cls is None:
        close = difflib.get_close_matches(spec.type, sorted(ASSERTION_TYPES), n=1)
        raise SpecError(f"unknown assertion type {spec.type!r}", file=spec.file, line=spec.line,
                        column=spec.column, hint=(f"did you mean {close[0]!r}? " if close else "")
                        + "known types: " + ", ".join(sorted(ASSERTION_TYPES)))
    try:
        return cls, cls.Params.model_validate(spec.params if params is None else params)
    except ValidationError as e:
        errors = [x for x in e.errors() if not (params is None and isinstance(x.get("input"), str)
                                                 and "{{" in x["input"])]
        if not errors:  # only template values, which are checked once rendered
            return cls, None
        err = errors[0]
        name = ".".join(str(x) for x in err["loc"]) or "params"
        msg = err["msg"].removeprefix("Value error, ")
        raise SpecError(f"{spec.type}: '{name}': {msg}", file=spec.file, line=spec.line, column=spec.column,
                        hint=f"see docs/ASSERTIONS.md#{spec.type}") from None


OWN_KEYS = ("type", "description", "severity", "params")  # keys every assertion takes besides its type's


def validate_assertion(spec: Any, doc: Any = None, *, strict: bool = False) -> list[Any]:
    """Check one assertion as written: its type, its keys (a key one edit from a known one is an error;
    another unknown key a warning, an error under ``strict``), its parameters' values and, for a template,
    its expression. Raise one SpecError listing every problem (file:line:column of each); return the
    warnings. ``doc`` (the spec's YamlDocument) gives each key's exact place."""
    from velotui.spec.validation import judge_key, raise_all, unknown_keys

    path = tuple(getattr(spec, "doc_path", ()) or ())

    def key_loc(key: Any) -> tuple[int, int] | None:
        if doc is not None and (*path, key) in doc.key_locations:
            return doc.key_locations[(*path, key)]
        return (spec.line, spec.column) if spec.line else None

    def value_loc(key: Any) -> tuple[int | None, int | None]:
        if doc is not None:
            where = doc.locations.get((*path, key)) or doc.key_locations.get((*path, key))
            if where:
                return where
        return spec.line, spec.column

    cls = ASSERTION_TYPES.get(spec.type)
    if cls is None:
        close = difflib.get_close_matches(str(spec.type), sorted(ASSERTION_TYPES), n=1)
        line, column = value_loc("type")
        raise SpecError(f"unknown assertion type {spec.type!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                        file=spec.file, line=line, column=column,
                        hint="known types: " + ", ".join(sorted(ASSERTION_TYPES)))
    errors: list[SpecError] = []
    warnings: list[Any] = []
    known = _known_keys(cls)
    typo_keys = set()
    for key in spec.params:
        if key in known:
            continue
        found = judge_key(key, known, key_loc(key), spec.file, context=spec.type)
        if isinstance(found, SpecError):
            errors.append(found)
            typo_keys.add(key)
        elif strict:
            errors.append(found.as_error("remove the key or fix its spelling (unknown keys are errors under --strict)"))
        else:
            warnings.append(found)
    if not errors:  # a typo of a required key would also read as "missing": say the typo only
        try:
            _, params = _params_model(spec)
        except SpecError as e:
            errors += _located_param_errors(spec, cls, doc, path) or [e]
            params = None
        if params is not None and doc is not None:
            for name, field in type(params).model_fields.items():  # keys of nested rules (data_quality …)
                found_nested = unknown_keys(getattr(params, name), doc, (*path, field.alias or name))
                errors += found_nested.typos
                if strict:
                    errors += [w.as_error() for w in found_nested.unknown]
                else:
                    warnings += found_nested.unknown
        expression = spec.params.get("expression") if spec.type == "template" else None
        if isinstance(expression, str) and "{{" not in expression:
            from velotui.sandbox import compile_expression

            try:
                compile_expression(expression)
            except VelotuiError as e:
                line, column = value_loc("expression")
                errors.append(SpecError(f"template: {e.message}", file=spec.file, line=line, column=column,
                                        hint=e.hint))
    raise_all(errors)
    return warnings


def _known_keys(cls: type[Assertion]) -> list[str]:
    """Every key an assertion of ``cls`` takes: its parameters' and the ones every assertion takes."""
    from velotui.spec.validation import model_keys

    return sorted(set(model_keys(cls.Params)) | set(OWN_KEYS))


def _located_param_errors(spec: Any, cls: type[Assertion], doc: Any, path: tuple[Any, ...]) -> list[SpecError]:
    """The parameter errors of an assertion, each where it is written; a required key that is missing
    while a key one edit from it is there is reported as that typo."""
    from velotui.spec.validation import renamed_key, typo_for_missing

    try:
        cls.Params.model_validate(spec.params)
        return []
    except ValidationError as e:
        out = []
        known = _known_keys(cls)
        unknown = [str(k) for k in spec.params if k not in known]
        missing = [err for err in e.errors() if err["type"] == "missing" and len(err["loc"]) == 1]
        for err in e.errors():
            if isinstance(err.get("input"), str) and "{{" in err["input"]:
                continue  # a template value is checked once rendered
            loc = tuple(err["loc"])
            name = ".".join(str(x) for x in loc) or "params"
            typo = typo_for_missing(doc, (*path, *loc)) if doc is not None and err["type"] == "missing" else None
            if typo is not None:
                out.append(SpecError(f"{spec.type}: {typo.message}", file=spec.file, line=typo.line,
                                     column=typo.column, hint=typo.hint))
                continue
            renamed = renamed_key(name, len(missing), [str(k) for k in spec.params], known,
                                  doc.key_locations.get((*path, unknown[0])) if doc is not None and unknown else None,
                                  spec.file, context=spec.type,
                                  see=f"docs/ASSERTIONS.md#{spec.type}") if err["type"] == "missing" else None
            if renamed is not None and len(loc) == 1:
                if renamed.line is None:
                    renamed = SpecError(renamed.message, file=spec.file, line=spec.line, column=spec.column,
                                        hint=renamed.hint)
                out.append(renamed)
                continue
            where = None
            if doc is not None:
                target = (*path, *loc) if err["type"] != "missing" else (*path, *loc[:-1])
                where = doc.locations.get(target) or doc.key_locations.get(target)
            line, column = where or (spec.line, spec.column)
            msg = err["msg"].removeprefix("Value error, ")
            out.append(SpecError(f"{spec.type}: '{name}': {msg}", file=spec.file, line=line, column=column,
                                 hint=f"see docs/ASSERTIONS.md#{spec.type}"))
        return out


def fields_read_by(spec: Any) -> list[tuple[str, str]]:
    """(parameter, field) of every output-record field an assertion as written reads; empty when its
    parameters are templates (known once rendered) or invalid (reported elsewhere)."""
    cls = ASSERTION_TYPES.get(spec.type)
    if cls is None:
        return []
    try:
        _, params = _params_model(spec)
    except VelotuiError:
        return []
    return cls().fields_read(params) if params is not None else []


def expects_no_records(specs: list[Any]) -> bool:
    """The checks say the output is empty: a record_count of 0 (equals 0, less_than 1, between [0, 0] …) or
    expected records that are an empty list. Then a check over no records is what the spec asks for."""
    def num(params: dict[str, Any], k: str) -> float | None:
        v = params.get(k)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    for a in specs:
        params = getattr(a, "params", {}) or {}
        if a.type == "record_count":
            eq, lt, le = num(params, "equals"), num(params, "less_than"), num(params, "less_than_or_equals")
            between = params.get("between")
            if (eq == 0 or (lt is not None and lt <= 1) or (le is not None and le < 1)
                    or (isinstance(between, list) and len(between) == 2 and isinstance(between[1], (int, float))
                        and between[1] < 1)):
                return True
        if a.type == "expected_output" and params.get("records") == []:
            return True
    return False


def one_pass(spec: Any) -> Tally | None:
    """A tally for the assertion as written (velotui.assertions.base.Tally), or None: its type needs every
    record at once, its parameters are templates (they may read anything), or they are invalid (the
    check itself will say so)."""
    if _has_template(spec.params):
        return None
    try:
        cls, params = _params_model(spec)
    except VelotuiError:
        return None
    return cls().tally(params) if params is not None else None


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, dict):
        return any(_has_template(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_template(v) for v in value)
    return False


def evaluate(spec: Any, ctx: AssertionContext, tally: Tally | None = None) -> AssertionResult:
    """Run one assertion; a problem in the assertion itself is an ``error`` result, never an exception.

    An assertion that checked nothing fails with "nothing checked: <why>" (a warning when its severity is
    warning); a reason that is only "there were no records" is accepted when ``ctx.expects_empty``.
    ``tally``: the check was made as the records went by (``one_pass(spec)``, fed every chunk of them)."""
    description = spec.description
    try:
        cls, _ = _params_model(spec)
        from velotui.sandbox import Watch

        watch = Watch() if _has_template(spec.params) else None
        try:
            values = render(dict(spec.params), ctx, watch)
        except SandboxError as e:  # a field read as NULL is the likeliest cause: say so
            typo, _ = template_checked_nothing(watch, ctx, misses_only=True) if watch is not None else (None, False)
            if typo is None:
                raise
            raise SandboxError(f"{e.message}: {typo}", hint=e.hint) from None
        _, rendered = _params_model(spec, values)
        assertion = cls()
        why = assertion.nothing_checked(rendered, ctx)
        if why is None and watch is not None:  # a parameter computed from a misspelt field, or from all() of nothing
            reason = template_checked_nothing(watch, ctx, misses_only=True)[0] or vacuous_filter(watch)
            why = NothingChecked(f"a template of this check: {reason}") if reason else None
        out = None
        if why is None:
            out = tally.outcome(ctx) if tally is not None else assertion.check(rendered, ctx)
            if out.nothing_checked:
                why = NothingChecked(out.nothing_checked, empty=out.empty)
        if why is not None and not (why.empty and ctx.expects_empty):
            status = "warning" if spec.severity == "warning" else "failed"
            return AssertionResult(spec.type, description, status, f"nothing checked: {why.reason}",
                                   None, None, [], spec.file, spec.line)
        if out is None:  # nothing to check, and the spec expects exactly that
            return AssertionResult(spec.type, description, "passed", f"no records, as the spec expects "
                                   f"({why.reason if why else ''})", None, None, [], spec.file, spec.line)
    except VelotuiError as e:
        return AssertionResult(spec.type, description, "error", e.message + (f" ({e.hint})" if e.hint else ""),
                               file=spec.file, line=spec.line)
    except ValidationError as e:
        return AssertionResult(spec.type, description, "error", f"after templates: {e.errors()[0]['msg']}",
                               file=spec.file, line=spec.line)
    except Exception as e:  # a bug of ours in one assertion: its own error, every other result stands
        return AssertionResult(spec.type, description, "error",
                               f"internal error while checking: {e!r} (a velotui bug: run with --debug and report "
                               "it)", file=spec.file, line=spec.line)
    status = "passed" if out.ok else ("warning" if spec.severity == "warning" else "failed")
    return AssertionResult(spec.type, description, status, out.message, _jsonable(out.expected),
                           _jsonable(out.actual), [_jsonable(s) for s in out.samples], spec.file, spec.line)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def field_values(records: list[dict[str, Any]], name: str) -> list[tuple[dict[str, Any], Any]]:
    """(record, value) for records that have the field (records lacking it are skipped)."""
    return [(r, r[name]) for r in records if name in r]
