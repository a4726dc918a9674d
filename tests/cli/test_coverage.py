"""Data coverage on runs (`--coverage`, `coverage: {required: true}`): the fixtures under
tests/fixtures/coverage run end to end, and every format says what the inputs never exercised."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coverage"


def _suite(tmp_path: Path, *names: str) -> Path:
    root = tmp_path / "suite"
    for sub in ("schemas", "data", *names):
        shutil.copytree(FIXTURES / sub, root / sub)
    return root


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    rc, out, _ = run_cli([*args, "--output", "json", "-q"], capsys)
    return rc, json.loads(out)


def _items(report: dict) -> dict[str, dict]:
    [app] = report["apps"]
    [query] = app["queries"]
    return {i["sql"]: i for i in query["coverage"]["items"]}


def test_a_case_arm_the_schema_never_reaches_is_reported_with_its_hint(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "unreached_arm")
    rc, out, _ = run_cli(["--headless", str(root), "--coverage", "-q"], capsys)
    assert rc == 0, out  # coverage alone reports; it fails nothing
    assert "coverage: 3 of 6 items covered (50 %)" in out
    assert "tiers.sql:6:18  CASE arm `WHEN amount * quantity > 100000 THEN 'platinum'`  never taken" in out
    assert "hint: `amount * quantity > 100000` is never true: amount max 100 × quantity max 10 gives at most 1000" in out
    assert "`status = 'REFUNDED'` is never true: status is one of 'NEW', 'PAID', 'SHIPPED' (its schema's " \
           "enum_values): never 'REFUNDED'" in out
    assert "condition `amount > 0`  never false" in out and "amount is at least 1 (its schema's range: 1 to 100)" in out
    # the arms the data does reach are not listed
    assert "WHEN amount > 50 THEN 'gold'`  never" not in out and "ELSE 'standard'`  never" not in out


def test_json_carries_the_counts_of_every_item(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "unreached_arm")
    rc, report = _json(["--headless", str(root), "--coverage"], capsys)
    assert rc == 0
    items = _items(report)
    gold = items["WHEN amount > 50 THEN 'gold'"]
    standard = items["ELSE 'standard'"]
    platinum = items["WHEN amount * quantity > 100000 THEN 'platinum'"]
    where = items["amount > 0"]
    assert platinum["counts"] == {"taken": 0} and platinum["covered"] is False and platinum["gap"] == "never taken"
    assert platinum["hint"].endswith("amount max 100 × quantity max 10 gives at most 1000")
    # every record takes exactly one arm of the first CASE, and passes the WHERE
    assert gold["counts"]["taken"] + standard["counts"]["taken"] == 200
    assert gold["counts"]["taken"] > 0 and standard["counts"]["taken"] > 0
    assert where["counts"] == {"true": 200, "false": 0} and where["missing"] == ["false"]
    assert (where["kind"], where["clause"], where["line"], where["column"]) == ("condition", "WHERE", 11, 7)
    cov = report["apps"][0]["queries"][0]["coverage"]
    assert (cov["items_total"], cov["items_covered"], cov["percent"], cov["required"]) == (6, 3, 50.0, False)


def test_a_join_without_unmatched_rows_is_reported(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "join_all_match")
    rc, report = _json(["--headless", str(root), "--coverage"], capsys)
    assert rc == 0
    [join] = [i for i in _items(report).values() if i["kind"] == "join"]
    assert join["sql"] == "LEFT JOIN customers c ON o.customer_id = c.customer_id"
    assert join["counts"] == {"matched": 100, "o unmatched": 0}
    assert join["missing"] == ["o unmatched"] and join["gap"] == "every `o` record found a match (never unmatched)"
    assert "orders.customer_id references customer_id of ../data/customers.csv" in join["hint"]


def test_an_unmatched_row_covers_the_join(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "join_all_match")
    spec = root / "join_all_match" / "enrich.test.yaml"
    spec.write_text(spec.read_text().replace("        records: 100\n", "        data_file: orders.jsonl\n"))
    (root / "join_all_match" / "orders.jsonl").write_text(
        '{"order_id": "o0001", "customer_id": "C1", "amount": 5.0, "quantity": 1, "status": "NEW", "region": "EU"}\n'
        '{"order_id": "o0002", "customer_id": "C9", "amount": 7.0, "quantity": 2, "status": "NEW", "region": "US"}\n')
    spec.write_text(spec.read_text().replace("equals: 100", "equals: 2"))
    rc, report = _json(["--headless", str(root), "--coverage"], capsys)
    assert rc == 0, report
    [join] = [i for i in _items(report).values() if i["kind"] == "join"]
    assert join["counts"] == {"matched": 1, "o unmatched": 1} and join["covered"] is True


def test_required_coverage_fails_a_query_with_uncovered_items(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "required_fail")
    rc, out, _ = run_cli(["--headless", str(root), "-q"], capsys)  # required: counted without --coverage
    assert rc == 1, out
    assert "✗ coverage — coverage: required" in out and "required_fail/tiers.test.yaml:3" in out
    assert "3 of 6 coverage items not covered: C1 `WHEN amount * quantity > 100000 THEN 'platinum'` never taken " \
           "(line 6)" in out
    rc, report = _json(["--headless", str(root)], capsys)
    assert rc == 1
    [query] = report["apps"][0]["queries"]
    [check] = [a for a in query["assertions"] if a["type"] == "coverage"]
    assert check["status"] == "failed" and check["line"] == 3
    assert [s["item"] for s in check["samples"]] == ["C1", "C4", "C6"]
    assert query["coverage"]["required"] is True


def test_required_coverage_passes_a_fully_covered_query(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "required_pass")
    rc, report = _json(["--headless", str(root)], capsys)
    assert rc == 0, report
    [query] = report["apps"][0]["queries"]
    [check] = [a for a in query["assertions"] if a["type"] == "coverage"]
    assert check["status"] == "passed" and check["message"] == "every coverage item covered (5 items)"
    kinds = sorted(i["kind"] for i in query["coverage"]["items"])
    assert kinds == ["case_arm", "case_else", "condition", "condition", "group_by"]
    assert all(i["covered"] for i in query["coverage"]["items"])


def test_a_query_level_coverage_overrides_the_apps(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "required_fail")
    spec = root / "required_fail" / "tiers.test.yaml"
    spec.write_text(spec.read_text().replace("  - name: order_tiers\n", "  - name: order_tiers\n"
                                             "    coverage: {required: false}\n"))
    rc, out, _ = run_cli(["--headless", str(root), "-q"], capsys)
    assert rc == 0, out
    assert "coverage:" not in out  # not required, not asked for: not counted


def test_junit_has_the_coverage_in_system_out(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "join_all_match")
    junit = tmp_path / "out.xml"
    rc, _, _ = run_cli(["--headless", str(root), "--coverage", "-q", "--junit", str(junit)], capsys)
    assert rc == 0
    [case] = ET.parse(junit).getroot().iter("testcase")
    text = case.find("system-out").text
    assert "coverage: 0 of 1 items covered (0 %)" in text
    assert "join `LEFT JOIN customers c ON o.customer_id = c.customer_id`  every `o` record found a match" in text
    assert "hint: orders.customer_id references customer_id" in text


def test_without_coverage_reports_carry_none(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "unreached_arm")
    rc, report = _json(["--headless", str(root)], capsys)
    assert rc == 0
    [query] = report["apps"][0]["queries"]
    assert "coverage" not in query
    rc, out, _ = run_cli(["--headless", str(root), "-q"], capsys)
    assert "coverage:" not in out


def test_the_run_subcommand_takes_coverage(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "unreached_arm")
    rc, out, _ = run_cli(["run", str(root), "--coverage", "-q"], capsys)
    assert rc == 0 and "coverage: 3 of 6 items covered" in out


def test_coverage_spec_keys_are_strict(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "required_pass")
    spec = root / "required_pass" / "regions.test.yaml"
    spec.write_text(spec.read_text().replace("coverage: {required: true}", "coverage: {requird: true}"))
    rc, out, err = run_cli(["--headless", str(root), "-q"], capsys)
    assert rc == 2 and "regions.test.yaml:5:16: unknown key 'requird'; did you mean 'required'?" in out
    spec.write_text(spec.read_text().replace("coverage: {requird: true}", "coverage: {required: true, minimum: 90}"))
    rc, out, err = run_cli(["validate", str(root)], capsys)
    assert rc == 0 and "unknown key 'minimum'" in out
    rc, out, err = run_cli(["validate", str(root), "--strict"], capsys)
    assert rc == 2 and "unknown key 'minimum'" in out
    spec.write_text(spec.read_text().replace("coverage: {required: true, minimum: 90}", "coverage: {requird: true}"))
    spec.write_text(spec.read_text().replace("coverage: {requird: true}", "coverage: {required: maybe}"))
    rc, out, err = run_cli(["validate", str(root)], capsys)
    assert rc == 2 and "regions.test.yaml:5:26" in out and "required" in out
    spec.write_text(spec.read_text().replace("coverage: {required: maybe}", "coverage: true"))
    rc, out, err = run_cli(["validate", str(root)], capsys)
    assert rc == 2 and "coverage is a mapping, not True: write coverage: {required: true}" in out
    spec.write_text(spec.read_text().replace("coverage: true", "covrage: {required: true}"))
    rc, out, err = run_cli(["validate", str(root)], capsys)
    assert "did you mean 'coverage'" in out


def test_required_coverage_on_an_engine_that_cannot_count_is_an_error(tmp_path: Path, monkeypatch) -> None:
    """Another engine (here the embedded one under another name, so no broker is needed) counts nothing:
    the coverage assertion is an error that says so, never a pass over no counts."""
    from velotui.adapters.embedded import EmbeddedAdapter
    from velotui.core.run import RunOptions, SuiteRun

    class Other(EmbeddedAdapter):
        name = "other"

    monkeypatch.setattr(SuiteRun, "engines_for", lambda self, spec: ["other"])
    monkeypatch.setattr(SuiteRun, "adapter", lambda self, name: Other())
    root = _suite(tmp_path, "required_pass")
    report = SuiteRun(root, RunOptions(coverage=True)).execute()
    [query] = report.apps[0].queries
    [check] = [a for a in query.assertions if a.type == "coverage"]
    assert check.status == "error" and "the other engine cannot count it" in check.message
    assert query.coverage.measured is False and query.status == "failed"


def test_a_mutant_the_data_cannot_tell_names_the_coverage_item_behind_it(tmp_path: Path) -> None:
    from velotui.core.mutate import MutationOptions, run_mutation

    root = _suite(tmp_path, "join_all_match")
    report = run_mutation(root, MutationOptions(operators=["join-kind"]))
    [app] = report.apps
    [mutant] = [m for q in app.queries for m in q.mutants]
    assert mutant.reason == "data_cannot_tell", mutant
    assert "data coverage: C1 `LEFT JOIN customers c ON o.customer_id = c.customer_id` every `o` record found a " \
           "match (never unmatched)" in mutant.hint
    root = _suite(tmp_path / "b", "unreached_arm")
    report = run_mutation(root, MutationOptions(operators=["case"]))
    hints = [m.hint for q in report.apps[0].queries for m in q.mutants if m.reason == "data_cannot_tell"]
    assert hints and all("data coverage: C1 `WHEN amount * quantity > 100000 THEN 'platinum'` never taken (`amount * "
                         "quantity > 100000` is never true: amount max 100 × quantity max 10 gives at most 1000)" in h
                         for h in hints), hints


def test_shrinking_does_not_apply_to_required_coverage(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "required_fail")
    rc, report = _json(["--headless", str(root), "--shrink"], capsys)
    assert rc == 1
    m = report["apps"][0]["queries"][0]["minimal_input"]
    assert m["applies"] is False and m["assertion"].startswith("`coverage`")
    assert "required coverage fails on what the inputs lack, not on a record" in m["reason"]


def test_uncovered_items_by_line_of_a_sql_file(tmp_path: Path) -> None:
    """What the SQL view's gutter marks: the items of a run not covered, by line of their file."""
    from velotui.core.run import RunOptions, SuiteRun
    from velotui.report.coverage import uncovered_at

    root = _suite(tmp_path, "unreached_arm")
    report = SuiteRun(root, RunOptions(coverage=True)).execute()
    marks = uncovered_at(report, root / "unreached_arm" / "tiers.sql")
    assert {line: [i.id for _, _, i in v] for line, v in marks.items()} == {6: ["C1"], 9: ["C4"], 11: ["C6"]}
    assert uncovered_at(report, root / "elsewhere.sql") == {}


