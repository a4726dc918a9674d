"""Peak memory of a big run through the CLI: a passthrough of N generated records.

    python benchmarks/memory.py [--records 1000000,10000000] [--whole 1000000] [--interval 0.02]

For each N, builds the side-by-side app's passthrough (benchmarks/side_by_side.py: ``SELECT * FROM trades``,
six fields, one ``record_count: equals N`` check) and runs ``velotui --headless APP.sql -j 1`` in a child
process, sampling its resident set size (psutil) every ``--interval`` seconds until it exits: prints the
peak RSS, the CPU time and the wall time, and whether the run passed. ``--whole N,…`` runs those sizes
again with ``--whole-inputs`` (every input and output made and held whole) for comparison. The target of
issue 13 (class 7) and issue 17: 10,000,000 records under 2 GB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import side_by_side as sbs  # noqa: E402
from child_env import cli_env, velotui_bin, warm  # noqa: E402


def make_app(base: Path, n: int) -> Path:
    app_dir = base / f"passthrough_{n}"
    (app_dir / "schemas").mkdir(parents=True, exist_ok=True)
    (app_dir / "customers.csv").write_text("customer_id,tier\n" + "".join(f"{k},{v}\n" for k, v in sbs.tiers().items()))
    (app_dir / "schemas" / "trades.schema.yaml").write_text(sbs.SCHEMA)
    (app_dir / "passthrough.sql").write_text(sbs.sql("passthrough", "kafka_source"))
    (app_dir / "passthrough.test.yaml").write_text(textwrap.dedent(f"""\
        application: passthrough
        queries:
          - name: o
            timeout_ms: 3600000
            inputs: [{{source: trades, schema: trades, records: {n}}}]
            assertions: [{{type: record_count, equals: {n}}}]
        """))
    return app_dir / "passthrough.sql"


def measure(sql: Path, whole: bool, interval: float) -> dict[str, object]:
    cmd = [velotui_bin(), "--headless", str(sql), "-j", "1", "-q", "--seed", "1"] + (["--whole-inputs"] if whole else [])
    t0 = time.perf_counter()
    proc = psutil.Popen(cmd, env=cli_env(), stdout=open(sql.with_suffix(".out"), "w"), stderr=open(sql.with_suffix(".err"), "w"))
    peak, cpu = 0, 0.0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
            t = proc.cpu_times()
            cpu = t.user + t.system
        except psutil.NoSuchProcess:
            break
        time.sleep(interval)
    wall = time.perf_counter() - t0
    return {"whole_inputs": whole, "peak_rss_mb": round(peak / 1e6, 1), "cpu_s_at_last_sample": round(cpu, 2),
            "wall_s": round(wall, 2), "exit_code": proc.returncode}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", default="1000000,10000000")
    ap.add_argument("--whole", default="", help="sizes to run again with --whole-inputs")
    ap.add_argument("--interval", type=float, default=0.02)
    args = ap.parse_args()
    warm()
    with tempfile.TemporaryDirectory(prefix="velotui_memory_") as tmp:
        base = Path(tmp)
        runs = [(int(n), False) for n in args.records.split(",") if n] + \
               [(int(n), True) for n in args.whole.split(",") if n]
        for n, whole in runs:
            row = {"case": "passthrough", "records": n, **measure(make_app(base, n), whole, args.interval)}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
