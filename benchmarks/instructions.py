"""Instructions per record of the engine and of the hand-written comprehension (benchmarks/engine.py's
cases), counted by valgrind's callgrind: the same figure in every run, where timings on a shared machine
move by a factor of two.

    python benchmarks/instructions.py [--records 50000] [--cases filter_project,group_by]

For each case, a child process (under ``valgrind --tool=callgrind --toggle-collect=_operator_call``)
builds the records, publishes them, warms the engine on ten records, then makes exactly one
``operator.call``: ``run_app`` over the published records (mode ``engine``), or the comprehension over the
same dicts (mode ``loop``). Only what runs inside that call is counted. Prints instructions per record
for both and their ratio (comprehension / engine: the ``ratio`` column of benchmarks/engine.py, counted
instead of timed). Needs valgrind (``apt install valgrind``); about a minute per case.
"""

from __future__ import annotations

import argparse
import gc
import operator
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from child_env import cli_env  # noqa: E402
from engine import CASES, LOOPS, make_records  # noqa: E402


def child(mode: str, n: int, case: str, base: Path) -> None:
    from velotui.bus import MemoryBus
    from velotui.engine import EngineOptions, run_app
    from velotui.records import Message
    from velotui.sql import parse_app

    tiers = {f"C{i:03d}": ["GOLD", "SILVER", "BRONZE"][i % 3] for i in range(50)}
    (base / "customers.csv").write_text("customer_id,tier\n" + "".join(f"{k},{v}\n" for k, v in tiers.items()))
    rows = make_records(n)
    app = parse_app(CASES[case], base / f"{case}.sql")
    opts = EngineOptions(base_dir=base)
    warm = MemoryBus()
    warm.publish("trades", [Message(value=r, timestamp=r["ts"]) for r in rows[:10]])
    run_app(app, warm, opts)
    LOOPS[case](rows[:10], tiers)
    bus = MemoryBus()
    bus.publish("trades", [Message(value=r, timestamp=r["ts"]) for r in rows])
    gc.collect()
    gc.disable()
    if mode == "engine":
        operator.call(run_app, app, bus, opts)
    else:
        operator.call(LOOPS[case], rows, tiers)


def count(mode: str, n: int, case: str) -> int:
    env = cli_env()
    env["PYTHONHASHSEED"] = "0"
    with tempfile.TemporaryDirectory(prefix="velotui_instr_") as tmp:
        proc = subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=_operator_call",
                               f"--callgrind-out-file={os.devnull}", sys.executable, __file__, "--child", mode,
                               "--records", str(n), "--cases", case, "--base", tmp],
                              capture_output=True, text=True, env=env, check=False)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        raise SystemExit(f"callgrind run of {case} ({mode}) failed:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=50_000)
    ap.add_argument("--cases", default="filter_project,group_by")
    ap.add_argument("--child", choices=("engine", "loop"), help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.records, args.cases, Path(args.base))
        return
    print(f"{'case':<20} {'engine instr/rec':>17} {'comprehension instr/rec':>24} {'ratio':>7}", flush=True)
    for case in args.cases.split(","):
        engine = count("engine", args.records, case) / args.records
        loop = count("loop", args.records, case) / args.records
        print(f"{case:<20} {engine:>17,.0f} {loop:>24,.0f} {loop / engine:>7.3f}", flush=True)


if __name__ == "__main__":
    main()
