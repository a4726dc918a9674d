"""Wrong types in data are dead letters, not silent wrong results (issue 13, class 6), and numbers stay
exact: a record whose field does not fit its source's schema goes to the query's dead letters with the
field and the value; a CSV row with the wrong number of cells too; SUM over integers beyond 64 bits stays
an exact integer, written exactly."""

from __future__ import annotations

from pathlib import Path

import orjson

from velotui.bus import MemoryBus
from velotui.bus.serde import JsonSerde
from velotui.engine import EngineOptions, run_app, run_sql
from velotui.records import Message
from velotui.sql import parse_app

SCHEMA = {"k": ("string", False), "qty": ("integer", False), "price": ("float", True)}


def _run(sql: str, rows: list[dict], schema: dict | None = None, base: Path | None = None):  # type: ignore[no-untyped-def]
    app = parse_app(sql, (base / "q.sql") if base else None)
    bus = MemoryBus()
    bus.publish("s", [Message(value=r, timestamp=1000 + i) for i, r in enumerate(rows)])
    opts = EngineOptions(source_schemas={"s": schema} if schema else {}, base_dir=base)
    return run_app(app, bus, opts).statements["o"]


def test_a_string_in_an_integer_field_is_a_dead_letter_with_field_and_value() -> None:
    res = _run("CREATE STREAM o AS SELECT k, qty * 2 AS q FROM s;",
               [{"k": "a", "qty": 1, "price": 1.0}, {"k": "b", "qty": "abc", "price": None},
                {"k": "c", "qty": 3, "price": 2}], SCHEMA)
    assert [m.value for m in res.outputs] == [{"k": "a", "q": 2}, {"k": "c", "q": 6}]
    [dead] = res.dead_letters
    assert (dead.error_type, dead.message, dead.offset) == (
        "wrong_type", "field 'qty' should be integer, got text: 'abc'", 1)
    assert dead.record == {"k": "b", "qty": "abc", "price": None}


def test_an_object_as_a_group_key_is_a_dead_letter() -> None:
    res = _run("CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;",
               [{"k": "a", "qty": 1, "price": 1.0}, {"k": {"nested": 1}, "qty": 2, "price": 1.0},
                {"k": "a", "qty": 3, "price": 1.0}], SCHEMA)
    assert [m.value for m in res.outputs] == [{"k": "a", "n": 1}, {"k": "a", "n": 2}]
    assert [(d.error_type, d.message) for d in res.dead_letters] == [
        ("wrong_type", "field 'k' should be string, got an object: {'nested': 1}")]


def test_missing_null_boolean_and_overflow_are_dead_letters() -> None:
    res = _run("CREATE STREAM o AS SELECT * FROM s;",
               [{"k": "a", "price": 1.0}, {"k": None, "qty": 1, "price": 1.0}, {"k": "c", "qty": True, "price": 1},
                {"k": "d", "qty": 2**64, "price": 1}, {"k": "e", "qty": 5, "price": None}], SCHEMA)
    assert [m.value["k"] for m in res.outputs] == ["e"]
    assert [d.error_type for d in res.dead_letters] == ["missing_field", "unexpected_null", "wrong_type", "overflow"]


def test_csv_file_source_bad_rows_are_dead_letters_and_the_query_goes_on(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,qty\n1,5\n2\n3,x\n4,7,9\n5,8\n")
    sql = ("CREATE STREAM o AS SELECT id, qty FROM t WITH ('t.type' = 'file_source', 't.path' = 't.csv', "
           "'t.datasource.schema' = 'ignored');")
    res = run_sql(sql.replace(", 't.datasource.schema' = 'ignored'", ""), {}, files={"t.csv": (tmp_path / "t.csv").read_text()})
    o = res.statements["o"]
    assert [m.value for m in o.outputs] == [{"id": 1, "qty": 5}, {"id": 3, "qty": "x"}, {"id": 5, "qty": 8}]
    assert [(d.error_type, d.message) for d in o.dead_letters] == [
        ("bad_row", "t.csv:3: row has 1 columns, the header has 2"),
        ("bad_row", "t.csv:5: row has 3 columns, the header has 2")]


def test_csv_file_source_with_declared_types_dead_letters_cells_that_do_not_fit(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("path: t.csv\ndatasource:\n  schema:\n    id: integer\n    qty: integer\n")
    (tmp_path / "t.csv").write_text("id,qty\n1,5\n2,lots\n3,7\n")
    sql = "CREATE STREAM o AS SELECT id, qty FROM t WITH ('t.type' = 'file_source', 't.config_file' = 'c.yaml');"
    res = _run_file(sql, tmp_path)
    assert [m.value for m in res.outputs] == [{"id": 1, "qty": 5}, {"id": 3, "qty": 7}]
    assert [(d.error_type, d.message) for d in res.dead_letters] == [
        ("wrong_type", "field 'qty' should be integer, got text: 'lots'")]


def _run_file(sql: str, base: Path):  # type: ignore[no-untyped-def]
    app = parse_app(sql, base / "q.sql")
    return run_app(app, MemoryBus(), EngineOptions(base_dir=base)).statements["o"]


def test_sum_beyond_64_bits_stays_an_exact_integer() -> None:
    big = 2**63 - 1
    res = _run("CREATE STREAM o AS SELECT k, SUM(v) AS s FROM s GROUP BY k;",
               [{"k": "a", "v": big}, {"k": "a", "v": big}, {"k": "a", "v": "9223372036854775807"}])
    assert [m.value["s"] for m in res.outputs] == [big, 2 * big, 3 * big]
    assert all(type(m.value["s"]) is int for m in res.outputs)


def test_sum_beyond_64_bits_is_written_exactly_to_json_sinks(tmp_path: Path) -> None:
    big = 2**63 - 1
    sql = ("CREATE STREAM o AS SELECT k, SUM(v) AS s FROM s GROUP BY k "
           "WITH ('o.type' = 'file_sink', 'o.path' = 'o.jsonl', 'o.format' = 'jsonl');")
    _run(sql, [{"k": "a", "v": big}, {"k": "a", "v": big}, {"k": "a", "v": big}], base=tmp_path)
    last = (tmp_path / "o.jsonl").read_bytes().splitlines()[-1]
    assert last == b'{"k":"a","s":27670116110564327421}'
    assert JsonSerde().encode({"s": 3 * big}) == b'{"s":27670116110564327421}'  # the Kafka topics' serde too
    assert orjson.loads(b'{"s":1}') == {"s": 1}


def test_integers_beyond_64_bits_are_read_exactly_from_json(tmp_path: Path) -> None:
    """A data file or a topic's JSON holding an integer beyond 64 bits reads it exactly (orjson alone
    would make it a float), so SUM over them stays exact end to end."""
    from velotui.datafiles import read_rows

    (tmp_path / "d.jsonl").write_text('{"v": 27670116110564327421}\n{"v": 1}\n')
    rows = read_rows(tmp_path / "d.jsonl")
    assert rows == [{"v": 27670116110564327421}, {"v": 1}] and type(rows[0]["v"]) is int
    assert JsonSerde().decode(b'{"v": -27670116110564327421}') == {"v": -27670116110564327421}
    assert JsonSerde().decode(b'{"v": 27670116110564327421') is None  # still a dead letter when broken
