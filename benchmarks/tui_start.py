"""Time from launching ``velotui demo/`` in a real terminal (tmux, 120x40) to a usable screen: the status
line that says how many apps were found, which is written when the app has mounted every pane.

    python benchmarks/tui_start.py [--repeat 5] [--size 120x40]

Prints one JSON line: {"case": "tui_start", "seconds_best": …, "seconds_median": …}. Needs tmux."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def once(size: str) -> float:
    w, h = size.split("x")
    session = f"velotui-start-{time.monotonic_ns()}"
    velotui = Path(sys.executable).parent / "velotui"
    t0 = time.monotonic()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", w, "-y", h, f"{velotui} demo/"],
                   cwd=ROOT, check=True)
    try:
        while time.monotonic() - t0 < 30:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if "apps in" in screen:
                return time.monotonic() - t0
            time.sleep(0.01)
        raise SystemExit("velotui did not show its screen within 30 s")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--size", default="120x40")
    args = ap.parse_args()
    if not shutil.which("tmux"):
        raise SystemExit("tmux is needed (apt-get install tmux)")
    times = [once(args.size) for _ in range(args.repeat)]
    print(json.dumps({"case": "tui_start", "size": args.size, "seconds_best": round(min(times), 3),
                      "seconds_median": round(statistics.median(times), 3)}))


if __name__ == "__main__":
    main()
