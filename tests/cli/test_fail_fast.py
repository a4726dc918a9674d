"""``--fail-fast`` stops after the first failing app; the apps after it were not run, and no report said
which (a CI saw fewer testcases and nothing else). Every format lists them now, the exit code stays 1."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli, write_suite

SQL = "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n"


def _spec(app: str, count: int) -> str:
    return (f"application: {app}\nqueries:\n  - name: o\n    inputs: [{{source: s, data_file: in.jsonl}}]\n"
            f"    assertions: [{{type: record_count, equals: {count}}}]\n")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_apps_fail_fast_did_not_run_are_in_every_report(tmp_path: Path, capsys, jobs: str) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a", 1),
                                             "b.sql": SQL, "b.test.yaml": _spec("b", 2),
                                             "c.sql": SQL, "c.test.yaml": _spec("c", 1),
                                             "d.sql": SQL, "d.test.yaml": _spec("d", 1), "in.jsonl": '{"a": 1}\n'})
    js, junit = tmp_path / "r.json", tmp_path / "r.xml"
    rc, text, _ = run_cli(["--headless", str(suite), "--fail-fast", "-j", jobs, "--json", str(js),
                           "--junit", str(junit)], capsys)
    assert rc == 1, text
    c, d = str(suite / "c.sql"), str(suite / "d.sql")
    reason = f"not run: --fail-fast stopped the run after {suite / 'b.sql'} failed"
    assert f"⊘ 2 apps {reason}:" in text and f"not run {c}" in text and f"not run {d}" in text
    assert "2 apps not run (--fail-fast)" in text
    data = json.loads(js.read_bytes())
    assert [a["name"] for a in data["apps"]] == ["a", "b"] and data["exit_code"] == 1
    assert data["not_run"] == [{"file": c, "reason": reason}, {"file": d, "reason": reason}]
    assert data["summary"]["apps_not_run"] == 2
    root = ET.parse(junit).getroot()
    cases = root.findall("testsuite[@name='not run (--fail-fast)']/testcase")
    assert [(x.get("classname"), x.get("name"), x.find("skipped").get("message")) for x in cases] == [
        ("velotui.not_run", c, reason), ("velotui.not_run", d, reason)]
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("4", "1", "2")


def test_a_run_fail_fast_did_not_stop_lists_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", {"a.sql": SQL, "a.test.yaml": _spec("a", 1),
                                             "b.sql": SQL, "b.test.yaml": _spec("b", 2), "in.jsonl": '{"a": 1}\n'})
    js = tmp_path / "r.json"
    rc, text, _ = run_cli(["--headless", str(suite), "--fail-fast", "-j", "1", "--json", str(js)], capsys)
    assert rc == 1 and "not run" not in text  # the last app failed: nothing after it
    assert json.loads(js.read_bytes())["not_run"] == []
