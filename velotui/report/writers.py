"""Report writers: text (rich), JSON (versioned, stable keys) and JUnit XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape

from velotui.report.model import RunReport
from velotui.report.values import TEXT_WIDTH, normalise, short
from velotui.terminal import safe_text

_LABEL = {"passed": ("PASS", "green"), "failed": ("FAIL", "red"), "skipped": ("SKIP", "yellow"),
          "error": ("ERROR", "red")}


def _short(v: Any, width: int = TEXT_WIDTH) -> str:
    """A value for the text report and JUnit: normalised, cut (and the cut said) past ``width``."""
    return short(v, width)


def _t(text: Any) -> str:
    """User text for a rich console: control/bidi characters shown escaped, markup characters escaped."""
    return escape(safe_text("" if text is None else text))


def _n(text: Any) -> str:
    """A name (app, query, type, file) on one line."""
    return escape(safe_text("" if text is None else text, newlines=False))


def query_notes(q: Any) -> list[tuple[str, str]]:
    """What a report shows under a query besides its verdict, in order: (kind, one line) with kind
    ``flag`` (a divergence from the reference engine), ``warning`` (a warning about the query) or
    ``assertion`` (an assertion that reported a warning). Every format renders exactly these."""
    n = len(q.warnings)  # q.warning_texts: the query's own warnings, then its assertions'
    return [("flag", str(f)) for f in q.flags] + [("warning" if i < n else "assertion", text)
                                                   for i, text in enumerate(q.warning_texts)]


_NOTE_STYLE = {"flag": ("⚑", "magenta"), "warning": ("⚠", "yellow"), "assertion": ("⚠", "yellow")}


def _print_warnings(q: Any, console: Console, indent: str = "") -> None:
    for kind, text in query_notes(q):
        mark, colour = _NOTE_STYLE[kind]
        label = {"flag": "divergence", "warning": "warning", "assertion": "warning"}[kind]
        console.print(f"{indent}[{colour}]{mark} {label}[/] {_t(short(text, 2000))}")


def minimal_input_lines(m: Any) -> list[str]:
    """The --shrink result of a failed query, as plain lines (text report and JUnit)."""
    if not m.applies:
        return [f"minimal failing input: does not apply to {m.assertion}: {m.reason}"]
    sizes = ", ".join(f"{after} of {before} records of `{s}`" for s, (before, after) in m.sizes.items())
    simplified = f", {m.simplified} field value{'s' if m.simplified > 1 else ''} simplified" if m.simplified else ""
    lines = [f"minimal failing input: {sizes} still fail {m.assertion} the same way ({m.tests} runs{simplified})"]
    if m.stopped_early:
        lines.append(f"  {m.reason}")
    for source, rows in m.records.items():
        lines += [f"  {source}: {_short(r, 300)}" for r in rows[:10]]
        if len(rows) > 10:
            lines.append(f"  {source}: … {len(rows) - 10} more in the file")
    lines += [f"  written: {path}" for path in m.files.values()]
    if m.command:
        lines.append(f"  reproduce: {m.command}")
        if m.reproduced is False:
            lines.append("  (replayed once, the command did not fail the same way: a value JSON cannot carry?)")
    return lines


def _print_minimal_input(m: Any, console: Console) -> None:
    for i, line in enumerate(minimal_input_lines(m)):
        console.print(("    [cyan]" if i == 0 else "    [dim]") + escape(line) + "[/]")


def _print_coverage(cov: Any, console: Console) -> None:
    """The query's data coverage under its line: the summary, then each uncovered item and its hint."""
    from velotui.report.coverage import coverage_lines

    lines = coverage_lines(cov)
    full = cov.measured and not cov.uncovered
    colour = "green" if full else ("yellow" if cov.measured else "dim")
    console.print(f"      [{colour}]{_t(lines[0])}[/]", highlight=False)
    for line in lines[1:]:
        style = "dim" if line.lstrip().startswith("hint:") else "yellow"
        console.print(f"      [{style}]{_t(line)}[/]", highlight=False)


