"""Divergence flags: the places where the reference engine is known to compute something else than the
embedded engine (the measured table of /work/shared/docs/REFERENCE_BEHAVIOUR.md §3).

``divergence_flags(app, statement)`` lists the flags of a query: those of the reference-dialect table
(``velotui.sql.reference``) plus D18, which only matters when the real engine runs:
a window still open when a bounded input ends is never emitted by it (velotui's embedded engine closes
bounded input with a final watermark, so D18 raises no warning on embedded runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from velotui.sql.model import App


@dataclass(frozen=True)
class DivergenceFlag:
    id: str  # "D18"
    summary: str  # one line: what the reference does


BOUNDED_INPUT = DivergenceFlag("D18", "windows still open at the end of a bounded input are never emitted by the "
                                      "reference engine")


def divergence_flags(app: App, statement: str) -> list[DivergenceFlag]:
    """The flags of ``statement`` and of the statements it reads (their results flow into it)."""
    from velotui.sql.rewrite import needed_statements

    deployed = [s for s in app.statements if s.name in needed_statements(app, statement)]  # their results flow in
    flags: list[DivergenceFlag] = []
    for st in deployed:
        for f in _reference_flags(app, st):
            if f not in flags:
                flags.append(f)
    if _bounded_input(app, statement):
        flags.append(BOUNDED_INPUT)
    return flags


def _bounded_input(app: App, statement: str) -> bool:
    from velotui.sql.rewrite import needed_statements

    names = needed_statements(app, statement)
    return any(st.query.window is not None and st.query.emit in (None, "final")
               for st in app.statements if st.name in names)


def bounded_input_flags(app: App, statement: str, *, closed: bool) -> list[Any]:
    """D18 as a flag of the report (``velotui.sql.reference.Flag``) for a query run on the real engine:
    accepted (shown, never an error under --strict) when velotui closed the last windows itself."""
    if not _bounded_input(app, statement):
        return []
    from velotui.sql.reference import Flag

    st = app.statement(statement)
    text = f"D18 {BOUNDED_INPUT.summary}" + ("; velotui added a closing record (--close-windows)" if closed else
                                    "; with --close-windows on velotui adds a record that closes them")
    return [Flag("D18", statement, text, str(app.path) if app.path else None, st.line if st else None,
                 st.column if st else None, None, accepted=closed)]


def _reference_flags(app: App, statement: Any) -> list[DivergenceFlag]:
    """The reference table's flags of one statement (``velotui.sql.reference.flags``, when it is there)."""
    from velotui.sql.reference import flags

    return [DivergenceFlag(str(f.id), str(f.text).removeprefix(f"{f.id} ")) for f in flags(statement, app.path, app)]
