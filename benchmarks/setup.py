"""Time from `make run` on a fresh clone to the TUI's first screen, in a real terminal (tmux).

    python benchmarks/setup.py [--installer uv|pip] [--warm] [--size 120x40]

Clones this repository (its committed HEAD) into a temporary folder and runs `make run` there in tmux,
until the status line that says how many apps were found appears (the TUI has mounted every pane).
Fresh caches by default: uv's cache, pip's cache and the folder where setup keeps uv are new, empty
folders, so every package (and uv itself) comes from the package index; --warm keeps them between two
runs and times the second. --installer pip times the fallback (VELOTUI_NO_UV=1). Prints one JSON line.
Needs git, make and tmux.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def once(work: Path, caches: Path, installer: str, size: str) -> float:
    clone = work / f"clone-{time.monotonic_ns()}"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {"VELOTUI_UV_HOME": str(caches / "uv-home"), "UV_CACHE_DIR": str(caches / "uv-cache"),
           "PIP_CACHE_DIR": str(caches / "pip-cache")}
    if installer == "pip":
        env["VELOTUI_NO_UV"] = "1"
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    w, h = size.split("x")
    session = f"velotui-setup-{time.monotonic_ns()}"
    t0 = time.monotonic()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", w, "-y", h,
                    f"cd {clone} && env {exports} make run; sleep 600"], check=True)
    try:
        while time.monotonic() - t0 < 900:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if "apps in" in screen:
                return time.monotonic() - t0
            time.sleep(0.05)
        raise SystemExit("no first screen within 900 s:\n" + screen)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        shutil.rmtree(clone, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--installer", choices=("uv", "pip"), default="uv")
    ap.add_argument("--warm", action="store_true", help="time a second fresh clone with the caches of a first")
    ap.add_argument("--size", default="120x40")
    args = ap.parse_args()
    for tool in ("git", "make", "tmux"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed")
    with tempfile.TemporaryDirectory(prefix="velotui_setup_") as tmp:
        work = Path(tmp)
        caches = work / "caches"
        first = once(work, caches, args.installer, args.size)
        second = once(work, caches, args.installer, args.size) if args.warm else None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(json.dumps({"case": "setup_to_first_screen", "installer": args.installer,
                      "fresh_caches_seconds": round(first, 1),
                      "warm_caches_seconds": None if second is None else round(second, 1),
                      "load_average": round(load, 1)}))


if __name__ == "__main__":
    main()