def _comparison_line(c: Any) -> str:
    a, b = c.engines
    colour = {"same": "green", "explained": "yellow", "unexplained": "red", "error": "red"}[c.verdict]
    counts = f"{c.counts[0]} records" if c.verdict == "same" else f"{a} {c.counts[0]}, {b} {c.counts[1]} records"
    if c.verdict == "error":
        counts = f"{a} {c.counts[0]} records"
    return f"compare {_t(a)},{_t(b)}: [{colour}]{_t(c.label)}[/] ({counts})"


def _print_failed_assertions(q: Any, console: Console, tag: str = "") -> None:
    for a in q.failed_assertions:
        where = f"{a.file}:{a.line}" if a.line else (a.file or "")
        console.print(f"{tag}[red]✗ {_n(a.type)}[/]" + (f" — {_n(a.description)}" if a.description else "")
                      + (f"  [dim]{_n(where)}[/]" if where else ""))
        console.print(f"    {_t(short(a.message, 2000))}")
        if a.expected is not None or a.actual is not None:  # an assertion that could not run has neither
            console.print(f"    expected: {_t(_short(a.expected))}")
            console.print(f"    actual:   {_t(_short(a.actual))}")
        if getattr(a, "diff", None) is not None:  # a golden comparison: the row-level diff
            if a.diff.note:
                console.print(f"    [yellow]note:[/] {_t(a.diff.note)}")
            for line in a.diff.text_lines():
                colour = {"+": "green", "-": "red"}.get(line[:1], "yellow")
                console.print(f"    [{colour}]{_t(short(line, 2000))}[/]")
        else:
            for s in a.samples[:5]:
                console.print(f"      {_t(_short(s))}", style="dim")


def difference_lines(c: Any) -> list[str]:
    """The first differing records of a comparison, as plain lines (text and JUnit)."""
    a, b = c.engines
    lines = []
    if c.ordered and c.first_difference is not None:
        lines.append(f"records in order (ORDER BY); the first difference is at position {c.first_difference}:")
        lines += [f"  {a}: {_short(r)}" for r in c.only_left[:3]] or [f"  {a}: (no more records)"]
        lines += [f"  {b}: {_short(r)}" for r in c.only_right[:3]] or [f"  {b}: (no more records)"]
    else:
        if c.missing_right:
            lines.append(f"{c.missing_right} record(s) only {a} emitted, the first:")
            lines += [f"  {_short(r)}" for r in c.only_left[:3]]
        if c.missing_left:
            lines.append(f"{c.missing_left} record(s) only {b} emitted, the first:")
            lines += [f"  {_short(r)}" for r in c.only_right[:3]]
    lines += [f"explained by {n}" for n in c.flag_notes] if c.verdict == "explained" else []
    return lines


def known_behaviour(q: Any) -> str:
    """On an engine other than velotui's own, a failure where the query carries divergence flags is the
    reference's known behaviour: one line that says so (the flags themselves are listed with the query)."""
    if q.engine == "embedded" or q.status not in ("failed", "error") or not q.flags:
        return ""
    ids = ", ".join(dict.fromkeys(str(getattr(f, "id", f)).split(":")[0] for f in q.flags))
    return f"known reference behaviour: the reference engine computes something else here ({ids}; ⚑ above)"


def _print_difference(c: Any, console: Console) -> None:
    console.print(f"[yellow]{_t(c.label)}[/]" if c.verdict == "explained" else f"[red]{_t(c.label)}[/]")
    for line in difference_lines(c):
        console.print(f"    {_t(line)}", highlight=False)


