"""A run pointed at the wrong thing never passes, and nothing it skipped goes unsaid: a --query that names
no query, a SQL file whose spec is not found, a spec with no SQL, a golden file that belongs to no query;
and reports are never lost or written over the suite's own files (docs/CLI.md)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.cli.helpers import GOOD_SPEC, GOOD_SQL, good_files, run_cli, write_suite


def _two_apps(tmp_path: Path) -> Path:
    files = good_files()
    files["apps/other.sql"] = GOOD_SQL.replace("good_app", "other_app").replace("orders_out", "big_orders")
    files["apps/other.test.yaml"] = GOOD_SPEC.replace("good_app", "other_app").replace("orders_out", "big_orders")
    return write_suite(tmp_path, files)


# -- 1. --query ---------------------------------------------------------------------------------------

def test_a_query_typo_is_exit_2_with_did_you_mean_and_runs_nothing(tmp_path: Path, capsys) -> None:
    _two_apps(tmp_path)
    js = tmp_path / "r.json"
    for args in (["--headless", str(tmp_path / "apps")], ["run", str(tmp_path / "apps/good.sql")]):
        rc, out, err = run_cli([*args, "-q", "--query", "orders_outt", "--json", str(js)], capsys)
        assert rc == 2, out + err
        assert "no query of the selected apps is named 'orders_outt'" in err
        assert "did you mean 'orders_out'?" in err
        assert not any(line.startswith("PASS") for line in out.splitlines())
        assert "✗ error: --query 'orders_outt': no query of the selected apps is named 'orders_outt'" in out
        data = json.loads(js.read_bytes())  # the report says the run's error, never a green run of nothing
        assert data["apps"] == [] and data["exit_code"] == 2 and "'orders_outt'" in data["error"]


def test_an_app_whose_every_query_was_filtered_out_is_not_reported_as_passed(tmp_path: Path, capsys) -> None:
    _two_apps(tmp_path)
    js = tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(tmp_path / "apps"), "-q", "--seed", "1", "--query", "big_orders",
                            "--json", str(js)], capsys)
    assert rc == 0, out + err
    apps = json.loads(js.read_text())["apps"]
    assert [a["name"] for a in apps] == ["other_app"]
    assert [q["name"] for q in apps[0]["queries"]] == ["big_orders"]


# -- 2. SQL files whose spec is not found, specs of no SQL file -----------------------------------------

def _left_out_suite(tmp_path: Path) -> Path:
    import os

    files = good_files()
    files["apps/g.sql"] = GOOD_SQL.replace("good_app", "g")
    files["apps/g.test.yml"] = GOOD_SPEC.replace("good_app", "g")  # .yml: not a spec name
    files["apps/h.test.yaml"] = GOOD_SPEC.replace("good_app", "h")  # h.sql was renamed
    files["apps/k.sql"] = GOOD_SQL.replace("good_app", "k")
    files["apps/m.sql"] = GOOD_SQL.replace("good_app", "m")
    write_suite(tmp_path, files)
    (tmp_path / "apps/k.test.yaml").mkdir()  # a folder named like the spec
    os.mkfifo(tmp_path / "apps/m.test.yaml")  # a FIFO named like the spec: never opened
    return tmp_path / "apps"


def test_every_file_left_out_is_a_warning_in_every_report_format(tmp_path: Path, capsys) -> None:
    apps = _left_out_suite(tmp_path)
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    rc, out, err = run_cli(["--headless", str(apps), "-q", "--seed", "1", "--json", str(js), "--junit", str(xml)],
                           capsys)
    assert rc == 0, out + err  # warnings, not failures (without --strict)
    expect = {"g.sql": "did you mean", "h.test.yaml": "test spec of no SQL file", "k.sql": "is a folder",
              "m.sql": "is a FIFO"}
    for name, words in expect.items():
        assert any(name in line and words in line for line in out.splitlines()), (name, out)
    assert "g.test.yaml" in out and "4 warnings" in out
    data = json.loads(js.read_text())
    files = {Path(w["file"]).name: w for w in data["suite_warnings"]}
    assert set(files) == set(expect)
    assert "rename it to" in files["g.sql"]["hint"] and files["g.sql"]["hint"].endswith("g.test.yaml")
    assert data["summary"]["warnings"] == 4 and len(data["warnings"]) == 4
    root = ET.parse(xml).getroot()
    cases = {Path(c.get("name")).name: c for c in root.iter("testcase") if c.get("classname") == "velotui.files"}
    assert set(cases) == set(expect)
    assert all(c.find("skipped") is not None for c in cases.values())
    assert int(root.get("skipped")) == 4


def test_strict_fails_a_run_and_validate_on_a_file_left_out(tmp_path: Path, capsys) -> None:
    apps = _left_out_suite(tmp_path)
    xml = tmp_path / "r.xml"
    rc, out, err = run_cli(["--headless", str(apps), "-q", "--seed", "1", "--strict", "--junit", str(xml)], capsys)
    assert rc == 2, out + err
    root = ET.parse(xml).getroot()
    assert int(root.get("failures")) == 4
    rc, out, err = run_cli(["validate", str(apps), "--strict"], capsys)
    assert rc == 2, out + err
    assert "h.test.yaml" in out and "did you mean" in out
    rc, out, err = run_cli(["validate", str(apps)], capsys)
    assert rc == 0 and "h.test.yaml" in out, out + err


def test_a_sql_file_alone_whose_spec_is_misnamed_says_the_near_miss(tmp_path: Path, capsys) -> None:
    apps = _left_out_suite(tmp_path)
    rc, out, err = run_cli(["run", str(apps / "g.sql"), "-q"], capsys)
    assert rc == 2 and "nothing ran" in err
    assert "did you mean" in out and "g.test.yml" in out
    assert "h.test.yaml" not in out  # a run of one file says nothing of the files beside it


# -- 3. golden files no query is compared with ---------------------------------------------------------

def test_a_golden_file_no_query_reads_is_a_warning_of_the_run_with_did_you_mean(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, good_files())
    apps = tmp_path / "apps"
    rc, out, err = run_cli(["--headless", str(apps), "-q", "--seed", "1", "--update-golden"], capsys)
    assert rc == 0, out + err
    recorded = apps / "good.golden/orders_out.jsonl"
    for wrong, words in (("orders_old.jsonl", "did you mean orders_out.jsonl"),
                         ("orders_out.json", "did you mean orders_out.jsonl?")):
        recorded.rename(apps / "good.golden" / wrong)
        js, xml = tmp_path / "r.json", tmp_path / "r.xml"
        rc, out, err = run_cli(["--headless", str(apps), "-q", "--seed", "1", "--json", str(js), "--junit", str(xml)],
                               capsys)
        assert rc == 0, out + err
        assert wrong in out and words in out and "not compared" in out
        [w] = json.loads(js.read_text())["warnings"]
        assert w["file"].endswith(wrong) and words in w["hint"]
        assert wrong in ET.parse(xml).getroot().find("testsuite/system-out").text
        rc, out, err = run_cli(["validate", str(apps)], capsys)
        assert rc == 2 and wrong in out and words in out, out + err
        (apps / "good.golden" / wrong).rename(recorded)


# -- 4. report paths and drafts never lose a report or replace a user's file -------------------------------

def test_json_and_junit_on_one_file_is_refused_before_the_run(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, good_files())
    same = tmp_path / "report.out"
    rc, out, err = run_cli(["--headless", str(tmp_path / "apps"), "-q", "--json", str(same), "--junit",
                            str(tmp_path / "x/../report.out")], capsys)
    assert rc == 2 and "name the same file" in err, out + err
    assert not same.exists() and "passed" not in out


def test_a_report_never_writes_over_an_input_of_the_suite(tmp_path: Path, capsys) -> None:
    files = good_files()
    files["apps/data.jsonl"] = '{"order_id": "ORD-000001", "amount": 1.0}\n'
    files["apps/data.json"] = '[{"order_id": "ORD-000001", "amount": 1.0}]\n'
    write_suite(tmp_path, files)
    apps = tmp_path / "apps"
    for victim in ("good.sql", "good.test.yaml", "schemas/orders.schema.yaml", "data.jsonl", "data.json"):
        before = (apps / victim).read_bytes()
        for flag in ("--json", "--junit"):
            rc, out, err = run_cli(["--headless", str(apps), "-q", flag, str(apps / victim)], capsys)
            assert rc == 2 and "is not a velotui report" in err, (victim, out + err)
            assert (apps / victim).read_bytes() == before
    # an earlier report is replaced, as before
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    for _ in range(2):
        rc, out, err = run_cli(["--headless", str(apps), "-q", "--seed", "1", "--json", str(js), "--junit", str(xml)],
                               capsys)
        assert rc == 0, out + err


def test_drafts_refuse_to_replace_an_existing_file_unless_force(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, good_files())
    apps = tmp_path / "apps"
    spec, schema = apps / "good.test.yaml", apps / "schemas/orders.schema.yaml"
    hand = spec.read_text(), schema.read_text()
    annotated = apps / "good.annotated.sql"
    annotated.write_text("-- hand edits\n")
    for args, victim in ((["init", str(apps / "good.sql"), "-o", str(spec)], spec),
                         (["infer-schema", str(apps / "good.sql"), "-o", str(schema)], schema),
                         (["infer-schema", str(apps / "good.sql"), "-o", str(apps / "schemas")], schema),
                         (["annotate", str(apps / "good.sql")], annotated),
                         (["annotate", str(apps / "good.sql"), "-o", str(apps / "good.sql")], apps / "good.sql")):
        before = victim.read_text()
        rc, out, err = run_cli(args, capsys)
        assert rc == 2 and "--force" in err and "not replaced" in err, (args, out + err)
        assert victim.read_text() == before
        rc, out, err = run_cli([*args, "--force"], capsys)
        assert rc == 0, (args, out + err)
        if victim is spec or victim is annotated:
            assert victim.read_text() != before
    assert hand[0] != spec.read_text()


def test_merge_reports_never_writes_over_a_report_it_merges(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, good_files())
    js = tmp_path / "shard.json"
    rc, out, err = run_cli(["--headless", str(tmp_path / "apps"), "-q", "--seed", "1", "--json", str(js)], capsys)
    assert rc == 0, out + err
    before = js.read_bytes()
    rc, out, err = run_cli(["merge-reports", str(js), "--json", str(js)], capsys)
    assert rc == 2 and "one of the reports to merge" in err, out + err
    assert js.read_bytes() == before
