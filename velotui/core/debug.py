"""Step mode (`velotui debug APP.sql`): run an app's statements one at a time, with breakpoints by
statement name, showing each statement's output topic, records and engine counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from velotui.bus import MemoryBus
from velotui.core.discovery import discover
from velotui.core.inputs import InputBuilder
from velotui.core.loading import load_app_under_test
from velotui.engine import EngineOptions, Stepper
from velotui.errors import SpecError


@dataclass
class StepReport:
    statement: str
    topics: list[str]
    records_in: int
    records_out: int
    late_records: int
    dead_letters: int
    sample: list[dict]
    windows: list[tuple[Any, Any]] = field(default_factory=list)


class DebugSession:
    def __init__(self, sql_path: Path, *, spec_path: Path | None = None, query: str | None = None,
                 seed: int = 1, now_ms: int | None = None, breakpoints: list[str] | None = None) -> None:
        import time

        suite = discover(sql_path)
        if not suite.apps:
            raise SpecError(f"no SQL app at {sql_path}")
        self.loaded = load_app_under_test(suite.apps[0], spec_override=spec_path)
        spec = self.loaded.spec
        debug_cfg = spec.debug or {}
        self.breakpoints = set(breakpoints or []) | set(debug_cfg.get("breakpoints", []) or [])
        q = next((x for x in spec.queries if x.name == query), None) if query else spec.queries[0]
        if q is None:
            raise SpecError(f"no query {query!r} in the spec", hint="queries: " + ", ".join(x.name for x in spec.queries))
        self.bus = MemoryBus()
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        statement = self.loaded.app.statements[-1]
        prepared = InputBuilder(self.loaded, seed=seed, now_ms=now, records_override=None,
                                previous_outputs={}).prepare(q, statement)
        for p in prepared:
            if p.topic is not None:
                self.bus.create_topic(p.topic, p.partitions)
                self.bus.publish(p.topic, p.messages)
        self.stepper = Stepper(self.loaded.app, self.bus,
                               EngineOptions(now_ms=now, base_dir=self.loaded.sql_path.parent, lineage=True))
        self.history: list[StepReport] = []

    @property
    def statements(self) -> list[str]:
        return [s.name for s in self.loaded.app.statements]

    def step(self) -> StepReport:
        st = self.stepper.next_statement
        if st is None:
            raise SpecError("all statements have run", hint="use 'rerun NAME' to start again from a statement")
        res = self.stepper.step()
        windows = sorted({((m.value or {}).get("_window_start"), (m.value or {}).get("_window_end"))
                          for m in res.outputs if m.value and "_window_start" in m.value})
        report = StepReport(st.name, [s.topic or s.path or s.name for s in st.sinks], res.records_in,
                            res.records_out, res.late_records, len(res.dead_letters),
                            [m.value for m in res.outputs[:5]], windows[:10])
        self.history.append(report)
        return report

    def cont(self) -> list[StepReport]:
        """Run until the next breakpoint (a statement listed in breakpoints stops before it runs) or the end."""
        out = [self.step()]
        while not self.stepper.done and self.stepper.next_statement.name not in self.breakpoints:  # type: ignore[union-attr]
            out.append(self.step())
        return out

    def topics(self) -> list[str]:
        """The topics of the app's sources and sinks (what ``t NAME`` can show)."""
        names: list[str] = []
        for st in self.loaded.app.statements:
            for ref in [*st.sources, *st.sinks]:
                topic = getattr(ref, "topic", None) or getattr(ref, "name", None)
                if topic and topic not in names:
                    names.append(topic)
        return names

    def topic(self, name: str) -> list[dict]:
        return [m.value for m in self.bus.read_all(name) if m.value is not None]

    def rerun(self, name: str) -> None:
        self.stepper.rerun_from(name)


