"""The verdict of a run is the same in every place a CI reads it: the exit code, the text, the JSON and the
JUnit report, and their counts; no state of a run (nothing ran, an error before any query, Ctrl-C, an
error outside every query) leaves a report missing, stale, truncated or greener than the exit code."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.cli.helpers import run_cli, write_suite

SQL = "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n"


def _spec(app: str, query: str = "o", checks: str = "[{type: record_count, equals: 1}]") -> str:
    return (f"application: {app}\nqueries:\n  - name: {query}\n    inputs: [{{source: s, data_file: in.jsonl}}]\n"
            f"    assertions: {checks}\n")


def _reports(tmp_path: Path, args: list[str], capsys) -> tuple[int, str, dict, ET.Element]:  # type: ignore[no-untyped-def]
    js, junit = tmp_path / "r.json", tmp_path / "r.xml"
    rc, out, err = run_cli(["--headless", *args, "-j", "1", "--json", str(js), "--junit", str(junit)], capsys)
    return rc, out + err, json.loads(js.read_bytes()), ET.parse(junit).getroot()


def test_a_query_name_longer_than_a_file_name_costs_no_report(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A query's golden file is named after it: a name of 5,000 characters made a path the system refuses
    (File name too long) outside every query, and the whole run ended as an internal error with no report."""
    long = "q" * 5000
    suite = write_suite(tmp_path / "suite", {"a.sql": f"CREATE STREAM {long} AS SELECT a FROM s EMIT CHANGES;\n",
                                             "a.test.yaml": _spec("a", long), "a.golden/.gitkeep": "",
                                             "b.sql": SQL, "b.test.yaml": _spec("b"), "in.jsonl": '{"a": 1}\n'})
    rc, text, data, root = _reports(tmp_path, [str(suite)], capsys)
    assert rc == 0, text
    assert [q["status"] for a in data["apps"] for q in a["queries"]] == ["passed", "passed"]
    assert root.get("tests") == "2" and root.get("failures") == "0" and root.get("errors") == "0"


def test_a_golden_header_with_an_infinite_seed_is_that_querys_error_and_the_others_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``"seed": 1e400`` in a golden header (JSON reads it as infinity) raised OverflowError while the app's
    inputs were being pinned, outside every query: the run ended as an internal error, no report written."""
    header = '{"_golden": {"app": "a", "query": "o", "seed": 1e400, "now_ms": 1, "order": "sorted", "records": 1}}\n'
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a"), "a.golden/o.jsonl": header
                                             + '{"a": 1}\n', "b.sql": SQL, "b.test.yaml": _spec("b"),
                                             "in.jsonl": '{"a": 1}\n'})
    rc, text, data, root = _reports(tmp_path, [str(suite)], capsys)
    assert rc == 1, text
    a, b = data["apps"]
    assert b["queries"][0]["status"] == "passed"
    [golden] = [x for x in a["queries"][0]["assertions"] if x["type"] == "golden"]
    assert golden["status"] == "error" and "not a velotui golden file" in golden["message"]
    assert golden["file"].endswith("o.jsonl") and golden["line"] == 1
    assert root.get("tests") == "2" and root.get("failures") == "1"


def _run_error(root: ET.Element) -> ET.Element | None:
    return root.find("testsuite[@name='velotui run']/testcase/error")


def test_a_run_in_which_nothing_ran_says_so_in_every_report(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """-k matching nothing: exit 2 and "nothing ran" on stderr, but the JSON said "exit_code": 0 with an empty
    summary and the JUnit file was an empty, green <testsuites/>."""
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a"), "in.jsonl": '{"a": 1}\n'})
    rc, text, data, root = _reports(tmp_path, [str(suite), "-k", "nomatch"], capsys)
    assert rc == 2 == data["exit_code"]
    assert data["error"].startswith("nothing ran: -k 'nomatch' matched no app or query")
    assert data["summary"]["errors"] == 1 == int(root.get("errors", "0")) and root.get("tests") == "1"
    error = _run_error(root)
    assert error is not None and error.get("type") == "RunError" and "nothing ran" in (error.get("message") or "")
    assert "✗ error: nothing ran: -k 'nomatch'" in text
    _junit_counts_match_the_summary(data, root)


def test_an_error_that_stops_the_run_replaces_the_earlier_runs_reports(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A run stopped by an error (here a --input no query reads, found once every app has run; Kafka not
    reachable stops it the same way) wrote no report at all: the earlier, green run's JSON and JUnit stayed
    where CI reads them, while the run exited 2."""
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a"), "in.jsonl": '{"a": 1}\n'})
    rc, _, data, root = _reports(tmp_path, [str(suite)], capsys)
    assert rc == 0 and data["exit_code"] == 0 and root.get("errors") == "0"
    rc, text, data, root = _reports(tmp_path, [str(suite), "--input", f"nosuch={suite / 'in.jsonl'}"], capsys)
    assert rc == 2 == data["exit_code"]
    assert "no query of this run reads a source named 'nosuch'" in data["error"]
    error = _run_error(root)
    assert error is not None and "'nosuch'" in (error.text or "")
    assert root.get("errors") == "1" and "✗ error: --input nosuch=…" in text
    _junit_counts_match_the_summary(data, root)


