"""The per-query overhead of ``--engine velostream``: staging, start, done-detection and stop.

    python benchmarks/velostream_overhead.py [--bin PATH] [--apps A.sql ...] [--repeat R] [--quiet-period S]

Starts a local Kafka broker (scripts/kafka-local), runs each app (default: the demo's tier 1-2) with
``--engine velostream`` on the binary given (default: the stand-in tests/fixtures/velo_sql/velo-sql, or
``velo-sql`` on PATH with ``--bin velo-sql``), and prints one JSON line per query run with the phases the
adapter measures (seconds):

- ``stage``: writing the run folder (SQL, configs, data) from the app model;
- ``start``: spawning the engine's process group;
- ``read``: from the spawn until the engine's log says every input was read — the engine's own start-up
  and work, not the adapter's;
- ``settle``: from then until done: the quiet period plus the polling around it;
- ``stop``: SIGINT to the group, the grace period, SIGKILL, until no process is left;
- ``overhead`` = stage + start + (settle - quiet period) + stop: what the adapter adds to the engine's
  work beyond the quiet period (the target is under 3 s).

A last line gives the medians and maxima over every run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from velotui.core import events as ev  # noqa: E402
from velotui.core.run import RunOptions, SuiteRun  # noqa: E402
from velotui.infra import LocalBroker  # noqa: E402

STANDIN = ROOT / "tests" / "fixtures" / "velo_sql" / "velo-sql"
DEFAULT_APPS = sorted((ROOT / "demo" / "tier1_basic").glob("*.sql")) + sorted(
    (ROOT / "demo" / "tier2_aggregations").glob("*.sql"))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=str(STANDIN))
    p.add_argument("--apps", nargs="*", type=Path, default=DEFAULT_APPS)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--quiet-period", type=float, default=1.5)
    p.add_argument("--kafka", default=None, help="HOST:PORT of a running broker (default: start a local one)")
    args = p.parse_args()
    broker = None
    bootstrap = args.kafka
    if bootstrap is None:
        broker = LocalBroker()
        bootstrap = broker.start().bootstrap
    rows = []
    try:
        for _ in range(args.repeat):
            for app in args.apps:
                timings: list[dict[str, float]] = []

                def on_event(e: ev.Event, timings: list[dict[str, float]] = timings) -> None:
                    if isinstance(e, ev.Log) and "timings" in e.extra:
                        timings.append(e.extra["timings"])

                with tempfile.TemporaryDirectory() as tmp:
                    report = SuiteRun(app, RunOptions(seed=1, kafka=bootstrap, engine="velostream",
                                                      velostream_bin=args.bin, quiet_period_s=args.quiet_period,
                                                      artifacts=Path(tmp)), on_event=on_event).execute()
                for q, t in zip(report.apps[0].queries, timings):
                    t = {k: round(v, 3) for k, v in t.items()}
                    t["overhead"] = round(t["stage"] + t["start"] + max(0.0, t["settle"] - t["quiet_period"])
                                          + t["stop"], 3)
                    row = {"app": app.stem, "query": q.name, "status": q.status, "records_in": q.records_in, **t}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        if broker is not None:
            broker.stop()
    keys = ("stage", "start", "read", "settle", "stop", "overhead", "total")
    print(json.dumps({"runs": len(rows), **{f"median_{k}": round(statistics.median(r[k] for r in rows), 3)
                                            for k in keys},
                      **{f"max_{k}": round(max(r[k] for r in rows), 3) for k in keys}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
