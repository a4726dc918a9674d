"""Engine throughput vs a plain hand-written Python loop doing the same work on the same data.

    python benchmarks/engine.py [--records N] [--repeat R]

Prints one JSON line per case: {"case", "records", "records_per_s", "loop_records_per_s", "ratio"}.
Records are published to an in-memory bus before timing; the engine time covers reading the topic,
running the statement and publishing the output; the loop reads the same list and builds the same
output dicts. Best of R runs each.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from velotui.bus import MemoryBus
from velotui.engine import EngineOptions, run_app
from velotui.records import Message
from velotui.sql import parse_app

SYMBOLS = ["AAPL", "MSFT", "GOOG", "AMZN", "TSLA", "NFLX", "META", "NVDA"]


def make_records(n: int) -> list[dict]:
    rnd = random.Random(1)
    return [{"id": i, "symbol": SYMBOLS[i % 8], "price": rnd.uniform(10, 500), "volume": rnd.randint(1, 10_000),
             "customer_id": f"C{i % 50:03d}", "ts": 1_700_000_000_000 + i * 10} for i in range(n)]


CASES: dict[str, str] = {
    "passthrough": "CREATE STREAM o AS SELECT * FROM trades;",
    "filter_project": "CREATE STREAM o AS SELECT id, symbol, price * volume AS notional FROM trades WHERE price > 100;",
    "group_by": "CREATE STREAM o AS SELECT symbol, COUNT(*) AS n, SUM(volume) AS v FROM trades GROUP BY symbol;",
    "tumbling": ("CREATE STREAM o AS SELECT symbol, COUNT(*) AS n, AVG(price) AS p FROM trades GROUP BY symbol "
                 "WINDOW TUMBLING(1m);"),
    "stream_table_join": ("CREATE STREAM o AS SELECT t.id, t.price, c.tier FROM trades t JOIN customers c "
                          "ON t.customer_id = c.customer_id WITH ('customers.type' = 'file_source', "
                          "'customers.path' = 'customers.csv');"),
    "lag": ("CREATE STREAM o AS SELECT symbol, price, LAG(price) OVER (PARTITION BY symbol) AS prev FROM trades;"),
}


def loop_passthrough(rows: list[dict], tiers: dict) -> list:
    return [dict(r) for r in rows]


def loop_filter_project(rows: list[dict], tiers: dict) -> list:
    return [{"id": r["id"], "symbol": r["symbol"], "notional": r["price"] * r["volume"]}
            for r in rows if r["price"] > 100]


def loop_group_by(rows: list[dict], tiers: dict) -> list:
    state: dict[str, list] = {}
    out = []
    for r in rows:
        s = state.get(r["symbol"])
        if s is None:
            s = state[r["symbol"]] = [0, 0]
        s[0] += 1
        s[1] += r["volume"]
        out.append({"symbol": r["symbol"], "n": s[0], "v": s[1]})
    return out


def loop_tumbling(rows: list[dict], tiers: dict) -> list:
    windows: dict[tuple, list] = {}
    out = []
    for r in rows:
        w = r["ts"] // 60000
        s = windows.get((w, r["symbol"]))
        if s is None:
            s = windows[(w, r["symbol"])] = [0, 0.0]
        s[0] += 1
        s[1] += r["price"]
    for (_w, sym), (n, p) in windows.items():
        out.append({"symbol": sym, "n": n, "p": p / n})
    return out


def loop_stream_table_join(rows: list[dict], tiers: dict) -> list:
    return [{"id": r["id"], "price": r["price"], "tier": tiers[r["customer_id"]]} for r in rows
            if r["customer_id"] in tiers]


def loop_lag(rows: list[dict], tiers: dict) -> list:
    prev: dict[str, float] = {}
    out = []
    for r in rows:
        out.append({"symbol": r["symbol"], "price": r["price"], "prev": prev.get(r["symbol"])})
        prev[r["symbol"]] = r["price"]
    return out


LOOPS: dict[str, Callable[[list[dict], dict], list]] = {
    "passthrough": loop_passthrough, "filter_project": loop_filter_project, "group_by": loop_group_by,
    "tumbling": loop_tumbling, "stream_table_join": loop_stream_table_join, "lag": loop_lag,
}


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default=",".join(CASES))
    args = ap.parse_args()
    rows = make_records(args.records)
    tiers = {f"C{i:03d}": ["GOLD", "SILVER", "BRONZE"][i % 3] for i in range(50)}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "customers.csv").write_text("customer_id,tier\n" + "".join(f"{k},{v}\n" for k, v in tiers.items()))
        for name in args.cases.split(","):
            app = parse_app(CASES[name], base / f"{name}.sql")

            def engine_run(app: Any = app) -> None:
                bus = MemoryBus()
                bus.publish("trades", [Message(value=r, timestamp=r["ts"]) for r in rows])
                t0 = time.perf_counter()
                run_app(app, bus, EngineOptions(base_dir=base))
                engine_run.elapsed = time.perf_counter() - t0  # type: ignore[attr-defined]

            samples = []
            for _ in range(args.repeat):
                engine_run()
                samples.append(engine_run.elapsed)  # type: ignore[attr-defined]
            engine_s = min(samples)
            loop_s = best(lambda name=name: LOOPS[name](rows, tiers), args.repeat)
            eng, loop = args.records / engine_s, args.records / loop_s
            print(json.dumps({"case": name, "records": args.records, "records_per_s": round(eng),
                              "loop_records_per_s": round(loop), "ratio": round(eng / loop, 3)}), flush=True)


if __name__ == "__main__":
    main()