def test_a_report_that_cannot_be_made_leaves_no_earlier_report_behind(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A command line refused after the report paths were accepted (--records -1): no report of this run,
    and none of an earlier one left to be read as this one's."""
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a"), "in.jsonl": '{"a": 1}\n'})
    _reports(tmp_path, [str(suite)], capsys)
    rc, _, err = run_cli(["--headless", str(suite), "--records", "-1", "--json", str(tmp_path / "r.json"),
                          "--junit", str(tmp_path / "r.xml")], capsys)
    assert rc == 2 and "cannot be negative" in err
    assert not (tmp_path / "r.json").exists() and not (tmp_path / "r.xml").exists()


def test_ctrl_c_is_in_every_report_and_its_exit_code(tmp_path: Path) -> None:
    """Ctrl-C exits 130 and writes what ran; the reports did not say the run was cut short (the JSON said
    "exit_code": 1, a JUnit reader saw only the queries that ran)."""
    import signal
    import subprocess
    import sys

    root_dir = Path(__file__).resolve().parents[2]
    js, junit = tmp_path / "r.json", tmp_path / "r.xml"
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", "tests/fixtures/isolation", "-k", "slow",
                             "--timeout", "120", "--json", str(js), "--junit", str(junit)], cwd=root_dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    assert "velotui run" in proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    data = json.loads(js.read_bytes())
    assert data["interrupted"] is True and data["exit_code"] == 130
    error = ET.parse(junit).getroot().find("testsuite[@name='velotui run']/testcase[@name='interrupted']/error")
    assert error is not None and error.get("type") == "Interrupted"
    assert "✗ interrupted (Ctrl-C)" in out