def test_explain_shows_coverage_and_explains_a_required_coverage_offline(tmp_path: Path, capsys) -> None:
    root = _suite(tmp_path, "required_fail")
    rc, out, _ = run_cli(["explain", str(root), "--coverage", "--no-ai"], capsys)
    assert rc == 1
    assert out.startswith("# Data coverage\n") and "coverage: 3 of 6 items covered (50 %)" in out
    assert "## Cause" in out and "was never taken: `amount * quantity > 100000` is never true" in out
    assert "- cover C1, C4, C6: give the sources data that reaches each" in out
    assert "no rule matched" not in out


def test_under_compare_coverage_is_the_embedded_sides(tmp_path: Path, monkeypatch) -> None:
    """--compare OTHER,embedded: the other engine counts nothing, the embedded run's coverage is the query's."""
    from velotui.adapters.embedded import EmbeddedAdapter
    from velotui.core.run import RunOptions, SuiteRun

    class Other(EmbeddedAdapter):
        name = "other"

    monkeypatch.setattr(SuiteRun, "engines_for", lambda self, spec: ["other", "embedded"])
    monkeypatch.setattr(SuiteRun, "adapter", lambda self, name: Other() if name == "other" else EmbeddedAdapter())
    root = _suite(tmp_path, "unreached_arm")
    report = SuiteRun(root, RunOptions(coverage=True)).execute()
    [query] = report.apps[0].queries
    assert query.comparison is not None and query.comparison.verdict == "same"
    assert query.coverage is not None and query.coverage.measured
    assert [i.id for i in query.coverage.uncovered] == ["C1", "C4", "C6"]
