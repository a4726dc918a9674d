"""Cancelling a mutation run from another thread (the TUI's stop key): mutants not started are not run."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from velotui.core import events as ev
from velotui.core.mutate import MutationOptions, run_mutation
from velotui.report.mutation import mutation_dict

SUITE = Path(__file__).resolve().parents[2] / "fixtures" / "tui_mutants"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_stop_set_during_the_run_leaves_the_rest_not_run(jobs: int) -> None:
    stop = threading.Event()
    seen: list[ev.MutantFinished] = []

    def on_event(e: ev.Event) -> None:
        if isinstance(e, ev.MutantFinished):
            seen.append(e)
            if e.done == 1:
                stop.set()

    report = run_mutation(SUITE, MutationOptions(stop=stop, jobs=jobs), on_event)
    assert report.cancelled
    cancelled = [m for m in report.mutants if m.reason == "cancelled"]
    ran = [m for m in report.mutants if m.reason != "cancelled"]
    assert cancelled and all(m.status == "not_run" and "cancelled" in m.detail for m in cancelled)
    assert len(ran) >= 1 and all(m.status in ("killed", "survived") for m in ran)
    assert len(report.mutants) == seen[-1].total == len(seen)  # every mutant is accounted for
    assert mutation_dict(report)["cancelled"] is True
    assert report.score is not None  # the score counts what ran; not-run mutants are left out


def test_a_stop_set_before_the_run_plans_nothing() -> None:
    stop = threading.Event()
    stop.set()
    report = run_mutation(SUITE, MutationOptions(stop=stop))
    assert report.cancelled and report.apps == [] and report.score is None


def test_without_a_stop_the_run_is_not_cancelled() -> None:
    report = run_mutation(SUITE, MutationOptions(pattern="well_tested"))
    assert not report.cancelled and report.counts["killed"] == report.counts["mutants"] == 5


def test_the_background_process_streams_the_events_and_the_report() -> None:
    from velotui.core.mutate.background import Finished, MutationProcess

    proc = MutationProcess(SUITE / "apps" / "big_orders.sql", MutationOptions())
    proc.start()
    try:
        items = list(proc.events())
    finally:
        proc.close()
    assert not proc.is_alive()
    planned = [i for i in items if isinstance(i, ev.MutationPlanned)]
    finished = [i for i in items if isinstance(i, ev.MutantFinished)]
    assert [(p.app, p.mutants) for p in planned] == [("big_orders", 10)]
    assert [f.done for f in finished] == list(range(1, 11)) and isinstance(items[-1], Finished)
    report = items[-1].report
    assert report is not None and not report.cancelled and report.counts["spec_does_not_look"] == 5
    assert sorted(report.survivors_at(SUITE / "apps" / "big_orders.sql")) == [6, 7, 10]
    # the same as in this process: the run is deterministic, wherever it runs
    here = run_mutation(SUITE / "apps" / "big_orders.sql", MutationOptions())
    assert [(m.id, m.status, m.reason, m.line) for m in here.mutants] == \
           [(m.id, m.status, m.reason, m.line) for m in report.mutants]


def test_the_background_process_stops_when_told_and_says_when_it_died() -> None:
    import os
    import signal

    from velotui.core.mutate.background import Finished, MutationProcess

    stop = threading.Event()
    stop.set()  # before it even started: nothing is planned
    proc = MutationProcess(SUITE, MutationOptions())
    proc.start()
    items = list(proc.events(stop=stop))
    proc.close()
    assert isinstance(items[-1], Finished) and items[-1].report is not None and items[-1].report.cancelled
    # a child that dies without a report (killed, out of memory) is said, not waited for
    proc = MutationProcess(SUITE, MutationOptions())
    proc.start()
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    items = list(proc.events())
    proc.close()
    assert isinstance(items[-1], Finished) and items[-1].report is None
    assert "ended (exit code -9) before its report" in (items[-1].error or "")
