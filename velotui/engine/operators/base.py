"""What every operator shares: the batch it is pushed, the run it belongs to, and the push interface.

Operators are push-based: ``push(batch)`` hands an operator the next records in processing order,
``finish()`` says the input has ended (a final watermark: every window closes, every LEAD and outer row is
emitted). An operator keeps its state in explicit attributes and pushes what it produces to its
``downstream`` operator; the last one (output.py) turns rows into messages for the sinks.

A batch is four parallel lists: the rows (``dict``), the messages they came from (their envelope: key,
headers, timestamp, offset), the event times (ms) and, when lineage is recorded, the index of each
record in the statement's input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from velotui.engine.api import DeadLetter
from velotui.engine.expr.errors import DropRecord, RowErrors
from velotui.records import Message, MessageBlock


class OutputMessage(Message):
    """A message the engine emits: value, key, headers and timestamp (its event time); partition, offset
    and topic are set when a sink publishes it. A Message in every way, made by ``OutputMessage.of(value,
    key, headers, timestamp)``, or in bulk by the block a fused operator fills (``InlineOutput``: the
    MessageBlock makes them when someone reads one). ``OutputMessage()`` makes a
    blank one in C (``object.__init__``, no Python call: a Python ``__init__`` per output was the biggest
    single cost of a fused filter + project after the dict work); its fields are set right after."""

    __slots__ = ()
    __init__ = object.__init__  # type: ignore[assignment]

    @classmethod
    def of(cls, value: dict | None, key: Any, headers: dict[str, str], timestamp: int) -> OutputMessage:
        m = cls()
        m.value = value
        m.key = key
        m.headers = headers
        m.timestamp = timestamp
        m.partition = 0
        m.offset = -1
        m.topic = ""
        m.raw = None
        m.event_time = timestamp
        return m


class InlineOutput:
    """Generated code that adds an output to a ``MessageBlock`` inline: its value, headers and timestamp
    appended to the block's three lists (``_ov``, ``_oh``, ``_ot``: their ``append``), with no message object
    per output (the block makes its ``OutputMessage`` objects only when someone reads one: velotui.records
    .MessageBlock). ``block(run)`` starts the block of one push, placed where its outputs land when one topic of
    the memory bus takes them as they are (``RunState.stamp``: the sink topic and the offset of the first,
    so that publishing them stamps nothing); ``appenders(block)`` are the arguments ``ARGS`` of the generated
    function."""

    ARGS = "_ov, _oh, _ot"

    NAMES: dict[str, Any] = {}

    @staticmethod
    def block(run: RunState) -> MessageBlock:
        topic, first, step = run.stamp()
        return MessageBlock([], [], [], topic if step else "", first if step else -1, OutputMessage)

    @staticmethod
    def appenders(block: MessageBlock) -> tuple[Callable[[Any], None], ...]:
        return block.values.append, block.headers.append, block.timestamps.append

    @staticmethod
    def record_check(indent: str) -> str:
        """The first lines of a loop over a source's messages, after ``r = m.value``: a value that is no
        record (the test of sources.decode) goes to ``_undecoded`` and makes no output."""
        return (f"{indent}if type(r) is not dict and not isinstance(r, dict):\n"
                f"{indent}    _undecoded(m)\n"
                f"{indent}    continue\n")

    @staticmethod
    def code(indent: str, value: str, headers: str, time: str) -> str:
        return f"{indent}_ov({value}); _oh({headers}); _ot({time})\n"


@dataclass
class Batch:
    rows: list[dict]
    metas: list[Message]
    times: list[int]
    idxs: list[int] | None = None

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class RunState:
    """One statement's run: where row errors, dead letters and counters go."""

    statement: str
    errors: RowErrors = field(default_factory=RowErrors)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    late_records: int = 0
    lineage: bool = False
    check: Callable[[], None] = lambda: None  # raises on timeout or Ctrl-C
    # where the outputs made now land: (topic, offset of the next, 1), or ('', -1, 0) (driver.SinkWriter.stamp)
    stamp: Callable[[], tuple[str, int, int]] = lambda: ("", -1, 0)

    def dead_letter(self, kind: str, message: str, m: Message | None, record: Any = None) -> None:
        self.dead_letters.append(DeadLetter(statement=self.statement, error_type=kind, message=message,
                                            source=m.topic if m is not None else None,
                                            offset=m.offset if m is not None else None,
                                            record=record if record is not None else (m.value if m is not None
                                                                                      else None)))

    def dropped(self, e: DropRecord, m: Message | None) -> None:
        """A record that is not emitted at all (a failed CAST): its one dead letter is that error; row
        errors its other expressions recorded before are withdrawn with it."""
        entries = self.errors.entries
        while entries and entries[-1][2] is m:
            entries.pop()
        self.dead_letter(e.kind, e.message, m)


class Operator:
    """Base of the operators: ``push`` batches, ``finish`` at end of input."""

    downstream: Operator | None = None

    def push(self, batch: Batch) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        if self.downstream is not None:
            self.downstream.finish()


__all__ = ["Batch", "InlineOutput", "Operator", "OutputMessage", "RunState"]
