"""The Compare view (`C`) with Textual's Pilot: verdicts, counts and the first differing records."""

from __future__ import annotations

from pathlib import Path

from velotui.report import AppReport, QueryReport, RunReport
from velotui.report.model import Comparison
from velotui.tui.app import VelotuiApp
from velotui.tui.keymap import TuiConfig
from velotui.tui.screens.compare import CompareScreen

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_suite"


def _report() -> RunReport:
    def q(name: str, verdict: str, counts: tuple[int, int], **kw: object) -> QueryReport:
        other = QueryReport(name=name, status="passed" if verdict == "same" else "failed", records_in=3,
                            records_out=counts[1], duration_ms=5, engine="velostream",
                            engine_log="/tmp/run/engine.log" if verdict != "same" else None)
        c = Comparison(engines=("embedded", "velostream"), verdict=verdict, counts=counts, other=other, **kw)
        return QueryReport(name=name, status="passed", records_in=3, records_out=counts[0], duration_ms=1,
                           comparison=c)

    queries = [q("counts", "same", (3, 3)),
               q("windows", "explained", (3, 2), flags=["D18"], flag_notes=["D18: windows still open …"],
                 only_left=[{"k": "b", "n": 1}], missing_right=1),
               q("filtered", "unexplained", (3, 4), only_right=[{"k": "zz", "n": 9}], missing_left=1)]
    return RunReport(run_id="r1", seed=1, started_at="", now_ms=0, duration_ms=1, reproduce="",
                     apps=[AppReport(name="app", file="app.sql", queries=queries)])


async def test_compare_view_lists_each_query_and_shows_the_difference() -> None:
    app = VelotuiApp(FIXTURE, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("C")  # nothing compared yet: a warning, no screen
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)
        app.report = _report()
        await pilot.press("C")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        table = screen.query_one("#compare-table")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows == [["app", "counts", "same", "3", "3", "passed"],
                        ["app", "windows", "differs, explained by flag D18", "3", "2", "failed"],
                        ["app", "filtered", "differs, unexplained", "3", "4", "failed"]]
        assert "1 of 3 queries the same" in str(screen.query_one("#compare-title").render())
        await pilot.press("down")
        await pilot.pause()
        detail = str(screen.query_one("#compare-detail").render())
        assert "windows: differs, explained by flag D18" in detail and '"k":"b"' in detail
        assert "explained by D18" in detail and "velostream log: /tmp/run/engine.log" in detail
        await pilot.press("down")
        await pilot.pause()
        detail = str(screen.query_one("#compare-detail").render())
        assert "1 record(s) only velostream emitted" in detail and '"k":"zz"' in detail
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)
