"""Data schema (``*.schema.yaml``), velo-test compatible (FORMATS.md §3)."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from velotui.spec.times import TimeText, check_order
from velotui.spec.validation import DocumentModel, LocatedModel, SpecModel, check_record_count

FIELD_TYPES = ("string", "integer", "float", "boolean", "timestamp", "date", "uuid", "decimal")

Finite = Annotated[float, Field(allow_inf_nan=False)]  # a number generation can draw with (not .nan nor .inf)


class EnumValues(SpecModel):
    values: list[Any] = Field(description="allowed values")
    weights: list[Finite] | None = Field(None, description="relative weights, one per value")

    @model_validator(mode="after")
    def _weights_match(self) -> EnumValues:
        if not self.values:
            raise ValueError("enum_values.values must list at least one value")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"enum_values has {len(self.values)} values but {len(self.weights)} weights")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("enum_values.weights must be non-negative and not all zero")
        return self


INT64 = (-(2**63), 2**63 - 1)  # what generation draws integers from (numpy's int64)


class Range(SpecModel):
    min: float = Field(description="smallest value")
    max: float = Field(description="largest value")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError(f"range bounds must be finite numbers (got min {self.min!r}, max {self.max!r})")
        if self.min > self.max:
            raise ValueError(f"range min ({self.min:g}) is greater than max ({self.max:g})")
        return self


class Length(SpecModel):
    min: int = Field(0, ge=0)
    max: int = Field(20, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Length:
        if self.min > self.max:
            raise ValueError(f"length min ({self.min}) is greater than max ({self.max})")
        return self


class NormalDist(SpecModel):
    mean: Finite
    std_dev: Finite = Field(ge=0)


class ZipfDist(SpecModel):
    exponent: Finite = Field(gt=1.0, description="Zipf exponent (> 1)")


class RandomWalk(SpecModel):
    drift: Finite = 0.0
    volatility: Finite = Field(0.01, ge=0)
    group_by: str | None = None
    allow_below_min: bool = False
    allow_above_max: bool = False


class Distribution(SpecModel):
    """``uniform`` | ``{normal: …}`` | ``{log_normal: …}`` | ``{zipf: …}`` | ``{random_walk: …}``."""

    kind: Literal["uniform", "normal", "log_normal", "zipf", "random_walk", "exponential"] = "uniform"
    normal: NormalDist | None = None
    log_normal: NormalDist | None = None
    zipf: ZipfDist | None = None
    random_walk: RandomWalk | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_short(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data not in ("uniform", "normal", "log_normal", "zipf", "random_walk", "exponential"):
                raise ValueError(f"unknown distribution {data!r}; use uniform, normal, log_normal, zipf "
                                 "or random_walk")
            return {"kind": data}
        if isinstance(data, dict):
            kinds = [k for k in ("normal", "log_normal", "zipf", "random_walk") if k in data]
            if len(kinds) > 1:
                raise ValueError("give one distribution, not " + " and ".join(kinds))
            if kinds and "kind" not in data:
                return {**data, "kind": kinds[0]}
        return data


class Derived(SpecModel):
    expression: str
    depends_on: list[str] = Field(default_factory=list)


class References(SpecModel):
    schema_name: str | None = Field(None, alias="schema", description="schema whose records are referenced")
    field: str = Field(description="field of the referenced records")
    file: str | None = Field(None, description="CSV/JSONL file to read the values from instead")

    @model_validator(mode="after")
    def _source(self) -> References:
        if not self.schema_name and not self.file:
            raise ValueError("references needs 'schema' (generated in the same run) or 'file'")
        return self


class TimeRange(SpecModel):
    start: TimeText = Field(description="relative (-1h, now, +30m) or ISO 8601, or epoch ms")
    end: TimeText = Field("now")

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        check_order(self.start, self.end, "timestamp range")
        return self


class Constraints(SpecModel):
    enum_values: EnumValues | None = None
    range: Range | None = None
    length: Length | None = None
    pattern: str | None = None
    distribution: Distribution | None = None
    derived: Derived | None = None
    references: References | None = None
    timestamp_range: TimeRange | None = None
    timestamp_epoch_ms: TimeRange | None = None

    @classmethod
    def misplaced_keys(cls) -> dict[str, str]:
        """Keys of a field, or of a constraint, written straight under ``constraints:`` (and the names other
        schema languages give a constraint): where each belongs."""
        out = {k: "it is a key of the field, beside type: (not under constraints:)" for k in
               ("type", "nullable", "null_probability", "name")}
        for constraint, model in (("enum_values", EnumValues), ("range", Range), ("derived", Derived),
                                  ("references", References), ("timestamp_range", TimeRange),
                                  ("distribution", NormalDist), ("distribution", RandomWalk)):
            for k in model_keys_of(model):
                out.setdefault(k, f"it belongs inside {constraint}: ({constraint}: {{{k}: …}})")
        out.update({"enum": "an enum is written enum_values: {values: [...]} (or enum_values: [...])",
                    "regex": "a regular expression is written pattern: '…'",
                    "minimum": "a range is written range: {min: …, max: …}",
                    "maximum": "a range is written range: {min: …, max: …}",
                    "min_length": "a length is written length: {min: …, max: …}",
                    "max_length": "a length is written length: {min: …, max: …}"})
        return out

    @field_validator("pattern")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            posix = re.search(r"\[:(\w+):\]", v)
            if posix:  # Python's regex reads [[:alpha:]] as one of '[:alph' then ']'
                raise ValueError(f"pattern {v!r}: POSIX class [:{posix.group(1)}:] is not a class in Python's "
                                 "regular expressions (it reads as its characters); write the characters, as "
                                 "[a-zA-Z] for alpha or [0-9] for digit")
            import warnings

            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", FutureWarning)  # 'possible nested set': meant otherwise
                    re.compile(v)
            except (re.error, FutureWarning) as e:
                raise ValueError(f"pattern is not a valid regular expression: {e}") from None
        return v

    @field_validator("enum_values", mode="before")
    @classmethod
    def _enum_list(cls, v: Any) -> Any:
        return {"values": v} if isinstance(v, list) else v


def model_keys_of(model: Any) -> list[str]:
    from velotui.spec.validation import model_keys

    return model_keys(model)


MAX_DECIMAL_DIGITS = 100  # digits a generated decimal may have: its places (scale) and, with a scale, its precision


class DecimalSpec(SpecModel):
    """``{decimal: {…}}``: ``precision: P`` alone is P decimal places (velo-test's shape); ``scale: S`` is S
    places; both are SQL's DECIMAL(P, S): P digits in all, S of them after the point."""

    precision: int | None = Field(None, description="decimal places; with scale: the digits in all (SQL)")
    scale: int | None = Field(None, description="decimal places")

    @field_validator("precision", "scale", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("must be a whole number, not true/false")
        return v

    @model_validator(mode="after")
    def _honoured(self) -> DecimalSpec:
        check_decimal_digits(self.precision, self.scale)
        return self


class DecimalType(SpecModel):
    """A structured field type: ``{decimal: {precision: …, scale: …}}``."""

    decimal: DecimalSpec = Field(default_factory=DecimalSpec)

    @model_validator(mode="before")
    @classmethod
    def _only_decimal(cls, data: Any) -> Any:
        from velotui.spec.validation import near_key

        if isinstance(data, dict):
            other = [k for k in data if k != "decimal"]
            if other:
                near = near_key(str(other[0]), ["decimal"])
                raise ValueError(f"unknown structured type {other[0]!r}" + (" (did you mean 'decimal'?)" if near else "")
                                 + ": a structured type is {decimal: {precision: N}}")
            if data.get("decimal") is None:
                return {}
            if not isinstance(data["decimal"], dict):
                raise ValueError(f"decimal: {data['decimal']!r} is not a mapping: write {{decimal: {{precision: N}}}} "
                                 "(N places) or {decimal: {precision: P, scale: S}}")
        return data


def check_decimal_digits(precision: int | None, scale: int | None) -> None:
    """A decimal type the generator can honour: places 0 … MAX_DECIMAL_DIGITS; with both, SQL's
    1 <= precision <= MAX_DECIMAL_DIGITS and 0 <= scale <= precision."""
    top = MAX_DECIMAL_DIGITS
    if scale is None and precision is not None and not 0 <= precision <= top:
        raise ValueError(f"decimal precision (its decimal places, without scale) must be 0 to {top}, not {precision}")
    if scale is not None and not 0 <= scale <= top:
        raise ValueError(f"decimal scale (its decimal places) must be 0 to {top}, not {scale}")
    if scale is not None and precision is not None:
        if not 1 <= precision <= top:
            raise ValueError(f"decimal precision (its digits in all) must be 1 to {top}, not {precision}")
        if scale > precision:
            raise ValueError(f"decimal scale {scale} is greater than its precision {precision}: a DECIMAL(P, S) "
                             "has S of its P digits after the point")


_DECIMAL_TEXT = re.compile(r"decimal\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?")


class SchemaField(LocatedModel):
    name: str
    type: str | DecimalType = Field(
        "string", description="string | integer | float | boolean | timestamp | date | uuid | decimal(P, S) | "
        "{decimal: {precision: N}} (N places) | {decimal: {precision: P, scale: S}}")
    nullable: bool = False
    null_probability: float | None = Field(None, ge=0, le=1)
    description: str | None = None
    constraints: Constraints = Field(default_factory=Constraints)

    @classmethod
    def misplaced_keys(cls) -> dict[str, str]:
        """Constraints written beside ``type:`` instead of under ``constraints:``."""
        out = {k: f"a constraint is written under constraints: ({k} here is not read)"
               for k in model_keys_of(Constraints)}
        out.update({"enum": "an enum is written under constraints: as enum_values: {values: [...]}",
                    "values": "an enum is written under constraints: as enum_values: {values: [...]}",
                    "min": "a range is written under constraints: as range: {min: …, max: …}",
                    "max": "a range is written under constraints: as range: {min: …, max: …}"})
        return out

    @field_validator("type")
    @classmethod
    def _known_type(cls, v: Any) -> Any:
        if isinstance(v, str):
            base = v.lower()
            aliases = {"int": "integer", "long": "integer", "bigint": "integer", "double": "float",
                       "number": "float", "bool": "boolean", "str": "string", "text": "string",
                       "datetime": "timestamp"}
            base = aliases.get(base, base)
            if base.startswith("decimal"):
                m = _DECIMAL_TEXT.fullmatch(base.strip())
                if m is None:
                    raise ValueError(f"unknown field type {v!r}; a decimal is written decimal, decimal(P) or "
                                     "decimal(P, S), or {decimal: {precision: N}}")
                if m.group(1) is not None:  # SQL: DECIMAL(P) has no places
                    check_decimal_digits(int(m.group(1)), int(m.group(2) or 0))
                return v
            if base not in FIELD_TYPES:
                from velotui.spec.validation import near_key

                near = near_key(base, [*FIELD_TYPES, *aliases])
                raise ValueError(f"unknown field type {v!r}; " + (f"did you mean {near!r}? (types: " if near else
                                 "use one of ") + ", ".join(FIELD_TYPES) + (")" if near else ""))
            return base
        if isinstance(v, DecimalType):
            return v
        raise ValueError("type must be a name or {decimal: {precision: N}}")

    @field_validator("type", mode="before")
    @classmethod
    def _structured(cls, v: Any) -> Any:
        from pydantic import ValidationError

        if isinstance(v, dict):  # validated here, so a problem is said as itself (not as a union's branches)
            try:
                return DecimalType.model_validate(v)
            except ValidationError as e:
                err = e.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                raise ValueError(f"{where}: {msg}" if where and not msg.startswith(where) else msg) from None
        if not isinstance(v, str):
            raise ValueError("type must be a name or {decimal: {precision: N}}")
        return v

    @model_validator(mode="after")
    def _range_fits_the_type(self) -> SchemaField:
        rng = self.constraints.range
        uniform = self.constraints.distribution is None  # drawn by numpy's int64 (a distribution may go beyond)
        if rng is not None and uniform and self.kind in ("integer", "timestamp") and not (
                INT64[0] <= rng.min and rng.max <= INT64[1]):
            raise ValueError(f"an {self.kind} range must lie within 64 bits ({INT64[0]} to {INT64[1]}); got "
                             f"{rng.min:g} to {rng.max:g} (a distribution may draw beyond them)")
        if rng is not None and uniform and self.kind in ("float", "decimal") and rng.max - rng.min == math.inf:
            raise ValueError(f"a {self.kind} range must span less than a float holds; got {rng.min:g} to {rng.max:g}")
        if rng is not None and self.kind == "integer" and math.ceil(rng.min) > math.floor(rng.max):
            raise ValueError(f"the integer range {rng.min:g} to {rng.max:g} holds no whole number: widen it, or make "
                             "the field a float")
        bound = self.decimal_bound
        if rng is not None and bound is not None and max(abs(rng.min), abs(rng.max)) > bound:
            total, places = self.decimal_digits
            raise ValueError(f"the range {rng.min:g} to {rng.max:g} does not fit DECIMAL({total}, {places}): it holds "
                             f"at most {total - places} digit(s) before the point (-{bound:g} to {bound:g}); widen "
                             "the precision or narrow the range")
        return self

    @property
    def kind(self) -> str:
        """The base type: string, integer, float, boolean, timestamp, date, uuid or decimal."""
        if isinstance(self.type, DecimalType) or str(self.type).lower().startswith("decimal"):
            return "decimal"
        return str(self.type)

    @property
    def precision(self) -> int:
        """Decimal places of a decimal field (default 2)."""
        return self.decimal_digits[1]

    @property
    def decimal_digits(self) -> tuple[int | None, int]:
        """A decimal field's digits in all (None: not bounded) and its places (default 2)."""
        if isinstance(self.type, DecimalType):
            d = self.type.decimal
            if d.scale is not None:
                return d.precision, d.scale
            return None, d.precision if d.precision is not None else 2
        m = _DECIMAL_TEXT.fullmatch(str(self.type).lower().strip())
        if m is not None and m.group(1) is not None:
            return int(m.group(1)), int(m.group(2) or 0)
        return None, 2

    @property
    def decimal_bound(self) -> float | None:
        """The largest value a DECIMAL(P, S) holds (10^(P-S) - 10^-S), None when its digits are not bounded."""
        total, places = self.decimal_digits if self.kind == "decimal" else (None, 0)
        return None if total is None else 10.0 ** (total - places) - 10.0 ** -places


def check_enum_text(schema: Any, doc: Any, path: Any = None) -> None:
    """The values of a text field's ``enum_values`` are the text written: a value YAML reads as something else
    (``NO`` as false, ``010`` as 8, ``1.50`` as 1.5) would be generated as other text ('False', '8', '1.5');
    a null among them would be a NULL in a field that is not nullable. Each is an error at its line."""
    from velotui.errors import SpecError
    from velotui.spec.validation import raise_all

    errors = []
    for i, f in enumerate(schema.fields):
        ev = f.constraints.enum_values
        if ev is None or f.kind not in ("string", "uuid", "date"):
            continue
        spot = ("fields", i, "constraints", "enum_values")
        base = (*spot, "values") if (*spot, "values") in doc.locations else spot
        for j, v in enumerate(ev.values):
            written = doc.written.get((*base, j))
            where = doc.value_loc((*base, j)) or (f.line, f.column)
            if v is None and not (f.nullable or f.null_probability):
                errors.append(SpecError(
                    f"field {f.name!r}: enum value {written or 'null'} is a NULL, and the field is not nullable",
                    file=path or f.file, line=where[0], column=where[1],
                    hint=f"quote it ('{written or 'null'}') for the text, or make the field nullable: true"))
            elif v is not None and written is not None and not isinstance(v, str) and str(v) != written:
                errors.append(SpecError(
                    f"field {f.name!r}: enum value {written} is read by YAML as {_yaml_text(v)}, so the {f.kind} "
                    f"field would be {str(v)!r}, not {written!r}", file=path or f.file, line=where[0],
                    column=where[1], hint=f"quote it: '{written}'"))
    raise_all(errors)


def _yaml_text(v: Any) -> str:
    return {True: "true", False: "false"}.get(v, repr(v)) if isinstance(v, bool) else \
        f"the {type(v).__name__} {v!r}" if not isinstance(v, (int, float)) else f"the number {v!r}"


# what generation reads of a field's constraints, by its kind (velotui.datagen.generator): the first of
# derived, references and enum_values that is written, else these
_READS = {"integer": ("range", "distribution"), "float": ("range", "distribution"),
          "decimal": ("range", "distribution"), "timestamp": ("timestamp_range", "timestamp_epoch_ms"),
          "date": ("timestamp_range",), "string": ("pattern", "length"), "boolean": (), "uuid": ()}


def unread_constraints(schema: Any, doc: Any, path: Any = None) -> list[Any]:
    """Constraints generation never reads for their field: one its kind has no use for (a range on a string, a
    pattern on an integer), or one another constraint takes the place of (derived, references and enum_values
    each give every value; a pattern gives the strings' length). A warning each, in every report."""
    from velotui.errors import VelotuiWarning

    out = []
    for i, f in enumerate(schema.fields):
        c = f.constraints
        written = [k for k in type(c).model_fields if k in c.model_fields_set and getattr(c, k) is not None]
        wins = next((k for k in ("derived", "references", "enum_values") if k in written), None)
        if wins is None and f.kind == "string" and "pattern" in written:
            wins = "pattern" if "length" in written else None
        for k in written:
            if k == wins:
                continue
            if wins is not None and (wins != "pattern" or k == "length"):
                why = f"{wins} gives every value of {f.name!r}" if wins != "pattern" else \
                    "the pattern gives the strings and their length"
                fix = f"remove {k}, or {wins}"
            elif k not in _READS.get(f.kind, ()):
                reads = ", ".join(_READS.get(f.kind, ())) or "none of the constraints but derived, references " \
                    "and enum_values"
                article = "an" if f.kind[0] in "aeiou" else "a"
                why, fix = f"{article} {f.kind} field does not use it (it reads {reads})", \
                    f"remove {k}, or give {f.name!r} the type it is meant for"
            else:
                continue
            where = doc.key_locations.get(("fields", i, "constraints", k)) if doc is not None else None
            line, column = where or (f.line, f.column)
            out.append(VelotuiWarning(f"field {f.name!r}: constraint {k} has no effect: {why}",
                                      file=path or f.file, line=line, column=column, hint=fix))
    return out


def check_derived(field: Any, expression: str, names: list[str], path: Any = None) -> None:
    """A derived expression compiles, in the sandbox, over this schema's fields (the same functions as
    generation: DEFAULT_FUNCTIONS plus random, min, max), before any data is generated."""
    import difflib

    from velotui.errors import SpecError, VelotuiError
    from velotui.sandbox import DEFAULT_FUNCTIONS, compile_expression

    funcs = {**DEFAULT_FUNCTIONS, "random": lambda: 0.5, "min": min, "max": max}
    try:
        compile_expression(expression, functions=funcs, names=set(names))
    except VelotuiError as e:
        msg = e.message
        m = re.search(r"unknown name '(\w+)'", msg)
        close = difflib.get_close_matches(m.group(1), names, n=1) if m else []
        raise SpecError(f"field {field.name!r}: derived expression: {msg}"
                        + (f"; did you mean {close[0]!r}?" if close else ""), file=path or field.file, line=field.line,
                        column=field.column, hint=e.hint or "see docs/FORMATS.md (derived)") from None


def derived_dependencies(field: Any, names: list[str]) -> list[str]:
    """The fields a derived field reads: its ``depends_on`` plus the field names its expression uses."""
    from velotui.sandbox import names_used

    d = field.constraints.derived
    used = names_used(d.expression) & set(names)
    return list(dict.fromkeys([*d.depends_on, *sorted(used - {field.name})]))


def check_derived_cycles(fields: list[Any], path: Any = None) -> None:
    """Fields that need each other generated first (a derived field reads another, a random walk is grouped
    by another), directly or through others, can never be generated."""
    from velotui.errors import SpecError
    from velotui.spec.schema_refs import generation_dependencies

    deps = {f.name: d for f in fields if (d := generation_dependencies(f, fields))}
    by_name = {f.name: f for f in fields}
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2 or name not in deps:
            return
        if state.get(name) == 1:
            cycle = chain[chain.index(name):] + [name]
            f = by_name[cycle[0]]
            if all(by_name[n].constraints.derived for n in cycle):
                what, hint = "derived fields read each other", "one of them must be generated (give it a type " \
                    "and constraints, not derived)"
            else:
                what, hint = "fields need each other generated first (derived from, or grouped by, one another)", \
                    "one of them must be generated on its own (not derived from, nor grouped by, the others)"
            raise SpecError(f"{what} in a cycle: {' -> '.join(cycle)}", file=path or f.file, line=f.line,
                            column=f.column, hint=hint)
        state[name] = 1
        for d in deps[name]:
            visit(d, [*chain, name])
        state[name] = 2

    for f in fields:
        visit(f.name, [])


class DataSchema(DocumentModel):
    name: str = Field(description="schema name: its file's name without .schema.yaml (inputs find the schema by "
                                  "the file's name; another name is a warning)")
    description: str | None = None
    record_count: int | None = Field(None, ge=0, description="default number of records for inputs using it")

    @field_validator("record_count")
    @classmethod
    def _record_count_fits(cls, v: Any) -> Any:
        return check_record_count(v)

    key_field: str | None = Field(None, description="field used as the message key")
    fields: list[SchemaField] = Field(description="the record's fields, in order")

    def field(self, name: str) -> SchemaField | None:
        return next((f for f in self.fields if f.name == name), None)

    @model_validator(mode="after")
    def _consistent(self) -> DataSchema:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate field names: {', '.join(dupes)}")
        if self.key_field and self.key_field not in names:
            raise ValueError(f"key_field {self.key_field!r} is not a field (fields: {', '.join(names)})")
        for f in self.fields:
            d = f.constraints.derived
            if d:
                unknown = [x for x in d.depends_on if x not in names]
                if unknown:
                    raise ValueError(f"field {f.name!r}: derived depends_on unknown field(s) {', '.join(unknown)}")
            rw = f.constraints.distribution.random_walk if f.constraints.distribution else None
            if rw and rw.group_by and rw.group_by not in names:
                raise ValueError(f"field {f.name!r}: random_walk group_by {rw.group_by!r} is not a field")
        return self
