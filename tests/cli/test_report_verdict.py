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
