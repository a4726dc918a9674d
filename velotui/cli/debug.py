"""`velotui debug APP.sql`: the step-mode prompt (commands from stdin, or --commands for scripts)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from velotui.cli.console import echo
from velotui.errors import VelotuiError

HELP = """commands: s|step  c|continue  t|topic NAME  st|state  r|rerun NAME  l|list  b|break NAME  h|help  q|quit"""


def _print_step(r: object) -> None:
    echo(f"== {r.statement}: {r.records_in} in -> {r.records_out} out"  # type: ignore[attr-defined]
          f"  (late {r.late_records}, dead letters {r.dead_letters})  topics: {', '.join(r.topics)}")  # type: ignore[attr-defined]
    for rec in r.sample:  # type: ignore[attr-defined]
        echo("   ", orjson.dumps(rec, default=str).decode())


def debug_command(args: argparse.Namespace) -> int:
    from velotui.core.debug import DebugSession

    try:
        session = DebugSession(Path(args.path), spec_path=Path(args.spec) if args.spec else None, query=args.query,
                               seed=args.seed or 1, now_ms=args.now, breakpoints=args.breakpoint or [])
    except VelotuiError as e:
        echo(f"error: {e}", file=sys.stderr)
        return e.exit_code
    echo(f"velotui debug: {len(session.statements)} statement(s): {', '.join(session.statements)}")
    if session.breakpoints:
        echo(f"breakpoints: {', '.join(sorted(session.breakpoints))}")
    echo(HELP)
    lines = args.commands.split(";") if args.commands else None
    while True:
        if lines is not None:
            if not lines:
                break
            line = lines.pop(0).strip()
            echo(f"(velotui) {line}")
        else:
            try:
                line = input("(velotui) ").strip()
            except EOFError:
                break
        if not line:
            continue
        cmd, _, arg = line.partition(" ")
        try:
            if cmd in ("q", "quit", "exit"):
                break
            if cmd in ("h", "help", "?"):
                echo(HELP)
            elif cmd in ("l", "list"):
                nxt = session.stepper.next_statement
                for name in session.statements:
                    mark = "->" if nxt is not None and name == nxt.name else "  "
                    echo(f"{mark} {name}{'  [break]' if name in session.breakpoints else ''}")
            elif cmd in ("s", "step"):
                _print_step(session.step())
            elif cmd in ("c", "continue"):
                for r in session.cont():
                    _print_step(r)
                if session.stepper.done:
                    echo("== end of app")
                else:
                    echo(f"== stopped at breakpoint before {session.stepper.next_statement.name}")  # type: ignore[union-attr]
            elif cmd in ("t", "topic"):
                rows = session.topic(arg.strip())
                echo(f"topic {arg.strip()}: {len(rows)} records")
                for rec in rows[:10]:
                    echo("   ", orjson.dumps(rec, default=str).decode())
            elif cmd in ("st", "state"):
                for r in session.history:
                    echo(f"{r.statement}: out {r.records_out}, late {r.late_records}, "
                          f"dead letters {r.dead_letters}" + (f", windows {r.windows}" if r.windows else ""))
            elif cmd in ("r", "rerun"):
                session.rerun(arg.strip())
                echo(f"next: {arg.strip()}")
            elif cmd in ("b", "break"):
                session.breakpoints.add(arg.strip())
                echo(f"breakpoint at {arg.strip()}")
            else:
                echo(f"unknown command {cmd!r}; {HELP}")
        except VelotuiError as e:
            echo(f"error: {e}")
        except KeyError as e:
            echo(f"error: no statement {e}")
    return 0
