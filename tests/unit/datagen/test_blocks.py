"""Generation a block at a time (GENERATION_BLOCK records): an input of up to one block is what one
generation of that size always gave; a bigger one is its blocks in order, each drawn from streams of its
own, with what carries on from block to block (a random walk's level, a sequential clock) carried on.
And ``fits_schema``: the columns checked as they are made say exactly whether every record would pass the
engine's own check of each record."""

from __future__ import annotations

import numpy as np

from velotui.datagen import DataGenerator
from velotui.datagen.generator import GENERATION_BLOCK
from velotui.engine.sources import _checker
from velotui.spec import parse_data_schema
from velotui.spec.test_spec import TimeSimulation

NOW = 1_700_000_000_000

EVERY_KIND = """
name: every_kind
fields:
  - {name: id, type: uuid}
  - {name: code, constraints: {pattern: "(EU|US|APAC)-[A-Z]{2}[0-9]{3,6}"}}
  - {name: note, constraints: {length: {min: 3, max: 12}}}
  - {name: city, type: string}
  - {name: flag, type: boolean}
  - {name: day, type: date}
  - {name: qty, type: integer, nullable: true, constraints: {range: {min: 1, max: 100}}}
  - {name: tier, constraints: {enum_values: {values: [1, 2, 3]}}}
  - {name: price, type: float, constraints: {range: {min: 1, max: 500}, distribution: {log_normal: {mean: 3, std_dev: 0.4}}}}
  - {name: level, type: float, constraints: {range: {min: 50, max: 150}, distribution: {random_walk: {volatility: 0.01, group_by: tier}}}}
  - {name: solo, type: float, constraints: {range: {min: 50, max: 150}, distribution: {random_walk: {volatility: 0.01}}}}
  - {name: fee, type: {decimal: {precision: 4}}, nullable: true, null_probability: 0.2, constraints: {range: {min: 0, max: 10}}}
  - {name: total, type: float, constraints: {derived: {expression: "round(price * 1.2, 2)", depends_on: [price]}}}
  - {name: updated, type: timestamp, constraints: {timestamp_range: {start: "-1d", end: now}}}
  - {name: event_time, type: timestamp}
"""


def gen(text: str = EVERY_KIND, seed: int = 5) -> tuple[DataGenerator, object]:
    schema = parse_data_schema(text, "s.schema.yaml")
    return DataGenerator({schema.name: schema}, seed=seed, now_ms=NOW), schema


def test_an_input_is_its_blocks_in_order() -> None:
    g, schema = gen()
    n = 2 * GENERATION_BLOCK + 300
    whole = g.generate(schema, n)
    blocks = list(gen()[0].blocks(schema, n))
    assert [len(b.records) for b in blocks] == [GENERATION_BLOCK, GENERATION_BLOCK, 300]
    assert whole.records == [r for b in blocks for r in b.records]
    assert whole.timestamps_ms == [t for b in blocks for t in b.timestamps_ms]
    assert blocks[0].records == gen()[0].generate(schema, GENERATION_BLOCK).records  # one block: as always
    assert blocks[1].records != blocks[0].records  # each block has streams of its own


def test_a_random_walk_goes_on_from_the_level_it_reached() -> None:
    g, schema = gen()
    n = 2 * GENERATION_BLOCK
    records = g.generate(schema, n).records
    solo = np.array([r["solo"] for r in records])
    steps = solo[1:] / solo[:-1]
    # across the block boundary the level moves by one step like any other, never back to the start (100)
    assert abs(steps[GENERATION_BLOCK - 1] - 1) < 0.06 and np.max(np.abs(steps - 1)) < 0.06
    by_tier: dict[object, list[float]] = {}
    for r in records:
        by_tier.setdefault(r["tier"], []).append(r["level"])
    for levels in by_tier.values():
        moves = np.abs(np.diff(levels) / np.array(levels[:-1]))
        assert np.max(moves) < 0.06


def test_a_sequential_clock_spreads_over_the_whole_input() -> None:
    g, schema = gen()
    n = 3 * GENERATION_BLOCK + 7
    sim = TimeSimulation.model_validate({"start_time": "-1h", "end_time": "now", "sequential": True})
    times = np.array(g.generate(schema, n, time_simulation=sim).timestamps_ms)
    assert np.all(np.diff(times) >= 0)
    assert times[0] == NOW - 3_600_000 and times[-1] < NOW
    gaps = np.diff(times)
    assert gaps.max() - gaps.min() <= 1  # evenly spaced, across the blocks too


def _fields(schema: object) -> dict[str, tuple[str, bool]]:
    """The schema as the engine checks records against it (core/run.py's _source_schemas)."""
    return {f.name: (f.kind, bool(f.nullable or f.null_probability))
            for f in schema.fields if not f.constraints.derived}  # type: ignore[attr-defined]


def test_records_made_to_fit_are_said_to_fit() -> None:
    g, schema = gen()
    data = g.generate(schema, 5000)
    fits = _checker(_fields(schema))
    assert data.fits_schema and all(fits(r) for r in data.records)
    assert any(r["qty"] is None for r in data.records) and any(r["fee"] is None for r in data.records)


def test_records_that_would_not_fit_are_said_not_to() -> None:
    """Integers beyond 64 bits, and a reference whose values are not of the field's kind: the engine checks
    each record then (and sends those that do not fit to the dead letters), as it always did."""
    big, schema = gen("name: b\nfields:\n  - {name: n, type: integer, constraints: {range: {min: 0, max: 1e20}, "
                      "distribution: {normal: {mean: 1e19, std_dev: 1e18}}}}\n")
    data = big.generate(schema, 2000)
    fits = _checker(_fields(schema))
    assert not data.fits_schema and not all(fits(r) for r in data.records)
    text = """
name: c
fields:
  - {name: id, type: integer, constraints: {references: {schema: ref, field: code}}}
"""
    ref = parse_data_schema("name: ref\nrecord_count: 20\nfields:\n  - {name: code, type: string}\n", "ref.schema.yaml")
    schema = parse_data_schema(text, "c.schema.yaml")
    g = DataGenerator({"c": schema, "ref": ref}, seed=1, now_ms=NOW)
    data = g.generate(schema, 100)
    assert not data.fits_schema and not any(_checker(_fields(schema))(r) for r in data.records)
