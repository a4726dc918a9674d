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

_LABEL = {"passed": ("PASS", "green"), "failed": ("FAIL", "red"), "skipped": ("SKIP", "yellow"),
          "error": ("ERROR", "red")}


def _short(v: Any, width: int = 200) -> str:
    text = orjson.dumps(v, default=str).decode() if isinstance(v, (dict, list)) else str(v)
    return text if len(text) <= width else text[: width - 1] + "…"


def query_notes(q: Any) -> list[tuple[str, str]]:
    """What a report shows under a query besides its verdict, in order: (kind, one line) with kind
    ``flag`` (a divergence from the reference engine), ``warning`` (a warning about the query) or
    ``assertion`` (an assertion that reported a warning). Every format renders exactly these."""
    out = [("flag", str(f)) for f in q.flags]
    out += [("warning", str(w)) for w in q.warnings]
    for a in q.assertions:
        if a.status == "warning":
            where = f"{a.file}:{a.line}" if a.line else (a.file or "")
            out.append(("assertion", f"{a.type}: {a.message}" + (f" ({where})" if where else "")))
    return out


_NOTE_STYLE = {"flag": ("⚑", "magenta"), "warning": ("⚠", "yellow"), "assertion": ("⚠", "yellow")}


def _print_warnings(q: Any, console: Console, indent: str = "") -> None:
    for kind, text in query_notes(q):
        mark, colour = _NOTE_STYLE[kind]
        label = {"flag": "divergence", "warning": "warning", "assertion": "warning"}[kind]
        console.print(f"{indent}[{colour}]{mark} {label}[/] {escape(text)}")


def render_text(report: RunReport, console: Console) -> None:
    """One line per query, then a block per failure, then the summary, seed and reproduce command."""
    for app in report.apps:
        if app.error:
            console.print(f"[red]ERROR[/] {escape(app.name)}  {escape(app.file)}")
            continue
        for w in app.warnings:
            console.print(f"      [yellow]⚠ warning[/] {escape(str(w))}")
        for q in app.queries:
            label, colour = _LABEL[q.status]
            console.print(f"[{colour}]{label:<5}[/] {escape(app.name)} / {escape(q.name)}  "
                          f"{q.records_in} → {q.records_out}  {q.duration_ms:.0f} ms")
            _print_warnings(q, console, indent="      ")
    failures = [(a, q) for a in report.apps for q in a.queries if q.status in ("failed", "error")]
    broken = [a for a in report.apps if a.error]
    if failures or broken:
        console.print()
    for app in broken:
        console.rule(f"[red]{escape(app.name)}[/]: could not be loaded", align="left")
        console.print(escape(app.error or ""))
    for app, q in failures:
        console.rule(f"[red]{escape(app.name)} / {escape(q.name)}[/]", align="left")
        if q.error:
            console.print(f"[red]error:[/] {escape(q.error)}")
        for line in q.strict_failures:
            console.print(f"[red]✗ --strict[/] {escape(line)}")
        for a in q.failed_assertions:
            where = f"{a.file}:{a.line}" if a.line else (a.file or "")
            console.print(f"[red]✗ {escape(a.type)}[/]" + (f" — {escape(a.description)}" if a.description else "")
                          + (f"  [dim]{escape(where)}[/]" if where else ""))
            console.print(f"    {escape(a.message)}")
            if a.expected is not None or a.actual is not None:  # an assertion that could not run has neither
                console.print(f"    expected: {escape(_short(a.expected))}")
                console.print(f"    actual:   {escape(_short(a.actual))}")
            if a.diff is not None:  # a golden comparison: the row-level diff
                if a.diff.note:
                    console.print(f"    [yellow]note:[/] {escape(a.diff.note)}")
                for line in a.diff.text_lines():
                    colour = {"+": "green", "-": "red"}.get(line[:1], "yellow")
                    console.print(f"    [{colour}]{escape(line)}[/]")
            else:
                for s in a.samples[:5]:
                    console.print(f"      {escape(_short(s))}", style="dim")
    s = report.summary
    tail = f"{s['passed']} passed, {s['failed']} failed"
    if s["skipped"]:
        tail += f", {s['skipped']} skipped"
    if s["errors"]:
        tail += f", {s['errors']} errors"
    if s["warnings"]:
        tail += f", {s['warnings']} warnings"
    if s["flags"]:
        tail += f", {s['flags']} divergence flags"
    console.print()
    console.print(tail, highlight=False)
    console.print(f"seed {report.seed} · {report.duration_ms / 1000:.2f} s", highlight=False)
    console.print(f"reproduce: {escape(report.reproduce)}", highlight=False)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray)):
        return v.decode(errors="replace")
    return str(v)


