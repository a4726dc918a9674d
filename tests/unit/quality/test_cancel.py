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