def render_text(report: RunReport, console: Console) -> None:
    """One line per query, then a block per failure, then the summary, seed and reproduce command. Apps are
    named as in every format (``RunReport.app_labels``: two apps of one name are qualified by their file)."""
    names = {id(a): n for a, n in zip(report.apps, report.app_labels, strict=True)}
    clashes = report.name_clashes
    for index, app in enumerate(report.apps):
        clash = [clashes[index]] if index in clashes else []
        if app.error:
            console.print(f"[red]ERROR[/] {_n(names[id(app)])}  {_n(app.file)}")
        for w in clash:
            label = "[red]✗ --strict[/]" if report.strict else "[yellow]⚠ warning[/]"
            console.print(f"      {label} {_t(short(str(w), 2000))}")
        if app.error:
            continue
        for w in app.warnings:
            console.print(f"      [yellow]⚠ warning[/] {_t(short(str(w), 2000))}")
        for q in app.queries:
            label, colour = _LABEL[q.status]
            engine = f"  [dim]on {_t(q.engine)}[/]" if q.engine != "embedded" and q.comparison is None else ""
            console.print(f"[{colour}]{label:<5}[/] {_n(names[id(app)])} / {_n(q.name)}  "
                          f"{q.records_in} → {q.records_out}  {q.duration_ms:.0f} ms{engine}")
            if q.comparison is not None:
                console.print(f"      {_comparison_line(q.comparison)}", highlight=False)
            notes = [(q.engine, n) for n in q.notes]
            if q.comparison is not None and q.comparison.other is not None:
                notes += [(q.comparison.other.engine, n) for n in q.comparison.other.notes]
            for engine_name, note in notes:
                tag = f" [{engine_name}]" if q.comparison is not None else ""
                console.print(f"      [dim]note{_t(tag)}: {_t(note)}[/]", highlight=False)
            _print_warnings(q, console, indent="      ")
            if q.coverage is not None:
                _print_coverage(q.coverage, console)
    for w in report.warnings:  # files the run left out (a SQL file without its spec, a spec of no SQL file)
        label = "[red]✗ --strict[/]" if report.strict else "[yellow]⚠ warning[/]"
        console.print(f"{label} {_t(short(str(w), 2000))}")
    if report.not_run:  # --fail-fast: the apps it did not run, each named
        console.print(f"[yellow]⊘ {len(report.not_run)} app{'s' if len(report.not_run) > 1 else ''} "
                      f"{_t(report.not_run_reason)}:[/]", highlight=False)
        for file in report.not_run:
            console.print(f"      [yellow]not run[/] {_n(file)}", highlight=False)
    for kind, text in report.run_errors:  # the run's own verdict: nothing ran, an error stopped it, Ctrl-C
        console.print(f"[red]✗ {'error: ' if kind == 'RunError' else ''}{_t(text)}[/]", highlight=False)
    failures = [(a, q) for a in report.apps for q in a.queries if q.status in ("failed", "error")]
    broken = [a for a in report.apps if a.error]
    if failures or broken:
        console.print()
    for app in broken:
        console.rule(f"[red]{_n(names[id(app)])}[/]: could not be loaded", align="left")
        console.print(_t(app.error or ""))
    for app, q in failures:
        console.rule(f"[red]{_n(names[id(app)])} / {_n(q.name)}[/]", align="left")
        if q.error:
            console.print(f"[red]error:[/] {_t(short(q.error, 4000))}")
        for line in q.strict_failures:
            console.print(f"[red]✗ --strict[/] {_t(line)}")
        engines = [(q, "")]
        if q.comparison is not None and q.comparison.other is not None:
            engines = [(q, f"[{q.engine}] "), (q.comparison.other, f"[{q.comparison.other.engine}] ")]
        for run, tag in engines:
            _print_failed_assertions(run, console, _t(tag))
            if run.engine_error and run.status in ("failed", "error"):
                console.print(f"{_t(tag)}{_t(run.engine)}'s first error: {_t(run.engine_error)}")
            if run.engine_log and run.status in ("failed", "error"):
                console.print(f"{_t(tag)}[dim]its log: {_t(run.engine_log)}[/]")
            if known_behaviour(run) and q.comparison is None:
                console.print(f"{_t(tag)}[magenta]{_t(known_behaviour(run))}[/]")
        if q.comparison is not None and q.comparison.verdict in ("explained", "unexplained"):
            _print_difference(q.comparison, console)
        if q.minimal_input is not None:
            _print_minimal_input(q.minimal_input, console)
    s = report.summary
    tail = f"{s['passed']} passed, {s['failed']} failed"
    if s["skipped"]:
        tail += f", {s['skipped']} skipped"
    if s["errors"]:
        tail += f", {s['errors']} errors"
    if s["files_not_run"]:
        tail += f", {s['files_not_run']} file{'s' if s['files_not_run'] > 1 else ''} not run" + (
            " (failed: --strict)" if report.strict else "")
    if s["apps_not_run"]:
        tail += f", {s['apps_not_run']} app{'s' if s['apps_not_run'] > 1 else ''} not run (--fail-fast)"
    if s["warnings"]:
        tail += f", {s['warnings']} warnings"
    if s["flags"]:
        tail += f", {s['flags']} divergence flags"
    console.print()
    console.print(tail, highlight=False)
    console.print(f"seed {report.seed} · {report.duration_ms / 1000:.2f} s", highlight=False)
    console.print(f"reproduce: {_t(report.reproduce)}", highlight=False)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray)):
        return v.decode(errors="replace")
    return str(v)


