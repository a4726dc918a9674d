"""The TUI's memory across runs: "run all" on a suite N times in one app, RSS after each run.

    python benchmarks/tui_memory.py [--path demo/] [--runs 10]

The app is the real one (Textual's headless driver through ``run_test``); each run is started the way the
`a` key starts it and waited for to the end. Prints one JSON line: {"case": "tui_memory", "rss_mb": [...],
"growth_after_first_mb": …}. The target (docs/PERFORMANCE.md): RSS after the tenth run within 50 MB of
the RSS after the first.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


async def measure(path: Path, runs: int) -> list[float]:
    from velotui.tui.app import VelotuiApp
    from velotui.tui.keymap import TuiConfig

    app = VelotuiApp(path, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000)
    proc = psutil.Process()
    rss: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(runs):
            app.action_run_all()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            gc.collect()
            rss.append(proc.memory_info().rss / 1e6)
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(ROOT / "demo"))
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    rss = asyncio.run(measure(Path(args.path), args.runs))
    print(json.dumps({"case": "tui_memory", "path": args.path, "runs": args.runs,
                      "rss_mb": [round(x, 1) for x in rss], "growth_after_first_mb": round(rss[-1] - rss[0], 1)}))


if __name__ == "__main__":
    main()
