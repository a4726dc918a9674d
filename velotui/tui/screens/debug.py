"""Step mode in the TUI: the selected app's statements run one at a time (velotui.core.debug)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, RichLog, Static

from velotui.tui.shown import shown


class DebugScreen(Screen[None]):
    BINDINGS = [
        Binding("s", "step", "Step"),
        Binding("c", "cont", "Continue"),
        Binding("t", "state", "State"),
        Binding("r", "restart", "Re-run from start"),
        Binding("escape,q", "app.pop_screen", "Back"),
    ]

    def __init__(self, sql_path: Path, seed: int = 1, now_ms: int | None = None) -> None:
        super().__init__()
        self.sql_path = sql_path
        self.seed = seed
        self.now_ms = now_ms
        self.session: Any = None

    def compose(self) -> ComposeResult:
        yield Static(f"step mode: {self.sql_path.name}", id="debug-title")
        yield RichLog(id="debug-log", wrap=True, markup=False, highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        from velotui.core.debug import DebugSession
        from velotui.errors import VelotuiError

        log = self.query_one(RichLog)
        try:
            self.session = DebugSession(self.sql_path, seed=self.seed, now_ms=self.now_ms)
        except VelotuiError as e:
            log.write(shown(f"error: {e}", width=None, one_line=False))
            return
        marks = ", ".join(f"{n} [break]" if n in self.session.breakpoints else n for n in self.session.statements)
        log.write(shown(f"statements: {marks}", width=None, one_line=False))
        log.write(shown("s step · c continue to the next breakpoint · t state · r re-run from the start · q back", width=None, one_line=False))

    def _show(self, r: Any) -> None:
        log = self.query_one(RichLog)
        log.write(f"== {r.statement}: {r.records_in} in -> {r.records_out} out (late {r.late_records}, "
                  f"dead letters {r.dead_letters}) topics: {', '.join(r.topics)}")
        for rec in r.sample:
            log.write(shown("   " + orjson.dumps(rec, default=str).decode(), width=None, one_line=False))

    def action_step(self) -> None:
        if self.session is None:
            return
        if self.session.stepper.done:
            self.query_one(RichLog).write(shown("== end of app (r re-runs from the start)", width=None, one_line=False))
            return
        self._show(self.session.step())

    def action_cont(self) -> None:
        if self.session is None or self.session.stepper.done:
            return
        for r in self.session.cont():
            self._show(r)
        nxt = self.session.stepper.next_statement
        self.query_one(RichLog).write(shown("== end of app" if nxt is None else f"== breakpoint before {nxt.name}", width=None, one_line=False))

    def action_state(self) -> None:
        if self.session is None:
            return
        for r in self.session.history:
            self.query_one(RichLog).write(f"{r.statement}: out {r.records_out}, late {r.late_records}, "
                                          f"dead letters {r.dead_letters}" + (f", windows {r.windows}"
                                                                             if r.windows else ""))

    def action_restart(self) -> None:
        if self.session is not None and self.session.statements:
            self.session.rerun(self.session.statements[0])
            self.query_one(RichLog).write(shown(f"== next: {self.session.statements[0]}", width=None, one_line=False))