def _minimal_input_dict(m: Any) -> dict[str, Any]:
    """--shrink's result (only failed queries of a --shrink run carry the key)."""
    return {"assertion": m.assertion, "applies": m.applies, "reason": m.reason,
            "sizes": {k: {"before": b, "after": a} for k, (b, a) in m.sizes.items()}, "records": m.records,
            "files": m.files, "command": m.command, "reproduced": m.reproduced, "simplified": m.simplified,
            "tests": m.tests, "duration_ms": round(m.duration_ms, 3), "stopped_early": m.stopped_early}


def _coverage_dict(cov: Any) -> dict[str, Any]:
    from velotui.report.coverage import coverage_dict

    return coverage_dict(cov)


def report_dict(report: RunReport) -> dict[str, Any]:
    """The JSON report. ``"label"`` is the app's name in every format (its name, qualified by its file when
    another app of the run has the same name); warnings and flags name their app by it."""
    labels = report.app_labels
    clashes = report.name_clashes
    app_warnings = [[*([clashes[i]] if i in clashes else []), *a.warnings] for i, a in enumerate(report.apps)]
    named = list(zip(report.apps, labels, app_warnings, strict=True))
    return {
        "version": 1,
        "run_id": report.run_id,
        "seed": report.seed,
        "now_ms": report.now_ms,
        "started_at": report.started_at,
        "duration_ms": round(report.duration_ms, 3),
        "reproduce": report.reproduce,
        "apps": [{
            "name": a.name,
            "label": label,
            "file": a.file,
            "status": a.status,
            "error": a.error,
            "duration_ms": round(a.duration_ms, 3),
            "warnings": [_warning_dict(w) for w in warns],
            "queries": [{
                "name": q.name,
                "status": q.status,
                "records_in": q.records_in,
                "records_out": q.records_out,
                "duration_ms": round(q.duration_ms, 3),
                "error": q.error,
                "timed_out": q.timed_out,
                "infra_error": q.infra_error,
                "invalid_input": q.invalid_input,
                **_engine_dict(q),
                "warnings": _query_warnings(q),
                "flags": [_flag_dict(f) for f in q.flags],
                "strict_failures": list(q.strict_failures),
                **({} if q.minimal_input is None else {"minimal_input": _minimal_input_dict(q.minimal_input)}),
                **({} if q.coverage is None else {"coverage": _coverage_dict(q.coverage)}),
                "assertions": _assertions(q),
                "comparison": _comparison_dict(q.comparison),
            } for q in a.queries],
        } for a, label, warns in named],
        "suite_warnings": [_warning_dict(w) for w in report.warnings],
        "not_run": [{"file": f, "reason": report.not_run_reason} for f in report.not_run],
        "warnings": [{"app": None, "query": None, **_warning_dict(w)} for w in report.warnings]
        + [{"app": label, "query": None, **_warning_dict(w)} for a, label, warns in named for w in warns]
        + [{"app": label, "query": q.name, **w} for a, label, _ in named for q in a.queries
           for w in _query_warnings(q)],
        "flags": [{"app": label, "query": q.name, **_flag_dict(f)} for a, label, _ in named for q in a.queries
                  for f in q.flags],
        "summary": report.summary,
        "strict": report.strict,
        "error": report.error,
        "interrupted": report.interrupted,
        "exit_code": report.exit_code,
    }


