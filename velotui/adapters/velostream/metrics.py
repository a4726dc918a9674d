"""The engine's metrics endpoint (Prometheus text format), read into the samples metric checks use."""

from __future__ import annotations

import re
import socket

from velotui.engine.api import MetricSample
from velotui.errors import EngineError
from velotui.sql.model import MetricDecl

_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parse_prometheus(text: str) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every sample line."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        try:
            value = float(m.group(4))
        except ValueError:
            continue
        labels = {k: v.encode().decode("unicode_escape") for k, v in _LABEL.findall(m.group(3) or "")}
        out.append((m.group(1), labels, value))
    return out


def samples_for(decls: list[MetricDecl], scraped: list[tuple[str, dict[str, str], float]]) -> list[MetricSample]:
    """The declared ``-- @metric`` metrics among the scraped samples (``_total`` for counters and
    ``_count``/``_sum`` for histograms accepted, as Prometheus clients write them)."""
    out: list[MetricSample] = []
    for d in decls:
        wanted = {d.name: d.name}
        if d.type == "counter":
            wanted[f"{d.name}_total"] = d.name
        if d.type == "histogram":
            wanted = {f"{d.name}_count": d.name, d.name: d.name, f"{d.name}_sum": f"{d.name}_sum"}
        for name, labels, value in scraped:
            if name in wanted:
                out.append(MetricSample(name=wanted[name], type=d.type, value=value, labels=labels))
    return out


def scrape(port: int, timeout_s: float = 5.0) -> str:
    import httpx

    try:
        resp = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=timeout_s)
    except httpx.HTTPError as e:
        raise EngineError(f"velo-sql's metrics endpoint on 127.0.0.1:{port} did not answer: {e}",
                          hint="the spec checks metrics; check [velostream] metrics_args for your velo-sql "
                          "build (docs/ENGINES.md)") from None
    if resp.status_code != 200:
        raise EngineError(f"velo-sql's metrics endpoint answered HTTP {resp.status_code}")
    return resp.text
