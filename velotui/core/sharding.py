"""Splitting a suite's apps into N shards for CI (``--shard K/N``).

Without timings an app's shard is a hash of its path relative to the suite folder, so every CI job
computes the same split from the same checkout, wherever it lives, and adding an app never moves
another one. With a timing file (the JSON report or JUnit XML of an earlier run) the shards are
balanced by the apps' durations instead: longest first, each to the shard with the least work so far
(an app the file does not know counts as the median of those it knows); ties go by the path's hash, so
this split too is the same in every job.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from velotui.errors import SpecError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` with 1 <= K <= N."""
    m = _SHARD.match(text or "")
    if not m:
        raise SpecError(f"--shard {text!r}: expected K/N, e.g. 1/4 (the first of four shards)",
                        hint="K counts from 1; a CI matrix runs K = 1..N")
    k, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= k <= n:
        raise SpecError(f"--shard {text}: K must be between 1 and N (got K={k}, N={n})",
                        hint="--shard 1/4 … --shard 4/4 together run every app once")
    return k, n


def app_key(sql_path: Path, root: Path) -> str:
    """An app's name for sharding and timings: its path relative to the suite folder, with '/'."""
    try:
        rel = Path(sql_path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        rel = Path(sql_path)
    return rel.as_posix()


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def shard_of(key: str, n: int) -> int:
    """0-based shard of an app by the hash of its key."""
    return _hash(key) % n


def shard_apps(apps: Sequence[Any], root: Path, k: int, n: int, timings: dict[str, float] | None = None) -> list[Any]:
    """The apps of shard ``k`` (1-based) of ``n``, in their run order."""
    keys = [app_key(a.sql_path, root) for a in apps]
    if not timings:
        return [a for a, key in zip(apps, keys) if shard_of(key, n) == k - 1]
    known = [d for key in keys if (d := lookup(timings, key)) is not None]
    default = sorted(known)[len(known) // 2] if known else 1.0
    cost = {key: (d if (d := lookup(timings, key)) is not None else default) for key in keys}
    load = [0.0] * n
    assigned: dict[str, int] = {}
    for key in sorted(keys, key=lambda x: (-cost[x], _hash(x), x)):
        target = min(range(n), key=lambda s: (load[s], s))
        assigned[key] = target
        load[target] += cost[key]
    return [a for a, key in zip(apps, keys) if assigned[key] == k - 1]


def lookup(timings: dict[str, float], key: str) -> float | None:
    """An app's duration in a timing file whose paths may carry the folder the run was given
    (``demo/tier1/x.sql`` for the key ``tier1/x.sql``)."""
    if key in timings:
        return timings[key]
    matches = [v for p, v in timings.items() if p.endswith("/" + key)]
    return matches[0] if len(matches) == 1 else None


def load_timings(path: Path) -> dict[str, float]:
    """Seconds per app file from a JSON report (``apps[].file``, ``apps[].duration_ms``, else the sum of
    its queries') or a JUnit XML report (``testsuite`` ``file`` and ``time``)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SpecError(f"--timings {path}: cannot read it ({e.strerror})",
                        hint="give the JSON (--json) or JUnit (--junit) report of an earlier run") from None
    out: dict[str, float] = {}
    if data.lstrip().startswith(b"<"):
        import xml.etree.ElementTree as ET

        try:
            root = ET.fromstring(data)
        except ET.ParseError as e:
            raise SpecError(f"--timings {path}: not valid XML ({e})", file=path) from None
        for suite in root.iter("testsuite"):
            f, t = suite.get("file"), suite.get("time")
            if f and t:
                try:
                    out[Path(f).as_posix()] = out.get(Path(f).as_posix(), 0.0) + float(t)
                except ValueError:
                    continue
        return out
    import orjson

    try:
        report = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise SpecError(f"--timings {path}: not a JSON report ({e})", file=path,
                        hint="give the JSON (--json) or JUnit (--junit) report of an earlier run") from None
    apps = report.get("apps") if isinstance(report, dict) else None
    if not isinstance(apps, list):
        raise SpecError(f"--timings {path}: no \"apps\" list; not a velotui JSON report", file=path)
    for a in apps:
        if not isinstance(a, dict) or not isinstance(a.get("file"), str):
            continue
        ms = a.get("duration_ms")
        if not isinstance(ms, (int, float)) or not ms:
            ms = sum(q.get("duration_ms") or 0 for q in a.get("queries") or [] if isinstance(q, dict))
        out[Path(a["file"]).as_posix()] = float(ms) / 1000
    return out