def _query_warnings(q: Any) -> list[dict[str, Any]]:
    """A query's warnings: its spec's, then each assertion of severity warning that did not hold (what the
    summary counts as warnings, so that every format shows the same ones)."""
    return [_warning_dict(w) for w in q.warnings] + [
        {"message": a.message, "file": a.file, "line": a.line, "column": None, "hint": None,
         "text": f"{a.type}: {a.message}", "assertion": a.type}
        for a in q.assertions if a.status == "warning"]


def _warning_dict(w: Any) -> dict[str, Any]:
    return {"message": getattr(w, "message", str(w)), "file": getattr(w, "file", None),
            "line": getattr(w, "line", None), "column": getattr(w, "column", None), "hint": getattr(w, "hint", None),
            "text": str(w)}


def _flag_dict(f: Any) -> dict[str, Any]:
    d = getattr(f, "divergence", None)
    return {"id": f.id, "statement": f.statement, "text": f.text, "file": f.file, "line": f.line,
            "column": f.column, "rewrite": f.rewrite, "accepted": f.accepted,
            "reference": getattr(d, "reference", None), "measured": getattr(d, "measured", None)}


def _assertion_dict(x: Any) -> dict[str, Any]:
    out = {
        "type": x.type,
        "description": x.description,
        "status": x.status,
        "message": x.message,
        "expected": x.expected,
        "actual": x.actual,
        "samples": x.samples,
        "file": x.file,
        "line": x.line,
    }
    if getattr(x, "diff", None) is not None:  # golden comparisons: the row-level diff
        out["diff"] = x.diff.to_dict()
    return out


def _assertions(q: Any) -> list[dict[str, Any]]:
    return [_assertion_dict(x) for x in q.assertions]


def _engine_dict(q: Any) -> dict[str, Any]:
    return {"engine": q.engine, "engine_log": q.engine_log, "engine_error": q.engine_error, "notes": list(q.notes)}


def _comparison_dict(c: Any) -> dict[str, Any] | None:
    if c is None:
        return None
    other = c.other
    return {
        "engines": list(c.engines),
        "verdict": c.verdict,
        "label": c.label,
        "flags": list(c.flags),
        "flag_notes": list(c.flag_notes),
        "ordered": c.ordered,
        "counts": list(c.counts),
        "first_difference": c.first_difference,
        "only_left": c.only_left,
        "only_right": c.only_right,
        "missing_left": c.missing_left,
        "missing_right": c.missing_right,
        "other": None if other is None else {
            "status": other.status, "records_in": other.records_in, "records_out": other.records_out,
            "duration_ms": round(other.duration_ms, 3), "error": other.error, "timed_out": other.timed_out,
            **_engine_dict(other), "assertions": _assertions(other)},
    }


def to_json(report: RunReport) -> bytes:
    """The JSON report; every value normalised first (velotui.report.values), so it always writes."""
    return orjson.dumps(normalise(report_dict(report)), default=_jsonable, option=orjson.OPT_INDENT_2)


