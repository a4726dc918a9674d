"""The headless front door: run or validate a suite, progress on stderr, reports to files/stdout.

Never imports Textual (tests/cli/test_no_textual.py proves it).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from velotui.core import events as ev
from velotui.errors import VelotuiError


def _run_options(args: argparse.Namespace, argv: list[str]) -> Any:
    from velotui.core.run import RunOptions
    from velotui.errors import SpecError
    from velotui.spec.validation import check_record_count

    if args.records is not None:
        try:
            check_record_count(args.records)
        except ValueError as e:
            raise SpecError(f"--records: {e}") from None

    inputs: dict[str, Path] = {}
    for item in getattr(args, "inputs", None) or []:
        source, sep, file = item.partition("=")
        if not sep or not source.strip() or not file.strip():
            raise SpecError(f"--input {item!r}: expected SOURCE=FILE", hint="e.g. --input orders=orders.min.jsonl")
        path = Path(file.strip())
        if not path.is_file():
            raise SpecError(f"--input {item!r}: no such file {path}", hint="the path is relative to the current folder")
        inputs[source.strip()] = path

    kafka = args.kafka or ("testcontainers" if args.use_testcontainers else None)
    if kafka is None:
        import os

        kafka = "embedded"
        if os.environ.get("VELOTUI_KAFKA"):
            kafka = os.environ["VELOTUI_KAFKA"]
    return RunOptions(
        seed=args.seed,
        now_ms=args.now,
        pattern=args.pattern,
        fail_fast=args.fail_fast,
        records=args.records,
        strict=args.strict,
        query=args.query,
        spec_path=Path(args.spec) if args.spec else None,
        schema_dirs=[Path(args.schemas)] if args.schemas else [],
        kafka=kafka,
        kafka_config=Path(args.kafka_config) if args.kafka_config else None,
        keep_cluster=args.keep_containers,
        kafka_image=args.kafka_image,
        reuse_cluster=args.reuse_containers,
        timeout_s=args.timeout,
        argv=argv,
        allow_outside=[Path(p) for p in getattr(args, "allow_outside", [])],
        deploy=getattr(args, "deploy", None),
        inputs=inputs,
        **engine_options_of(args),
        dialect=getattr(args, "dialect", None),
        update_golden=getattr(args, "update_golden", False),
    )


def engine_options_of(args: argparse.Namespace) -> dict[str, Any]:
    """--engine, --compare and the velostream options, checked (the TUI takes the same)."""
    from velotui.core.engines import engine_options

    return engine_options(engine=getattr(args, "engine", None), compare=getattr(args, "compare", None),
                          velostream_bin=getattr(args, "velostream_bin", None),
                          quiet_period=getattr(args, "quiet_period", None),
                          close_windows=getattr(args, "close_windows", None),
                          artifacts=getattr(args, "artifacts", None))


class ProgressPrinter:
    """Renders run events as short progress lines on stderr."""

    def __init__(self, console: Console, quiet: bool, debug: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.debug = debug

    def __call__(self, event: ev.Event) -> None:
        if self.debug and isinstance(event, ev.Log) and event.extra.get("traceback"):
            self.console.print(event.extra["traceback"], markup=False, highlight=False)
        if self.quiet:
            if isinstance(event, ev.Log) and event.level == "error":
                self.console.print(f"[red]error[/] {escape(event.message)}", highlight=False)
            return
        if isinstance(event, ev.RunStarted):
            self.console.print(f"[bold]velotui[/] run {event.run_id}: {len(event.apps)} app(s), seed {event.seed}",
                               highlight=False)
        elif isinstance(event, ev.AppLoaded) and event.error:
            self.console.print(f"[red]ERROR[/] {escape(event.file)}: {escape(event.error)}", highlight=False)
        elif isinstance(event, ev.QueryFinished):
            style = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}[event.status]
            self.console.print(
                f"  [{style}]{event.status:<7}[/] {escape(event.app)} / {escape(event.query)}  "
                f"{event.records_in} → {event.records_out}  {event.duration_ms:.0f} ms", highlight=False)
        elif isinstance(event, ev.Log) and event.level in ("warning", "error"):
            colour = "yellow" if event.level == "warning" else "red"
            self.console.print(f"[{colour}]{event.level}[/] {escape(event.message)}", highlight=False)


def run_headless(args: argparse.Namespace, argv: list[str]) -> int:
    from velotui.core.run import SuiteRun
    from velotui.report import render_text, to_json, write_junit

    path = Path(args.path)
    if not path.exists():
        print(f"error: {path}: no such file or folder", file=sys.stderr)
        return 2
    err = Console(stderr=True, highlight=False)
    from velotui.core.discovery import discover

    suite = discover(path)
    without_spec = [a.sql_path for a in suite.apps if a.spec_path is None] if not args.spec else []
    if without_spec:
        names = ", ".join(p.name for p in without_spec[:5]) + (" …" if len(without_spec) > 5 else "")
        err.print(f"[yellow]note[/] {len(without_spec)} SQL file(s) have no test spec and are not run: {names} "
                  "(`velotui init APP.sql` drafts one)", highlight=False, soft_wrap=True)
    run = SuiteRun(path, _run_options(args, argv), on_event=ProgressPrinter(err, args.quiet, args.debug))
    _install_interrupt(run)
    try:
        report = run.execute()
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        return 130
    except VelotuiError as e:
        if args.debug:
            raise
        err.print(f"[red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        return e.exit_code
    if getattr(args, "shrink", False):
        from velotui.core.shrink import shrink_failures

        shrink_failures(run, report, on_progress=None if args.quiet else
                        (lambda message: err.print(message, highlight=False, markup=False)))
    json_bytes = to_json(report)
    if args.explain:
        json_bytes = _with_explanations(json_bytes, run, use_ai=not args.no_ai)
    if args.junit:
        write_junit(report, Path(args.junit))
    if args.json:
        Path(args.json).write_bytes(json_bytes)
    if args.output == "json":
        sys.stdout.buffer.write(json_bytes + b"\n")
        sys.stdout.flush()
    elif args.output == "junit":
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "report.xml"
            write_junit(report, out)
            sys.stdout.write(out.read_text())
    else:
        render_text(report, Console(highlight=False, soft_wrap=True))
    if getattr(args, "update_golden", False):
        _print_golden_updates(report, err)
    if run.cancelled:
        return 130
    if not report.apps:  # a CI job pointed at the wrong folder, or a -k that matches nothing, must not pass
        why = (f"-k {args.pattern!r} matched no app or query" if args.pattern and len(suite.apps) > len(without_spec)
               else f"no app with a test spec under {path}")
        hint = ("-k matches app and query names and file paths (glob characters allowed)" if "-k" in why
                else "a SQL app needs a sibling NAME.test.yaml (or --spec); `velotui init APP.sql` drafts one")
        err.print(f"[red]error:[/] nothing ran: {why}\n  hint: {hint}", highlight=False, soft_wrap=True)
        return 2
    return report.exit_code


def _print_golden_updates(report: Any, err: Console) -> None:
    """--update-golden: say which golden file each query wrote (created, rewritten with what, unchanged)."""
    written = [(app.name, q.name, a) for app in report.apps for q in app.queries for a in q.assertions
               if a.type == "golden"]
    for app, query, a in written:
        colour = "green" if a.status == "passed" else "red"
        err.print(f"[{colour}]golden[/] {app} / {query}: {a.message}", highlight=False, markup=True, soft_wrap=True)
    if not written:
        err.print("[yellow]golden[/] no query ran to completion: no golden file written", highlight=False)


def _with_explanations(json_bytes: bytes, run: Any, *, use_ai: bool) -> bytes:
    """Attach ``explanation`` (Markdown) and ``explained_by`` to every failed assertion of the JSON report."""
    import orjson

    from velotui.core.explain import explain_failures

    data = orjson.loads(json_bytes)
    found = {(app, q, id(r)): e for app, q, r, e in explain_failures(run, use_ai=use_ai)}
    by_position: dict[tuple[str, str], list[Any]] = {}
    for (app, q, _), e in found.items():
        by_position.setdefault((app, q), []).append(e)
    for app in data.get("apps", []):
        for q in app.get("queries", []):
            queue = list(by_position.get((app["name"], q["name"]), []))
            for a in q.get("assertions", []):
                if a.get("status") in ("failed", "error") and queue:
                    e = queue.pop(0)
                    a["explanation"] = e.markdown
                    a["explained_by"] = e.source
    return orjson.dumps(data, option=orjson.OPT_INDENT_2)


def explain_command(args: argparse.Namespace, argv: list[str]) -> int:
    """``velotui explain PATH [--query Q]``: run, then print an explanation of each failure as Markdown."""
    from velotui.core.explain import explain_failures
    from velotui.core.run import SuiteRun

    path = Path(args.path)
    if not path.exists():
        print(f"error: {path}: no such file or folder", file=sys.stderr)
        return 2
    err = Console(stderr=True, highlight=False)
    run = SuiteRun(path, _run_options(args, argv), on_event=ProgressPrinter(err, True))
    report = run.execute()
    if args.shrink:  # the minimal failing input becomes evidence for the explanation
        from velotui.core.shrink import shrink_failures

        shrink_failures(run, report, on_progress=None if args.quiet else
                        (lambda message: err.print(message, highlight=False, markup=False)))
    explained = explain_failures(run, use_ai=not args.no_ai, query=args.query)
    if not explained:
        print("# Nothing to explain\n\nEvery assertion passed." if report.exit_code == 0 else
              "# Nothing to explain\n\nNo assertion failed; the run had load or engine errors:\n")
        if report.exit_code != 0:
            for app in report.apps:
                if app.error:
                    print(f"- {app.file}: {app.error}")
                for q in app.queries:
                    if q.error:
                        print(f"- {app.name} / {q.name}: {q.error}")
        return report.exit_code
    for _app, _q, _result, e in explained:
        print(e.document())
        print()
    return report.exit_code


def _install_interrupt(run: Any) -> None:
    """Ctrl-C: the first one cancels the run cleanly (topics deleted, broker stopped); the second aborts."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: Any) -> None:
        if run.cancelled:
            raise KeyboardInterrupt
        run.cancelled = True
        print("\ninterrupted: stopping, cleaning up (Ctrl-C again to abort)", file=sys.stderr)

    signal.signal(signal.SIGINT, handler)


