"""The watchdog stops a query's thread whatever Python code it runs, and leaves nothing behind."""

from __future__ import annotations

import threading
import time

import pytest

from velotui.watchdog import GRACE_S, Stopped, Watchdog


def _spin() -> None:
    n = 0
    while True:  # checks nothing
        n += 1


def _swallow() -> None:
    while True:
        try:
            _spin()
        except Exception:  # noqa: BLE001 - code that swallows every ordinary error cannot swallow Stopped
            pass


@pytest.mark.parametrize("work", [_spin, _swallow])
def test_stops_at_the_deadline(work) -> None:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    with pytest.raises(Stopped), Watchdog(0.2) as dog:
        work()
    assert dog.reason() == "timeout"
    assert time.monotonic() - t0 < 0.2 + GRACE_S + 2.0


def test_cancel_stops_another_thread() -> None:
    dogs: list[Watchdog] = []
    stopped: list[float] = []

    def worker() -> None:
        dog = Watchdog(None)
        dogs.append(dog)
        try:
            with dog:
                _spin()
        except Stopped:
            stopped.append(time.monotonic())

    th = threading.Thread(target=worker)
    th.start()
    while not dogs:
        time.sleep(0.01)
    t0 = time.monotonic()
    dogs[0].cancel("infra", "the broker died")
    th.join(5)
    assert stopped and stopped[0] - t0 < 1.0 + GRACE_S
    assert dogs[0].reason() == "infra" and dogs[0].cancel_message == "the broker died"


def test_nothing_is_left_behind_after_disarm() -> None:
    for _ in range(100):  # deadlines that pass just as the work ends
        with Watchdog(0.001):
            time.sleep(0.002)
    time.sleep(GRACE_S + 0.5)  # a stray Stopped would be raised here
    assert threading.active_count() < 5


def test_cleanup_under_hold_is_never_cut_short() -> None:
    done: list[str] = []
    with pytest.raises(Stopped), Watchdog(0.05) as dog:
        try:
            _spin()
        finally:
            dog.hold()
            try:
                time.sleep(GRACE_S + 0.7)  # the deadline and a refire pass meanwhile
                n = 0
                for _ in range(2_000_000):  # pure Python work the watchdog could interrupt
                    n += 1
                done.append("cleanup")
            finally:
                dog.release()
    assert done == ["cleanup"]


def test_an_engine_deadline_never_outlives_the_query() -> None:
    from velotui.watchdog import deadline_for

    assert deadline_for(None) is None
    t = time.monotonic()
    assert t + 5 <= (deadline_for(5) or 0) <= time.monotonic() + 5
    with Watchdog(1.0) as dog:
        time.sleep(0.05)
        assert deadline_for(5) == dog.deadline  # setup used part of the query's time: the query's clock wins
        assert (deadline_for(0.2) or 0) < (dog.deadline or 0)  # a shorter engine budget (one of --compare's two)
        assert deadline_for(None) == dog.deadline


def test_held_cleanup_runs_whole_past_the_deadline() -> None:
    from velotui.watchdog import held

    done: list[str] = []
    with pytest.raises(Stopped), Watchdog(0.1):
        try:
            raise RuntimeError("the engine's own error")
        finally:
            with held():
                time.sleep(0.1 + GRACE_S + 0.3)  # past the deadline and its grace: never cut short
                done.append("cleanup")
            _spin()
    assert done == ["cleanup"]


def test_the_engines_own_timeout_message_survives_a_late_stop(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """When the engine noticed the timeout itself (with what it had read) and the watchdog's Stopped
    arrives during its cleanup, the query reports the engine's words."""
    from velotui.core.run import _engine_error_under
    from velotui.errors import RunTimeout

    try:
        try:
            raise RunTimeout("velo-sql was not done within 4 s: orders: read 0 of 400")
        finally:
            raise Stopped("timeout")
    except Stopped as s:
        found = _engine_error_under(s)
    assert isinstance(found, RunTimeout) and "read 0 of 400" in str(found)
    try:
        raise Stopped("timeout")
    except Stopped as s:
        assert _engine_error_under(s) is None


def test_a_query_stopped_by_ctrl_c_says_what_it_was_doing_whoever_noticed() -> None:
    """The watchdog, the engine's own check between batches and the velostream adapter each notice Ctrl-C;
    the report says the same thing in each case: which query and what it was doing."""
    from velotui.core.run import _interrupted

    assert _interrupted("out", "running the app", "out: interrupted") == "out: interrupted while running the app"
    assert (_interrupted("out", "running the app on velostream", "interrupted: velo-sql was stopped")
            == "out: interrupted while running the app on velostream (velo-sql was stopped)")
    assert _interrupted("out", "checking assertions", "out: interrupted while generating inputs") == \
        "out: interrupted while generating inputs"
