"""Generated records run as columns (velotui.engine.StatementStream.advance_columns): the outputs, dead letters
and row errors are exactly those of publishing the same records to the source's topic and running them from
there (``advance``), message by message, whichever way the statement takes them: read as columns (a fused
projection over the generated fields), or made into the messages the topic would hold (anything else)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from velotui.bus import MemoryBus
from velotui.core.inputs import Deferred
from velotui.datagen import DataGenerator
from velotui.engine import EngineOptions, StatementStream
from velotui.engine.driver import StatementRun
from velotui.spec import parse_data_schema
from velotui.sql import parse_app

SCHEMA = """\
name: trades
fields:
  - {name: id, type: integer, constraints: {range: {min: 1, max: 1000000000}}}
  - name: symbol
    constraints: {enum_values: {values: [AAPL, MSFT, "12", "x"]}}
  - {name: price, type: float, nullable: true, null_probability: 0.2, constraints: {range: {min: 0, max: 500}}}
  - {name: volume, type: integer, constraints: {range: {min: 0, max: 3}}}
  - {name: ts, type: timestamp}
"""

# (the select, whether it reads the columns as they are)
QUERIES: dict[str, tuple[str, bool]] = {
    "filter_project": ("SELECT id, symbol, price * volume AS notional FROM trades WHERE price > 100", True),
    "null_arithmetic": ("SELECT id, price + 1 AS p, COALESCE(price, -1) AS c FROM trades", True),
    "casts": ("SELECT id, CAST(symbol AS INTEGER) AS n FROM trades", True),
    "case_and_text": ("SELECT CASE WHEN volume > 1 THEN UPPER(symbol) ELSE symbol || '-' END AS s, "
                      "volume FROM trades WHERE symbol <> 'x'", True),
    "event_time": ("SELECT id, _event_time AS et FROM trades", True),
    "string_arithmetic": ("SELECT id, symbol * 2 AS twice, symbol + 1 AS plus FROM trades", True),
    "division": ("SELECT id, price / volume AS per FROM trades", True),  # row errors name their records
    "star": ("SELECT * FROM trades WHERE price > 400", True),
    "star_and_more": ("SELECT *, volume + 1 AS id FROM trades", True),
    "offset_and_key": ("SELECT id, _offset AS off, _timestamp AS ts2, _key AS k FROM trades", False),
}


def _app(tmp: Path, select: str, event_time: bool) -> Any:
    props = "'trades.type' = 'kafka_source', 'o.type' = 'kafka_sink'"
    if event_time:
        props += ", 'event.time.field' = 'ts'"
    sql = f"CREATE STREAM o AS {select} WITH ({props});\n"
    return parse_app(sql, tmp / "app.sql")


def _blocks(tmp: Path, n: int, block: int, key_field: str | None) -> list[Any]:
    schema = parse_data_schema(SCHEMA, tmp / "trades.schema.yaml")
    gen = DataGenerator({"trades": schema}, seed=5, now_ms=1_700_000_000_000)
    import velotui.datagen.generator as g

    old, g.GENERATION_BLOCK = g.GENERATION_BLOCK, block
    try:
        return list(Deferred(gen, schema, n, key_field=key_field).column_blocks())
    finally:
        g.GENERATION_BLOCK = old


def _run(app: Any, blocks: list[Any], *, as_columns: bool, tmp: Path) -> tuple[list, Any, list[bool]]:
    bus = MemoryBus()
    bus.create_topic("trades")
    stream = StatementStream(app, bus, EngineOptions(base_dir=tmp, statements=["o"]))
    routes: list[bool] = []
    push = stream.run.push_columns

    def watched(*a: Any) -> bool:
        routes.append(push(*a))
        return routes[-1]

    stream.run.push_columns = watched  # type: ignore[method-assign]
    outputs: list = []
    for block, records, fits in blocks:
        if as_columns:
            stream.advance_columns(block, records, schema_checked=fits)
        else:
            bus.publish("trades", block.messages(records()))
            stream.advance(schema_checked=fits)
        outputs += [(list(m.value.items()), m.key, m.headers, m.timestamp, m.offset, m.event_time, type(m))
                    for m in bus.drain("o")]  # the fields in their order
    return outputs, stream.finish().statements["o"], routes


def _letters(res: Any) -> list:
    return [dataclasses.astuple(d) for d in res.dead_letters]


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("event_time", [False, True])
def test_columns_give_what_messages_give(tmp_path: Path, name: str, event_time: bool) -> None:
    select, reads_columns = QUERIES[name]
    app = _app(tmp_path, select, event_time)
    blocks = _blocks(tmp_path, 10_000, 4_000, key_field="id")  # three blocks, several chunks of the engine
    out_m, res_m, _ = _run(app, blocks, as_columns=False, tmp=tmp_path)
    out_c, res_c, routes = _run(app, blocks, as_columns=True, tmp=tmp_path)
    assert routes == [reads_columns] * 3  # the route this statement takes, for every block
    assert out_c == out_m and len(out_m) > 0
    assert _letters(res_c) == _letters(res_m)
    assert (res_c.records_in, res_c.records_out, res_c.row_errors) == (res_m.records_in, res_m.records_out,
                                                                       res_m.row_errors) == (10_000, len(out_m),
                                                                                             res_m.row_errors)
    if name in ("casts", "division", "null_arithmetic", "string_arithmetic"):
        assert res_m.dead_letters or res_m.row_errors or name == "null_arithmetic"


def test_dead_letters_name_the_offset_and_the_record(tmp_path: Path) -> None:
    """A record the columns route drops is named as the topic would name it: its offset in the whole input
    (blocks after the first go on from where the one before ended) and its fields."""
    app = _app(tmp_path, QUERIES["casts"][0], False)
    blocks = _blocks(tmp_path, 6_000, 2_500, key_field=None)
    _, res, routes = _run(app, blocks, as_columns=True, tmp=tmp_path)
    assert routes == [True] * 3
    letters = res.dead_letters
    assert letters and {d.error_type for d in letters} == {"cast"}
    late = [d for d in letters if d.offset >= 5_000]
    assert late, "no dead letter in the last block"
    block, records, _ = blocks[2]
    d = late[0]
    assert d.source == "trades" and d.record == records()[d.offset - 5_000] and d.record["symbol"] != "12"


def test_the_harness_runs_big_generated_inputs_as_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """velotui's streamed runs hand the engine columns when nothing watches the bus."""
    from tests.unit.test_streamed_runs import N, make_app, run

    routes: list[bool] = []
    push = StatementRun.push_columns

    def watched(self: StatementRun, *a: Any) -> bool:
        routes.append(push(self, *a))
        return routes[-1]

    monkeypatch.setattr(StatementRun, "push_columns", watched)
    report, _ = run(make_app(tmp_path, "filter_project", N), by_blocks=True)
    assert routes == [True, True, True]
    assert report["apps"][0]["queries"][0]["records_in"] == N
