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

from rich.markup import escape

from velotui.cli.console import echo, make_console
from velotui.core import events as ev
from velotui.errors import VelotuiError
from velotui.terminal import safe_text


def _run_options(args: argparse.Namespace, argv: list[str], explain_needed: bool = False) -> Any:
    from velotui.core.run import RunOptions
    from velotui.errors import SpecError
    from velotui.spec.validation import check_record_count

    if args.records is not None:
        if args.records < 0:
            raise SpecError(f"--records {args.records}: a count of records cannot be negative",
                            hint="--records 0 runs every query on no input")
        try:
            check_record_count(args.records)
        except ValueError as e:
            raise SpecError(f"--records: {e}") from None
    if args.timeout is not None and not (0 < args.timeout < float("inf")):
        raise SpecError(f"--timeout {args.timeout:g}: give a positive number of seconds", hint="e.g. --timeout 60")

    inputs: dict[str, Path] = {}
    for item in getattr(args, "inputs", None) or []:
        source, sep, file = item.partition("=")
        if not sep or not source.strip() or not file.strip():
            raise SpecError(f"--input {item!r}: expected SOURCE=FILE", hint="e.g. --input orders=orders.min.jsonl")
        path = Path(file.strip())
        if not path.is_file():
            raise SpecError(f"--input {item!r}: no such file {path}", hint="the path is relative to the current folder")
        inputs[source.strip()] = path

    kafka = args.kafka if args.kafka is not None else ("testcontainers" if args.use_testcontainers else None)
    if kafka is None:
        import os

        kafka = "embedded"
        if os.environ.get("VELOTUI_KAFKA"):
            kafka = os.environ["VELOTUI_KAFKA"]
    from velotui.infra.cluster import check_mode

    # before anything runs: a typo (--kafka lcoal) or an empty value (--kafka "$UNSET") is a usage error,
    # never seconds of trying a host name nor, for "", a silent run in memory
    kafka = check_mode(kafka)
    shard = None
    if getattr(args, "shard", None):
        from velotui.core.sharding import parse_shard

        shard = parse_shard(args.shard)
    timings = Path(args.timings) if getattr(args, "timings", None) else None
    if timings is not None and shard is None:
        raise SpecError("--timings balances shards: it needs --shard K/N")
    jobs = getattr(args, "jobs", None)
    if jobs is None:
        from velotui.core.parallel import default_jobs

        jobs = default_jobs()
    if getattr(args, "explain", False) or getattr(args, "shrink", False) or explain_needed:
        jobs = 1  # explanations and --shrink read each query's inputs and outputs, kept by the process that ran it
    brokers = getattr(args, "brokers", 1) or 1
    if brokers != 1 and kafka != "local":
        raise SpecError(f"--brokers {brokers} needs --kafka local (velotui starts the cluster's brokers itself)",
                        hint=f"add --kafka local; --kafka {kafka} " + ("runs in memory" if kafka == "embedded"
                                                                       else "is a cluster velotui does not start"))
    return RunOptions(
        record_events=False,  # headless shows no records (ProgressPrinter): no RecordCaptured to make
        jobs=jobs,
        shard=shard,
        timings=timings,
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
        brokers=brokers,
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
        coverage=getattr(args, "coverage", False),
        # explanations show the records behind a failure: they are held then
        by_blocks=not (getattr(args, "whole_inputs", False) or getattr(args, "explain", False) or explain_needed),
    )


def _name(text: str) -> str:
    return escape(safe_text(text, newlines=False))
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

    def __init__(self, console: Any, quiet: bool, debug: bool = False) -> None:
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
                f"  [{style}]{event.status:<7}[/] {_name(event.app)} / {_name(event.query)}  "
                f"{event.records_in} → {event.records_out}  {event.duration_ms:.0f} ms", highlight=False)
        elif isinstance(event, ev.Log) and event.level in ("warning", "error"):
            colour = "yellow" if event.level == "warning" else "red"
            self.console.print(f"[{colour}]{event.level}[/] {escape(event.message)}", highlight=False)