# what XML 1.0 cannot hold, and what a person reading the CI page should see escaped (C1, bidi)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                          "\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    text = str(text)
    return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)


def junit_tree(report: RunReport) -> ET.Element:
    root = ET.Element("testsuites", name="velotui", time=f"{report.duration_ms / 1000:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    clashes = report.name_clashes
    for index, (app, name) in enumerate(zip(report.apps, report.app_labels, strict=True)):
        # name: the app's, qualified by its file when another app has it (classname and suite name unique)
        suite = ET.SubElement(root, "testsuite", name=_xml_text(name), file=_xml_text(app.file))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        suite_time = 0.0
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="seed", value=str(report.seed))
        ET.SubElement(props, "property", name="reproduce", value=_xml_text(report.reproduce))
        if app.error:
            case = ET.SubElement(suite, "testcase", classname=_xml_text(name), name="load", time="0.000")
            err = ET.SubElement(case, "error", message=_xml_text(short(app.error.splitlines()[0], 500)), type="LoadError")
            err.text = _xml_text(app.error)
            counts["tests"] += 1
            counts["errors"] += 1
        for q in app.queries:
            t = q.duration_ms / 1000
            suite_time += t
            case = ET.SubElement(suite, "testcase", classname=_xml_text(name), name=_xml_text(q.name),
                                 time=f"{t:.3f}")
            counts["tests"] += 1
            if q.status == "skipped":
                ET.SubElement(case, "skipped")
                counts["skipped"] += 1
            elif q.status == "error":
                kind = "Timeout" if q.timed_out else ("InfrastructureError" if q.infra_error else
                                                      "InvalidInput" if q.invalid_input else "EngineError")
                err = ET.SubElement(case, "error", message=_xml_text(short((q.error or "error").splitlines()[0], 500)),
                                    type=kind)
                err.text = _xml_text(q.error or "")
                counts["errors"] += 1
            elif q.status == "failed":
                runs = [(q, "")]
                if q.comparison is not None and q.comparison.other is not None:
                    runs = [(q, f"[{q.engine}] "), (q.comparison.other, f"[{q.comparison.other.engine}] ")]
                failed = [(tag, a) for run, tag in runs for a in run.failed_assertions]
                msg = "; ".join([*(f"{tag}{a.type}: {a.message}" for tag, a in failed),
                                 *(f"--strict: {x}" for x in q.strict_failures)])
                if q.comparison is not None and q.comparison.verdict == "unexplained":
                    msg = "; ".join(x for x in (msg, f"outputs differ: {q.comparison.label}") if x)
                kind = "AssertionFailed" if failed else ("StrictWarning" if q.strict_failures else "OutputsDiffer")
                fail = ET.SubElement(case, "failure", message=_xml_text(short(msg, 1000)), type=kind)
                lines = [f"--strict: {x}" for x in q.strict_failures]
                for tag, a in failed:
                    described = f" — {short(a.description, 500)}" if a.description else ""
                    lines.append(f"{tag}{a.type}{described} ({a.file}:{a.line}): {short(a.message, 2000)}")
                    if a.expected is not None or a.actual is not None:
                        lines.append(f"  expected: {_short(a.expected, 500)}")
                        lines.append(f"  actual:   {_short(a.actual, 500)}")
                    if getattr(a, "diff", None) is not None:
                        lines += [f"  note: {a.diff.note}"] if a.diff.note else []
                        lines += [f"  {line}" for line in a.diff.text_lines(limit=50)]
                    else:
                        lines += [f"  record: {_short(s, 500)}" for s in a.samples[:5]]
                for run, tag in runs:
                    if run.engine_error:
                        lines.append(f"{tag}{run.engine}'s first error: {run.engine_error}")
                    if q.comparison is None and known_behaviour(run):
                        lines.append(f"{tag}{known_behaviour(run)}")
                if q.minimal_input is not None:
                    lines += minimal_input_lines(q.minimal_input)
                fail.text = _xml_text("\n".join(lines))
                counts["failures"] += 1
            out_lines = [f"{'divergence' if kind == 'flag' else 'warning'}: {text}" for kind, text in query_notes(q)]
            if q.engine != "embedded" or q.comparison is not None:
                out_lines.append(f"engine: {q.engine}")
                if q.engine_log:
                    out_lines.append(f"engine log: {q.engine_log}")
            out_lines += [f"note: {n}" for n in q.notes]
            if q.coverage is not None:
                from velotui.report.coverage import coverage_lines

                out_lines += coverage_lines(q.coverage)
            if q.comparison is not None:
                c = q.comparison
                out_lines.append(f"compare {','.join(c.engines)}: {c.label} "
                                 f"({c.engines[0]} {c.counts[0]}, {c.engines[1]} {c.counts[1]} records)")
                if c.verdict in ("explained", "unexplained"):
                    out_lines += difference_lines(c)
                if c.other is not None and c.other.engine_log:
                    out_lines.append(f"{c.other.engine} log: {c.other.engine_log}")
                out_lines += [f"note: {n}" for n in (c.other.notes if c.other is not None else [])]
            if out_lines:  # shown by CI servers with the test case (a warning fails it only under --strict)
                out = ET.SubElement(case, "system-out")
                out.text = _xml_text("\n".join(out_lines))
        suite_warnings = [*([clashes[index]] if index in clashes else []), *app.warnings]
        if suite_warnings:
            out = ET.SubElement(suite, "system-out")
            out.text = _xml_text("\n".join(f"warning: {w}" for w in suite_warnings))
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", f"{suite_time:.3f}")
    if report.warnings:  # files the run left out: a test case each, skipped (failed under --strict)
        suite = ET.SubElement(root, "testsuite", name="files not run")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for w in report.warnings:
            case = ET.SubElement(suite, "testcase", classname="velotui.files", name=_xml_text(w.file or str(w)),
                                 time="0.000")
            counts["tests"] += 1
            if report.strict:
                fail = ET.SubElement(case, "failure", message=_xml_text(short(str(w), 1000)), type="StrictWarning")
                fail.text = _xml_text(f"--strict: warning: {w}")
                counts["failures"] += 1
            else:
                ET.SubElement(case, "skipped", message=_xml_text(short(str(w), 1000)))
                counts["skipped"] += 1
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text(f"warning: {w}")
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", "0.000")
    if report.not_run:  # --fail-fast: the apps it did not run, a skipped testcase each with the reason
        suite = ET.SubElement(root, "testsuite", name="not run (--fail-fast)", tests=str(len(report.not_run)),
                              failures="0", errors="0", skipped=str(len(report.not_run)), time="0.000")
        for file in report.not_run:
            case = ET.SubElement(suite, "testcase", classname="velotui.not_run", name=_xml_text(file), time="0.000")
            ET.SubElement(case, "skipped", message=_xml_text(report.not_run_reason))
        totals["tests"] += len(report.not_run)
        totals["skipped"] += len(report.not_run)
    if report.run_errors:  # the run's own verdict (nothing ran, an error stopped it, Ctrl-C): never a green file
        run_error_suite(root, report.run_errors)
        totals["tests"] += len(report.run_errors)
        totals["errors"] += len(report.run_errors)
    for k, v in totals.items():
        root.set(k, str(v))
    return root


