"""``velotui mutate``: the front door of mutation testing (velotui.core.mutate); progress on stderr,
the report on stdout and in the files named. Never imports Textual."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from velotui.core import events as ev
from velotui.errors import SpecError


def parse_budget(text: str | None) -> float | None:
    """``60s``, ``2m``, ``90`` (seconds), ``1h`` → seconds."""
    if text is None:
        return None
    from velotui.sql.dialect import duration_text_ms

    try:
        seconds = duration_text_ms(text.strip()) / 1000
    except ValueError:
        raise SpecError(f"--budget {text!r}: not a duration", hint="e.g. --budget 60s, --budget 2m") from None
    if seconds <= 0:
        raise SpecError(f"--budget {text!r}: must be more than 0", hint="e.g. --budget 60s")
    return seconds


class MutationProgress:
    """One line per app planned and a counter of mutants on stderr."""

    def __init__(self, console: Console, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet

    def __call__(self, event: ev.Event) -> None:
        if self.quiet:
            return
        if isinstance(event, ev.MutationPlanned):
            if event.error:
                self.console.print(f"[red]cannot mutate[/] {event.file}: {event.error}", highlight=False,
                                   markup=True, soft_wrap=True)
            else:
                self.console.print(f"  {event.app}: {event.mutants} mutants", highlight=False)
        elif isinstance(event, ev.MutantFinished):
            r = event.result
            if r.status == "survived" and r.reason == "spec_does_not_look":
                self.console.print(f"  [red]survived[/] {event.app} / {r.statement} {r.id} {r.operator}: "
                                   f"{r.title}  ({event.done}/{event.total})", highlight=False, markup=True)
            elif event.done == event.total or event.done % 25 == 0:
                self.console.print(f"  {event.done}/{event.total} mutants done", highlight=False)


def mutate_command(args: argparse.Namespace, argv: list[str]) -> int:
    from velotui.core.mutate import OPERATORS, MutationOptions, run_mutation
    from velotui.report.mutation import mutation_json, render_mutation_text, write_mutation_junit

    out = Console(highlight=False, soft_wrap=True)
    if args.list_operators:
        for op in OPERATORS.values():
            out.print(f"{op.name:<16} {op.summary}", markup=False)
        return 0
    if args.path is None:
        print("error: velotui mutate needs a PATH (a folder of SQL apps, or one .sql file)", file=sys.stderr)
        return 2
    path = Path(args.path)
    if not path.exists():
        print(f"error: {path}: no such file or folder", file=sys.stderr)
        return 2
    if args.jobs < 1:
        raise SpecError(f"-j {args.jobs}: needs at least 1 process")
    from velotui.report import check_destinations

    check_destinations([("--json", args.json), ("--junit", args.junit)])  # before the mutants run
    operators = [o.strip() for o in args.operators.split(",") if o.strip()] if args.operators else None
    options = MutationOptions(
        seed=args.seed, now_ms=args.now, pattern=args.pattern, query=args.query, operators=operators,
        budget_s=parse_budget(args.budget), jobs=args.jobs, strict=args.strict,
        spec_path=Path(args.spec) if args.spec else None, schema_dirs=[Path(args.schemas)] if args.schemas else [],
        allow_outside=[Path(p) for p in args.allow_outside], argv=argv)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if not args.quiet:
        err.print(f"[bold]velotui mutate[/] {path}", highlight=False)
    report = run_mutation(path, options, on_event=MutationProgress(err, args.quiet))
    if not report.apps:
        err.print(f"[red]error:[/] nothing to mutate: no app with a test spec under {path}"
                  + (f" matches -k {args.pattern!r}" if args.pattern else "")
                  + (f" has a query or statement named {args.query!r}" if args.query else ""), highlight=False)
        return 2
    data = mutation_json(report)
    from velotui.report.output import write_report_file

    if args.json:
        _write(Path(args.json), lambda p: write_report_file(p, data))
    if args.junit:
        _write(Path(args.junit), lambda p: write_mutation_junit(report, p))
    if args.output == "json":
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
    elif args.output == "junit":
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            target = Path(d) / "mutants.xml"
            write_mutation_junit(report, target)
            sys.stdout.write(target.read_text())
    else:
        render_mutation_text(report, out)
    return report.exit_code(args.min_score)


def _write(path: Path, write: object) -> None:
    """A report file; a folder that cannot be made or written is the user's to fix, said so."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)  # type: ignore[operator]
    except OSError as e:
        raise SpecError(f"cannot write the report {path}: {e.strerror or e}",
                        hint="give a path in a folder you can write to") from None
