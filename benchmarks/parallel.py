"""-j N against -j 1: the wall time of the whole demo suite headless, each from its own process start.

    python benchmarks/parallel.py [--jobs 2] [--repeat 5] [--path demo/] [--no-bytecode]

The two runs alternate (so a busy moment of the machine hits both); prints one JSON line with the best
and median seconds of each and the ratio of the medians (target: -j 2 at most 0.65 of -j 1), and the load
average at the start and the end. The processes run from compiled bytecode, as an installed velotui does
(benchmarks/child_env.py); ``--no-bytecode`` runs them as this shell would (PYTHONDONTWRITEBYTECODE kept:
every process, each worker's fork server included, compiles velotui's modules again).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from child_env import cli_env, velotui_bin, warm  # noqa: E402


def once(path: str, jobs: int, bytecode: bool) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([velotui_bin(), "--headless", path, "-q", "-j", str(jobs), "--seed", "1"], cwd=ROOT,
                          capture_output=True, text=True, env=cli_env() if bytecode else None)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"-j {jobs} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--path", default="demo/")
    ap.add_argument("--no-bytecode", action="store_true")
    args = ap.parse_args()
    bytecode = not args.no_bytecode
    if bytecode:
        warm()
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    one, many = [], []
    for _ in range(args.repeat):
        one.append(once(args.path, 1, bytecode))
        many.append(once(args.path, args.jobs, bytecode))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(json.dumps({"case": "parallel", "path": args.path, "jobs": args.jobs, "repeat": args.repeat,
                      "j1_best": round(min(one), 3), "j1_median": round(statistics.median(one), 3),
                      "jn_best": round(min(many), 3), "jn_median": round(statistics.median(many), 3),
                      "ratio_median": round(statistics.median(many) / statistics.median(one), 3),
                      "ratio_best": round(min(many) / min(one), 3), "bytecode": bytecode,
                      "load_average_start": round(load0, 1), "load_average_end": round(load, 1)}))


if __name__ == "__main__":
    main()