def report_dict(report: RunReport) -> dict[str, Any]:
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
            "file": a.file,
            "status": a.status,
            "error": a.error,
            "warnings": [_warning_dict(w) for w in a.warnings],
            "queries": [{
                "name": q.name,
                "status": q.status,
                "records_in": q.records_in,
                "records_out": q.records_out,
                "duration_ms": round(q.duration_ms, 3),
                "error": q.error,
                "timed_out": q.timed_out,
                "infra_error": q.infra_error,
                "warnings": [_warning_dict(w) for w in q.warnings],
                "flags": [_flag_dict(f) for f in q.flags],
                "strict_failures": list(q.strict_failures),
                "assertions": [_assertion_dict(x) for x in q.assertions],
            } for q in a.queries],
        } for a in report.apps],
        "warnings": [{"app": a.name, "query": None, **_warning_dict(w)} for a in report.apps for w in a.warnings]
        + [{"app": a.name, "query": q.name, **_warning_dict(w)} for a in report.apps for q in a.queries
           for w in q.warnings],
        "flags": [{"app": a.name, "query": q.name, **_flag_dict(f)} for a in report.apps for q in a.queries
                  for f in q.flags],
        "summary": report.summary,
        "strict": report.strict,
        "exit_code": report.exit_code,
    }


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


def to_json(report: RunReport) -> bytes:
    return orjson.dumps(report_dict(report), default=_jsonable, option=orjson.OPT_INDENT_2)


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def junit_tree(report: RunReport) -> ET.Element:
    root = ET.Element("testsuites", name="velotui", time=f"{report.duration_ms / 1000:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for app in report.apps:
        suite = ET.SubElement(root, "testsuite", name=_xml_text(app.name), file=_xml_text(app.file))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        suite_time = 0.0
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="seed", value=str(report.seed))
        ET.SubElement(props, "property", name="reproduce", value=_xml_text(report.reproduce))
        if app.error:
            case = ET.SubElement(suite, "testcase", classname=_xml_text(app.name), name="load", time="0.000")
            err = ET.SubElement(case, "error", message=_xml_text(app.error.splitlines()[0][:500]), type="LoadError")
            err.text = _xml_text(app.error)
            counts["tests"] += 1
            counts["errors"] += 1
        for q in app.queries:
            t = q.duration_ms / 1000
            suite_time += t
            case = ET.SubElement(suite, "testcase", classname=_xml_text(app.name), name=_xml_text(q.name),
                                 time=f"{t:.3f}")
            counts["tests"] += 1
            if q.status == "skipped":
                ET.SubElement(case, "skipped")
                counts["skipped"] += 1
            elif q.status == "error":
                kind = "Timeout" if q.timed_out else ("InfrastructureError" if q.infra_error else "EngineError")
                err = ET.SubElement(case, "error", message=_xml_text((q.error or "error").splitlines()[0][:500]),
                                    type=kind)
                err.text = _xml_text(q.error or "")
                counts["errors"] += 1
            elif q.status == "failed":
                failed = q.failed_assertions
                msg = "; ".join([*(f"{a.type}: {a.message}" for a in failed), *(f"--strict: {x}" for x in
                                                                                  q.strict_failures)])
                fail = ET.SubElement(case, "failure", message=_xml_text(msg[:1000]),
                                     type="AssertionFailed" if failed else "StrictWarning")
                lines = [f"--strict: {x}" for x in q.strict_failures]
                for a in failed:
                    lines.append(f"{a.type} ({a.file}:{a.line}): {a.message}")
                    if a.expected is not None or a.actual is not None:
                        lines.append(f"  expected: {_short(a.expected, 500)}")
                        lines.append(f"  actual:   {_short(a.actual, 500)}")
                    if getattr(a, "diff", None) is not None:
                        lines += [f"  note: {a.diff.note}"] if a.diff.note else []
                        lines += [f"  {line}" for line in a.diff.text_lines(limit=50)]
                    else:
                        lines += [f"  record: {_short(s, 500)}" for s in a.samples[:5]]
                fail.text = _xml_text("\n".join(lines))
                counts["failures"] += 1
            notes = query_notes(q)
            if notes:  # shown by CI servers with the test case (a warning fails it only under --strict)
                out = ET.SubElement(case, "system-out")
                out.text = _xml_text("\n".join(f"{'divergence' if kind == 'flag' else 'warning'}: {text}"
                                                for kind, text in notes))
        if app.warnings:
            out = ET.SubElement(suite, "system-out")
            out.text = _xml_text("\n".join(f"warning: {w}" for w in app.warnings))
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", f"{suite_time:.3f}")
    for k, v in totals.items():
        root.set(k, str(v))
    return root


def write_junit(report: RunReport, path: Path) -> None:
    tree = ET.ElementTree(junit_tree(report))
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
