"""How long a key takes in the TUI while mutation testing runs: in the TUI's own process (a thread, as a
first version did) and in the child process the TUI uses (velotui.core.mutate.background).

    python benchmarks/tui_mutation_latency.py [--path demo/] [--keys 40]

The app is the real one (Textual's headless driver through ``run_test``). For each case the same mutation
run of ``--path`` goes on while ``--keys`` cursor moves are pressed in the Apps pane, one every 50 ms; a
key's latency is the time ``pilot.press`` takes (the key handled and the screen redrawn). The idle case
presses the same keys with nothing running. Prints one JSON line per case with the median and the 95th
percentile in milliseconds; docs/PERFORMANCE.md records them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def _latencies(path: Path, keys: int, mode: str) -> tuple[list[float], float]:
    from velotui.core.mutate import MutationOptions, run_mutation
    from velotui.core.mutate.background import MutationProcess
    from velotui.tui.app import VelotuiApp
    from velotui.tui.keymap import TuiConfig

    app = VelotuiApp(path, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    stop = threading.Event()
    out: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        process = None
        thread = None
        if mode == "thread":
            thread = threading.Thread(target=run_mutation, args=(path, MutationOptions(stop=stop)), daemon=True)
            thread.start()
        elif mode == "process":
            process = MutationProcess(path, MutationOptions())
            process.start()
            threading.Thread(target=lambda: [None for _ in process.events(stop=stop)], daemon=True).start()
        await asyncio.sleep(5.0 if mode != "idle" else 0.0)  # into the run: past the start-up
        started = time.perf_counter()
        for i in range(keys):
            t0 = time.perf_counter()
            await pilot.press("down" if i % 8 < 4 else "up")
            out.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        stop.set()
        if process is not None:
            process.close()
        if thread is not None:
            thread.join(60)
    return out, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(ROOT / "demo"))
    parser.add_argument("--keys", type=int, default=40)
    args = parser.parse_args()
    for mode in ("idle", "thread", "process"):
        ms, elapsed = asyncio.run(_latencies(Path(args.path), args.keys, mode))
        ms.sort()
        print(json.dumps({"case": "tui_key_latency_during_mutation", "mutation": mode, "keys": len(ms),
                          "median_ms": round(statistics.median(ms), 1),
                          "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1),
                          "seconds": round(elapsed, 1)}), flush=True)


if __name__ == "__main__":
    main()
