"""Where the CLI's time goes on one big app, phase by phase (the harness around the engine).

    python benchmarks/harness.py [--records 1000000] [--case filter_project] [--repeat 1]

Builds the side-by-side app (benchmarks/side_by_side.py: a six-field trades schema, ``--records``
generated records, one ``record_count`` check) in a temporary folder and runs it the way
``velotui --headless APP.sql -j 1 --json out.json`` does, in this process: the suite run (load, generate,
publish, engine, capture, assertions) and the JSON report. The CPU time of each phase is read from the
query's own phase changes (the watchdog's ``phase``, which core sets as the query moves on) — an
observer only, nothing is replaced. Also prints the CPU time of a whole CLI process on a ten-record copy
of the app (``startup``: interpreter, imports, discovery, report) and of one on the full app, so the
in-process phases and the process's total can be read side by side (the CLI processes run from compiled
bytecode, as an installed velotui does: benchmarks/child_env.py).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import side_by_side as sbs  # noqa: E402
from child_env import cli_env, velotui_bin, warm  # noqa: E402


def make_app(base: Path, name: str, n: int, folder: str) -> Path:
    app_dir = base / folder
    (app_dir / "schemas").mkdir(parents=True, exist_ok=True)
    (app_dir / "customers.csv").write_text("customer_id,tier\n" + "".join(f"{k},{v}\n" for k, v in sbs.tiers().items()))
    (app_dir / "schemas" / "trades.schema.yaml").write_text(sbs.SCHEMA)
    (app_dir / f"{name}.sql").write_text(sbs.sql(name, "kafka_source"))
    (app_dir / f"{name}.test.yaml").write_text(textwrap.dedent(f"""\
        application: {name}
        queries:
          - name: o
            timeout_ms: 600000
            inputs: [{{source: trades, schema: trades, records: {n}}}]
            assertions: [{{type: record_count, greater_than: 0}}]
        """))
    return app_dir / f"{name}.sql"


def cli_cpu(sql: Path) -> float:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([velotui_bin(), "--headless", str(sql), "-j", "1", "-q", "--seed", "1"],
                          capture_output=True, text=True, env=cli_env())
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"CLI run failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def phases_in_process(sql: Path) -> dict[str, float]:
    import velotui.watchdog as wd
    from velotui.core.run import RunOptions, SuiteRun
    from velotui.report import to_json

    spent: dict[str, float] = {}
    state = {"phase": "loading", "t": time.process_time()}

    def switch(phase: str) -> None:
        now = time.process_time()
        spent[state["phase"]] = spent.get(state["phase"], 0.0) + now - state["t"]
        state["phase"], state["t"] = phase, now

    cls = wd.Watchdog
    original = cls.__dict__.get("phase")

    def get(self: object) -> str:
        return self.__dict__.get("_bench_phase", "starting")

    def put(self: object, value: str) -> None:
        self.__dict__["_bench_phase"] = value
        switch(value)

    cls.phase = property(get, put)  # observe the phase changes; the query runs unchanged
    try:
        run = SuiteRun(sql, RunOptions(seed=1))
        report = run.execute()
        switch("writing the JSON report")
        to_json(report)
        switch("done")
    finally:
        if original is None:
            del cls.phase
        else:
            cls.phase = original
    if report.exit_code != 0:
        raise SystemExit(f"the app failed: {report.apps[0].queries[0].error or report.apps[0].queries[0].status}")
    spent.pop("done", None)
    return spent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--case", default="filter_project", choices=sorted(sbs.SELECT))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    warm()
    with tempfile.TemporaryDirectory(prefix="velotui_harness_") as tmp:
        base = Path(tmp)
        big = make_app(base, args.case, args.records, "big")
        tiny = make_app(base, args.case, 10, "tiny")
        startup = min(cli_cpu(tiny) for _ in range(max(1, args.repeat)))
        total = min(cli_cpu(big) for _ in range(max(1, args.repeat)))
        phases = phases_in_process(big)
    row = {"case": args.case, "records": args.records,
           "phases_cpu_s": {k: round(v, 3) for k, v in phases.items()},
           "cli_startup_cpu_s": round(startup, 3), "cli_total_cpu_s": round(total, 3),
           "cli_records_per_cpu_s": round(args.records / total)}
    print(json.dumps(row))


if __name__ == "__main__":
    main()
