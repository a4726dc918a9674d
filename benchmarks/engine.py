"""Engine throughput vs a plain hand-written Python comprehension doing the same work on the same data.

    python benchmarks/engine.py [--records N] [--repeat R] [--cases a,b] [--gc paused|on] [--coverage] [--json]

Prints, per case, the engine's rate, the hand-written comprehension's rate and their ratio side by side
(``--json``: one JSON line per case instead: {"case", "records", "records_per_s", "loop_records_per_s",
"ratio", "ratio_paired_median", "ratio_with_read_back"}). Records are published to an in-memory bus before
timing; the engine time covers planning, reading the topic, running the statement (NULL rules, row errors
and dead letters included) and publishing the output to its sink topic; the comprehension reads the same
list of dicts and builds the same output dicts. Times are this process's CPU time (time.process_time), so
other work on the machine does not count; the two alternate R times and the best of each counts, so a
machine whose speed drifts during the run moves both alike. ``paired`` is the median over the repeats of
each repeat's ratio (the engine's run and the comprehension's right after it): on a machine whose speed
changes from one second to the next, the two bests can come from different moments, and the paired median
is the steadier figure. ``read back`` is the ratio when the engine's time also counts reading every output
back from the sink topic as message objects (``bus.read_all``): the fused operators hold their outputs as
columns (velotui.records.MessageBlock) and make a message object per output only for a reader that asks for
one, so the engine's own figure leaves that cost to the reader, and this column shows it.

Python's cyclic garbage collector: as ``timeit`` does, both timed parts run with it off (``--gc paused``,
the default; the engine pauses it during a run anyway), after a full collection outside the timing, so
neither pays for collections the other's objects cause. ``--gc on`` runs both with it on (and the engine
told not to pause it): the figure for code that cannot pause it (docs/PERFORMANCE.md has both).

``--coverage`` runs the engine counting data coverage (EngineOptions.coverage: what ``--coverage`` costs a
run); without it the engine runs as every normal run does.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

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
    "rows_buffer": ("CREATE STREAM o AS SELECT symbol, AVG(price) OVER (ROWS WINDOW BUFFER 1000 ROWS PARTITION BY "
                    "symbol) AS a, MAX(price) OVER (ROWS WINDOW BUFFER 1000 ROWS PARTITION BY symbol) AS m FROM trades;"),
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


def loop_rows_buffer(rows: list[dict], tiers: dict) -> list:
    """A running total and a monotonic queue per symbol over its last 1,000 prices (inexact float removal: the
    plain loop a programmer writes; the engine keeps the sum exact)."""
    from collections import deque

    state: dict[str, tuple[deque, list, deque]] = {}
    out = []
    for i, r in enumerate(rows):
        frame, total, best = state.get(r["symbol"]) or state.setdefault(r["symbol"], (deque(), [0.0], deque()))
        p = r["price"]
        frame.append((i, p))
        total[0] += p
        while best and best[-1][1] < p:
            best.pop()
        best.append((i, p))
        if len(frame) > 1000:
            j, old = frame.popleft()
            total[0] -= old
            if best[0][0] == j:
                best.popleft()
        out.append({"symbol": r["symbol"], "a": total[0] / len(frame), "m": best[0][1]})
    return out


LOOPS: dict[str, Callable[[list[dict], dict], list]] = {
    "passthrough": loop_passthrough, "filter_project": loop_filter_project, "group_by": loop_group_by,
    "tumbling": loop_tumbling, "stream_table_join": loop_stream_table_join, "lag": loop_lag,
    "rows_buffer": loop_rows_buffer,
}


@contextlib.contextmanager
def _collector(paused: bool) -> Iterator[None]:
    """A full collection first (untimed); then the collector off (paused) or on for the timed part."""
    gc.collect()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _options(base: Path, pause_gc: bool, coverage: bool = False) -> EngineOptions:
    fields = EngineOptions.__dataclass_fields__
    extra: dict = {"pause_gc": pause_gc} if "pause_gc" in fields else {}  # older engines
    if coverage:
        extra["coverage"] = True
    return EngineOptions(base_dir=base, **extra)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--gc", choices=("paused", "on"), default="paused")
    ap.add_argument("--coverage", action="store_true", help="the engine counts data coverage")
    ap.add_argument("--json", action="store_true", help="one JSON line per case")
    args = ap.parse_args()
    rows = make_records(args.records)
    tiers = {f"C{i:03d}": ["GOLD", "SILVER", "BRONZE"][i % 3] for i in range(50)}
    if not args.json:
        print(f"{'case':<20} {'engine rec/s':>14} {'comprehension rec/s':>20} {'ratio':>7} {'paired':>7} "
              f"{'read back':>9}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "customers.csv").write_text("customer_id,tier\n" + "".join(f"{k},{v}\n" for k, v in tiers.items()))
        for name in args.cases.split(","):
            app = parse_app(CASES[name], base / f"{name}.sql")
            engine_s = loop_s = read_s = float("inf")
            pairs: list[float] = []  # each repeat's engine rate over the comprehension's, timed one after the other
            paused = args.gc == "paused"
            for _ in range(args.repeat):
                bus = MemoryBus()
                bus.publish("trades", [Message(value=r, timestamp=r["ts"]) for r in rows])
                with _collector(paused):
                    t0 = time.process_time()
                    run_app(app, bus, _options(base, paused, args.coverage))
                    engine_once = time.process_time() - t0
                    engine_s = min(engine_s, engine_once)
                    # the outputs read back as message objects (a fused operator's are made only then)
                    t0 = time.process_time()
                    bus.read_all("o")
                    read_s = min(read_s, engine_once + time.process_time() - t0)
                del bus
                with _collector(paused):
                    t0 = time.process_time()
                    LOOPS[name](rows, tiers)
                    loop_once = time.process_time() - t0
                    loop_s = min(loop_s, loop_once)
                pairs.append(loop_once / engine_once)
            eng, loop, with_read = args.records / engine_s, args.records / loop_s, args.records / read_s
            paired = statistics.median(pairs)
            if args.json:
                print(json.dumps({"case": name, "records": args.records, "records_per_s": round(eng),
                                  "loop_records_per_s": round(loop), "ratio": round(eng / loop, 3),
                                  "ratio_paired_median": round(paired, 3),
                                  "ratio_with_read_back": round(with_read / loop, 3)}), flush=True)
            else:
                print(f"{name:<20} {eng:>14,.0f} {loop:>20,.0f} {eng / loop:>7.3f} {paired:>7.3f} "
                      f"{with_read / loop:>9.3f}", flush=True)


if __name__ == "__main__":
    main()
