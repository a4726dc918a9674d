"""`velotui debug APP.sql`: the step-mode prompt (commands from stdin, or --commands for scripts).

The commands are velotui.core.debug's, the same words as the TUI's step mode."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from velotui.cli.console import echo
from velotui.errors import VelotuiError


def debug_command(args: argparse.Namespace) -> int:
    from velotui.core.debug import HELP, DebugSession, run_command

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
        result = run_command(session, line)
        for out in result.lines:
            echo(out)
        if result.quit:
            break
    return 0