def run_error_suite(root: ET.Element, run_errors: list[tuple[str, str]]) -> ET.Element:
    """The ``velotui run`` testsuite: a testcase in error for each of ``RunReport.run_errors``."""
    suite = ET.SubElement(root, "testsuite", name="velotui run", tests=str(len(run_errors)), failures="0",
                          errors=str(len(run_errors)), skipped="0", time="0.000")
    for kind, text in run_errors:
        case = ET.SubElement(suite, "testcase", classname="velotui.run",
                             name="interrupted" if kind == "Interrupted" else "run", time="0.000")
        err = ET.SubElement(case, "error", message=_xml_text(short(text.splitlines()[0], 500)), type=kind)
        err.text = _xml_text(text)
    return suite


def write_junit(report: RunReport, path: Path) -> None:
    """The JUnit report as the file ``path``, whole or not at all (velotui.report.output)."""
    from velotui.report.output import write_report_file, xml_bytes

    write_report_file(path, xml_bytes(junit_tree(report)))


def looks_like_report(path: Path) -> bool:
    """An existing file a report may replace: empty, or a report velotui writes (a JSON object with its
    ``"version"`` or ``"kind"`` near the top, a JUnit XML ``<testsuites>``/``<testsuite>``). Anything else
    (SQL, YAML, CSV, JSON lines, a data file's JSON array) is somebody's file."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return True
    if text.startswith(b"{"):
        return bool(re.match(rb'\{\s*"(version|kind|stress|run_id)"\s*:', text))
    if text.startswith(b"<"):
        return bool(re.match(rb"(<\?xml[^>]*\?>\s*)?<testsuites?[\s>]", text))
    return False


def check_destinations(destinations: list[tuple[str, str | Path | None]]) -> None:
    """Every report file of a command (``(flag, path)``; None: not asked for), checked before it runs: each
    as ``check_destination`` says, and no two naming the same file (one report would be lost)."""
    import os

    from velotui.errors import VelotuiError

    seen: list[tuple[str, Path]] = []
    for flag, value in destinations:
        if not value:
            continue
        p = check_destination(value, flag)
        for other_flag, other in seen:
            same = os.path.realpath(p) == os.path.realpath(other)
            if not same and p.exists() and other.exists():
                same = os.path.samefile(p, other)
            if same:
                raise VelotuiError(f"{other_flag} {other} and {flag} {p} name the same file: one report would be lost",
                                   hint="give each report its own file, e.g. --json report.json --junit report.xml")
        seen.append((flag, p))


def clear_destinations(paths: list[str | Path | None]) -> None:
    """Remove the reports an earlier run left where this run writes its own (``check_destinations`` has made
    sure each is a velotui report): whatever ends this run, a CI never reads that earlier run's verdict."""
    for value in paths:
        if value:
            Path(value).unlink(missing_ok=True)