def run_headless(args: argparse.Namespace, argv: list[str]) -> int:
    """Run a suite and write every report asked for, whatever ends the run (docs/CLI.md, Exit codes): the
    exit code is the one the reports give (``RunReport.exit_code``), and a run stopped by an error, or in
    which nothing ran, says so in every format instead of leaving no report, or an earlier run's."""
    from velotui.core.run import SuiteRun

    path = Path(args.path)
    if not path.exists():
        echo(f"error: {path}: no such file or folder", file=sys.stderr)
        return 2
    err = make_console(stderr=True, highlight=False)
    from velotui.core.discovery import discover

    suite = discover(path)
    # a SQL file without its spec, a spec of no SQL file: warnings of the run's report (every format)
    without_spec = [a.sql_path for a in suite.apps if a.spec_path is None] if not args.spec else []
    from velotui.report import check_destinations, clear_destinations

    try:  # before anything runs: a report that cannot be written is refused now, not lost at the end
        check_destinations([("--junit", args.junit), ("--json", args.json)])
    except VelotuiError as e:
        err.print(f"[red]error:[/] {escape(str(e))}", highlight=False)
        return e.exit_code
    clear_destinations([args.junit, args.json])  # an earlier run's report never stands for this one
    try:
        options = _run_options(args, argv)
    except VelotuiError as e:
        err.print(f"[red]error:[/] {escape(str(e))}", highlight=False)
        return e.exit_code
    run = SuiteRun(path, options, on_event=ProgressPrinter(err, args.quiet, args.debug))
    previous = _install_interrupt(run)
    raised: BaseException | None = None
    try:
        report = run.execute()
    except KeyboardInterrupt:  # the second Ctrl-C: abort, now
        err.print("[red]interrupted[/]")
        return 130
    except VelotuiError as e:  # Kafka not reachable, a --input no query reads…: the run's error, in every report
        err.print(f"[red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        report, raised = _stopped_run(run, str(e), e.exit_code), e
    except Exception as e:  # a bug of ours: said as main() says it, and in every report
        report, raised = _stopped_run(run, f"internal error: {e!r} (a velotui bug: run again with --debug for the "
                                      "traceback and report it)", 1), e
        err.print(f"[red]{escape(report.error or '')}[/]", highlight=False, soft_wrap=True)
    finally:
        if previous is not None:
            for signum, before in zip((signal.SIGINT, signal.SIGTERM), previous, strict=True):
                if before is not None:
                    signal.signal(signum, before)
    report.interrupted = run.cancelled
    shard_empty = False
    if raised is None and not report.apps and not run.cancelled:
        if args.shard and len(suite.apps) > len(without_spec):
            # the suite has apps, none of them in this shard: the merged report (merge-reports) says whether
            # anything ran at all, and fails when nothing did
            shard_empty = True
        else:  # a CI job pointed at the wrong folder, or a -k that matches nothing, must not pass
            report.error, report.error_code = _nothing_ran(args, path, suite, without_spec), 2
            err.print(f"[red]error:[/] {escape(report.error)}", highlight=False, soft_wrap=True)
    if getattr(args, "shrink", False) and raised is None:
        from velotui.core.shrink import shrink_failures

        shrink_failures(run, report, on_progress=None if args.quiet else
                        (lambda message: err.print(message, highlight=False, markup=False)))
    lost = _write_reports(report, run, args, err)
    if raised is not None and args.debug:
        raise raised
    if getattr(args, "update_golden", False) and raised is None:
        _print_golden_updates(report, err)
    if shard_empty:
        err.print(f"[yellow]note[/] shard {args.shard} holds none of the suite's apps; nothing to run here",
                  highlight=False, soft_wrap=True)
    if lost and report.exit_code == 0:
        return 2  # a passing run whose report could not be written must not look green
    return report.exit_code


def _stopped_run(run: Any, error: str, code: int) -> Any:
    """The report of a run an error stopped before it had one: no app, the error and its exit code."""
    from datetime import UTC, datetime

    from velotui.report import RunReport

    return RunReport(run_id=run.run_id, seed=run.seed, started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                     now_ms=run.now_ms, duration_ms=0.0, reproduce=run.reproduce_command(), apps=[],
                     strict=run.options.strict, error=error, error_code=code)


def _nothing_ran(args: argparse.Namespace, path: Path, suite: Any, without_spec: list[Path]) -> str:
    """Why a run ran no app, and the fix."""
    why = (f"-k {args.pattern!r} matched no app or query" if args.pattern and len(suite.apps) > len(without_spec)
           else f"--query {args.query!r} named no query of the apps run"
           if args.query and len(suite.apps) > len(without_spec)
           else f"no app with a test spec under {path}")
    hint = ("-k matches app and query names and file paths (glob characters allowed)" if "-k" in why
            else "a SQL app needs a sibling NAME.test.yaml (or --spec); `velotui init APP.sql` drafts one")
    if without_spec and "-k" not in why:
        names = ", ".join(p.name for p in without_spec[:5]) + (" …" if len(without_spec) > 5 else "")
        hint = (f"{len(without_spec)} SQL file(s) have no test spec and are not run: {names} (the report's "
                f"warnings say why); " + hint)
    return f"nothing ran: {why}\n  hint: {hint}"


def _quiet_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _write_reports(report: Any, run: Any, args: argparse.Namespace, err: Any) -> list[str]:
    """Every report asked for; one writer failing never stops the others. Returns what was lost."""
    from velotui.report import render_text, to_json, write_junit

    lost: list[str] = []

    def attempt(what: str, write: Any) -> None:
        try:
            write()
        except BrokenPipeError:  # `| head` took what it wanted and left: nothing lost, the verdict stands
            _quiet_stdout()
        except Exception as e:  # noqa: BLE001 - a disk full, a bug of ours: said, and the others still written
            lost.append(what)
            detail = e.strerror if isinstance(e, OSError) and e.strerror else repr(e)
            err.print(f"[red]error:[/] the {escape(what)} could not be written: {escape(str(detail))}", highlight=False)

    json_bytes: list[bytes] = []

    def make_json() -> None:
        data = to_json(report)
        if args.explain:
            data = _with_explanations(data, run, use_ai=not args.no_ai)
        json_bytes.append(data)

    if args.json or args.output == "json":
        attempt("JSON report", make_json)
    if args.junit:
        attempt(f"JUnit report {args.junit}", lambda: write_junit(report, Path(args.junit)))
    if args.json and json_bytes:
        from velotui.report.output import write_report_file

        attempt(f"JSON report {args.json}", lambda: write_report_file(args.json, json_bytes[0]))
    if args.output == "json":
        def stdout_json() -> None:
            from velotui.report.values import terminal_safe_json

            sys.stdout.buffer.write(terminal_safe_json(json_bytes[0]) + b"\n")
            sys.stdout.flush()

        if json_bytes:
            attempt("JSON report on stdout", stdout_json)
    elif args.output == "junit":
        def stdout_junit() -> None:
            from velotui.report import junit_tree
            from velotui.report.output import xml_bytes

            sys.stdout.buffer.write(xml_bytes(junit_tree(report)))
            sys.stdout.flush()

        attempt("JUnit report on stdout", stdout_junit)
    else:
        attempt("text report", lambda: render_text(report, make_console(soft_wrap=True)))
    return lost


def _print_golden_updates(report: Any, err: Any) -> None:
    """--update-golden: say which golden file each query wrote (created, rewritten with what, unchanged)."""
    written = [(label, q.name, a) for app, label in zip(report.apps, report.app_labels, strict=True)
               for q in app.queries for a in q.assertions if a.type == "golden"]
    for app, query, a in written:
        colour = "green" if a.status == "passed" else "red"
        err.print(f"[{colour}]golden[/] {escape(app)} / {escape(query)}: {escape(a.message)}", highlight=False, markup=True,
                  soft_wrap=True)
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
            queue = list(by_position.get((app["file"], q["name"]), []))  # an app is its file: names may repeat
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
        echo(f"error: {path}: no such file or folder", file=sys.stderr)
        return 2
    err = make_console(stderr=True, highlight=False)
    run = SuiteRun(path, _run_options(args, argv, explain_needed=True), on_event=ProgressPrinter(err, True))
    report = run.execute()
    if args.shrink:  # the minimal failing input becomes evidence for the explanation
        from velotui.core.shrink import shrink_failures

        shrink_failures(run, report, on_progress=None if args.quiet else
                        (lambda message: err.print(message, highlight=False, markup=False)))
    explained = explain_failures(run, use_ai=not args.no_ai, query=args.query)
    if getattr(args, "coverage", False):
        _print_coverage_markdown(report, args.query)
    if not explained:
        echo("# Nothing to explain\n\nEvery assertion passed." if report.exit_code == 0 else
              "# Nothing to explain\n\nNo assertion failed; the run had load or engine errors:\n")
        if report.exit_code != 0:
            for app, label in zip(report.apps, report.app_labels, strict=True):
                if app.error:
                    echo(f"- {app.file}: {app.error}")
                for q in app.queries:
                    if q.error:
                        echo(f"- {label} / {q.name}: {q.error}")
        return report.exit_code
    for _app, _q, _result, e in explained:
        echo(e.document())
        echo()
    return report.exit_code


def _print_coverage_markdown(report: Any, query: str | None) -> None:
    """``velotui explain --coverage``: each query's data coverage, before the explanations."""
    from velotui.report.coverage import coverage_lines

    blocks = [(app.name, q) for app in report.apps for q in app.queries if q.coverage is not None
              and (query is None or q.name == query)]
    if not blocks:
        return
    echo("# Data coverage\n")
    for app_name, q in blocks:
        echo(f"## {safe_text(app_name, newlines=False)} / {safe_text(q.name, newlines=False)}\n")
        lines = coverage_lines(q.coverage)
        echo(safe_text(lines[0]) + "\n")
        for line in lines[1:]:
            text = line.strip()
            echo(("  " if text.startswith("hint:") else "- ") + safe_text(text))
        echo()


def _install_interrupt(run: Any) -> Any:
    """Ctrl-C: the first one cancels the run cleanly (the running query stops within a second whatever it
    is doing, topics deleted, broker stopped, the partial report written); the second aborts. Returns
    the handler it replaced (restored when the run is over)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        if run.cancelled:
            raise KeyboardInterrupt
        run.cancel()
        what = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        echo(f"\ninterrupted: stopping, cleaning up ({what} again to abort)", file=sys.stderr)

    # SIGTERM (a CI job cancelled, `timeout`, a container stopped) is an interruption too: without this the
    # process died at once, leaving the local broker's java running and no report
    previous_term = signal.signal(signal.SIGTERM, handler)
    previous = signal.signal(signal.SIGINT, handler)
    return (previous, previous_term)


def validate_command(args: argparse.Namespace) -> int:
    from velotui.core.validation import validate_suite

    path = Path(args.path)
    if not path.exists():
        echo(f"error: {path}: no such file or folder", file=sys.stderr)
        return 2
    out = make_console(highlight=False, soft_wrap=True)
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
