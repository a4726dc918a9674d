"""--whole-inputs: every input and output made and held whole (by default a query over a generated input of
more than one block runs block by block, tests/unit/test_streamed_runs.py); --explain holds them too, since
explanations show the records behind a failure. The report is the same either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli
from tests.unit.test_streamed_runs import comparable, make_app
from velotui.cli.args import build_parser
from velotui.cli.headless import _run_options
from velotui.datagen.generator import GENERATION_BLOCK


@pytest.mark.parametrize("flags, by_blocks", [([], True), (["--whole-inputs"], False), (["--explain"], False),
                                              (["--whole-inputs", "--explain"], False)])
def test_the_flags_choose_how_big_inputs_run(flags: list[str], by_blocks: bool) -> None:
    args = build_parser().parse_args(["--headless", "demo/", *flags])
    assert _run_options(args, ["velotui"]).by_blocks is by_blocks


def test_the_report_is_the_same_with_and_without(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    sql = make_app(tmp_path, "group_by", GENERATION_BLOCK + 1000)
    reports = []
    for flags in ([], ["--whole-inputs"]):
        out = tmp_path / f"r{len(reports)}.json"
        rc, _, err = run_cli(["--headless", str(sql), "--seed", "3", "--now", "1700000000000", "--json", str(out),
                              "-q", *flags], capsys)
        assert rc == 1, err  # a check of the app fails: its message and samples are compared too
        reports.append(json.loads(out.read_text()))
    assert "--whole-inputs" in reports[1].pop("reproduce") and "--whole-inputs" not in reports[0].pop("reproduce")
    assert comparable(reports[0]) == comparable(reports[1])
