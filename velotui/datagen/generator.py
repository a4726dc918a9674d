"""Schema-driven record generation: column-wise with numpy, deterministic for a seed."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np

from velotui.datagen.patterns import PatternGenerator
from velotui.datagen.timeparse import resolve_time
from velotui.errors import DataError, VelotuiError
from velotui.gcpause import paused
from velotui.records import column_fits

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
    """Generated records: as columns (``names`` in the schema's field order, ``columns`` one list per name)
    and, made from them when first asked for, as ``records`` (one dict per record)."""

    timestamps_ms: list[int]  # the message timestamps (event times)
    events_per_second: float | None = None  # publish-rate hint from time_simulation
    batch_size: int = 1
    # every record fits the schema's field kinds (NULLs only where allowed, integers within 64 bits), checked
    # column by column as they were made: the engine need not check each record again
    fits_schema: bool = False
    names: list[str] = field(default_factory=list)
    columns: list[list[Any]] = field(default_factory=list)
    count: int = 0
    _records: list[dict[str, Any]] | None = field(default=None, repr=False)

    @classmethod
    def of_records(cls, records: list[dict[str, Any]], timestamps_ms: list[int], **kw: Any) -> GeneratedData:
        return cls(timestamps_ms=timestamps_ms, count=len(records), _records=records, **kw)

    @property
    def records(self) -> list[dict[str, Any]]:
        if self._records is None:
            with paused():  # many dicts and no cycle: see blocks()
                self._records = _record_builder(tuple(self.names))(*self.columns) if self.names else \
                    [{} for _ in range(self.count)]
        return self._records


GENERATION_BLOCK = 65_536
"""Records per block of generation. An input is generated a block at a time, each block from random streams
of its own (seed, schema, field and the block's place), so a block never depends on how many come after it:
an input generated whole is the same as one generated, published and run block by block with bounded memory
(velotui.core.run). The first block's streams are those of an input of one block (up to 65,536 records)."""


@dataclass
class _Block:
    """Where a block sits in its input, and what carries on from the block before (a random walk's level)."""

    index: int = 0
    first: int = 0  # the input's index of the block's first record
    total: int = 0  # the input's record count
    walks: dict[str, Any] = field(default_factory=dict)  # field -> its last level (per group: a dict)

    def parts(self) -> tuple[str, ...]:
        return () if self.index == 0 else (f"block {self.index}",)


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
        self._faker_pools: dict[tuple[str, str, str], list[str]] = {}
        self._referencing: set[tuple[str, str]] = set()  # references being resolved (a cycle never ends)

    # -- public ---------------------------------------------------------------------------------
    def generate(self, schema: Any, count: int, *, time_simulation: Any = None,
                 null_probability: float | None = None) -> GeneratedData:
        """``count`` records of ``schema``: the blocks of ``blocks()`` joined."""
        parts = list(self.blocks(schema, count, time_simulation=time_simulation, null_probability=null_probability))
        if len(parts) == 1:
            return parts[0]
        records: list[dict[str, Any]] = []
        times: list[int] = []
        with paused():
            for part in parts:
                records.extend(part.records)
                times.extend(part.timestamps_ms)
        first = parts[0]
        return GeneratedData.of_records(records, times, events_per_second=first.events_per_second,
                                        batch_size=first.batch_size, fits_schema=all(p.fits_schema for p in parts))

    def blocks(self, schema: Any, count: int, *, time_simulation: Any = None,
               null_probability: float | None = None) -> Iterator[GeneratedData]:
        """``count`` records of ``schema`` in blocks of GENERATION_BLOCK records, each made when asked for."""
        if isinstance(schema, str):
            if schema not in self.schemas:
                raise DataError(f"unknown schema {schema!r}", hint="known: " + ", ".join(sorted(self.schemas)))
            schema = self.schemas[schema]
        count = int(count)
        if count < 0:
            raise DataError("record count must be >= 0")
        block = _Block(total=count)
        for index, first in enumerate(range(0, max(count, 1), GENERATION_BLOCK)):
            block.index, block.first = index, first
            # a block is many dicts and no reference cycle: the cyclic garbage collector would only scan
            # them again and again (a third of the time), so it pauses, as in the engine
            with paused():
                data = self._generate(schema, min(GENERATION_BLOCK, count - first), time_simulation,
                                      null_probability, block)
            yield data

    def _generate(self, schema: Any, count: int, time_simulation: Any,
                  null_probability: float | None, block: _Block) -> GeneratedData:
        times = self._event_times(schema, count, time_simulation, block)
        columns: dict[str, list[Any]] = {}
        arrays: dict[str, np.ndarray] = {}  # numeric columns without NULLs, for derived fields
        fits = True  # every column fits its field's kind (velotui.records.column_fits), so every record does
        for f in self._ordered_fields(schema):
            try:
                values = self._column(schema, f, count, times, time_simulation is not None, columns, arrays, block)
                nullable = bool(f.nullable or f.null_probability)  # as the engine's schema check reads it
                if isinstance(values, np.ndarray):
                    arrays[f.name] = values
                    fits = fits and (f.constraints.derived is not None or _array_fits(values, f.kind))
                    values = values.tolist()
                elif f.constraints.derived is None:
                    # a column drawn from a pool fits when its pool does (the check is per value)
                    fits = fits and column_fits(self._pool_of(f, values), f.kind, nullable)
                p = self._null_probability(f, null_probability)
                if p > 0 and count:
                    mask = self._rng(schema.name, f.name, "nulls", *block.parts()).random(count) < p
                    nulls = np.flatnonzero(mask).tolist()
                    if nulls:
                        arrays.pop(f.name, None)
                        fits = fits and (nullable or f.constraints.derived is not None)
                        for i in nulls:
                            values[i] = None
                columns[f.name] = values
            except VelotuiError as e:
                if e.file is None:
                    e.file = str(getattr(schema, "path", None) or "") or None
                    e.line = getattr(f, "line", None)
                    e.message = f"field {f.name!r}: {e.message}"
                    e.args = (e.message,)
                raise
            except (ArithmeticError, ValueError, TypeError, IndexError, KeyError) as e:  # a schema generation
                # cannot honour (loading draws a sample of each: velotui.datagen.selfcheck): said at its field
                raise DataError(f"field {f.name!r}: could not be generated: {type(e).__name__}: {e}",
                                hint="check this field's constraints (docs/FORMATS.md §3)", **_where(schema, f)) from None
        names = [f.name for f in schema.fields]
        if time_simulation is None:
            ts_field = next((f.name for f in schema.fields if f.kind == "timestamp"), None)
            if ts_field is not None:
                col = columns[ts_field]
                times = [v if isinstance(v, int) else self.now_ms for v in col] if None in col else list(col)
        ts = getattr(time_simulation, "events_per_second", None)
        return GeneratedData(timestamps_ms=times if isinstance(times, list) else times.tolist(),
                             events_per_second=ts, batch_size=int(getattr(time_simulation, "batch_size", 1) or 1),
                             fits_schema=fits, names=names, columns=[columns[n] for n in names], count=count)

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
        """The schema's fields in an order that makes each after the fields it needs (those a derived field
        reads, the one a random walk is grouped by): plain fields first, each as early as it can be."""
        from velotui.spec.schema_refs import generation_dependencies

        fields = list(schema.fields)
        deps = {f.name: generation_dependencies(f, fields) for f in fields}
        pending = [f for f in fields if not f.constraints.derived] + [f for f in fields if f.constraints.derived]
        done: set[str] = set()
        ordered = []
        while pending:
            ready = next((f for f in pending if all(d in done for d in deps[f.name])), None)
            if ready is None:
                names = ", ".join(f.name for f in pending)
                raise DataError(f"fields need each other generated first, in a cycle: {names}",
                                **_where(schema, pending[0]))
            ordered.append(ready)
            done.add(ready.name)
            pending.remove(ready)
        return ordered

    def _event_times(self, schema: Any, count: int, sim: Any, block: _Block) -> np.ndarray:
        if sim is None:
            return np.full(count, self.now_ms, dtype=np.int64)
        end = resolve_time(sim.end_time, self.now_ms, default=self.now_ms)
        start = resolve_time(sim.start_time, self.now_ms, default=end - 3_600_000)
        if start > end:
            raise DataError(f"time_simulation start_time ({sim.start_time}) is after end_time ({sim.end_time})")
        rng = self._rng(schema.name, "__event_time__", *block.parts())
        span = end - start
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        if sim.sequential:  # spread over the whole input: the block's records take their places in it
            offsets = np.arange(block.first, block.first + count, dtype=np.float64) * (span / block.total)
        else:
            offsets = rng.random(count) * span
        scale = float(getattr(sim, "time_scale", 1.0) or 1.0)
        if scale != 1.0:
            offsets = offsets / scale
        times = start + offsets.astype(np.int64)
        jitter = int(getattr(sim, "jitter_ms", 0) or 0)
        if jitter:
            times = times + rng.integers(-jitter, jitter + 1, size=count)
        return times.astype(np.int64)

    def _column(self, schema: Any, f: Any, n: int, times: np.ndarray, simulated: bool,
                done: dict[str, list[Any]], arrays: dict[str, np.ndarray], block: _Block) -> list[Any] | np.ndarray:
        """One field's values for ``n`` records: a numpy array for numbers (kept for derived fields),
        else a list. Every kind is drawn for the whole column at once."""
        c = f.constraints
        kind = f.kind
        rng = self._rng(schema.name, f.name, *block.parts())
        if c.derived:
            return self._derived(schema, f, n, done, arrays, rng)
        if c.references:
            return self._references(schema, f, n, rng)
        if c.enum_values:
            values = list(c.enum_values.values)
            p = None
            if c.enum_values.weights:
                w = np.asarray(c.enum_values.weights, dtype=np.float64)
                p = w / w.sum()
            idx = rng.choice(len(values), size=n, p=p)
            return _pick([_coerce(v, kind, f) for v in values], idx)
        if kind in ("integer", "float", "decimal"):
            return self._numbers(schema, f, n, rng, done, block)
        if kind == "boolean":
            return rng.random(n) < 0.5
        if kind == "timestamp":
            rng_spec = c.timestamp_range or c.timestamp_epoch_ms
            if rng_spec is not None:
                lo = resolve_time(rng_spec.start, self.now_ms)
                hi = resolve_time(rng_spec.end, self.now_ms, default=self.now_ms)
                if lo > hi:
                    raise DataError(f"timestamp range start is after its end ({rng_spec.start} > {rng_spec.end})")
                return rng.integers(lo, hi + 1, size=n)
            return times.copy() if simulated else np.full(n, self.now_ms, dtype=np.int64)
        if kind == "date":
            rng_spec = c.timestamp_range
            lo = resolve_time(rng_spec.start, self.now_ms) if rng_spec else self.now_ms - 365 * 86_400_000
            hi = resolve_time(rng_spec.end, self.now_ms, default=self.now_ms) if rng_spec else self.now_ms
            return _iso_dates(rng.integers(lo, hi + 1, size=n))
        if kind == "uuid":
            return _uuids(rng.bytes(16 * n), n)
        return self._strings(schema, f, n, rng)

    def _pool_of(self, f: Any, values: list[Any]) -> list[Any]:
        """The values a column of ``f`` was drawn from (an enum's values, a foreign key's referenced values),
        or the column itself."""
        c = f.constraints  # in the order _column draws them
        if c.references:
            pool = self._reference_cache.get((c.references.schema_name or c.references.file or "",
                                              c.references.field))
            return pool if pool is not None else values
        if c.enum_values:
            return [_coerce(v, f.kind, f) for v in c.enum_values.values]
        return values

    def _numbers(self, schema: Any, f: Any, n: int, rng: np.random.Generator,
                 done: dict[str, list[Any]], block: _Block) -> list[Any] | np.ndarray:
        c = f.constraints
        kind = f.kind
        lo, hi = (c.range.min, c.range.max) if c.range else ((0.0, 1000.0) if kind != "integer" else (0, 1000))
        bound = f.decimal_bound if kind == "decimal" else None
        if bound is not None:  # a DECIMAL(P, S) holds at most P - S digits before the point
            lo, hi = max(lo, -bound), min(hi, bound)
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
            vals = self._random_walk(f, n, rng, lo, hi, done, block)
        else:
            vals = rng.integers(int(math.ceil(lo)), int(math.floor(hi)) + 1, size=n).astype(np.float64) \
                if kind == "integer" else rng.uniform(lo, hi, n)
        rw = c.distribution.random_walk if c.distribution and dist == "random_walk" else None
        low = -np.inf if rw and rw.allow_below_min else lo
        high = np.inf if rw and rw.allow_above_max else hi
        vals = np.clip(vals, low, high)
        if bound is not None and (low < -bound or high > bound):  # beyond its range, never beyond its type
            vals = np.clip(vals, -bound, bound)
        if kind == "integer":  # whole numbers inside the range, whatever its bounds' fractions
            rounded = np.clip(np.round(vals), math.ceil(low) if math.isfinite(low) else low,
                              math.floor(high) if math.isfinite(high) else high)
            if n and not (np.all(np.isfinite(rounded)) and float(np.max(np.abs(rounded))) < 2**62):
                return [int(v) for v in rounded]  # beyond int64: Python integers (or Python's own error)
            return rounded.astype(np.int64)
        if kind == "decimal":
            return _decimals(vals, f.precision)
        return np.clip(np.round(vals, 4), low, high)  # 4 places, never rounded out of the range

    def _random_walk(self, f: Any, n: int, rng: np.random.Generator, lo: float, hi: float,
                     done: dict[str, list[Any]], block: _Block) -> np.ndarray:
        """Each group's level moves by a random factor per record, kept inside the range unless allowed
        out: a running product per group (the clamp makes each step depend on the previous one). A walk
        goes on in the next block from the level it reached (``block.walks``)."""
        rw = f.constraints.distribution.random_walk
        drift, vol = (rw.drift, rw.volatility) if rw else (0.0, 0.01)
        steps = 1.0 + drift + vol * rng.standard_normal(n)
        groups = done.get(rw.group_by) if rw and rw.group_by else None
        low = None if (rw is not None and rw.allow_below_min) else lo
        high = None if (rw is not None and rw.allow_above_max) else hi
        start = (lo + hi) / 2

        def step(prev: float, s: float) -> float:
            cur = prev * s
            if low is not None:
                cur = max(cur, low)
            if high is not None:
                cur = min(cur, high)
            return cur

        if groups is None:
            initial = block.walks.get(f.name, start)
            out = np.fromiter(accumulate(steps.tolist(), step, initial=initial), dtype=np.float64, count=n + 1)[1:]
            if n:
                block.walks[f.name] = float(out[-1])
            return out
        reached: dict[Any, float] = block.walks.setdefault(f.name, {})  # group -> its level so far
        index = {g: i for i, g in enumerate(dict.fromkeys(groups))}  # group value -> number, first seen first
        names = list(index)
        codes = np.fromiter(map(index.__getitem__, groups), dtype=np.int64, count=n)
        order = np.argsort(codes, kind="stable")  # each group's records together, in record order
        sizes = np.bincount(codes, minlength=len(index))
        starts = np.cumsum(sizes) - sizes
        walked = np.empty(n)
        in_order = steps[order]
        if len(index) <= int(sizes.max(initial=0)):  # few long walks: one running product each
            for g, a, size in zip(names, starts.tolist(), sizes.tolist()):
                walk = list(accumulate(in_order[a:a + size].tolist(), step, initial=reached.get(g, start)))[1:]
                walked[a:a + size] = walk
                reached[g] = walk[-1]
        else:  # many short walks: step k of every walk at once (the same products and clamps)
            by_size = np.argsort(-sizes, kind="stable")
            sizes_desc, starts_desc = sizes[by_size], starts[by_size]
            level = np.array([float(reached.get(names[c], start)) for c in by_size.tolist()], dtype=np.float64)
            for k in range(int(sizes_desc[0])):
                m = int(np.searchsorted(-sizes_desc, -k, side="left"))  # walks longer than k
                rows = starts_desc[:m] + k
                cur = level[:m] * in_order[rows]
                if low is not None:
                    cur = np.maximum(cur, low)
                if high is not None:
                    cur = np.minimum(cur, high)
                level[:m] = cur
                walked[rows] = cur
            for c, v in zip(by_size.tolist(), level.tolist()):
                reached[names[c]] = v
        out = np.empty(n)
        out[order] = walked
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
            return _cut(chars, lens)
        provider = _FAKER_FIELDS.get(f.name.lower()) or next(
            (v for k, v in _FAKER_FIELDS.items() if f.name.lower().endswith("_" + k)), None)
        if provider:
            pool = self._faker_pool(schema.name, f.name, provider)
            return _pick(pool, rng.integers(0, len(pool), size=n))
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        codes = letters[rng.integers(0, 26, size=(n, 8))]
        return np.ascontiguousarray(codes).view("<U8").reshape(n).tolist()

    def _faker_pool(self, schema: str, field: str, provider: str) -> list[str]:
        key = (schema, field, provider)
        if key not in self._faker_pools:  # one pool per field for the whole input (every block picks from it)
            self._faker_pools[key] = self._make_faker_pool(schema, field, provider)
        return self._faker_pools[key]

    def _make_faker_pool(self, schema: str, field: str, provider: str) -> list[str]:
        from faker import Faker

        if self._faker is None:
            self._faker = Faker("en_US")
        fk = self._faker
        fk.seed_instance(int(_seed_for(self.seed, schema, field, "faker").generate_state(1)[0]))
        method = getattr(fk, provider)
        return [str(method()) for _ in range(_FAKER_POOL)]

    def _derived(self, schema: Any, f: Any, n: int, done: dict[str, list[Any]], arrays: dict[str, np.ndarray],
                 rng: np.random.Generator) -> list[Any]:
        """A numeric expression over numeric columns runs once over the whole columns (numpy, with
        Python's exact values: velotui.datagen.derived); anything else runs row by row in the sandbox."""
        from velotui.datagen.derived import coerce_column, evaluate_columns
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
        if n and all(k in arrays for k in deps if k in done):
            computed = evaluate_columns(d.expression, {k: arrays[k] for k in deps if k in arrays}, n)
            if computed is not None:
                values = coerce_column(computed, f.kind)
                return values if values is not None else [_coerce(v, f.kind, f) for v in computed.tolist()]
        cols = {k: done[k] for k in deps if k in done}
        out = []
        rows = expr.evaluate_rows(cols, n)
        for i in range(n):
            try:
                v = next(rows)
            except VelotuiError as e:
                raise DataError(f"derived expression {d.expression!r} failed on record {i}: {e.message}") from None
            out.append(_coerce(v, f.kind, f) if v is not None else None)
        return out

    def _references(self, schema: Any, f: Any, n: int, rng: np.random.Generator) -> list[Any]:
        ref = f.constraints.references
        key = (ref.schema_name or ref.file or "", ref.field)
        if key not in self._reference_cache:
            if key in self._referencing:  # checked when the schemas load (velotui.spec.schema_refs): never here
                raise DataError(f"references {key[0]}.{key[1]} come back to this field in a cycle")
            self._referencing.add(key)
            try:
                self._reference_cache[key] = [_coerce_if_possible(v, f.kind, f)
                                              for v in self._reference_values(schema, f)]
            finally:
                self._referencing.discard(key)
        pool = self._reference_cache[key]
        if not pool:
            raise DataError(f"references {ref.schema_name or ref.file}.{ref.field} has no values")
        return _pick(pool, rng.integers(0, len(pool), size=n))

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
            rows = load_data_file(path, what="references.file", named_in=named_in, line=getattr(f, "line", None),
                                  types={ref.field: f.kind})  # a cell reads as the referencing field's type
            return [r.get(ref.field) for r in rows if r.get(ref.field) is not None]
        target = self.schemas.get(ref.schema_name or "")
        if target is None:
            raise DataError(f"references schema {ref.schema_name!r}, which is not loaded",
                            hint="add the schema file to a schemas/ folder, or give references.file")
        if target.field(ref.field) is None:
            raise DataError(f"references {ref.schema_name}.{ref.field}, but {ref.schema_name} has no such field")
        from velotui.spec.schema_refs import needed_fields

        # the referenced field and what it needs, alone: the same values as the whole schema's (each field has
        # its own random stream), and a field may reference another field of its own schema (a parent id)
        needed = set(needed_fields(target, ref.field))
        alone = target.model_copy(update={"fields": [t for t in target.fields if t.name in needed]})
        count = target.record_count or DEFAULT_REFERENCED_RECORDS
        data = self.generate(alone, count)
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
            return Decimal(str(v)).quantize(Decimal(1).scaleb(-f.precision), context=decimal_context(f.precision))
        if kind == "boolean":
            return v if isinstance(v, bool) else str(v).lower() in ("true", "1", "yes")
        if kind == "string":
            return str(v)
    except (ValueError, ArithmeticError):
        raise DataError(f"value {v!r} is not a valid {kind}") from None
    return v


def _coerce_if_possible(v: Any, kind: str, f: Any) -> Any:
    """A referenced value as the referencing field's kind (an integer id as text in a string field); a value
    that cannot be is kept (loading refuses such a pair of kinds: velotui.spec.schema_refs), so the engine's
    schema check sees it."""
    try:
        return _coerce(v, kind, f)
    except DataError:
        return v


@lru_cache(maxsize=64)
def _record_builder(names: tuple[str, ...]) -> Any:
    """A function that zips columns into records: one dict display per row, compiled once per field list
    (the names go in as string literals, so any field name is safe)."""
    args = [f"c{i}" for i in range(len(names))]
    vals = [f"v{i}" for i in range(len(names))]
    body = ", ".join(f"{name!r}: {v}" for name, v in zip(names, vals))
    src = (f"def build({', '.join(args)}):\n"
           f"    return [{{{body}}} for {', '.join(vals)}, in zip({', '.join(args)})]\n")
    scope: dict[str, Any] = {"__builtins__": {"zip": zip}}
    exec(compile(src, "<records>", "exec"), scope)
    return scope["build"]


def _array_fits(values: np.ndarray, kind: str) -> bool:
    """A numpy column's values (``tolist()`` of it) fit ``kind`` by its dtype: int64 is a 64-bit integer,
    float64 a float, bool a boolean."""
    if kind in ("integer", "timestamp"):
        return values.dtype == np.int64
    if kind in ("float", "decimal"):
        return values.dtype in (np.float64, np.int64)
    if kind == "boolean":
        return values.dtype == np.bool_
    return False


def _pick(pool: list[Any], idx: np.ndarray) -> list[Any]:
    """``pool[i]`` for every index, in one numpy take."""
    arr = np.empty(len(pool), dtype=object)
    arr[:] = pool
    return arr[idx].tolist()


def _uuids(raw: bytes, n: int) -> list[str]:
    """Version-4 UUID text for each 16 bytes of ``raw`` (what ``str(uuid.UUID(bytes=b, version=4))``
    gives), built as one byte matrix."""
    if n == 0:
        return []
    b = np.frombuffer(raw, dtype=np.uint8).reshape(n, 16).copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40  # version 4
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    hexed = np.frombuffer(b.tobytes().hex().encode("ascii"), dtype=np.uint8).reshape(n, 32)
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, 0:8], text[:, 9:13], text[:, 14:18] = hexed[:, 0:8], hexed[:, 8:12], hexed[:, 12:16]
    text[:, 19:23], text[:, 24:36] = hexed[:, 16:20], hexed[:, 20:32]
    flat = text.tobytes().decode("ascii")
    return [flat[i:i + 36] for i in range(0, 36 * n, 36)]


def _cut(chars: np.ndarray, lens: np.ndarray) -> list[str]:
    """Consecutive slices of ``chars`` (one character each) of the given lengths, as strings: a block of
    rows at a time as a character matrix, each row's unused tail blanked."""
    n = len(lens)
    hi = int(lens.max()) if n else 0
    if hi == 0:
        return [""] * n
    starts = np.cumsum(lens) - lens
    cols = np.arange(hi)[None, :]
    out: list[str] = []
    block = max(1, 4_000_000 // hi)
    for b in range(0, n, block):
        ln, st = lens[b:b + block], starts[b:b + block]
        mat = chars[np.minimum(st[:, None] + cols, len(chars) - 1)]
        mat[cols >= ln[:, None]] = ""
        out.extend(np.ascontiguousarray(mat).view(f"<U{hi}").reshape(len(ln)).tolist())
    return out


_DAY_MS = 86_400_000


def _iso_dates(ms: np.ndarray) -> list[str]:
    """``YYYY-MM-DD`` (UTC) of epoch milliseconds, through numpy's calendar."""
    days = np.floor_divide(ms, _DAY_MS)
    text = days.astype("datetime64[D]").astype("<U10")
    if len(ms) and not (-719162 <= int(days.min()) and int(days.max()) <= 2932896):  # outside 0001..9999
        from datetime import UTC, datetime

        return [datetime.fromtimestamp(int(v) / 1000, tz=UTC).date().isoformat() for v in ms]
    return text.tolist()


def _decimals(vals: np.ndarray, precision: int) -> list[Decimal]:
    """Values rounded to ``precision`` places as Decimals: the integer count of units times 10^-p (the
    exact decimal that ``repr(np.round(v, p))`` quantized would give, without a string per value)."""
    q = Decimal(1).scaleb(-precision)
    if 0 <= precision <= 15:
        units = np.rint(vals * (10.0 ** precision))
        if not len(units) or (np.all(np.isfinite(units)) and float(np.max(np.abs(units))) < 1e15):
            out = list(map(q.__mul__, map(Decimal, units.astype(np.int64).tolist())))
            for i in np.flatnonzero((units == 0) & np.signbit(units)).tolist():
                out[i] = q.copy_negate() * 0  # -0.00, as the text "-0.0" quantizes
            return out
    ctx = decimal_context(precision)
    return [Decimal(repr(float(v))).quantize(q, context=ctx) for v in np.round(vals, precision)]


def decimal_context(places: int) -> Context:
    """A context that holds any float quantized to ``places`` places (a float has at most 309 digits before the
    point): the default context's 28 digits raise InvalidOperation past them (38 places, or 1e20 at 10)."""
    return Context(prec=max(28, places + 330), Emin=-999999, Emax=999999)