def test_merged_shards_keep_the_verdict_of_the_unsharded_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """merge-reports read back each query's status, timeout and infrastructure marks but not invalid_input:
    a run with a bad data file (exit 2) merged to exit 1; and shards that ran nothing merged to a JSON of
    "exit_code": 0 and an empty, green JUnit file."""
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a").replace("in.jsonl", "bad.jsonl"),
                                             "b.sql": SQL, "b.test.yaml": _spec("b"), "in.jsonl": '{"a": 1}\n',
                                             "bad.jsonl": "{not json\n"})
    whole = run_cli(["--headless", str(suite), "-q"], capsys)[0]
    assert whole == 2
    shards = []
    for k in (1, 2):
        js = tmp_path / f"s{k}.json"
        run_cli(["--headless", str(suite), "-q", "--shard", f"{k}/2", "--seed", "1", "--now", "1", "--json", str(js)],
                capsys)
        shards.append(str(js))
    rc, _, _ = run_cli(["merge-reports", *shards, "--json", str(tmp_path / "all.json")], capsys)
    assert rc == whole == json.loads((tmp_path / "all.json").read_bytes())["exit_code"]
    # shards that ran nothing (-k matching no app): the merged reports fail, and say why
    empties = []
    for k in (1, 2):
        js, xml = tmp_path / f"e{k}.json", tmp_path / f"e{k}.xml"
        run_cli(["--headless", str(suite), "-q", "-k", "nomatch", "--shard", f"{k}/2", "--seed", "1", "--now", "1",
                 "--json", str(js), "--junit", str(xml)], capsys)
        empties += [str(js), str(xml)]
    rc, _, _ = run_cli(["merge-reports", *empties, "--json", str(tmp_path / "e.json"), "--junit",
                        str(tmp_path / "e.xml")], capsys)
    merged = json.loads((tmp_path / "e.json").read_bytes())
    assert rc == 2 == merged["exit_code"] and "nothing ran" in merged["error"]
    assert int(ET.parse(tmp_path / "e.xml").getroot().get("errors", "0")) >= 1


def test_strict_fails_an_assertion_of_severity_warning_that_did_not_hold(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Every format counted the assertion as a warning ("1 warnings"), and --strict, which makes every warning
    an error, passed the run (exit 0): only the query's spec warnings and flags were looked at."""
    checks = "[{type: record_count, equals: 1}, {type: record_count, equals: 5, severity: warning}]"
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a", checks=checks),
                                             "in.jsonl": '{"a": 1}\n'})
    rc, text, data, root = _reports(tmp_path, [str(suite)], capsys)
    assert rc == 0 and data["summary"]["warnings"] == 1, text
    rc, text, data, root = _reports(tmp_path, [str(suite), "--strict"], capsys)
    assert rc == 1 == data["exit_code"], text
    q = data["apps"][0]["queries"][0]
    assert q["status"] == "failed" and q["strict_failures"] == [
        f"warning: record_count: expected record count equals 5, got 1 ({suite / 'a.test.yaml'}:5)"]
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "StrictWarning" and "equals 5, got 1" in failure.get("message", "")
    assert "✗ --strict warning: record_count: expected record count equals 5, got 1" in text


def _junit_counts_match_the_summary(data: dict, root: ET.Element) -> None:
    s, strict = data["summary"], data["strict"]
    not_loaded = sum(1 for a in data["apps"] if a["error"])
    run_errors = int(bool(data["error"])) + int(bool(data["interrupted"]))
    cases = list(root.iter("testcase"))
    assert int(root.get("tests", "0")) == len(cases) == s["queries"] + not_loaded + s["files_not_run"] + run_errors
    assert int(root.get("failures", "0")) == s["failed"] + (s["files_not_run"] if strict else 0)
    assert int(root.get("skipped", "0")) == s["skipped"] + (0 if strict else s["files_not_run"])
    assert int(root.get("errors", "0")) == s["errors"]


def test_files_not_run_are_counted_alike_in_every_format(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A SQL file without its spec is a testcase of JUnit (skipped; a failure under --strict, exit 2), but the
    JSON summary had no count of it and the text's last line said '1 passed, 0 failed' for a run that
    exited 2."""
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a"), "in.jsonl": '{"a": 1}\n',
                                             "orphan b.sql": SQL, "broken.sql": SQL, "broken.test.yaml": "queries: 1\n"})
    for strict in ([], ["--strict"]):
        rc, text, data, root = _reports(tmp_path, [str(suite), *strict], capsys)
        assert rc == 2 == data["exit_code"], text
        assert data["summary"]["files_not_run"] == 1
        _junit_counts_match_the_summary(data, root)
        tail = "1 passed, 0 failed, 1 errors, 1 file not run" + (" (failed: --strict)" if strict else "")
        assert tail in text
