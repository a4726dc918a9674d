"""Done-detection from what velotui knows, and the engine log it reads."""

from __future__ import annotations

from pathlib import Path

from velotui.adapters.velostream.done import DoneWatcher, SourceExpectation
from velotui.adapters.velostream.enginelog import EngineLog


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _watcher(read: dict, snap: list, quiet: float = 1.0, expected=None):  # type: ignore[no-untyped-def]
    clock = Clock()
    w = DoneWatcher(expected or [SourceExpectation("orders", 0, 100)], lambda s, i: read.get((s, i), 0),
                    lambda: snap[0], quiet, empty=lambda s: s == 0, clock=clock)
    return w, clock


def test_not_done_until_every_source_is_read_then_quiet() -> None:
    read: dict = {}
    snap = [5]
    w, clock = _watcher(read, snap)
    assert w.step().phase == "reading"
    clock.t = 10  # however long the sinks stay still: inputs not read yet
    assert w.step().phase == "reading"
    read[("orders", 0)] = 100
    assert w.step().phase == "settling"
    clock.t = 10.9
    assert w.step().phase == "settling"
    clock.t = 11.0
    state = w.step()
    assert state.phase == "done" and state.describe() == "orders: read 100 of 100"


def test_a_sink_that_moves_restarts_the_quiet_period() -> None:
    read = {("orders", 0): 100}
    snap = [1]
    w, clock = _watcher(read, snap)
    assert w.step().phase == "settling"
    clock.t = 0.8
    snap[0] = 2
    assert w.step().phase == "settling"
    clock.t = 1.7
    assert w.step().phase == "settling"
    clock.t = 1.8
    assert w.step().phase == "done"


def test_empty_sinks_wait_three_quiet_periods() -> None:
    read = {("orders", 0): 100}
    snap = [0]
    w, clock = _watcher(read, snap)
    w.step()
    clock.t = 2.9
    assert w.step().phase == "settling"
    clock.t = 3.0
    assert w.step().phase == "done"


def test_two_readers_of_one_source_must_both_be_read() -> None:
    read = {("orders", 0): 100}
    w, _ = _watcher(read, [1], expected=[SourceExpectation("orders", 0, 100), SourceExpectation("orders", 0, 100)])
    state = w.step()
    assert state.phase == "reading" and state.read == {"orders": (100, 200)}
    read[("orders", 0)] = 200
    assert w.step().phase == "settling"


def test_no_source_to_read_is_done_after_the_quiet_period() -> None:
    w, clock = _watcher({}, [0], expected=[SourceExpectation("empty", 0, 0)])
    assert w.step().phase == "settling"
    clock.t = 3
    assert w.step().phase == "done"


def test_the_log_counts_reads_and_keeps_the_first_error(tmp_path: Path) -> None:
    path = tmp_path / "engine.log"
    log = EngineLog(path)
    assert not log.poll()  # no file yet
    path.write_bytes(b"\x1b[32m[t INFO  velostream] Read 60 records from reader: source_0_orders\x1b[0m\n"
                     b"[t INFO  velostream] Read 40 records from reader: source_0_or")
    log.poll()
    assert log.consumed_from("orders") == 60  # the half line waits for its end
    with path.open("ab") as fh:
        fh.write(b"ders\n[t ERROR velostream::job] Failed to resolve broker '${X}'\n"
                 b"[t INFO  velostream] Read 5 records from reader: source_1_customers\n"
                 b"thread 'main' panicked at src/x.rs:1: later\n")
    log.poll()
    assert log.consumed_from("orders") == 100 and log.consumed_from("orders", 1) == 0
    assert log.consumed_from("customers", 1) == 5
    assert log.first_error == "[t ERROR velostream::job] Failed to resolve broker '${X}'"


def test_error_lines_of_several_shapes(tmp_path: Path) -> None:
    for line, is_error in [("Error: missing '-- SQL Application: <name>' header", True),
                           ("error[E0001]: bad", True), ("2026-01-01T00:00:00Z ERROR velostream: x", True),
                           ("thread 'tokio' panicked at 'boom'", True), ("[INFO] errors: 0", False),
                           ("Read 3 records from reader: source_0_ERROR_topic", False), ("TERROR level", False)]:
        path = tmp_path / "l.log"
        path.write_text(line + "\n")
        log = EngineLog(path)
        log.finish()
        assert (log.first_error is not None) == is_error, line


def test_a_last_line_without_newline_is_read_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "engine.log"
    path.write_text("Read 7 records from reader: source_0_s")
    log = EngineLog(path)
    log.poll()
    assert log.consumed_from("s") == 0
    log.finish()
    assert log.consumed_from("s") == 7 and log.tail() == ["Read 7 records from reader: source_0_s"]


def test_a_busy_engine_is_not_done_until_idle_but_not_forever() -> None:
    from velotui.adapters.velostream.done import BUSY_LIMIT_S

    clock = Clock()
    busy = [True]
    w = DoneWatcher([SourceExpectation("s", 0, 1)], lambda s, i: 1, lambda: 7, 1.0, busy=lambda: busy[0], clock=clock)
    assert w.step().phase == "settling"
    clock.t = 5  # the sinks are still, but the engine computes
    assert w.step().phase == "settling"
    busy[0] = False
    clock.t = 5.9
    assert w.step().phase == "settling"
    clock.t = 6.0
    assert w.step().phase == "done"
    spinning = DoneWatcher([SourceExpectation("s", 0, 1)], lambda s, i: 1, lambda: 7, 1.0, busy=lambda: True,
                           clock=clock)
    clock.t = 100
    spinning.step()
    clock.t = 100 + BUSY_LIMIT_S + 0.5  # an engine that spins while idle is still called done
    assert spinning.step().phase == "done"


def test_group_cpu_tells_a_computing_group_from_a_waiting_one(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    from velotui.adapters.velostream.process import GroupCpu

    for code, expect in (("import time\nwhile True: time.sleep(1)", False),
                         ("while True: pass", True)):
        proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
        try:
            time.sleep(0.3)
            cpu = GroupCpu(proc.pid)
            cpu.busy()
            time.sleep(0.5)
            assert cpu.busy() is expect, code
        finally:
            os.killpg(proc.pid, 9)
            proc.wait()
