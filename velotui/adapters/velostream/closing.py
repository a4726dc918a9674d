"""Closing the last windows on the real engine (divergence D18).

The reference engine never emits a window that is still open when a bounded input ends: in production a
later record closes it, in a test nothing does. With ``close_windows`` (the default) velotui publishes,
after the inputs, one record per source of a windowed EMIT FINAL statement: a copy of that source's latest
record moved far enough ahead in event time that the watermark passes every window the inputs opened. It
carries the header ``velotui-added: closing-record (D18)``, it is not counted in the query's inputs, and
the report says it was added. Its own window stays open, so it never reaches the output.

A source that a deployed statement without such a window also reads gets no closing record (that
statement would emit it); nor does a statement whose watermark strategy is ``none``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from velotui.records import Message
from velotui.sql.model import App, Statement

HEADER = "velotui-added"
NOTE_PREFIX = "velotui added 1 record to"  # the note of every closing record (the report's, and D18's flag)
HEADER_VALUE = "closing-record (D18)"


@dataclass
class ClosingRecord:
    source: str
    message: Message
    event_time_ms: int


def windowed_final(st: Statement) -> bool:
    q = st.query
    return q.window is not None and q.emit in (None, "final")


def closing_records(app: App, deployed: list[str], published: dict[str, list[Message]],
                    properties: dict[str, str] | None = None) -> tuple[list[ClosingRecord], list[str]]:
    """The closing records to publish and the notes that say why a source got none."""
    from velotui.engine.timekeeping import event_time_reader, parse_duration

    statements = [s for s in app.statements if s.name in deployed]
    notes: list[str] = []
    plan: dict[str, tuple[int, str | None, str | None]] = {}  # source -> (event time, field, format)
    plain_readers = {src.name for st in statements if not windowed_final(st) for src in st.sources}
    for st in statements:
        if not windowed_final(st):
            continue
        props = {**st.properties, **{k: str(v) for k, v in (properties or {}).items()}}
        if str(props.get("watermark.strategy", "")).lower() == "none":
            notes.append(f"{st.name}: watermark.strategy none: no record can close its windows (D18)")
            continue
        w = st.query.window
        assert w is not None
        span = max(w.durations or [0])  # the window's size (a session's gap): the largest duration
        margin = 2 * span + parse_duration(props.get("window.allowed_lateness")) \
            + parse_duration(props.get("watermark.max_out_of_orderness")) + 1000
        for src in st.sources:
            if src.kind != "kafka" or not published.get(src.name):
                continue
            if src.name in plain_readers:
                notes.append(f"{src.name}: no closing record (D18), another deployed statement would emit it")
                continue
            field = w.time_column or props.get("event.time.field") or props.get(f"{src.name}.event.time.field") \
                or src.config.get("event.time.field")
            field = str(field) if field else None
            fmt = props.get("event.time.format") or props.get(f"{src.name}.event.time.format")
            read = event_time_reader(field, fmt)
            times = [t for t in (read(m.value, m.timestamp) for m in published[src.name]) if t is not None]
            if not times:
                continue
            far = int(max(times)) + margin
            if far > plan.get(src.name, (0, None, None))[0]:
                plan[src.name] = (far, field, fmt)
    out: list[ClosingRecord] = []
    for source, (far, field, fmt) in plan.items():
        latest = max(published[source], key=lambda m: m.timestamp)
        value = dict(latest.value or {})
        if field:
            value[field] = _time_like(value.get(field), far, fmt)
        out.append(ClosingRecord(source=source, event_time_ms=far, message=Message(
            value=value, key=latest.key, headers={HEADER: HEADER_VALUE}, timestamp=far)))
    return out, notes


def _time_like(example: object, ms: int, fmt: str | None) -> object:
    """``ms`` written the way the source writes its event time."""
    if isinstance(example, str) and not example.lstrip("-").isdigit():
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    value = ms // 1000 if fmt == "epoch_seconds" else ms
    return str(value) if isinstance(example, str) else value


def note_for(rec: ClosingRecord) -> str:
    at = datetime.fromtimestamp(rec.event_time_ms / 1000, UTC).isoformat(timespec="seconds")
    return (f"{NOTE_PREFIX} {rec.source} at event time {at} (header {HEADER}: {HEADER_VALUE}) so that "
            "velo-sql emits the last windows; it is not an input of the spec (--close-windows off leaves it out)")
