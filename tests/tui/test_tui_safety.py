"""The TUI's panes show hostile names and values escaped (never as terminal escapes or markup), and a
run's data is released when the next run starts."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import write_suite
from velotui.tui.app import VelotuiApp
from velotui.tui.keymap import TuiConfig
from velotui.tui.widgets.results_tree import ResultsTree
from velotui.tui.widgets.topic_tail import TopicTail

EVIL = "\\u001b[2J\\u001b]0;pwned\\u0007[/]\\u202eok"


def _suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suite", {
        "app.sql": "CREATE STREAM o AS SELECT name FROM s EMIT CHANGES;\n",
        "app.test.yaml": "application: app\nqueries:\n  - name: o\n    inputs: [{source: s, data_file: in.jsonl}]\n"
                         "    assertions:\n      - {type: field_values, field: name, operator: equals, value: x}\n",
        "in.jsonl": '{"name": "' + EVIL + '"}\n',
    })


def _labels(tree: ResultsTree) -> list[str]:
    out, stack = [], [tree.root]
    while stack:
        node = stack.pop()
        out.append(str(node.label))
        stack.extend(node.children)
    return out


async def test_hostile_values_are_shown_escaped(tmp_path: Path) -> None:
    app = VelotuiApp(_suite(tmp_path), config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_run_all()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        labels = "\n".join(_labels(app.query_one(ResultsTree)))
        assert "\\x1b[2J\\x1b]0;pwned\\x07[/]\\u202eok" in labels, labels
        tail = "\n".join(str(line.text) for line in app.query_one(TopicTail).lines)
        assert "[2J" in tail and "\\u202eok" in tail
        for text in (labels, tail):
            assert not any(c in text for c in "\x1b\x07\u202e")


async def test_a_runs_data_is_released_when_the_next_run_starts(tmp_path: Path) -> None:
    """The TUI keeps the data of one run only (benchmarks/tui_memory.py measures the memory it saves)."""
    app = VelotuiApp(_suite(tmp_path), config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_run_all()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        first = app.runs[-1]
        assert first.query_records and app.captured
        app.action_run_all()
        assert not first.query_records  # released as soon as the next run starts
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert app.runs == [app.current_run] and app.current_run is not first
        assert app.current_run.query_records


async def test_huge_values_are_cut_and_say_so(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    (suite / "in.jsonl").write_text('{"name": "' + "y" * 5000 + '"}\n')
    app = VelotuiApp(suite, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_run_all()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        tail = [str(line.text) for line in app.query_one(TopicTail).lines]
        assert tail and all("… [cut: " in line and "characters in all]" in line for line in tail), tail[:1]
        labels = _labels(app.query_one(ResultsTree))
        assert any("characters in all]" in x for x in labels) and max(len(x) for x in labels) < 400
