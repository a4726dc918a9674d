"""End-to-end headless runs on small suites: exit codes, reports, reproducibility, isolation."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.cli.helpers import GOOD_SPEC, good_files, run_cli, write_suite


def test_passing_suite_exit_0_with_reports(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, good_files())
    junit, js = tmp_path / "out.xml", tmp_path / "out.json"
    rc, out, err = run_cli(["--headless", str(tmp_path / "apps"), "--seed", "7", "--junit", str(junit),
                            "--json", str(js)], capsys)
    assert rc == 0, out + err
    assert "1 passed, 0 failed" in out
    assert "--seed 7" in out  # the reproduce command
    suites = ET.parse(junit).getroot()
    assert suites.tag == "testsuites"
    case = suites.find("testsuite/testcase")
    assert case is not None and case.get("classname") == "good_app" and case.get("name") == "orders_out"
    report = json.loads(js.read_text())
    assert report["version"] == 1 and report["seed"] == 7
    q = report["apps"][0]["queries"][0]
    assert q["status"] == "passed" and q["records_in"] == 50 and q["records_out"] == 50


def test_failed_assertion_exits_1_and_names_expectation(tmp_path: Path, capsys) -> None:
    files = good_files()
    files["apps/good.test.yaml"] = GOOD_SPEC.replace("equals: 50", "equals: 51")
    write_suite(tmp_path, files)
    rc, out, _ = run_cli(["--headless", str(tmp_path), "--seed", "1"], capsys)
    assert rc == 1
    assert "record_count" in out and "51" in out and "50" in out
    assert "0 passed, 1 failed" in out


def test_same_seed_same_report_inputs(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, good_files())
    outs = []
    for i in range(2):
        js = tmp_path / f"r{i}.json"
        rc, _, _ = run_cli(["--headless", str(tmp_path), "--seed", "3", "--now", "1700000000000", "--json",
                            str(js)], capsys)
        assert rc == 0
        outs.append(json.loads(js.read_text()))
    assert outs[0]["seed"] == outs[1]["seed"] == 3
    assert outs[0]["now_ms"] == outs[1]["now_ms"] == 1700000000000


def test_broken_app_does_not_stop_the_others(tmp_path: Path, capsys) -> None:
    files = good_files()
    files["apps/broken.sql"] = "CREATE STREAM x AS SELECT FROM;\n"
    files["apps/broken.test.yaml"] = "application: broken\nqueries:\n  - name: x\n    inputs: []\n"
    write_suite(tmp_path, files)
    junit = tmp_path / "o.xml"
    rc, out, err = run_cli(["--headless", str(tmp_path), "--junit", str(junit)], capsys)
    assert rc == 2  # invalid input wins over a pass
    root = ET.parse(junit).getroot()
    names = {s.get("name") for s in root.findall("testsuite")}
    assert {"good_app", "broken"} <= names
    assert root.find("testsuite[@name='broken']/testcase/error") is not None


def test_k_pattern_selects_apps(tmp_path: Path, capsys) -> None:
    files = good_files()
    files["apps/other.sql"] = files["apps/good.sql"].replace("good_app", "other_app")
    files["apps/other.test.yaml"] = GOOD_SPEC.replace("good_app", "other_app")
    write_suite(tmp_path, files)
    js = tmp_path / "r.json"
    rc, _, _ = run_cli(["--headless", str(tmp_path), "-k", "other", "--json", str(js)], capsys)
    assert rc == 0
    assert [a["name"] for a in json.loads(js.read_text())["apps"]] == ["other_app"]


def test_k_pattern_is_not_stopped_by_a_broken_app_it_does_not_select(tmp_path: Path, capsys) -> None:
    """A broken spec beside the selected app: the selection runs and passes (the broken app used to be
    reported as an error and make the run exit 2); a pattern that selects the broken app reports it."""
    files = good_files()
    files["apps/other.sql"] = files["apps/good.sql"].replace("good_app", "other_app")
    files["apps/other.test.yaml"] = GOOD_SPEC.replace("good_app", "other_app")
    files["apps/broken.sql"] = files["apps/good.sql"].replace("good_app", "broken_app")
    files["apps/broken.test.yaml"] = "application: broken_app\nqueries: [oops\n"
    write_suite(tmp_path, files)
    js = tmp_path / "r.json"
    rc, _, _ = run_cli(["--headless", str(tmp_path), "-k", "other", "--json", str(js)], capsys)
    assert rc == 0 and [a["name"] for a in json.loads(js.read_text())["apps"]] == ["other_app"]
    rc, _, _ = run_cli(["--headless", str(tmp_path), "-k", "broken", "--json", str(js)], capsys)
    assert rc == 2 and [a["name"] for a in json.loads(js.read_text())["apps"]] == ["broken"]


def test_velo_test_spelling(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, good_files())
    rc, out, _ = run_cli(["run", str(tmp_path / "apps/good.sql"), "--spec", str(tmp_path / "apps/good.test.yaml"),
                          "--schemas", str(tmp_path / "apps/schemas"), "--query", "orders_out", "--output",
                          "json"], capsys)
    assert rc == 0
    assert json.loads(out)["apps"][0]["queries"][0]["status"] == "passed"


def test_nothing_to_run_is_exit_2_not_a_pass(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from velotui.cli.main import main

    (tmp_path / "empty").mkdir()
    assert main(["--headless", str(tmp_path / "empty"), "-q"]) == 2
    assert "nothing ran: no app with a test spec under" in capsys.readouterr().err
    nospec = tmp_path / "nospec"
    nospec.mkdir()
    (nospec / "a.sql").write_text("CREATE STREAM o AS SELECT * FROM t;\n")
    assert main(["--headless", str(nospec), "-q"]) == 2
    err = capsys.readouterr().err
    assert "1 SQL file(s) have no test spec and are not run: a.sql" in err and "velotui init" in err
    demo = Path(__file__).resolve().parents[2] / "demo" / "tier1_basic"
    assert main(["--headless", str(demo), "-k", "no_such_thing", "-q"]) == 2
    assert "-k 'no_such_thing' matched no app or query" in capsys.readouterr().err


def test_an_internal_error_is_one_clear_line_and_debug_shows_the_traceback(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from velotui.cli.main import main
    from velotui.core import run as run_module

    def boom(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(run_module.SuiteRun, "execute", boom)
    demo = Path(__file__).resolve().parents[2] / "demo" / "tier1_basic"
    assert main(["--headless", str(demo), "-q"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError('boom')" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        main(["--headless", str(demo), "-q", "--debug"])
