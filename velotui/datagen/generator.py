"""Schema-driven record generation: column-wise with numpy, deterministic for a seed."""

from __future__ import annotations

import math
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from velotui.datagen.patterns import PatternGenerator
from velotui.datagen.timeparse import resolve_time
from velotui.errors import DataError, VelotuiError

DEFAULT_NULL_PROBABILITY = 0.1
DEFAULT_REFERENCED_RECORDS = 100
_FAKER_POOL = 512
_FAKER_FIELDS = {
    "email": "email", "name": "name", "full_name": "name", "customer_name": "name", "first_name": "first_name",
    "last_name": "last_name", "city": "city", "country": "country", "address": "street_address",
    "street": "street_address", "company": "company", "phone": "phone_number", "url": "url",
    "username": "user_name", "user_name": "user_name", "description": "sentence", "comment": "sentence",
    "state": "state", "zip": "postcode", "postcode": "postcode", "currency": "currency_code",
}


@dataclass
class GeneratedData:
    records: list[dict[str, Any]]
    timestamps_ms: list[int]  # the message timestamps (event times)
    events_per_second: float | None = None  # publish-rate hint from time_simulation
    batch_size: int = 1


def _seed_for(seed: int, *parts: str) -> np.random.SeedSequence:
    words = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF] + [zlib.crc32(p.encode()) for p in parts]
    return np.random.SeedSequence(words)


def _where(schema: Any, field: Any = None) -> dict[str, Any]:
    return {"file": getattr(schema, "path", None), "line": getattr(field, "line", None) if field else None,
            "column": getattr(field, "column", None) if field else None}


