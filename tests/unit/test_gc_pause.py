"""The engine pauses Python's cyclic garbage collector only while it runs, counted across threads: the
first run to start pauses it, the last to finish restores what it was — so runs in threads (the TUI's)
never leave it off, and a collector the user turned off stays off."""

from __future__ import annotations

import gc
import threading

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.engine.runtime import gc_paused
from velotui.records import Message
from velotui.sql import parse_app


def test_overlapping_runs_in_threads_leave_the_collector_on() -> None:
    assert gc.isenabled()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()  # the first run ends while the second is still running

    def second() -> None:
        a_in.wait(5)
        with gc_paused():
            b_in.set()
            a_out.wait(5)
            seen.append(gc.isenabled())  # still paused: a run is going on
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_the_user_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_run_pauses_it_and_gives_it_back_even_when_it_fails() -> None:
    app = parse_app("CREATE STREAM o AS SELECT a FROM s;")
    bus = MemoryBus()
    bus.publish("s", [Message(value={"a": 1})])
    states: list[bool] = []
    run_app(app, bus, EngineOptions(should_stop=lambda: states.append(gc.isenabled()) or False))
    assert states and not any(states) and gc.isenabled()
    try:
        run_app(app, bus, EngineOptions(should_stop=lambda: True))  # interrupted: RunCancelled
    except Exception:  # noqa: BLE001
        pass
    assert gc.isenabled()
    states.clear()
    run_app(app, bus, EngineOptions(pause_gc=False, should_stop=lambda: states.append(gc.isenabled()) or False))
    assert states and all(states)
