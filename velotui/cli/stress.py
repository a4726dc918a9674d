"""`velotui stress SQL`: load an app, report throughput, latency and memory, pass or fail on SLOs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from velotui.errors import VelotuiError


def _duration_s(text: str | None) -> float | None:
    if text is None:
        return None
    from velotui.datagen import parse_duration_ms

    return parse_duration_ms(text) / 1000


def stress_command(args: argparse.Namespace) -> int:
    from velotui.assertions import AssertionResult
    from velotui.core.stress import StressOptions, compare_baseline, run_stress, run_stress_on_kafka
    from velotui.report import AppReport, QueryReport, RunReport, to_json, write_junit

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    opts = StressOptions(records=args.records, duration_s=_duration_s(args.duration), rate=args.rate,
                         seed=args.seed or 1, query=args.query, spec_path=Path(args.spec) if args.spec else None,
                         kafka=args.kafka or "embedded")
    try:
        if opts.kafka != "embedded":
            result, slo, loaded = run_stress_on_kafka(Path(args.path), opts, workers=max(1, args.workers))
        else:
            result, slo, loaded = run_stress(Path(args.path), opts)
    except VelotuiError as e:
        err.print(f"error: {e}", markup=False)
        return e.exit_code
    if args.baseline:
        ok, msg = compare_baseline(result, json.loads(Path(args.baseline).read_text()), args.tolerance)
        slo.append(AssertionResult("baseline", None, "passed" if ok else "failed", msg, "baseline", result.throughput))
    lat = result.latency()
    out = Console(highlight=False)
    out.print(f"[bold]stress[/] {result.app} / {result.query}: {result.records:,} records in {result.seconds:.2f} s "
              f"→ {result.throughput:,.0f} records/s (generation {result.generate_seconds:.2f} s, "
              f"{result.batches} batch(es), {result.records_out:,} out)")
    out.print(f"latency p50 {lat['p50']:.1f} ms  p95 {lat['p95']:.1f} ms  p99 {lat['p99']:.1f} ms  "
              f"max {lat['max']:.1f} ms")
    out.print(f"memory peak {result.memory_peak_bytes / 1e6:.0f} MB, growth {result.memory_growth_bytes / 1e6:.0f} MB")
    failed = [r for r in slo if r.status in ("failed", "error")]
    for r in slo:
        colour = "green" if r.status == "passed" else "red"
        out.print(f"[{colour}]{r.status.upper():<6}[/] {r.type}: {r.message}")
    status = "failed" if failed else "passed"
    report = RunReport(run_id="stress", seed=args.seed or 1, started_at="", now_ms=0, duration_ms=result.seconds * 1000,
                       reproduce=" ".join(["velotui", "stress", *sys.argv[2:]]), apps=[AppReport(
                           result.app, str(loaded.sql_path), None, [QueryReport(
                               result.query, status, result.records, result.records_out, result.seconds * 1000,
                               slo)])])
    if args.json:
        data = json.loads(to_json(report))
        data["stress"] = result.to_dict()
        Path(args.json).write_text(json.dumps(data, indent=2))
    if args.junit:
        write_junit(report, Path(args.junit))
    return 1 if failed else 0