class DataGenerator:
    """Generates records for the schemas of one run. Each (schema, field) has its own random stream,
    derived from the run seed, so one schema's data never depends on what else was generated."""

    def __init__(self, schemas: Mapping[str, Any], *, seed: int, now_ms: int, base_dir: Path | None = None) -> None:
        self.schemas = dict(schemas)
        self.seed = int(seed)
        self.now_ms = int(now_ms)
        self.base_dir = base_dir
        self._reference_cache: dict[tuple[str, str], list[Any]] = {}
        self._faker: Any = None

    # -- public ---------------------------------------------------------------------------------
    def generate(self, schema: Any, count: int, *, time_simulation: Any = None,
                 null_probability: float | None = None) -> GeneratedData:
        if isinstance(schema, str):
            if schema not in self.schemas:
                raise DataError(f"unknown schema {schema!r}", hint="known: " + ", ".join(sorted(self.schemas)))
            schema = self.schemas[schema]
        count = int(count)
        if count < 0:
            raise DataError("record count must be >= 0")
        times = self._event_times(schema, count, time_simulation)
        columns: dict[str, list[Any]] = {}
        for f in self._ordered_fields(schema):
            try:
                values = self._column(schema, f, count, times, time_simulation is not None, columns)
                p = self._null_probability(f, null_probability)
                if p > 0 and count:
                    mask = self._rng(schema.name, f.name, "nulls").random(count) < p
                    values = [None if m else v for v, m in zip(values, mask)]
                columns[f.name] = values
            except VelotuiError as e:
                if e.file is None:
                    e.file = str(getattr(schema, "path", None) or "") or None
                    e.line = getattr(f, "line", None)
                    e.message = f"field {f.name!r}: {e.message}"
                    e.args = (e.message,)
                raise
        names = [f.name for f in schema.fields]
        cols = [columns[n] for n in names]
        records = [dict(zip(names, row)) for row in zip(*cols)] if names else [{} for _ in range(count)]
        if time_simulation is None:
            ts_field = next((f.name for f in schema.fields if f.kind == "timestamp"), None)
            if ts_field is not None:
                times = [v if isinstance(v, int) else self.now_ms for v in columns[ts_field]]
        ts = getattr(time_simulation, "events_per_second", None)
        return GeneratedData(records=records, timestamps_ms=[int(t) for t in times], events_per_second=ts,
                             batch_size=int(getattr(time_simulation, "batch_size", 1) or 1))

    # -- helpers --------------------------------------------------------------------------------
    def _rng(self, *parts: str) -> np.random.Generator:
        return np.random.default_rng(_seed_for(self.seed, *parts))

    def _null_probability(self, f: Any, override: float | None) -> float:
        if override is not None and f.nullable:
            return float(override)
        if f.null_probability is not None:
            return float(f.null_probability) if f.nullable or f.null_probability else 0.0
        return DEFAULT_NULL_PROBABILITY if f.nullable else 0.0

    def _ordered_fields(self, schema: Any) -> list[Any]:
        fields = list(schema.fields)
        plain = [f for f in fields if not f.constraints.derived]
        derived = [f for f in fields if f.constraints.derived]
        done = {f.name for f in plain}
        ordered = list(plain)
        from velotui.spec.schema import derived_dependencies

        names = [f.name for f in fields]
        deps = {f.name: derived_dependencies(f, names) for f in derived}
        while derived:
            ready = [f for f in derived if all(d in done for d in deps[f.name])]
            if not ready:
                names = ", ".join(f.name for f in derived)
                raise DataError(f"derived fields depend on each other in a cycle: {names}", **_where(schema, derived[0]))
            for f in ready:
                ordered.append(f)
                done.add(f.name)
                derived.remove(f)
        return ordered

    def _event_times(self, schema: Any, count: int, sim: Any) -> list[int]:
        if sim is None:
            return [self.now_ms] * count
        end = resolve_time(sim.end_time, self.now_ms, default=self.now_ms)
        start = resolve_time(sim.start_time, self.now_ms, default=end - 3_600_000)
        if start > end:
            raise DataError(f"time_simulation start_time ({sim.start_time}) is after end_time ({sim.end_time})")
        rng = self._rng(schema.name, "__event_time__")
        span = end - start
        if count == 0:
            return []
        if sim.sequential:
            offsets = np.arange(count, dtype=np.float64) * (span / count)
        else:
            offsets = rng.random(count) * span
        scale = float(getattr(sim, "time_scale", 1.0) or 1.0)
        if scale != 1.0:
            offsets = offsets / scale
        times = start + offsets.astype(np.int64)
        jitter = int(getattr(sim, "jitter_ms", 0) or 0)
        if jitter:
            times = times + rng.integers(-jitter, jitter + 1, size=count)
        return [int(t) for t in times]

    def _column(self, schema: Any, f: Any, n: int, times: list[int], simulated: bool,
                done: dict[str, list[Any]]) -> list[Any]:
        c = f.constraints
        kind = f.kind
        rng = self._rng(schema.name, f.name)
        if c.derived:
            return self._derived(schema, f, n, done, rng)
        if c.references:
            return self._references(schema, f, n, rng)
        if c.enum_values:
            values = list(c.enum_values.values)
            p = None
            if c.enum_values.weights:
                w = np.asarray(c.enum_values.weights, dtype=np.float64)
                p = w / w.sum()
            idx = rng.choice(len(values), size=n, p=p)
            return [_coerce(values[i], kind, f) for i in idx]
        if kind in ("integer", "float", "decimal"):
            return self._numbers(schema, f, n, rng, done)
        if kind == "boolean":
            return [bool(x) for x in rng.random(n) < 0.5]
        if kind == "timestamp":
            rng_spec = c.timestamp_range or c.timestamp_epoch_ms
            if rng_spec is not None:
                lo = resolve_time(rng_spec.start, self.now_ms)
                hi = resolve_time(rng_spec.end, self.now_ms, default=self.now_ms)
                if lo > hi:
                    raise DataError(f"timestamp range start is after its end ({rng_spec.start} > {rng_spec.end})")
                vals = rng.integers(lo, hi + 1, size=n)
                return [int(v) for v in vals]
            return list(times) if simulated else [self.now_ms] * n
        if kind == "date":
            rng_spec = c.timestamp_range
            lo = resolve_time(rng_spec.start, self.now_ms) if rng_spec else self.now_ms - 365 * 86_400_000
            hi = resolve_time(rng_spec.end, self.now_ms, default=self.now_ms) if rng_spec else self.now_ms
            vals = rng.integers(lo, hi + 1, size=n)
            return [datetime.fromtimestamp(int(v) / 1000, tz=UTC).date().isoformat() for v in vals]
        if kind == "uuid":
            raw = rng.bytes(16 * n)
            return [str(uuid.UUID(bytes=raw[i * 16:(i + 1) * 16], version=4)) for i in range(n)]
        return self._strings(schema, f, n, rng)

    def _numbers(self, schema: Any, f: Any, n: int, rng: np.random.Generator, done: dict[str, list[Any]]) -> list[Any]:
        c = f.constraints
        kind = f.kind
        lo, hi = (c.range.min, c.range.max) if c.range else ((0.0, 1000.0) if kind != "integer" else (0, 1000))
        dist = c.distribution.kind if c.distribution else "uniform"
        if dist == "normal":
            d = c.distribution.normal
            mean, sd = (d.mean, d.std_dev) if d else ((lo + hi) / 2, (hi - lo) / 6)
            vals = rng.normal(mean, sd, n)
        elif dist == "log_normal":
            d = c.distribution.log_normal
            mean, sd = (d.mean, d.std_dev) if d else (0.0, 1.0)
            vals = rng.lognormal(mean, sd, n)
            if c.range:
                vals = lo + vals
        elif dist == "zipf":
            a = c.distribution.zipf.exponent if c.distribution.zipf else 2.0
            vals = lo + (rng.zipf(a, n) - 1).astype(np.float64)
        elif dist == "exponential":
            vals = lo + rng.exponential((hi - lo) / 4 or 1.0, n)
        elif dist == "random_walk":
            vals = self._random_walk(f, n, rng, lo, hi, done)
        else:
            vals = rng.integers(int(math.ceil(lo)), int(math.floor(hi)) + 1, size=n).astype(np.float64) \
                if kind == "integer" else rng.uniform(lo, hi, n)
        rw = c.distribution.random_walk if c.distribution and dist == "random_walk" else None
        low = -np.inf if rw and rw.allow_below_min else lo
        high = np.inf if rw and rw.allow_above_max else hi
        vals = np.clip(vals, low, high)
        if kind == "integer":
            return [int(v) for v in np.round(vals)]
        if kind == "decimal":
            q = Decimal(1).scaleb(-f.precision)
            return [Decimal(repr(float(v))).quantize(q) for v in np.round(vals, f.precision)]
        return [float(v) for v in np.round(vals, 4)]

    def _random_walk(self, f: Any, n: int, rng: np.random.Generator, lo: float, hi: float,
                     done: dict[str, list[Any]]) -> np.ndarray:
        rw = f.constraints.distribution.random_walk
        drift, vol = (rw.drift, rw.volatility) if rw else (0.0, 0.01)
        steps = 1.0 + drift + vol * rng.standard_normal(n)
        groups = done.get(rw.group_by) if rw and rw.group_by else None
        out = np.empty(n)
        level: dict[Any, float] = {}
        start = (lo + hi) / 2
        for i in range(n):
            g = groups[i] if groups is not None else None
            prev = level.get(g, start)
            cur = prev * steps[i]
            if rw is None or not rw.allow_below_min:
                cur = max(cur, lo)
            if rw is None or not rw.allow_above_max:
                cur = min(cur, hi)
            level[g] = cur
            out[i] = cur
        return out

    def _strings(self, schema: Any, f: Any, n: int, rng: np.random.Generator) -> list[Any]:
        c = f.constraints
        if c.pattern:
            return PatternGenerator(c.pattern).generate_many(rng, n)
        if c.length:
            lo, hi = c.length.min, c.length.max
            letters = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            lens = rng.integers(lo, hi + 1, size=n)
            chars = letters[rng.integers(0, len(letters), size=int(lens.sum()) or 1)]
            out, pos = [], 0
            for ln in lens:
                out.append("".join(chars[pos:pos + ln]))
                pos += ln
            return out
        provider = _FAKER_FIELDS.get(f.name.lower()) or next(
            (v for k, v in _FAKER_FIELDS.items() if f.name.lower().endswith("_" + k)), None)
        if provider:
            pool = self._faker_pool(schema.name, f.name, provider)
            idx = rng.integers(0, len(pool), size=n)
            return [pool[i] for i in idx]
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        codes = letters[rng.integers(0, 26, size=(n, 8))]
        return ["".join(row) for row in codes]

    def _faker_pool(self, schema: str, field: str, provider: str) -> list[str]:
        from faker import Faker

        if self._faker is None:
            self._faker = Faker("en_US")
        fk = self._faker
        fk.seed_instance(int(_seed_for(self.seed, schema, field, "faker").generate_state(1)[0]))
        method = getattr(fk, provider)
        return [str(method()) for _ in range(_FAKER_POOL)]

    def _derived(self, schema: Any, f: Any, n: int, done: dict[str, list[Any]], rng: np.random.Generator) -> list[Any]:
        from velotui.sandbox import DEFAULT_FUNCTIONS, compile_expression

        d = f.constraints.derived
        deps = list(d.depends_on) or [x for x in done]
        funcs = dict(DEFAULT_FUNCTIONS)
        draws = iter(rng.random(max(n, 1) * 4))
        funcs["random"] = lambda: float(next(draws, 0.5))
        funcs["min"] = lambda *a: min(a) if len(a) > 1 else min(a[0])
        funcs["max"] = lambda *a: max(a) if len(a) > 1 else max(a[0])
        try:
            expr = compile_expression(d.expression, functions=funcs, names=set(done))
        except VelotuiError as e:
            raise DataError(f"derived expression: {e.message}", hint=e.hint) from None
        cols = {k: done[k] for k in deps if k in done}
        out = []
        for i in range(n):
            env = {k: v[i] for k, v in cols.items()}
            try:
                v = expr.evaluate(env)
            except VelotuiError as e:
                raise DataError(f"derived expression {d.expression!r} failed on record {i}: {e.message}") from None
            out.append(_coerce(v, f.kind, f) if v is not None else None)
        return out

    def _references(self, schema: Any, f: Any, n: int, rng: np.random.Generator) -> list[Any]:
        ref = f.constraints.references
        key = (ref.schema_name or ref.file or "", ref.field)
        if key not in self._reference_cache:
            self._reference_cache[key] = self._reference_values(schema, f)
        pool = self._reference_cache[key]
        if not pool:
            raise DataError(f"references {ref.schema_name or ref.file}.{ref.field} has no values")
        idx = rng.integers(0, len(pool), size=n)
        return [pool[i] for i in idx]

    def _reference_values(self, schema: Any, f: Any) -> list[Any]:
        ref = f.constraints.references
        if ref.file:
            from velotui import files
            from velotui.datagen.files import load_data_file

            path = Path(ref.file)
            named_in = getattr(schema, "path", None)
            if not path.is_absolute():
                base = self.base_dir or (schema.path.parent if getattr(schema, "path", None) else Path.cwd())
                cands = [base / path]
                if getattr(schema, "path", None):
                    cands += [schema.path.parent / path, schema.path.parent.parent / path]
                path = next((p for p in cands if files.exists_inside(p)), cands[0])
            rows = load_data_file(path, what="references.file", named_in=named_in, line=getattr(f, "line", None))
            return [r.get(ref.field) for r in rows if r.get(ref.field) is not None]
        target = self.schemas.get(ref.schema_name or "")
        if target is None:
            raise DataError(f"references schema {ref.schema_name!r}, which is not loaded",
                            hint="add the schema file to a schemas/ folder, or give references.file")
        if target.field(ref.field) is None:
            raise DataError(f"references {ref.schema_name}.{ref.field}, but {ref.schema_name} has no such field")
        count = target.record_count or DEFAULT_REFERENCED_RECORDS
        data = self.generate(target, count)
        return [r[ref.field] for r in data.records if r.get(ref.field) is not None]


def _coerce(v: Any, kind: str, f: Any) -> Any:
    if v is None:
        return None
    try:
        if kind == "integer":
            return int(v)
        if kind == "float":
            return float(v)
        if kind == "decimal":
            return Decimal(str(v)).quantize(Decimal(1).scaleb(-f.precision))
        if kind == "boolean":
            return v if isinstance(v, bool) else str(v).lower() in ("true", "1", "yes")
        if kind == "string":
            return str(v)
    except (ValueError, ArithmeticError):
        raise DataError(f"value {v!r} is not a valid {kind}") from None
    return v