def validate_command(args: argparse.Namespace) -> int:
    from velotui.core.validation import validate_suite

    path = Path(args.path)
    if not path.exists():
        print(f"error: {path}: no such file or folder", file=sys.stderr)
        return 2
    out = Console(highlight=False, soft_wrap=True)
    result = validate_suite(path, strict=args.strict, spec_override=Path(args.spec) if args.spec else None,
                            extra_schema_dirs=[Path(args.schemas)] if args.schemas else [],
                            allow_outside=[Path(p) for p in args.allow_outside], dialect=args.dialect)
    for item in result.items:
        if item.error is None:
            out.print(f"[green]ok[/]    {item.file}", highlight=False)
        else:
            out.print(f"[red]error[/] {item.file}", highlight=False)
            for e in item.errors:
                out.print(str(e), markup=False, highlight=False)
        for f in item.flags:
            out.print(f"[magenta]divergence[/] {escape(str(f))}", highlight=False)
        for w in item.warnings:
            out.print(f"[yellow]warning[/] {escape(str(w))}", highlight=False)
    tail = f"{result.ok_count} valid, {result.error_count} invalid"
    flags = sum(len(i.flags) for i in result.items)
    if flags:
        tail += f", {flags} divergence flag(s)"
    out.print(tail, highlight=False)
    return 0 if result.error_count == 0 else 2
