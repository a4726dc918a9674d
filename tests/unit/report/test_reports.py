"""Reports: text lines and summary, versioned JSON, JUnit XML with the shape CI servers read."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from velotui.assertions import AssertionResult
from velotui.report import AppReport, QueryReport, RunReport, junit_tree, render_text, to_json, write_junit


def _report() -> RunReport:
    ok = AssertionResult("record_count", None, "passed", "3 records", {"equals": 3}, 3)
    bad = AssertionResult("field_values", "prices positive", "failed", "expected every price > 0; 1 of 3 do not",
                          {"operator": "greater_than", "value": 0}, ["-1"], [{"price": -1, "note": "a<b&\x01"}],
                          "spec.test.yaml", 12)
    return RunReport(run_id="r1", seed=42, started_at="2026-11-24T00:00:00+00:00", now_ms=1, duration_ms=1234.5,
                     reproduce="velotui --headless demo/ --seed 42 --now 1", apps=[
                         AppReport("app_a", "a.sql", None, [
                             QueryReport("q_ok", "passed", 3, 3, 10.0, [ok]),
                             QueryReport("q_bad", "failed", 3, 3, 20.0, [ok, bad]),
                             QueryReport("q_skip", "skipped", 0, 0, 0.0),
                         ]),
                         AppReport("app_b", "b.sql", "b.test.yaml:3:1: missing required key 'queries'"),
                         AppReport("app_c", "c.sql", None, [QueryReport("q_err", "error", 0, 0, 0.0,
                                                                        error="engine crashed: boom")]),
                     ])


def test_text_report() -> None:
    buf = io.StringIO()
    render_text(_report(), Console(file=buf, width=200, color_system=None))
    out = buf.getvalue()
    assert "PASS  app_a / q_ok  3 → 3" in out and "FAIL  app_a / q_bad" in out and "SKIP  app_a / q_skip" in out
    assert "✗ field_values — prices positive  spec.test.yaml:12" in out
    assert "expected: {\"operator\":\"greater_than\",\"value\":0}" in out
    assert "1 passed, 1 failed, 1 skipped, 2 errors" in out.splitlines()[-3]
    assert "seed 42" in out and "reproduce: velotui --headless demo/ --seed 42 --now 1" in out


def test_json_report() -> None:
    data = json.loads(to_json(_report()))
    assert data["version"] == 1 and data["seed"] == 42
    q = data["apps"][0]["queries"][1]
    assert list(q) == ["name", "status", "records_in", "records_out", "duration_ms", "error", "timed_out", "infra_error",
                       "invalid_input", "engine", "engine_log", "engine_error", "notes", "warnings", "flags",
                       "strict_failures", "assertions", "comparison"]
    assert (q["engine"], q["comparison"]) == ("embedded", None)
    assert q["assertions"][1]["samples"][0]["price"] == -1
    assert data["summary"]["failed"] == 1 and data["exit_code"] == 2


def test_junit_report_shape_and_escaping(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    write_junit(_report(), path)
    text = path.read_text()
    assert "\x01" not in text  # control characters never reach the XML
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "5", "failures": "1", "errors": "2", "skipped": "1"}
    for suite in root.findall("testsuite"):
        for attr in ("name", "tests", "failures", "errors", "skipped", "time"):
            assert suite.get(attr) is not None, attr
        for case in suite.findall("testcase"):
            assert case.get("classname") == suite.get("name") and case.get("name") and case.get("time")
            assert len([c for c in case if c.tag in ("failure", "error", "skipped")]) <= 1
    failure = root.find("testsuite[@name='app_a']/testcase[@name='q_bad']/failure")
    assert failure is not None and "field_values" in failure.get("message") and "a<b&" in failure.text
    assert root.find("testsuite[@name='app_b']/testcase/error") is not None
    assert root.find("testsuite[@name='app_a']/testcase[@name='q_skip']/skipped") is not None


def test_exit_codes() -> None:
    r = _report()
    assert r.exit_code == 2
    r.apps = r.apps[:1]
    assert r.exit_code == 1
    r.apps[0].queries = r.apps[0].queries[:1]
    assert r.exit_code == 0


def test_exit_code_precedence_invalid_infra_timeout_failed() -> None:
    from velotui.report import AppReport, QueryReport, RunReport

    def q(name: str, **kw: object) -> QueryReport:
        return QueryReport(name=name, status=str(kw.pop("status", "error")), records_in=0, records_out=0,
                           duration_ms=0.0, **kw)  # type: ignore[arg-type]

    def run(*queries: QueryReport, broken_app: bool = False) -> RunReport:
        apps = [AppReport(name="a", file="a.sql", queries=list(queries))]
        if broken_app:
            apps.append(AppReport(name="b", file="b.sql", error="bad spec"))
        return RunReport(run_id="r", seed=1, started_at="", now_ms=0, duration_ms=0.0, reproduce="", apps=apps)

    failed, timeout, infra = q("f", status="failed"), q("t", timed_out=True), q("i", infra_error=True)
    assert run(failed).exit_code == 1
    assert run(failed, timeout).exit_code == 4
    assert run(failed, timeout, infra).exit_code == 3
    assert run(failed, timeout, infra, broken_app=True).exit_code == 2
    path_json = json.loads(to_json(run(infra)))["apps"][0]["queries"][0]
    assert path_json["infra_error"] is True and path_json["timed_out"] is False


def test_warnings_are_shown_in_text_and_junit_without_failing(tmp_path: Path) -> None:
    warn = AssertionResult("field_values", None, "warning", "nothing checked: field 'valeu' is in none of the 3 "
                           "output records; did you mean 'value'?", "valeu", None, [], "s.test.yaml", 7)
    report = RunReport(run_id="r", seed=1, started_at="", now_ms=0, duration_ms=1.0, reproduce="", apps=[
        AppReport("app", "a.sql", None, [QueryReport("q", "passed", 3, 3, 1.0, [warn])])])
    buf = io.StringIO()
    render_text(report, Console(file=buf, width=200, color_system=None))
    assert "⚠ warning field_values: nothing checked: field 'valeu'" in buf.getvalue()
    assert "s.test.yaml:7" in buf.getvalue()
    path = tmp_path / "r.xml"
    write_junit(report, path)
    case = ET.parse(path).getroot().find("testsuite/testcase")
    assert case is not None and case.find("failure") is None and case.find("error") is None
    assert "warning: field_values: nothing checked: field 'valeu'" in (case.findtext("system-out") or "")
    assert "(s.test.yaml:7)" in (case.findtext("system-out") or "")
    assert report.exit_code == 0


def _compared(verdict: str, **kw: object) -> RunReport:
    from velotui.report.model import Comparison

    other = QueryReport(name="q", status="failed", records_in=3, records_out=2, duration_ms=9.0, engine="velostream",
                        engine_error="[t ERROR velostream] boom", engine_log="/tmp/r/engine.log",
                        notes=["velotui added 1 record to s at event time …"],
                        assertions=[AssertionResult("record_count", None, "failed", "2 records; expected 3", 3, 2,
                                                    file="spec.test.yaml", line=4)])
    c = Comparison(engines=("embedded", "velostream"), verdict=verdict, counts=(3, 2), other=other, **kw)
    q = QueryReport(name="q", status="failed", records_in=3, records_out=3, duration_ms=1.0, comparison=c)
    return RunReport(run_id="r", seed=1, started_at="", now_ms=0, duration_ms=1, reproduce="velotui x",
                     apps=[AppReport(name="app", file="app.sql", queries=[q])])


def test_a_comparison_in_every_format() -> None:
    report = _compared("explained", flags=["D18"], flag_notes=["D18: windows still open …"],
                       only_left=[{"k": "b", "n": 1}], missing_right=1)
    buf = io.StringIO()
    render_text(report, Console(file=buf, width=200, color_system=None))
    out = buf.getvalue()
    assert "compare embedded,velostream: differs, explained by flag D18 (embedded 3, velostream 2 records)" in out
    assert "note [velostream]: velotui added 1 record to s" in out
    assert "[velostream] ✗ record_count  spec.test.yaml:4" in out and "2 records; expected 3" in out
    assert "[velostream] velostream's first error: [t ERROR velostream] boom" in out
    assert "[velostream] its log: /tmp/r/engine.log" in out
    assert '1 record(s) only embedded emitted, the first:\n      {"k":"b","n":1}' in out
    assert "explained by D18: windows still open" in out
    c = json.loads(to_json(report))["apps"][0]["queries"][0]["comparison"]
    assert (c["verdict"], c["label"], c["counts"], c["only_left"]) == ("explained", "differs, explained by flag D18",
                                                                       [3, 2], [{"k": "b", "n": 1}])
    assert c["other"]["engine"] == "velostream" and c["other"]["assertions"][0]["type"] == "record_count"
    case = junit_tree(report).find(".//testcase")
    failure = case.find("failure")
    assert failure.get("message") == "[velostream] record_count: 2 records; expected 3"
    out = case.find("system-out").text
    assert "compare embedded,velostream: differs, explained by flag D18 (embedded 3, velostream 2 records)" in out
    assert "velostream log: /tmp/r/engine.log" in out and "note: velotui added 1 record" in out


def test_an_unexplained_difference_fails_the_junit_case_even_when_the_checks_pass() -> None:
    report = _compared("unexplained", only_right=[{"k": "zz"}], missing_left=1)
    report.apps[0].queries[0].comparison.other.assertions = []
    failure = junit_tree(report).find(".//testcase/failure")
    assert failure.get("type") == "OutputsDiffer" and failure.get("message") == "outputs differ: differs, unexplained"
    buf = io.StringIO()
    render_text(report, Console(file=buf, width=200, color_system=None))
    assert '1 record(s) only velostream emitted, the first:\n      {"k":"zz"}' in buf.getvalue()


def test_a_query_on_the_real_engine_names_it_and_its_known_flags() -> None:
    q = QueryReport(name="q", status="failed", records_in=1, records_out=0, duration_ms=1.0, engine="velostream",
                    flags=["D18: windows still open at the end of a bounded input are never emitted"],
                    assertions=[AssertionResult("record_count", None, "failed", "0 records", 1, 0)])
    report = RunReport(run_id="r", seed=1, started_at="", now_ms=0, duration_ms=1, reproduce="x",
                       apps=[AppReport(name="app", file="a.sql", queries=[q])])
    buf = io.StringIO()
    render_text(report, Console(file=buf, width=200, color_system=None))
    out = buf.getvalue()
    assert "FAIL  app / q  1 → 0  1 ms  on velostream" in out
    assert "⚑ divergence D18: windows still open" in out
    assert "known reference behaviour: the reference engine computes something else here (D18; ⚑ above)" in out
    assert "known reference behaviour: the reference engine computes something else here (D18" in \
        junit_tree(report).find(".//failure").text
