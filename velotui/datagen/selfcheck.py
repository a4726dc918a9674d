"""A schema that loads is a schema that generates: when a data schema loads, a sample of its records is
generated and every value checked against the constraints written for its field. A constraint generation
cannot honour (a pattern it cannot draw from, or draws strings from that do not match) or a field it cannot
make is an error at the field's line then, never a crashed run or a dataset other than the one written."""

from __future__ import annotations

import math
import re
import time
from decimal import Decimal
from typing import Any

from velotui.errors import SpecError, VelotuiError

SAMPLE = 256  # records drawn when a schema loads: every field with constraints, a few milliseconds


def _fields_to_check(schema: Any) -> list[Any]:
    """The fields with constraints (and the fields they need), leaving out those whose values come from another
    schema or a file (checked where they are read: velotui.spec.schema_refs, the data file reader)."""
    from velotui.spec.schema_refs import generation_dependencies

    fields = list(schema.fields)
    outside = {f.name for f in fields if f.constraints.references is not None
               and (f.constraints.references.file or f.constraints.references.schema_name != schema.name)}
    changed = True
    while changed:  # a field that needs one of those is left out too
        changed = False
        for f in fields:
            if f.name not in outside and any(d in outside for d in generation_dependencies(f, fields)):
                outside.add(f.name)
                changed = True
    # a derived field is compiled when its schema loads; whether it fails (10 / a, where a is 0) depends on the
    # records, and the run says on which one
    written = {f.name for f in fields if (f.constraints.model_fields_set or f.constraints.model_extra)
               and f.constraints.derived is None}
    need = set()
    todo = [n for n in written if n not in outside]
    by_name = {f.name: f for f in fields}
    while todo:
        name = todo.pop()
        if name in need:
            continue
        need.add(name)
        todo += generation_dependencies(by_name[name], fields)
    own_refs = {f.constraints.references.field for f in fields if f.name in need and f.constraints.references}
    need |= own_refs  # a field referencing its own schema: the field it takes values from
    return [f for f in fields if f.name in need]


def check_schema_generates(schema: Any, path: Any = None) -> None:
    """Generate SAMPLE records of ``schema`` (those of its fields that have constraints) and check each value
    against its field's constraints; raise a SpecError at the first field that fails."""
    from velotui.datagen.generator import DataGenerator

    fields = _fields_to_check(schema)
    if not fields:
        return
    alone = schema.model_copy(update={"fields": fields})
    gen = DataGenerator({schema.name: alone}, seed=0, now_ms=int(time.time() * 1000))
    try:
        data = gen.generate(alone, SAMPLE)
    except VelotuiError as e:
        raise SpecError(e.message, file=e.file or path, line=e.line, column=e.column, hint=e.hint) from None
    for f, column in zip(alone.fields, data.columns):
        problem = _violation(f, column)
        if problem is not None:
            raise SpecError(f"field {f.name!r}: {problem}", file=path or f.file, line=f.line, column=f.column,
                            hint="velotui cannot generate what this constraint says: simplify it, or tell us "
                                 "(docs/FORMATS.md §3 lists what generation supports)")


def _violation(f: Any, values: list[Any]) -> str | None:
    """What a generated column does against its field's constraints (None: nothing)."""
    c = f.constraints
    present = [v for v in values if v is not None]
    if f.kind in ("float", "decimal") and any(isinstance(v, float) and not math.isfinite(v) for v in present):
        bad = next(v for v in present if not math.isfinite(v))
        return f"generated {bad!r}, which is not a number a record can carry"
    if c.derived is not None or c.references is not None:
        return None
    if c.enum_values is not None:
        return None  # drawn from the values themselves
    if c.pattern is not None and f.kind == "string":
        regex = re.compile(c.pattern)
        bad = next((v for v in present if regex.fullmatch(v) is None), None)
        if bad is not None:
            return f"pattern {c.pattern!r} generated {bad!r}, which does not match it"
    if c.length is not None and f.kind == "string" and c.pattern is None:
        bad = next((v for v in present if not c.length.min <= len(v) <= c.length.max), None)
        if bad is not None:
            return f"generated {bad!r}, outside length {c.length.min} to {c.length.max}"
    rw = c.distribution.random_walk if c.distribution is not None else None
    if c.range is not None and f.kind in ("integer", "float", "decimal"):
        lo = -math.inf if rw is not None and rw.allow_below_min else c.range.min
        hi = math.inf if rw is not None and rw.allow_above_max else c.range.max
        bad = next((v for v in present if not lo <= (float(v) if isinstance(v, Decimal) else v) <= hi), None)
        if bad is not None:
            return f"generated {bad!r}, outside its range {c.range.min:g} to {c.range.max:g}"
    dist = c.distribution.kind if c.distribution is not None else None
    if c.range is not None and dist in ("normal", "log_normal") and f.kind in ("float", "decimal") and present:
        # a continuous draw lands on a bound only when it was clipped there: most of them is another dataset
        at = [v for v in present if float(v) in (c.range.min, c.range.max)]
        if len(at) * 2 > len(present):
            params = getattr(c.distribution, dist)
            said = f"{dist} (mean {params.mean:g}, std_dev {params.std_dev:g})" if params is not None else dist
            return (f"{said} draws {100 * len(at) // len(present)}% of its values outside the range "
                    f"{c.range.min:g} to {c.range.max:g}, so they would all be clipped to its bounds"
                    + (" (log_normal's mean and std_dev are those of the logarithm: a median of about "
                       f"{math.exp(params.mean):.3g} above min)" if dist == "log_normal" and params else ""))
    return None
