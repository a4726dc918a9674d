"""One table, one run, one machine: velotui's engine and harness beside plain Python, DuckDB and the
Velostream engine's own figures, for the five query shapes of the reference measurement.

    python benchmarks/side_by_side.py [--records 1000000] [--cases ...] [--update-doc docs/PERFORMANCE.md]

Columns (records per second over the same N records, best of --repeat). The clock is the CPU time of the
process doing the work (--clock cpu, the default: steady on a machine that other work keeps busy, and the
same as the wall time on a quiet one, since every column but DuckDB's runs on one thread and DuckDB is
given one thread) or the wall time (--clock wall):
- engine: ``run_app`` over records already on the in-memory bus (read, run, publish the output);
- file e2e: ``run_app`` over a JSON-lines file source to a JSON-lines file sink (parse, run, write);
- CLI e2e: ``velotui --headless APP.sql -j 1`` in a new process, from its start to its exit: generating the
  N records from a schema of the same shape, publishing, running, capturing, asserting, reporting;
- loop: a hand-written Python loop doing the same work on the same list of dicts in memory;
- loop + I/O: the same loop reading the JSON-lines file (orjson) and writing its output as JSON lines;
- DuckDB: the equivalent batch SQL over the same file (``COPY (SELECT …) TO 'out.jsonl'``), the limit
  reference (a batch engine computes the final result only: GROUP BY gives one row per group where the
  streaming query emits a row per input); DuckDB is only in the benchmark environment
  (benchmarks/requirements.txt), never a dependency of velotui;
- Velostream: the Velostream engine itself measured on this machine on 2026-12-01 (1M JSON-lines
  records, file source to file sink), recorded as facts from the issue, not measured by this script.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
CLOCK = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCK["cpu"]
SYMBOLS = ["AAPL", "MSFT", "GOOG", "AMZN", "TSLA", "NFLX", "META", "NVDA"]
TABLE_ROWS = 10_000

VELOSTREAM = {"passthrough": 113_000, "filter_project": 111_000, "group_by": 68_600, "tumbling": 124_000,
              "stream_table_join": 92_000}  # records/s, 1M JSON-lines records, file to file, 2026-12-01
TITLES = {"passthrough": "passthrough", "filter_project": "filter + project",
          "group_by": "GROUP BY COUNT/SUM/AVG", "tumbling": "TUMBLING(1m) GROUP BY",
          "stream_table_join": "stream-table join (10k rows)"}

SELECT = {
    "passthrough": "SELECT * FROM trades",
    "filter_project": "SELECT id, symbol, price * volume AS notional FROM trades WHERE price > 100",
    "group_by": "SELECT symbol, COUNT(*) AS n, SUM(volume) AS v, AVG(price) AS p FROM trades GROUP BY symbol",
    "tumbling": ("SELECT symbol, COUNT(*) AS n, SUM(volume) AS v, AVG(price) AS p FROM trades GROUP BY symbol "
                 "WINDOW TUMBLING(1m)"),
    "stream_table_join": ("SELECT t.id, t.price, c.tier FROM trades t JOIN customers c "
                          "ON t.customer_id = c.customer_id"),
}
DUCKDB = {
    "passthrough": "SELECT * FROM read_json('{src}')",
    "filter_project": "SELECT id, symbol, price * volume AS notional FROM read_json('{src}') WHERE price > 100",
    "group_by": ("SELECT symbol, COUNT(*) AS n, SUM(volume) AS v, AVG(price) AS p FROM read_json('{src}') "
                 "GROUP BY symbol"),
    "tumbling": ("SELECT symbol, ts // 60000 AS w, COUNT(*) AS n, SUM(volume) AS v, AVG(price) AS p "
                 "FROM read_json('{src}') GROUP BY symbol, ts // 60000"),
    "stream_table_join": ("SELECT t.id, t.price, c.tier FROM read_json('{src}') t JOIN read_csv('{table}') c "
                          "ON t.customer_id = c.customer_id"),
}

SCHEMA = """\
name: trades
fields:
  - {name: id, type: integer, constraints: {range: {min: 1, max: 1000000000}}}
  - name: symbol
    constraints: {enum_values: {values: [AAPL, MSFT, GOOG, AMZN, TSLA, NFLX, META, NVDA]}}
  - {name: price, type: float, constraints: {range: {min: 10, max: 500}}}
  - {name: volume, type: integer, constraints: {range: {min: 1, max: 10000}}}
  - name: customer_id
    constraints: {references: {file: customers.csv, field: customer_id}}
  - {name: ts, type: timestamp}
