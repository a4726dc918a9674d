"""Merging the reports of sharded runs (``--shard K/N``) into the report of the whole run.

Each format is merged as itself, so nothing is lost in a round trip: JSON reports as JSON (the apps of
every shard, in the order an unsharded run discovers them: sorted by path, which is how discovery
sorts), JUnit XML as XML (every shard's ``<testsuite>``, in the same order, with the totals summed).
The summary is the sum of the shards' (every count is over apps and queries, which the shards split),
the top-level warnings and flags are gathered again from the merged apps, and the exit code is computed
from them by the report model itself. Shards
must have run with the same seed and "now" (else their data differs from one unsharded run's), and
no app may be in two shards.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from types import SimpleNamespace
from typing import Any

from velotui.errors import SpecError
from velotui.report.model import AppReport, QueryReport, RunReport

_SHARD_ARGS = ("--shard", "--timings")
NOTHING_RAN = ("nothing ran: the {n} report(s) hold no app\n  hint: check the folder the shards were given; every "
               "shard of a suite with apps runs some of them together")


def unsharded_command(reproduce: str) -> str:
    """A shard's reproduce line without its ``--shard K/N`` and ``--timings FILE``: the whole run's."""
    words = reproduce.split(" ")
    out: list[str] = []
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        if w in _SHARD_ARGS:
            skip = True
            continue
        if w.startswith(tuple(a + "=" for a in _SHARD_ARGS)):
            continue
        out.append(w)
    return " ".join(out)


def _order(file: str) -> tuple[str, ...]:
    return PurePosixPath(file.replace("\\", "/")).parts


def _same(values: list[Any], what: str, names: list[str]) -> Any:
    if len(set(values)) > 1:
        pairs = ", ".join(f"{n}: {v}" for n, v in zip(names, values))
        raise SpecError(f"the reports ran with different {what} ({pairs})",
                        hint="give every shard the same --seed N and --now EPOCH_MS, so that together they are "
                        "one run")
    return values[0] if values else None


def _no_overlap(files: list[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for f, source in files:
        if f in seen:
            raise SpecError(f"app {f} is in two reports ({seen[f]} and {source})",
                            hint="merge the reports of one --shard K/N set, each shard once")
        seen[f] = source


def _model(apps: list[dict[str, Any]], strict: bool = False, warnings: list[Any] | None = None,
           run: dict[str, Any] | None = None) -> RunReport:
    """Enough of the report model to compute the summary and exit code the way a run does (``run``: the
    merged run's own ``error``, ``error_code`` and ``interrupted``)."""
    return RunReport(run_id="", seed=0, started_at="", now_ms=0, duration_ms=0.0, reproduce="",
                     strict=bool(strict), warnings=list(warnings or []), **(run or {}), apps=[
        AppReport(name=a.get("name", ""), file=a.get("file", ""), error=a.get("error"), queries=[
            QueryReport(name=q.get("name", ""), status=q.get("status", "error"), records_in=q.get("records_in", 0),
                        records_out=q.get("records_out", 0), duration_ms=q.get("duration_ms", 0.0),
                        assertions=[SimpleNamespace(**x) for x in q.get("assertions") or []],
                        error=q.get("error"), timed_out=bool(q.get("timed_out")),
                        infra_error=bool(q.get("infra_error")), invalid_input=bool(q.get("invalid_input")))
            for q in a.get("queries") or []])
        for a in apps])


def merge_json(docs: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """One JSON report from the shards' JSON reports (``names``: where each came from, for errors)."""
    if not docs:
        raise SpecError("no JSON report to merge")
    for d, n in zip(docs, names):
        if not isinstance(d, dict) or not isinstance(d.get("apps"), list):
            raise SpecError(f"{n}: not a velotui JSON report (no \"apps\" list)")
    _same([d.get("version") for d in docs], "report versions", names)
    seed = _same([d.get("seed") for d in docs], "seeds", names)
    now_ms = _same([d.get("now_ms") for d in docs], "frozen times (--now)", names)
    _no_overlap([(a.get("file", ""), n) for d, n in zip(docs, names) for a in d["apps"]])
    strict = _same([d.get("strict") for d in docs], "--strict settings", names)
    apps = sorted((a for d in docs for a in d["apps"]), key=lambda a: _order(a.get("file", "")))
    # the files a run left out (shard 1 of N says them): once each
    suite_warnings = list({repr(w): w for d in docs for w in d.get("suite_warnings") or []}.values())
    merged: dict[str, Any] = {
        "run_id": "+".join(dict.fromkeys(str(d.get("run_id", "")) for d in docs)),
        "seed": seed,
        "now_ms": now_ms,
        "started_at": min(str(d.get("started_at", "")) for d in docs),
        "duration_ms": max(float(d.get("duration_ms") or 0) for d in docs),
        "reproduce": unsharded_command(str(docs[0].get("reproduce", ""))),
        "apps": apps,
        # every count of the summary is over apps and queries, and the shards hold disjoint apps
        "summary": {k: sum(int((d.get("summary") or {}).get(k) or 0) for d in docs)
                    for k in (docs[0].get("summary") or {})},
        **_run_verdict(docs, names),
    }
    if not apps and not merged["error"]:
        merged["error"], merged["error_code"] = NOTHING_RAN.format(n=len(docs)), 2
    merged["exit_code"] = _model(apps, strict, suite_warnings, {k: merged[k] for k in ("error", "error_code",
                                                                                       "interrupted")}).exit_code
    del merged["error_code"]
    if "suite_warnings" in docs[0]:
        merged["suite_warnings"] = suite_warnings
    if any("not_run" in d for d in docs):  # --fail-fast: the apps each shard did not run
        merged["not_run"] = [x for d in docs for x in d.get("not_run") or []]
    if "strict" in docs[0]:
        merged["strict"] = strict
    if "warnings" in docs[0]:  # gathered from every app and query, in run order, as a run writes them
        merged["warnings"] = [{"app": None, "query": None, **w} for w in suite_warnings] \
            + [{"app": a.get("label", a.get("name")), "query": None, **w} for a in apps
               for w in a.get("warnings") or []] \
            + [{"app": a.get("label", a.get("name")), "query": q.get("name"), **w} for a in apps for q in a.get("queries") or []
               for w in q.get("warnings") or []]
    if "flags" in docs[0]:
        merged["flags"] = [{"app": a.get("name"), "query": q.get("name"), **f} for a in apps
                           for q in a.get("queries") or [] for f in q.get("flags") or []]
    out: dict[str, Any] = {}
    for key in docs[0]:  # the keys in the order a run writes them (and any the merge does not know)
        out[key] = merged.get(key, docs[0][key])
    for key, value in merged.items():
        out.setdefault(key, value)
    return out


def _run_verdict(docs: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """A shard stopped by an error, or by Ctrl-C, stops the merged run the same way: its error (each shard's,
    named), the exit code of the first one stopped, and whether any was interrupted."""
    stopped = [(d, n) for d, n in zip(docs, names) if d.get("error")]
    return {"error": "\n".join(f"{n}: {d['error']}" for d, n in stopped) or None,
            "error_code": int(stopped[0][0].get("exit_code") or 2) if stopped else 2,
            "interrupted": any(bool(d.get("interrupted")) for d in docs)}


def merge_junit(roots: list[ET.Element], names: list[str]) -> ET.Element:
    """One ``<testsuites>`` from the shards' JUnit reports."""
    if not roots:
        raise SpecError("no JUnit report to merge")
    suites: list[tuple[ET.Element, str]] = []
    for r, n in zip(roots, names):
        if r.tag != "testsuites":
            raise SpecError(f"{n}: not a velotui JUnit report (its root is <{r.tag}>, not <testsuites>)")
        suites += [(s, n) for s in r.findall("testsuite")]
    seeds = [p.get("value") for s, _ in suites for p in s.iter("property") if p.get("name") == "seed"]
    if len(set(seeds)) > 1:
        raise SpecError(f"the reports ran with different seeds ({', '.join(sorted(set(seeds)))})",
                        hint="give every shard the same --seed N and --now EPOCH_MS, so that together they are "
                        "one run")
    _no_overlap([(s.get("file", ""), n) for s, n in suites if s.get("file")])  # "files not run" has none
    suites.sort(key=lambda sn: _order(sn[0].get("file", "")))
    root = ET.Element("testsuites", dict(roots[0].attrib))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s, _ in suites:
        for p in s.iter("property"):
            if p.get("name") == "reproduce":
                p.set("value", unsharded_command(p.get("value", "")))
        for k in totals:
            totals[k] += int(s.get(k, "0") or 0)
        root.append(s)
    if not any(s.get("file") or s.get("name") == "velotui run" for s, _ in suites):  # no app: never a green file
        from velotui.report.writers import run_error_suite

        run_error_suite(root, [("RunError", NOTHING_RAN.format(n=len(roots)))])
        totals["tests"] += 1
        totals["errors"] += 1
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{max(float(r.get('time', '0') or 0) for r in roots):.3f}")
    return root
