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

    def topic(self, name: str) -> list[dict]:
        return [m.value for m in self.bus.read_all(name) if m.value is not None]

    def rerun(self, name: str) -> None:
        self.stepper.rerun_from(name)