def check_destination(path: str | Path, flag: str) -> Path:
    """A report file named on the command line, checked before the run starts: a missing folder is
    created; a folder, or a place that cannot be written, is refused (exit 2), so no run ends without
    the report it was asked for."""
    import os

    from velotui.errors import VelotuiError

    p = Path(path)
    hint = f"give {flag} a file path in a folder you can write to"
    if p.is_dir():
        raise VelotuiError(f"{flag} {p} is a folder, not a file", hint=f"give a file name, e.g. {p / 'report'}")
    if p.exists() and not p.is_file():
        raise VelotuiError(f"{flag} {p} is not a regular file", hint=hint)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise VelotuiError(f"{flag} {p}: cannot create the folder {p.parent}: {e.strerror}", hint=hint) from None
    existed = p.exists()
    try:  # the only sure test (permissions, read-only file systems, quotas): open it for appending
        with open(p, "ab"):
            pass
    except OSError as e:
        raise VelotuiError(f"{flag} {p} cannot be written: {e.strerror}", hint=hint) from None
    if p.is_file() and not looks_like_report(p):  # a SQL file, a spec, a schema, data, a config: never replaced
        raise VelotuiError(f"{flag} {p}: the file exists and is not a velotui report (an input of the suite?); "
                           "a report never writes over it", hint="give the report another path")
    if not existed:
        os.unlink(p)
    return p
