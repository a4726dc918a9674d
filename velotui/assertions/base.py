"""The assertion framework: context, result, comparison rules, templates, and the registry."""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from velotui.errors import SandboxError, SpecError, VelotuiError
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
    strict: bool = False  # --strict: an assertion that checked nothing fails instead of warning


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

    @property
    def passed(self) -> bool:
        return self.status == "passed"


class Check(BaseModel):
    """Parameters of one assertion type (subclassed per type). Unknown keys are reported by validation."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, arbitrary_types_allowed=True)


class Outcome:
    """What an assertion's ``check`` returns."""

    __slots__ = ("actual", "expected", "message", "ok", "samples")

    def __init__(self, ok: bool, message: str, expected: Any = None, actual: Any = None,
                 samples: list[Any] | None = None) -> None:
        self.ok = ok
        self.message = message
        self.expected = expected
        self.actual = actual
        self.samples = (samples or [])[:MAX_SAMPLES]


class Assertion:
    """One assertion type: a params model and a check over the context."""

    type: ClassVar[str]
    Params: ClassVar[type[Check]] = Check

    def check(self, p: Any, ctx: AssertionContext) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError


ASSERTION_TYPES: dict[str, type[Assertion]] = {}


def register(cls: type[Assertion]) -> type[Assertion]:
    ASSERTION_TYPES[cls.type] = cls
    return cls


# -- comparison rules (FORMATS.md §4) -------------------------------------------------------------
def as_number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float, Decimal)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


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
        return abs(na - nb) <= (EPSILON if tolerance is None else tolerance)
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
            return re.search(pat, text) is not None
        except re.error as e:
            raise SpecError(f"matches {pat!r}: not a regular expression ({e})",
                            hint="escape the special characters, or use contains for literal text") from None
    na, nb = as_number(actual), as_number(expected)
    if na is None or nb is None:
        if actual is None:
            return False
        a, b = canonical_text(actual), canonical_text(expected)
    else:
        a, b = na, nb  # type: ignore[assignment]
    ops = {"greater_than": a > b, "gt": a > b, "less_than": a < b, "lt": a < b,
           "greater_than_or_equals": a >= b, "greater_than_or_equal": a >= b, "gte": a >= b,
           "less_than_or_equals": a <= b, "less_than_or_equal": a <= b, "lte": a <= b}
    if op not in ops:
        raise SpecError(f"unknown operator {op!r}",
                        hint="use equals, not_equals, greater_than, less_than, greater_than_or_equals, "
                        "less_than_or_equals, contains, starts_with, ends_with or matches")
    return ops[op]


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


def render(value: Any, ctx: AssertionContext) -> Any:
    """Resolve ``{{…}}`` in a value: a lone template gives the value itself, else text substitution."""
    if isinstance(value, list):
        return [render(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: render(v, ctx) for k, v in value.items()}
    if not isinstance(value, str) or "{{" not in value:
        return value
    from velotui.sandbox import compile_expression

    env = template_env(ctx)
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole:
        return compile_expression(whole.group(1)).evaluate(env)
    return _TEMPLATE.sub(lambda m: canonical_text(compile_expression(m.group(1)).evaluate(env)), value)


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


def validate_assertion(spec: Any) -> list[str]:
    """Check an assertion's params (SpecError on a wrong or missing one); return unknown-key warnings."""
    cls, params = _params_model(spec)
    warnings: list[str] = []
    known = list(cls.Params.model_fields)
    extra = params.model_extra if params is not None else {k: v for k, v in spec.params.items() if k not in known}
    for key in extra or {}:
        close = difflib.get_close_matches(key, known, n=1)
        warnings.append(f"{spec.file}:{spec.line}: {spec.type}: unknown key {key!r}"
                        + (f"; did you mean {close[0]!r}?" if close else ""))
    return warnings


def _field_nowhere(cls: type[Assertion], p: Any, ctx: AssertionContext) -> Outcome | None:
    """A value check whose field is in none of the output records checked nothing: it is reported as a
    warning naming the field and the closest real one (a typo must not pass silently as "every record
    satisfies it"), without failing the run — records lacking the field are skipped (FORMATS.md), so
    velo-test suites keep passing. Records lacking it one by one are skipped as before."""
    name = getattr(p, "field", None)
    if not getattr(cls, "record_field", False) or not isinstance(name, str) or not ctx.records:
        return None
    if any(name in r for r in ctx.records if isinstance(r, dict)):
        return None
    seen = sorted({k for r in ctx.records[:100] if isinstance(r, dict) for k in r})
    close = difflib.get_close_matches(name, seen, n=1)
    return Outcome(True, f"nothing checked: field {name!r} is in none of the {len(ctx.records)} output records"
                   + (f"; did you mean {close[0]!r}?" if close else "") + f" (fields: {', '.join(seen)})",
                   name, None)


def evaluate(spec: Any, ctx: AssertionContext) -> AssertionResult:
    """Run one assertion; a problem in the assertion itself is an ``error`` result, never an exception."""
    description = spec.description
    try:
        cls, _ = _params_model(spec)
        _, rendered = _params_model(spec, render(dict(spec.params), ctx))
        nowhere = _field_nowhere(cls, rendered, ctx)
        if nowhere is not None:
            return AssertionResult(spec.type, description, "failed" if ctx.strict else "warning", nowhere.message,
                                   _jsonable(nowhere.expected), None, [], spec.file, spec.line)
        out = cls().check(rendered, ctx)
    except VelotuiError as e:
        return AssertionResult(spec.type, description, "error", e.message + (f" ({e.hint})" if e.hint else ""),
                               file=spec.file, line=spec.line)
    except ValidationError as e:
        return AssertionResult(spec.type, description, "error", f"after templates: {e.errors()[0]['msg']}",
                               file=spec.file, line=spec.line)
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
