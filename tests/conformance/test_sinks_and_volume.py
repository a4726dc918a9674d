"""Conformance items that need more than a golden record list: file sinks (C76), volume (C83)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import orjson

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.records import Message
from velotui.sql import parse_app

CITES = ["C76", "C83"]


def test_c76_file_sink_jsonl(tmp_path: Path) -> None:
    sql = ("CREATE STREAM o AS SELECT id, CAST(v AS DECIMAL(6, 2)) AS v FROM s "
           "WITH ('o.type' = 'file_sink', 'o.path' = 'out/o.jsonl', 'o.format' = 'jsonl');")
    app = parse_app(sql, tmp_path / "q.sql")
    bus = MemoryBus()
    bus.publish("s", [Message(value={"id": i, "v": i / 4}) for i in range(3)])
    run_app(app, bus, EngineOptions(base_dir=tmp_path))
    lines = (tmp_path / "out" / "o.jsonl").read_bytes().splitlines()
    assert [orjson.loads(x) for x in lines] == [{"id": 0, "v": 0.0}, {"id": 1, "v": 0.25}, {"id": 2, "v": 0.5}]
    assert b'"v":0.25' in lines[1]  # DECIMAL is written as a JSON number


def test_c83_100k_stateless_bounded_memory(tmp_path: Path) -> None:
    app = parse_app("CREATE STREAM o AS SELECT id, v * 2 AS d FROM s WHERE v >= 0;", tmp_path / "q.sql")
    bus = MemoryBus()
    bus.publish("s", [Message(value={"id": i, "v": i % 100}) for i in range(100_000)])
    tracemalloc.start()
    result = run_app(app, bus, EngineOptions(base_dir=tmp_path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.statements["o"].records_out == 100_000
    # outputs are retained (they are the result); beyond them the engine keeps no per-record state:
    # well under 1 KiB per record in all
    assert peak < 100_000 * 1024
