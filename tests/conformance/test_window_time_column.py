"""A window's time column (``WINDOW TUMBLING(col, 1m)``, SLIDING, SESSION) is read exactly as the same column in
SELECT reads it, on every path (fused, general, with coverage, with lineage): ``_event_time`` is the event time
the statement has without it (its ``'s.event.time.field'``, ``'event.time.field'``, else the message
timestamp), ``_timestamp`` the message timestamp, a field its value. ``TUMBLING(_event_time, 1m)`` on a source
with ``'s.event.time.field' = 'ts'`` read a field named ``_event_time``, found none, and put every record of a
file source in window 0 (the message timestamp) — though ``SELECT _event_time`` gave ts (§1, §3, §5)."""

from __future__ import annotations

from typing import Any

import pytest

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.records import Message
from velotui.sql import parse_app

TS = [1000, 2000, 61000, 125000, 126000, 250000]
# message timestamps (in order, as ts) far from ts: a window read from the wrong one puts the records elsewhere
RECORDS = [({"id": i, "ts": t}, 3 * t + 500) for i, t in enumerate(TS)]

# (the window's time column, the statement's event-time settings)
FORMS = [
    ("_event_time", "'s.event.time.field' = 'ts'"),
    ("_event_time", "'event.time.field' = 'ts'"),
    ("_EVENT_TIME", "'s.event.time.field' = 'ts'"),
    ("_event_time", ""),
    ("_timestamp", "'s.event.time.field' = 'ts'"),
    ("_timestamp", ""),
    ("ts", ""),
    ("ts", "'event.time.field' = 'id'"),
]
KINDS = {"TUMBLING": "1m", "SLIDING": "2m, 1m", "SESSION": "30s"}
PATHS = {"fused": EngineOptions(), "general": EngineOptions(fuse=False), "coverage": EngineOptions(coverage=True),
         "lineage": EngineOptions(lineage=True)}


def _run(sql: str, options: EngineOptions) -> list[dict[str, Any]]:
    bus = MemoryBus()
    bus.publish("s", [Message(value=dict(v), timestamp=ts) for v, ts in RECORDS])
    return [m.value for m in run_app(parse_app(sql), bus, options).statements["o"].outputs]


def _with(props: str) -> str:
    return f" WITH ({props})" if props else ""


def _windows(kind: str, times: list[int]) -> list[tuple[int, int]]:
    """(window start, count) of every window, from the times SELECT gives."""
    counts: dict[int, int] = {}
    if kind == "TUMBLING":
        for t in times:
            counts[t // 60000 * 60000] = counts.get(t // 60000 * 60000, 0) + 1
    elif kind == "SLIDING":
        for t in times:
            for start in (t // 60000 * 60000 - 60000, t // 60000 * 60000):
                counts[start] = counts.get(start, 0) + 1
    else:
        start = last = None
        for t in sorted(times):
            if start is None or t >= last + 30000:
                start = t
                counts[start] = 0
            counts[start] += 1
            last = t
    return sorted((s, n) for s, n in counts.items())


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(("column", "props"), FORMS, ids=[f"{c} {p}".strip() for c, p in FORMS])
def test_a_windows_time_column_is_the_value_select_gives(column: str, props: str, kind: str, path: str) -> None:
    times = [r["t"] for r in _run(f"CREATE STREAM o AS SELECT {column} AS t FROM s{_with(props)};", PATHS["fused"])]
    sql = (f"CREATE STREAM o AS SELECT COUNT(*) AS n, _window_start AS ws FROM s WINDOW {kind}({column}, "
           f"{KINDS[kind]}){_with(props)};")
    got = sorted((r["ws"], r["n"]) for r in _run(sql, PATHS[path]))
    assert got == _windows(kind, times), (times, got)


def test_the_file_source_of_the_finding_has_its_windows() -> None:
    from velotui.engine.runtime import run_sql

    data = "".join(f'{{"id": {i}, "ts": {t}}}\n' for i, t in enumerate([1000, 2000, 61000, 125000]))
    result = run_sql("CREATE STREAM o AS SELECT COUNT(*) AS n, _window_start AS ws FROM s WINDOW TUMBLING(_event_time, "
                     "1m) WITH ('s.type' = 'file_source', 's.path' = 'data.jsonl', 's.format' = 'jsonlines', "
                     "'s.event.time.field' = 'ts', 'o.type' = 'kafka_sink', 'o.topic.name' = 'o');", {},
                     files={"data.jsonl": data})
    assert [(m.value["ws"], m.value["n"]) for m in result.statements["o"].outputs] == [(0, 2), (60000, 1),
                                                                                        (120000, 1)]
