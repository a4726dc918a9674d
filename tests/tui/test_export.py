"""The records screen's export writes through velotui.datafiles: CSV values typed back the same way."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import orjson

from velotui.datafiles import read_rows
from velotui.records import Message
from velotui.tui.screens.records import export_messages


def test_csv_export_reads_back_as_the_same_values(tmp_path: Path) -> None:
    msgs = [Message(value={"id": 1, "name": "a,b", "v": 2.5, "ok": True, "n": None}),
            Message(value={"id": 2, "name": "c", "v": Decimal("1.25"), "ok": False, "n": 3})]
    path = export_messages(msgs, tmp_path / "out.csv")
    assert read_rows(path) == [{"id": 1, "name": "a,b", "v": 2.5, "ok": True, "n": None},
                               {"id": 2, "name": "c", "v": 1.25, "ok": False, "n": 3}]


def test_jsonl_export_holds_envelopes_and_big_integers(tmp_path: Path) -> None:
    msgs = [Message(value={"s": 2**70, "d": Decimal("1.50")}, key="k", timestamp=7)]
    path = export_messages(msgs, tmp_path / "out.jsonl")
    line = path.read_bytes().splitlines()[0]
    assert b'"s":1180591620717411303424' in line  # exact, beyond 64 bits
    assert orjson.loads(line)["key"] == "k" and orjson.loads(line)["timestamp"] == 7