# -- the step-mode commands (one vocabulary for `velotui debug` and the TUI's step mode) ---------------
COMMANDS: list[tuple[str, str, str]] = [  # (short, long, what it does)
    ("s", "step", "run the next statement"),
    ("c", "continue", "run until the next breakpoint (or the end)"),
    ("t", "topic NAME", "show the records on a topic"),
    ("st", "state", "what every statement that ran produced"),
    ("r", "rerun NAME", "start again from a statement"),
    ("l", "list", "the statements, the next one and the breakpoints"),
    ("b", "break NAME", "toggle a breakpoint before a statement"),
    ("h", "help", "this list"),
    ("q", "quit", "leave step mode"),
]
HELP = "commands: " + "  ".join(f"{s}|{long}" for s, long, _ in COMMANDS)


def _json(v: Any) -> str:
    import orjson

    return orjson.dumps(v, default=str).decode()


def step_lines(r: StepReport) -> list[str]:
    lines = [f"== {r.statement}: {r.records_in} in -> {r.records_out} out  (late {r.late_records}, dead letters "
             f"{r.dead_letters})  topics: {', '.join(r.topics)}"]
    return lines + ["    " + _json(rec) for rec in r.sample]


@dataclass
class CommandResult:
    lines: list[str]
    quit: bool = False


def run_command(session: DebugSession, line: str) -> CommandResult:
    """Run one step-mode command line; the lines to show. Errors are lines too (the session goes on)."""
    from velotui.errors import VelotuiError

    cmd, _, arg = line.strip().partition(" ")
    arg = arg.strip()
    out: list[str] = []
    try:
        if not cmd:
            return CommandResult([])
        if cmd in ("q", "quit", "exit"):
            return CommandResult([], quit=True)
        if cmd in ("h", "help", "?"):
            out.append(HELP)
        elif cmd in ("l", "list"):
            nxt = session.stepper.next_statement
            for name in session.statements:
                mark = "->" if nxt is not None and name == nxt.name else "  "
                out.append(f"{mark} {name}{'  [break]' if name in session.breakpoints else ''}")
        elif cmd in ("s", "step"):
            if session.stepper.done:
                out.append("== end of app (r NAME re-runs from a statement)")
            else:
                out += step_lines(session.step())
        elif cmd in ("c", "continue"):
            if session.stepper.done:
                out.append("== end of app (r NAME re-runs from a statement)")
            else:
                for r in session.cont():
                    out += step_lines(r)
                nxt = session.stepper.next_statement
                out.append("== end of app" if nxt is None else f"== stopped at breakpoint before {nxt.name}")
        elif cmd in ("t", "topic"):
            if not arg:
                out.append("usage: t NAME (a topic of the app: " + ", ".join(session.topics()) + ")")
            else:
                rows = session.topic(arg)
                out.append(f"topic {arg}: {len(rows)} records")
                out += ["    " + _json(rec) for rec in rows[:10]]
        elif cmd in ("st", "state"):
            out += [f"{r.statement}: out {r.records_out}, late {r.late_records}, dead letters {r.dead_letters}"
                    + (f", windows {r.windows}" if r.windows else "") for r in session.history] or [
                "nothing has run yet (s steps)"]
        elif cmd in ("r", "rerun"):
            name = arg or (session.statements[0] if session.statements else "")
            session.rerun(name)
            out.append(f"next: {name}")
        elif cmd in ("b", "break"):
            if arg not in session.statements:
                out.append(f"error: no statement {arg!r}; statements: {', '.join(session.statements)}")
            elif arg in session.breakpoints:
                session.breakpoints.discard(arg)
                out.append(f"breakpoint removed at {arg}")
            else:
                session.breakpoints.add(arg)
                out.append(f"breakpoint at {arg}")
        else:
            out.append(f"unknown command {cmd!r}; {HELP}")
    except VelotuiError as e:
        out.append(f"error: {e}")
    except KeyError as e:
        out.append(f"error: no statement {e}")
    return CommandResult(out)
