"""Golden outputs of a run: compare each query's captured output to its golden file, write it with
``--update-golden``, approve it from the TUI. The file format lives in ``velotui.golden``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from velotui.assertions import AssertionResult
from velotui.errors import SpecError
from velotui.golden import (
    GoldenHeader,
    GoldenPins,
    diff_rows,
    golden_path,
    golden_rows,
    pins_of,
    read_golden,
    write_golden,
)
from velotui.records import Message

TYPE = "golden"


@dataclass(frozen=True)
class GoldenTarget:
    """What a query's golden file is about: where it lives and how its records are ordered."""

    app: str
    query: str
    path: Path
    ordered: bool  # the query defines an order (ORDER BY): records are kept in arrival order

    @property
    def order(self) -> str:
        return "arrival" if self.ordered else "sorted"


def target_for(loaded: Any, query_name: str) -> GoldenTarget:
    statement = loaded.statement_for(query_name)
    ordered = bool(getattr(getattr(statement, "query", None), "order_by", None))
    return GoldenTarget(loaded.name, query_name, golden_path(loaded.spec_path, loaded.sql_path.stem, query_name),
                        ordered)


def app_pins(loaded: Any, query_names: list[str]) -> GoldenPins:
    """The seed/now the app's golden files were recorded with (so a run without --seed/--now generates the
    same inputs)."""
    return pins_of([golden_path(loaded.spec_path, loaded.sql_path.stem, q) for q in query_names])


def _records(messages: list[Message]) -> list[dict[str, Any]]:
    return [m.value for m in messages if m.value is not None]


def _where(target: GoldenTarget) -> str:
    return str(target.path)


def write(target: GoldenTarget, messages: list[Message], *, seed: int, now_ms: int) -> tuple[Path, str]:
    """Write the golden file of a query from its captured output; returns (path, what changed)."""
    rows = golden_rows(_records(messages), ordered=target.ordered)
    before = ""
    if target.path.exists():
        try:
            old = read_golden(target.path)
            d = diff_rows(old, rows, ordered=target.ordered)
            before = "unchanged" if d.equal else f"rewritten ({d.summary()})"
        except SpecError:
            before = "rewritten (the old file was not a readable golden file)"
    else:
        before = "created"
    header = GoldenHeader(app=target.app, query=target.query, seed=seed, now_ms=now_ms, order=target.order,  # type: ignore[arg-type]
                          records=len(rows.lines))
    write_golden(target.path, header, rows.lines)
    return target.path, before


def check(target: GoldenTarget, messages: list[Message], *, seed: int, now_ms: int,
          update: bool = False) -> AssertionResult | None:
    """The ``golden`` result of a query: None when it has no golden file (and none is being written)."""
    if update:
        n = len(_records(messages))
        try:
            path, what = write(target, messages, seed=seed, now_ms=now_ms)
        except OSError as e:
            return AssertionResult(TYPE, None, "error", f"cannot write the golden file: {e.strerror}",
                                   file=_where(target))
        return AssertionResult(TYPE, None, "passed", f"golden file {what}: {path} ({n} records)",
                               expected=n, actual=n, file=str(path), line=1)
    if not target.path.exists():
        return None
    try:
        golden = read_golden(target.path)
    except SpecError as e:
        return AssertionResult(TYPE, None, "error", e.message + (f" ({e.hint})" if e.hint else ""),
                               file=e.file, line=e.line)
    records = _records(messages)
    n = len(records)
    rows = golden_rows(records, ordered=target.ordered)
    d = diff_rows(golden, rows, ordered=target.ordered)
    h = golden.header
    note = ""
    if (h.seed, h.now_ms) != (seed, now_ms):  # the app's golden files were recorded in different runs
        note = (f"recorded with seed {h.seed}, now {h.now_ms}, but the app's inputs came from seed {seed}, now "
                f"{now_ms} (another of its golden files): re-record the app's golden files together with "
                "--update-golden")
    if note:
        d = replace(d, note=note)
    if d.equal:
        return AssertionResult(TYPE, None, "passed",
                               f"{n} records match the golden file {target.path.name} (inputs from seed {seed}, now {now_ms})", expected=d.expected_count,
                               actual=n, file=str(target.path), line=1, diff=None)
    samples = [c.actual for c in d.changes if c.actual is not None][:5]
    message = f"output differs from the golden file: {d.summary()}" + (f"; {note}" if note else "")
    return AssertionResult(TYPE, None, "failed", message,
                           expected=f"{d.expected_count} records of {target.path.name}",
                           actual=f"{n} records, {d.summary()}", samples=samples, file=str(target.path), line=1,
                           diff=d)


def approve(run: Any, app: str, query: str) -> tuple[Path, str]:
    """Approve a query's output of a finished run: its golden file rewritten from what the query captured
    (with the seed and "now" its inputs came from); ``app`` is the app's SQL file (velotui.core.run.app_key:
    two apps may share a name). Raises SpecError when the run no longer has it."""
    rec = run.record(app, query) if run is not None else None
    if rec is None:
        raise SpecError(f"{app} / {query}: the run that produced this output is gone", hint="re-run it, then approve")
    return write(target_for(rec.loaded, query), rec.outputs, seed=rec.seed, now_ms=rec.now_ms)
