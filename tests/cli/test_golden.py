"""Golden outputs headless: --update-golden writes them, later runs compare exactly, a changed SQL fails with
the exact row-level diff in the text, JSON and JUnit reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.helpers import GOOD_SQL, good_files, run_cli, write_suite

GOLDEN = Path("apps/good.golden/orders_out.jsonl")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def _golden_results(report: dict) -> list[dict]:
    return [a for app in report["apps"] for q in app["queries"] for a in q["assertions"] if a["type"] == "golden"]


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path, good_files())


def test_update_writes_sorted_canonical_records_beside_the_spec(suite: Path, capsys) -> None:
    rc, out, err = run_cli(["--headless", str(suite), "--update-golden"], capsys)
    assert rc == 0, out + err
    path = suite / GOLDEN
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])["_golden"]
    assert header["app"] == "good_app" and header["query"] == "orders_out" and header["order"] == "sorted"
    assert header["records"] == 50 == len(lines) - 1
    assert isinstance(header["seed"], int) and isinstance(header["now_ms"], int)
    assert lines[1:] == sorted(lines[1:])  # no ORDER BY: sorted by canonical text
    for line in lines[1:]:
        rec = json.loads(line)
        assert list(rec) == sorted(rec)  # fields sorted
        assert line == json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    assert "golden file created" in err


def test_later_runs_pass_whatever_the_seed(suite: Path, capsys, tmp_path: Path) -> None:
    run_cli(["--headless", str(suite), "--update-golden"], capsys)
    js = tmp_path / "r.json"
    for extra in ([], ["--seed", "12345"], ["--seed", "1", "--now", "0"]):
        rc, out, err = run_cli(["--headless", str(suite), "--json", str(js), *extra], capsys)
        assert rc == 0, out + err
        golden = _golden_results(json.loads(js.read_text()))
        assert len(golden) == 1 and golden[0]["status"] == "passed"
        assert "50 records match the golden file" in golden[0]["message"]


def test_changed_sql_fails_with_the_exact_diff_in_every_format(suite: Path, capsys, tmp_path: Path) -> None:
    run_cli(["--headless", str(suite), "--update-golden"], capsys)
    recorded = _records(suite / GOLDEN)
    (suite / "apps/good.sql").write_text(GOOD_SQL.replace("FROM orders\n", "FROM orders WHERE amount > 250\n"))
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    rc, out, err = run_cli(["--headless", str(suite), "--json", str(js), "--junit", str(xml)], capsys)
    assert rc == 1, out + err
    gone = [r for r in recorded if r["amount"] <= 250]
    assert gone and len(gone) < len(recorded)
    (golden,) = _golden_results(json.loads(js.read_text()))
    assert golden["status"] == "failed"
    diff = golden["diff"]
    assert (diff["removed"], diff["added"], diff["changed"]) == (len(gone), 0, 0)
    assert [c["expected"] for c in diff["changes"]] == gone
    assert all(c["kind"] == "removed" for c in diff["changes"])
    lines = (suite / GOLDEN).read_text().splitlines()
    assert [c["golden_line"] for c in diff["changes"]] == [
        n for n, line in enumerate(lines, 1) if n > 1 and json.loads(line)["amount"] <= 250]
    # text report: one line per removed row, with the golden file line
    first = diff["changes"][0]
    assert f"- orders_out.jsonl:{first['golden_line']}: " in out
    assert f"{len(gone)} removed" in out
    # JUnit: the failure text carries the same diff lines
    failure = ET.parse(xml).getroot().find(".//testcase/failure")
    assert failure is not None and "golden" in failure.get("message", "")
    assert f"- orders_out.jsonl:{first['golden_line']}: " in (failure.text or "")


def test_changed_values_are_reported_field_by_field(suite: Path, capsys, tmp_path: Path) -> None:
    run_cli(["--headless", str(suite), "--update-golden"], capsys)
    recorded = {r["order_id"]: r for r in _records(suite / GOLDEN)}
    (suite / "apps/good.sql").write_text(GOOD_SQL.replace("SELECT order_id, amount", "SELECT order_id, "
                                                          "ROUND(amount, 0) AS amount"))
    js = tmp_path / "r.json"
    rc, out, _ = run_cli(["--headless", str(suite), "--json", str(js)], capsys)
    assert rc == 1
    (golden,) = _golden_results(json.loads(js.read_text()))
    changes = golden["diff"]["changes"]
    changed = [c for c in changes if c["kind"] == "changed"]
    assert changed and golden["diff"]["added"] == golden["diff"]["removed"] == 0
    for c in changed:
        assert c["fields"] == ["amount"]
        assert c["expected"] == recorded[c["actual"]["order_id"]]
        assert c["actual"]["amount"] == round(c["expected"]["amount"])
    c = changed[0]
    assert f"amount: {json.dumps(c['expected']['amount'])} → {json.dumps(c['actual']['amount'])}" in out


def test_order_by_keeps_arrival_order_and_a_reorder_is_a_diff(tmp_path: Path, capsys) -> None:
    files = good_files()
    files["apps/good.sql"] = GOOD_SQL.replace("FROM orders\n", "FROM orders ORDER BY amount\n")
    suite = write_suite(tmp_path, files)
    run_cli(["--headless", str(suite), "--update-golden"], capsys)
    header = json.loads((suite / GOLDEN).read_text().splitlines()[0])["_golden"]
    amounts = [r["amount"] for r in _records(suite / GOLDEN)]
    assert header["order"] == "arrival" and amounts == sorted(amounts)
    (suite / "apps/good.sql").write_text(files["apps/good.sql"].replace("ORDER BY amount", "ORDER BY amount DESC"))
    rc, out, _ = run_cli(["--headless", str(suite)], capsys)
    assert rc == 1 and "golden" in out


def test_update_reports_what_changed_and_a_rerun_passes(suite: Path, capsys) -> None:
    run_cli(["--headless", str(suite), "--update-golden"], capsys)
    rc, out, _err = run_cli(["--headless", str(suite), "--update-golden"], capsys)
    assert rc == 0 and "golden file unchanged" in _err
    (suite / "apps/good.sql").write_text(GOOD_SQL.replace("SELECT order_id, amount", "SELECT order_id, "
                                                          "ROUND(amount, 0) AS amount"))
    rc, out, _err = run_cli(["--headless", str(suite), "--update-golden"], capsys)
    assert rc == 0 and "golden file rewritten (" in _err and " changed)" in _err
    rc, out, _ = run_cli(["--headless", str(suite)], capsys)
    assert rc == 0, out


def test_a_broken_golden_file_is_an_error_with_file_line_column(suite: Path, capsys, tmp_path: Path) -> None:
    files = good_files()
    write_suite(suite, {"apps/other.sql": files["apps/good.sql"].replace("good_app", "other_app"),
                        "apps/other.test.yaml": files["apps/good.test.yaml"].replace("good_app", "other_app")})
    run_cli(["--headless", str(suite), "--update-golden"], capsys)
    path = suite / GOLDEN
    lines = path.read_text().splitlines()
    lines[3] = lines[3][:-1]  # a hand edit lost the closing brace
    path.write_text("\n".join(lines) + "\n")
    js = tmp_path / "r.json"
    rc, out, _ = run_cli(["--headless", str(suite), "--json", str(js)], capsys)
    assert rc == 1
    report = json.loads(js.read_text())
    by_app = {a["name"]: a for a in report["apps"]}
    (broken,) = _golden_results({"apps": [by_app["good_app"]]})
    assert broken["status"] == "error" and broken["line"] == 4
    assert "golden record is not JSON" in broken["message"] and "--update-golden" in broken["message"]
    assert f"{path}:4:" in out or "orders_out.jsonl:4" in out
    (fine,) = _golden_results({"apps": [by_app["other_app"]]})
    assert fine["status"] == "passed"  # the other app is unaffected


def test_not_a_golden_file(suite: Path, capsys, tmp_path: Path) -> None:
    path = suite / GOLDEN
    path.parent.mkdir(parents=True)
    path.write_text('{"order_id": "x", "amount": 1}\n')
    js = tmp_path / "r.json"
    rc, _, _ = run_cli(["--headless", str(suite), "--json", str(js)], capsys)
    (golden,) = _golden_results(json.loads(js.read_text()))
    assert rc == 1 and golden["status"] == "error" and golden["line"] == 1
    assert "not a velotui golden file" in golden["message"]


def test_query_without_golden_file_has_no_golden_result(suite: Path, capsys, tmp_path: Path) -> None:
    js = tmp_path / "r.json"
    rc, _, _ = run_cli(["--headless", str(suite), "--json", str(js)], capsys)
    assert rc == 0 and _golden_results(json.loads(js.read_text())) == []
    assert not (suite / "apps" / "good.golden").exists()


def test_validate_checks_golden_files(suite: Path, capsys) -> None:
    run_cli(["--headless", str(suite), "--update-golden"], capsys)
    rc, out, _ = run_cli(["validate", str(suite)], capsys)
    assert rc == 0, out
    path = suite / GOLDEN
    lines = path.read_text().splitlines()
    lines[2] = "not json"
    path.write_text("\n".join(lines) + "\n")
    (path.parent / "gone_query.jsonl").write_text(lines[0] + "\n")
    rc, out, _ = run_cli(["validate", str(suite)], capsys)
    assert rc == 2
    assert f"{path}:3:1: golden record is not JSON" in out
    assert "gone_query.jsonl: golden file of no query of good.sql" in out and "orders_out" in out
