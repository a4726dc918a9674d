"""RecordCaptured events (the records each query published and captured) are made for a listener that shows
them (the TUI's topic tail) and not for a headless run, whose printer shows none: with -j, its workers do not
send them to the command either."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.cli.helpers import good_files, write_suite
from velotui.cli.args import build_parser
from velotui.cli.headless import _run_options
from velotui.core import events as ev
from velotui.core.run import RunOptions, SuiteRun


def _kinds(suite: Path, options: RunOptions) -> list[str]:
    seen: list[ev.Event] = []
    report = SuiteRun(suite, options, on_event=seen.append).execute()
    assert report.exit_code == 0
    return [type(e).__name__ for e in seen]


@pytest.mark.parametrize("jobs", [1, 2])
def test_records_are_sent_to_a_listener_that_shows_them(tmp_path: Path, jobs: int) -> None:
    suite = write_suite(tmp_path, {**good_files(), **{k.replace("good", "also"): v for k, v in good_files().items()
                                                      if k.endswith((".sql", ".test.yaml"))}})
    kinds = _kinds(suite, RunOptions(seed=1, jobs=jobs))
    assert kinds.count("RecordCaptured") >= 4  # an input and an output of each of the two apps
    quiet = _kinds(suite, RunOptions(seed=1, jobs=jobs, record_events=False))
    assert "RecordCaptured" not in quiet
    assert [k for k in kinds if k != "RecordCaptured"] == quiet or jobs == 2  # (workers interleave)
    assert quiet.count("QueryFinished") == kinds.count("QueryFinished")


def test_a_headless_run_asks_for_no_records() -> None:
    args: argparse.Namespace = build_parser().parse_args(["--headless", "demo/"])
    assert _run_options(args, ["--headless", "demo/"]).record_events is False
    assert RunOptions().record_events is True  # the TUI's runs (velotui.tui.app) keep the default
