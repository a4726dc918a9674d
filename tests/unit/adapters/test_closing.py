"""Closing records (D18): one per source of a windowed EMIT FINAL statement, far enough in event time,
marked as added by velotui."""

from __future__ import annotations

from velotui.adapters.velostream.closing import HEADER, HEADER_VALUE, closing_records, note_for
from velotui.records import Message
from velotui.sql import parse_app

WITH = "WITH ('event.time.field' = 'ts', 'watermark.max_out_of_orderness' = '5s')"


def _msgs(times: list[int], as_text: bool = False) -> list[Message]:
    return [Message(value={"k": "a", "ts": (f"2026-01-01T00:00:{t // 1000:02d}Z" if as_text else t), "v": i},
                    key="a", timestamp=t) for i, t in enumerate(times)]


def test_one_closing_record_past_every_window() -> None:
    app = parse_app(f"CREATE STREAM w AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(1m) EMIT FINAL {WITH}")
    recs, notes = closing_records(app, ["w"], {"s": _msgs([1000, 61000, 50000])})
    assert notes == [] and len(recs) == 1
    rec = recs[0]
    assert rec.source == "s" and rec.event_time_ms == 61000 + 2 * 60000 + 5000 + 1000
    assert rec.message.value == {"k": "a", "ts": rec.event_time_ms, "v": 1}  # a copy of the latest record
    assert rec.message.headers == {HEADER: HEADER_VALUE} and rec.message.timestamp == rec.event_time_ms
    assert "velotui added 1 record to s" in note_for(rec) and "--close-windows off" in note_for(rec)


def test_an_iso_event_time_stays_iso() -> None:
    app = parse_app(f"CREATE STREAM w AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW SESSION(10s) {WITH}")
    recs, _ = closing_records(app, ["w"], {"s": _msgs([1000, 9000], as_text=True)})
    assert recs[0].message.value["ts"] == "2026-01-01T00:00:35.000Z"  # 9 s + 2 x 10 s + 5 s + 1 s


def test_no_closing_record_where_it_would_reach_an_output() -> None:
    changes = parse_app("CREATE STREAM w AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(1m) "
                        "EMIT CHANGES")
    assert closing_records(changes, ["w"], {"s": _msgs([1000])}) == ([], [])
    shared = parse_app("CREATE STREAM p AS SELECT * FROM s;\n"
                       "CREATE STREAM w AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(1m)")
    recs, notes = closing_records(shared, ["p", "w"], {"s": _msgs([1000])})
    assert recs == [] and "another deployed statement would emit it" in notes[0]
    none = parse_app("CREATE STREAM w AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(1m) "
                     "WITH ('watermark.strategy' = 'none')")
    recs, notes = closing_records(none, ["w"], {"s": _msgs([1000])})
    assert recs == [] and "watermark.strategy none" in notes[0]
    assert closing_records(parse_app("CREATE STREAM w AS SELECT k, COUNT(*) AS n FROM s GROUP BY k "
                                     "WINDOW TUMBLING(1m)"), ["w"], {"s": []}) == ([], [])
