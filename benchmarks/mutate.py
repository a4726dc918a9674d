"""Mutation testing of the whole demo: wall time and CPU time for -j 1 and -j 2.

    python benchmarks/mutate.py [--path demo/] [--jobs 1,2] [--repeat 1]

Runs ``velotui mutate PATH -j N --json …`` in a child process and prints one JSON line per run:
{"jobs", "mutants", "killed", "spec_does_not_look", "data_cannot_tell", "not_run", "score", "wall_s",
"cpu_s", "load_avg_1m"}. ``cpu_s`` is the user+system time of the child and its workers; on a machine
busy with other work, wall time grows and CPU time does not, so both are printed, with the load average
at the start. The target (issue 16) is every mutant of the demo in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(path: str, jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "mutants.json"
        before = os.times()
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "velotui", "mutate", path, "-j", str(jobs), "-q", "--json", str(out)],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = os.times()
        report = json.loads(out.read_text())
    s = report["summary"]
    return {"jobs": jobs, "mutants": s["mutants"], "killed": s["killed"], "spec_does_not_look": s["spec_does_not_look"],
            "data_cannot_tell": s["data_cannot_tell"], "not_run": s["not_run"],
            "score": round(s["score"], 4) if s["score"] is not None else None, "wall_s": round(wall, 2),
            "cpu_s": round((after.children_user - before.children_user)
                           + (after.children_system - before.children_system), 2),
            "load_avg_1m": round(load, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", default="demo/")
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    for jobs in [int(j) for j in args.jobs.split(",")]:
        for _ in range(args.repeat):
            print(json.dumps(run(args.path, jobs)), flush=True)


if __name__ == "__main__":
    main()
