"""`velotui stress SQL`: load an app, report throughput, latency and memory, pass or fail on SLOs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.markup import escape

from velotui.cli.console import make_console
from velotui.errors import VelotuiError


def _duration_s(text: str | None) -> float | None:
    if text is None:
        return None
    from velotui.datagen import parse_duration_ms

    return parse_duration_ms(text) / 1000


def _check_arguments(args: argparse.Namespace) -> dict | None:
    """Every number and file the command line gives, checked before anything runs (exit 2)."""
    from velotui.errors import SpecError
    from velotui.spec.validation import check_record_count

    if args.records is not None:
        if args.records < 1:
            raise SpecError(f"--records {args.records}: give at least 1 record", hint="e.g. --records 100000")
        try:
            check_record_count(args.records)
        except ValueError as e:
            raise SpecError(f"--records: {e}") from None
    if args.rate is not None and not (args.rate > 0 and args.rate != float("inf")):
        raise SpecError(f"--rate {args.rate:g}: give a positive number of records per second",
                        hint="leave --rate out to publish as fast as possible")
    if args.duration is not None:
        try:
            seconds = _duration_s(args.duration)
        except (VelotuiError, ValueError) as e:
            raise SpecError(f"--duration {args.duration!r}: {getattr(e, 'message', e)}", hint="e.g. 30s, 2m") from None
        if seconds is None or seconds <= 0:
            raise SpecError(f"--duration {args.duration!r}: give a positive duration", hint="e.g. 30s, 2m")
    if args.workers < 1:
        raise SpecError(f"--workers {args.workers}: give at least 1")
    if not (0 <= args.tolerance < 100):
        raise SpecError(f"--tolerance {args.tolerance:g}: give a percentage from 0 to 100")
    from velotui.report import check_destinations

    check_destinations([("--json", args.json), ("--junit", args.junit)])
    if not args.baseline:
        return None
    from velotui import files

    text = files.read_text(args.baseline, what="--baseline file")
    try:
        data = json.loads(text)
    except ValueError as e:
        raise SpecError(f"--baseline {args.baseline} is not JSON: {e}",
                        hint="give the --json file of an earlier `velotui stress` run") from None
    stress = data.get("stress") if isinstance(data, dict) else None
    rate = (stress or {}).get("records_per_s") if isinstance(stress, dict) else None
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate <= 0:
        raise SpecError(f"--baseline {args.baseline} is not the JSON of a stress run (no stress.records_per_s)",
                        hint="give the --json file of an earlier `velotui stress` run")
    return data


def stress_command(args: argparse.Namespace) -> int:
    from velotui.assertions import AssertionResult
    from velotui.core.stress import StressOptions, compare_baseline, run_stress, run_stress_on_kafka
    from velotui.report import AppReport, QueryReport, RunReport, to_json, write_junit

    err = make_console(stderr=True, highlight=False)
    if args.brokers != 1 and (args.kafka or "embedded") != "local":
        err.print(f"error: --brokers {args.brokers} needs --kafka local (velotui starts the cluster's brokers "
                  "itself)", markup=False)
        return 2
    try:
        baseline = _check_arguments(args)
    except VelotuiError as e:
        err.print(f"error: {e}", markup=False)
        return e.exit_code
    opts = StressOptions(records=args.records, duration_s=_duration_s(args.duration), rate=args.rate,
                         seed=args.seed or 1, query=args.query, spec_path=Path(args.spec) if args.spec else None,
                         kafka=args.kafka or "embedded", brokers=args.brokers)
    try:
        if opts.kafka != "embedded":
            result, slo, loaded = run_stress_on_kafka(Path(args.path), opts, workers=max(1, args.workers))
        else:
            result, slo, loaded = run_stress(Path(args.path), opts)
    except VelotuiError as e:
        err.print(f"error: {e}", markup=False)
        return e.exit_code
    if args.baseline:
        ok, msg = compare_baseline(result, baseline, args.tolerance)
        slo.append(AssertionResult("baseline", None, "passed" if ok else "failed", msg, "baseline", result.throughput))
    lat = result.latency()
    out = make_console(highlight=False)
    out.print(f"[bold]stress[/] {escape(result.app)} / {escape(result.query)}: {result.records:,} records in {result.seconds:.2f} s "
              f"→ {result.throughput:,.0f} records/s (generation {result.generate_seconds:.2f} s, "
              f"{result.batches} batch(es), {result.records_out:,} out)")
    out.print(f"latency p50 {lat['p50']:.1f} ms  p95 {lat['p95']:.1f} ms  p99 {lat['p99']:.1f} ms  "
              f"max {lat['max']:.1f} ms")
    out.print(f"memory peak {result.memory_peak_bytes / 1e6:.0f} MB, growth {result.memory_growth_bytes / 1e6:.0f} MB")
    failed = [r for r in slo if r.status in ("failed", "error")]
    for r in slo:
        colour = "green" if r.status == "passed" else "red"
        out.print(f"[{colour}]{r.status.upper():<6}[/] {escape(r.type)}: {escape(r.message)}")
    status = "failed" if failed else "passed"
    report = RunReport(run_id="stress", seed=args.seed or 1, started_at="", now_ms=0, duration_ms=result.seconds * 1000,
                       reproduce=" ".join(["velotui", "stress", *sys.argv[2:]]), apps=[AppReport(
                           result.app, str(loaded.sql_path), None, [QueryReport(
                               result.query, status, result.records, result.records_out, result.seconds * 1000,
                               slo)])])
    if args.json:
        data = json.loads(to_json(report))
        data["stress"] = result.to_dict()
        from velotui.report.output import write_report_file

        write_report_file(args.json, json.dumps(data, indent=2).encode())
    if args.junit:
        write_junit(report, Path(args.junit))
    return 1 if failed else 0
