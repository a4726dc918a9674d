"""A fused loop over a source's messages tells a value that is no record itself (no pass over the messages
first): whatever the statement does first, no such value makes an output, a mapping of another kind neither."""

from __future__ import annotations

from collections import OrderedDict, UserDict
from types import MappingProxyType
from typing import Any

import pytest

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.records import Message
from velotui.sql import parse_app

SQL = [
    "CREATE STREAM o AS SELECT 1 AS one FROM s;",
    "CREATE STREAM o AS SELECT * FROM s;",
    "CREATE STREAM o AS SELECT _key AS k FROM s WHERE _offset >= 0;",
    "CREATE STREAM o AS SELECT a FROM s WHERE a > 0;",
    "CREATE STREAM o AS SELECT a, k FROM s;",
    "CREATE STREAM o AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;",
    "CREATE STREAM o AS SELECT COUNT(*) AS n FROM s;",
]
NOT_RECORDS: list[Any] = [None, [["a", 1]], "text", 3, UserDict({"k": "x", "a": 1}),
                          MappingProxyType({"k": "x", "a": 1})]


@pytest.mark.parametrize("sql", SQL)
def test_no_value_that_is_no_record_makes_an_output(sql: str) -> None:
    bus = MemoryBus()
    bus.publish("s", [Message(value=v) for v in [*NOT_RECORDS, {"k": "x", "a": 1}, OrderedDict(k="y", a=2)]])
    res = run_app(parse_app(sql), bus, EngineOptions()).statements["o"]
    assert res.records_in == 2
    assert [d.error_type for d in res.dead_letters] == ["empty_record"] + ["wrong_type"] * 5
    assert len(res.outputs) == 2