"""


def make_records(n: int) -> list[dict]:
    rnd = random.Random(1)
    return [{"id": i, "symbol": SYMBOLS[i % 8], "price": round(rnd.uniform(10, 500), 2),
             "volume": rnd.randint(1, 10_000), "customer_id": f"C{i % TABLE_ROWS:05d}",
             "ts": 1_700_000_000_000 + i * 10} for i in range(n)]


def tiers() -> dict[str, str]:
    return {f"C{i:05d}": ["GOLD", "SILVER", "BRONZE"][i % 3] for i in range(TABLE_ROWS)}


# -- plain Python: the same work -----------------------------------------------------------------------

def loop_passthrough(rows: list[dict], t: dict) -> list:
    return [dict(r) for r in rows]


def loop_filter_project(rows: list[dict], t: dict) -> list:
    return [{"id": r["id"], "symbol": r["symbol"], "notional": r["price"] * r["volume"]} for r in rows
            if r["price"] > 100]


def loop_group_by(rows: list[dict], t: dict) -> list:
    state: dict[str, list] = {}
    out = []
    for r in rows:
        s = state.get(r["symbol"])
        if s is None:
            s = state[r["symbol"]] = [0, 0, 0.0]
        s[0] += 1
        s[1] += r["volume"]
        s[2] += r["price"]
        out.append({"symbol": r["symbol"], "n": s[0], "v": s[1], "p": s[2] / s[0]})
    return out


def loop_tumbling(rows: list[dict], t: dict) -> list:
    windows: dict[tuple, list] = {}
    for r in rows:
        key = (r["ts"] // 60000, r["symbol"])
        s = windows.get(key)
        if s is None:
            s = windows[key] = [0, 0, 0.0]
        s[0] += 1
        s[1] += r["volume"]
        s[2] += r["price"]
    return [{"symbol": sym, "n": n, "v": v, "p": p / n} for (_w, sym), (n, v, p) in windows.items()]


def loop_stream_table_join(rows: list[dict], t: dict) -> list:
    return [{"id": r["id"], "price": r["price"], "tier": t[r["customer_id"]]} for r in rows if r["customer_id"] in t]


LOOPS: dict[str, Callable[[list[dict], dict], list]] = {
    "passthrough": loop_passthrough, "filter_project": loop_filter_project, "group_by": loop_group_by,
    "tumbling": loop_tumbling, "stream_table_join": loop_stream_table_join}


def loop_with_io(name: str, src: Path, out: Path, t: dict) -> None:
    with src.open("rb") as fh:
        rows = [orjson.loads(line) for line in fh]
    result = LOOPS[name](rows, t)
    with out.open("wb") as fh:
        for r in result:
            fh.write(orjson.dumps(r) + b"\n")


# -- velotui ---------------------------------------------------------------------------------------------

def _with(name: str, source: str) -> str:
    parts = [f"'trades.type' = '{source}'"]
    if source == "file_source":
        parts += ["'trades.path' = 'trades.jsonl'", "'o.type' = 'file_sink'", "'o.path' = 'out.jsonl'"]
    else:
        parts += ["'trades.topic.name' = 'trades'", "'o.type' = 'kafka_sink'", "'o.topic.name' = 'o'"]
    parts.append("'event.time.field' = 'ts'")
    if name == "stream_table_join":
        parts += ["'customers.type' = 'file_source'", "'customers.path' = 'customers.csv'"]
    return "WITH (" + ", ".join(parts) + ")"


def sql(name: str, source: str) -> str:
    emit = " EMIT FINAL" if name == "tumbling" else ""
    return f"CREATE STREAM o AS {SELECT[name]}{emit} {_with(name, source)};\n"


def engine_seconds(name: str, rows: list[dict], base: Path, repeat: int) -> float:
    from velotui.bus import MemoryBus
    from velotui.engine import EngineOptions, run_app
    from velotui.records import Message
    from velotui.sql import parse_app

    app = parse_app(sql(name, "kafka_source"), base / f"{name}.sql")
    best = float("inf")
    for _ in range(repeat):
        bus = MemoryBus()
        bus.publish("trades", [Message(value=r, timestamp=r["ts"]) for r in rows])
        t0 = clock()
        run_app(app, bus, EngineOptions(base_dir=base))
        best = min(best, clock() - t0)
    return best


def file_seconds(name: str, base: Path, repeat: int) -> float:
    from velotui.bus import MemoryBus
    from velotui.engine import EngineOptions, run_app
    from velotui.sql import parse_app

    app = parse_app(sql(name, "file_source"), base / f"{name}.sql")
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        run_app(app, MemoryBus(), EngineOptions(base_dir=base))
        best = min(best, clock() - t0)
    return best


def cli_seconds(name: str, n: int, base: Path, repeat: int) -> float:
    app_dir = base / f"cli_{name}"
    (app_dir / "schemas").mkdir(parents=True, exist_ok=True)
    (app_dir / "customers.csv").write_text((base / "customers.csv").read_text())
    (app_dir / "schemas" / "trades.schema.yaml").write_text(SCHEMA)
    (app_dir / f"{name}.sql").write_text(sql(name, "kafka_source"))
    (app_dir / f"{name}.test.yaml").write_text(textwrap.dedent(f"""\
        application: {name}
        queries:
          - name: o
            timeout_ms: 600000
            inputs: [{{source: trades, schema: trades, records: {n}}}]
            assertions: [{{type: record_count, greater_than: 0}}]
        """))
    velotui = Path(sys.executable).parent / "velotui"
    best = float("inf")
    for _ in range(repeat):
        t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([str(velotui), "--headless", str(app_dir / f"{name}.sql"), "-j", "1", "-q",
                               "--seed", "1"], capture_output=True, text=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        elapsed = time.perf_counter() - t0 if clock is CLOCK["wall"] else \
            (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"CLI run of {name} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        best = min(best, elapsed)
    return best


def duckdb_seconds(name: str, base: Path, repeat: int) -> float | None:
    try:
        import duckdb
    except ImportError:
        return None
    query = DUCKDB[name].format(src=base / "trades.jsonl", table=base / "customers.csv")
    best = float("inf")
    for _ in range(repeat):
        con = duckdb.connect()
        if clock is CLOCK["cpu"]:
            con.execute("SET threads = 1")  # one core's work, like every other column
        t0 = clock()
        con.execute(f"COPY ({query}) TO '{base / 'duck_out.jsonl'}' (FORMAT JSON)")
        best = min(best, clock() - t0)
        con.close()
    return best


def best_of(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def table(rows: list[dict[str, Any]], n: int, repeat: int, clock_name: str) -> str:
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    per = "per CPU-second of the process doing the work (DuckDB given one thread)" if clock_name == "cpu" \
        else "per second of wall time"
    head = (f"Measured {date.today().isoformat()} by `python benchmarks/side_by_side.py --records {n} "
            f"--clock {clock_name}` (best of {repeat}; {platform.python_implementation()} "
            f"{platform.python_version()}, {_cores()} cores, load average {load:.1f} at the end). Records {per} "
            f"over {n:,} records; Velostream: its own figures on this machine (2026-12-01, wall time), recorded "
            "as facts.\n\n")
    lines = ["| query | engine | file e2e | CLI e2e | loop | loop + I/O | DuckDB (batch) | Velostream |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {TITLES[r['case']]} | {_fmt(r['engine'])} | {_fmt(r['file'])} | {_fmt(r['cli'])} | "
                     f"{_fmt(r['loop'])} | {_fmt(r['loop_io'])} | {_fmt(r['duckdb'])} | "
                     f"{_fmt(VELOSTREAM[r['case']])} |")
    return head + "\n".join(lines) + "\n"


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


def update_doc(path: Path, text: str) -> None:
    start, end = "<!-- side-by-side:start -->", "<!-- side-by-side:end -->"
    doc = path.read_text()
    if start not in doc or end not in doc:
        raise SystemExit(f"{path} has no {start} … {end} block to replace")
    before, rest = doc.split(start, 1)
    _, after = rest.split(end, 1)
    path.write_text(f"{before}{start}\n{text}{end}{after}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--cases", default=",".join(SELECT))
    ap.add_argument("--clock", choices=tuple(CLOCK), default="cpu")
    ap.add_argument("--update-doc", metavar="MD", help="replace the side-by-side block of this Markdown file")
    args = ap.parse_args()
    global clock
    clock = CLOCK[args.clock]
    n = args.records
    records = make_records(n)
    t = tiers()
    out_rows = []
    with tempfile.TemporaryDirectory(prefix="velotui_side_") as tmp:
        base = Path(tmp)
        with (base / "trades.jsonl").open("wb") as fh:
            for r in records:
                fh.write(orjson.dumps(r) + b"\n")
        (base / "customers.csv").write_text("customer_id,tier\n" + "".join(f"{k},{v}\n" for k, v in t.items()))
        for name in args.cases.split(","):
            row: dict[str, Any] = {"case": name}
            row["engine"] = n / engine_seconds(name, records, base, args.repeat)
            row["file"] = n / file_seconds(name, base, args.repeat)
            row["cli"] = n / cli_seconds(name, n, base, args.repeat)
            row["loop"] = n / best_of(lambda name=name: LOOPS[name](records, t), args.repeat)
            row["loop_io"] = n / best_of(lambda name=name: loop_with_io(name, base / "trades.jsonl",
                                                                         base / "loop_out.jsonl", t), args.repeat)
            duck = duckdb_seconds(name, base, args.repeat)
            row["duckdb"] = n / duck if duck else None
            row["velostream"] = VELOSTREAM[name]
            print(json.dumps({k: (round(v) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
            out_rows.append(row)
    text = table(out_rows, n, args.repeat, args.clock)
    print(text)
    if args.update_doc:
        update_doc(Path(args.update_doc), text)


if __name__ == "__main__":
    main()
