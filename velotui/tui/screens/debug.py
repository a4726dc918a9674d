"""Step mode in the TUI: the selected app's statements run one at a time (velotui.core.debug).

The command words are `velotui debug`'s (s step, c continue, t topic NAME, st state, r rerun NAME, l list,
b break NAME, h help, q quit): type them on the command line (`:` focuses it), or press the single-letter
ones on the statement list, where they act on the highlighted statement (`b` toggles its breakpoint, `r`
re-runs from it, `t` shows its output topic). The list shows the next statement, the breakpoints and what
each statement produced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from velotui.tui.shown import shown


class DebugScreen(Screen[None]):
    BINDINGS = [
        Binding("s", "command('s')", "Step"),
        Binding("c", "command('c')", "Continue"),
        Binding("b", "on_statement('b')", "Breakpoint"),
        Binding("r", "on_statement('r')", "Re-run from"),
        Binding("t", "on_statement('t')", "Topic"),
        Binding("l", "command('l')", "List", show=False),
        Binding("h", "command('h')", "Help", show=False),
        Binding("colon", "command_line", "Command"),
        Binding("escape,q", "back", "Back"),
    ]

    def __init__(self, sql_path: Path, seed: int = 1, now_ms: int | None = None,
                 breakpoints: list[str] | None = None) -> None:
        super().__init__()
        self.sql_path = sql_path
        self.seed = seed
        self.now_ms = now_ms
        self.initial_breakpoints = list(breakpoints or [])
        self.session: Any = None

    def compose(self) -> ComposeResult:
        yield Static(f"step mode: {self.sql_path.name}", id="debug-title", markup=False)
        with Horizontal(id="debug-body"):
            yield OptionList(id="debug-statements")
            yield RichLog(id="debug-log", wrap=True, markup=False, highlight=False)
        with Vertical(id="debug-command-bar"):
            yield Input(placeholder="command (velotui debug's words: s, c, t NAME, st, r NAME, l, b NAME, h, q)",
                        id="debug-command")
        yield Footer()

    @property
    def log_widget(self) -> RichLog:
        return self.query_one("#debug-log", RichLog)

    def on_mount(self) -> None:
        from velotui.core.debug import HELP, DebugSession
        from velotui.errors import VelotuiError

        try:
            self.session = DebugSession(self.sql_path, seed=self.seed, now_ms=self.now_ms,
                                        breakpoints=self.initial_breakpoints)
        except VelotuiError as e:
            self.log_widget.write(shown(f"error: {e}", width=None, one_line=False))
            return
        self.log_widget.write(shown(f"{len(self.session.statements)} statement(s): {', '.join(self.session.statements)}",
                                    width=None, one_line=False))
        self.log_widget.write(HELP + "   (keys on the list: s c b r t l h; : for the command line)")
        self._refresh_list()
        self.query_one(OptionList).focus()

    def _refresh_list(self) -> None:
        if self.session is None:
            return
        ol = self.query_one(OptionList)
        keep = ol.highlighted
        ol.clear_options()
        ran = {r.statement: r for r in self.session.history}
        nxt = self.session.stepper.next_statement
        for name in self.session.statements:
            mark = "→" if nxt is not None and name == nxt.name else " "
            brk = "●" if name in self.session.breakpoints else " "
            r = ran.get(name)
            state = f"  out {r.records_out}, late {r.late_records}, dlq {r.dead_letters}" if r else ""
            ol.add_option(Option(f"{mark}{brk} {name}{state}", id=name))
        if self.session.statements:
            ol.highlighted = keep if keep is not None and keep < len(self.session.statements) else 0

    def highlighted_statement(self) -> str | None:
        ol = self.query_one(OptionList)
        if self.session is None or ol.highlighted is None:
            return None
        return self.session.statements[ol.highlighted]

    def run(self, line: str) -> None:
        """Run one command line (the same interpreter as `velotui debug`)."""
        from velotui.core.debug import run_command

        if self.session is None:
            return
        self.log_widget.write(shown(f"(velotui) {line}", width=None))
        result = run_command(self.session, line)
        for out in result.lines:
            self.log_widget.write(shown(out, width=None, one_line=False))
        self._refresh_list()
        if result.quit:
            self.app.pop_screen()

    def action_command(self, cmd: str) -> None:
        self.run(cmd)

    def action_on_statement(self, cmd: str) -> None:
        name = self.highlighted_statement()
        if name is None:
            return
        if cmd == "t":
            st = next((s for s in self.session.loaded.app.statements if s.name == name), None)
            topic = next((s.topic for s in (st.sinks if st else []) if getattr(s, "topic", None)), name)
            self.run(f"t {topic}")
        else:
            self.run(f"{cmd} {name}")

    def action_command_line(self) -> None:
        self.query_one("#debug-command", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        event.input.value = ""
        if line:
            self.run(line)

    def action_back(self) -> None:
        inp = self.query_one("#debug-command", Input)
        if inp.has_focus:
            self.query_one(OptionList).focus()
        else:
            self.app.pop_screen()
