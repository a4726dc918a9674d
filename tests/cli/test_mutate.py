"""`velotui mutate` end to end: real apps, real runs, the report in every format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.cli.helpers import run_cli, write_suite
from velotui.core.mutate import OPERATORS, Change, MutationOperator, MutationOptions, operator, run_mutation

SQL = """\
-- @app: big_orders
-- @description: orders over 100, tiered
CREATE STREAM big_orders AS
SELECT order_id, amount,
       CASE WHEN amount > 500 THEN 'HIGH' ELSE 'LOW' END AS tier
FROM orders
WHERE amount > 100
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders');
"""

AMOUNTS = [50, 100, 101, 150, 300, 499, 500, 501, 600, 1000, 20, 99]

WEAK_SPEC = """\
application: big_orders
queries:
  - name: big_orders
    inputs:
      - source: orders
        data_file: orders.jsonl
    assertions:
      - type: record_count
        greater_than: 0
"""

STRONG_SPEC = """\
application: big_orders
queries:
  - name: big_orders
    inputs:
      - source: orders
        data_file: orders.jsonl
    assertions:
      - type: template
        description: exactly the orders over 100
        expression: "len(records) == count(1 for r in inputs.orders.records if r.amount > 100)"
      - type: template
        description: the tier follows the amount
        expression: "all(r.tier == ('HIGH' if r.amount > 500 else 'LOW') for r in records)"
      - type: template
        description: the amounts are the inputs'
        expression: "sorted(r.amount for r in records) == sorted(i.amount for i in inputs.orders.records if i.amount > 100)"
"""


def _suite(root: Path, spec: str = WEAK_SPEC, amounts: list[int] = AMOUNTS, sql: str = SQL) -> Path:
    rows = "".join(json.dumps({"order_id": f"o{i}", "amount": a}) + "\n" for i, a in enumerate(amounts))
    return write_suite(root, {"app/big_orders.sql": sql, "app/big_orders.test.yaml": spec,
                              "app/orders.jsonl": rows})


def _mutate(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str, str]:
    rc, out, err = run_cli(["mutate", *args, "--output", "json", "-q"], capsys)
    return rc, json.loads(out), out, err


def _mutants(report: dict) -> list[dict]:
    return [m for a in report["apps"] for q in a["queries"] for m in q["mutants"]]


def test_a_weak_spec_has_survivors_each_reported_with_its_diff(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path)
    rc, report, _, _ = _mutate([str(tmp_path)], capsys)
    assert rc == 0
    mutants = _mutants(report)
    survivors = [m for m in mutants if m["reason"] == "spec_does_not_look"]
    assert len(survivors) >= 8 and report["summary"]["score"] < 0.5
    for m in survivors:
        minus = [ln for ln in m["diff"].splitlines() if ln.startswith("-")]
        plus = [ln for ln in m["diff"].splitlines() if ln.startswith("+")]
        assert minus or plus, m
        assert m["line"] and m["column"] and m["difference"]["text"], m
        assert m["hint"].startswith(("no assertion distinguishes", "no assertion notices")), m["hint"]
    by_title = {m["title"]: m for m in mutants}
    boundary = by_title["`amount > 100` → `amount >= 100`"]
    assert boundary["reason"] == "spec_does_not_look" and boundary["line"] == 7 and boundary["column"] == 7
    assert boundary["difference"]["what"] == "extra" and boundary["difference"]["mutant"]["amount"] == 100
    assert "no assertion checks how many records come out" not in boundary["hint"]  # record_count is there
    assert "-  amount > 100" in boundary["diff"] and "+  amount >= 100" in boundary["diff"]
    # `> 1000` leaves no record: the one assertion there is catches that
    assert by_title["`amount > 100` → `amount > 1000`"]["status"] == "killed"
    tier = by_title["`amount > 500` → `amount >= 500`"]
    assert tier["difference"]["field"] == "tier" and "no assertion looks at `tier`" in tier["hint"]


@pytest.mark.parametrize("title, kind", [
    ("`amount > 500` → `amount >= 500`", "template"),  # a value: the record that tells them apart
    ("`amount > 100` → `amount >= 100`", "template"),  # a count: recomputed from the inputs, not a number
])
def test_the_assertion_a_survivor_suggests_kills_it(tmp_path: Path, capsys, title: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path)
    _, report, _, _ = _mutate([str(tmp_path)], capsys)
    m = next(m for m in _mutants(report) if m["title"] == title)
    suggestion = yaml.safe_load(m["suggestion"])
    assert suggestion[0]["type"] == kind
    if title.startswith("`amount > 100`"):
        assert suggestion[0]["expression"] == ("len(records) == count(1 for r in inputs.orders.records "
                                               "if r.amount is not None and r.amount > 100)")
    spec = yaml.safe_load(WEAK_SPEC)
    spec["queries"][0]["assertions"] += suggestion
    (tmp_path / "app" / "big_orders.test.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0, out  # it holds on the original
    _, again, _, _ = _mutate([str(tmp_path)], capsys)
    after = next(x for x in _mutants(again) if x["title"] == m["title"])
    assert after["status"] == "killed", after


def test_the_data_cannot_tell_when_no_input_reaches_the_difference(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path, amounts=[50, 150, 300, 700])  # nobody at 100 or 500
    _, report, _, _ = _mutate([str(tmp_path)], capsys)
    by_title = {m["title"]: m for m in _mutants(report)}
    m = by_title["`amount > 100` → `amount >= 100`"]
    assert m["status"] == "survived" and m["reason"] == "data_cannot_tell" and m["difference"] is None
    assert "no input record has `amount` = 100 (the boundary of `amount > 100`)" in m["hint"]
    assert "between 100 and 101" in by_title["`amount > 100` → `amount > 101`"]["hint"]
    counts = report["summary"]
    assert counts["data_cannot_tell"] >= 4
    # the score leaves them out: killed / (killed + the spec does not look)
    assert counts["score"] == pytest.approx(counts["killed"] / (counts["killed"] + counts["spec_does_not_look"]))


def test_a_strong_spec_kills_every_mutant_the_data_can_tell(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path, spec=STRONG_SPEC)
    rc, report, _, _ = _mutate([str(tmp_path), "--min-score", "100"], capsys)
    assert rc == 0
    assert report["summary"]["spec_does_not_look"] == 0 and report["summary"]["score"] == 1.0
    assert report["summary"]["killed"] >= 10
    _suite(tmp_path)  # the weak one again
    rc, _, _, _ = _mutate([str(tmp_path), "--min-score", "90"], capsys)
    assert rc == 1


def test_text_and_junit_reports(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path)
    junit, js = tmp_path / "m.xml", tmp_path / "m.json"
    rc, out, err = run_cli(["mutate", str(tmp_path), "--junit", str(junit), "--json", str(js)], capsys)
    assert rc == 0
    assert "survivors: the spec does not look" in out and "mutation score" in out
    assert "reproduce: velotui mutate" in out and "--seed 1 --now 1767225600000" in out
    assert "big_orders: " in err and "mutants" in err
    report = json.loads(js.read_text())
    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    c = report["summary"]
    assert int(suite.get("tests", "0")) == c["mutants"]
    assert int(suite.get("failures", "0")) == c["spec_does_not_look"]
    assert int(suite.get("skipped", "0")) == c["data_cannot_tell"] + c["not_run"]
    failure = root.find(".//testcase/failure")
    assert failure is not None and "first difference" in (failure.text or "") and "@@" in (failure.text or "")


def test_same_seed_same_report_with_one_process_or_two(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path, spec=WEAK_SPEC)

    def stable(report: dict) -> list:
        return [{k: v for k, v in m.items() if k != "duration_ms"} for m in _mutants(report)]

    _, one, _, _ = _mutate([str(tmp_path), "--seed", "5"], capsys)
    _, two, _, _ = _mutate([str(tmp_path), "--seed", "5", "-j", "2"], capsys)
    _, again, _, _ = _mutate([str(tmp_path), "--seed", "5"], capsys)
    assert stable(one) == stable(two) == stable(again)
    assert two["jobs"] == 2 and one["seed"] == 5


def test_a_refused_mutant_is_killed(tmp_path: Path) -> None:
    from sqlglot import exp

    from velotui.sql.dialect import Emit

    @operator
    class FinalEverywhere(MutationOperator):
        name = "test-emit-final"
        summary = "EMIT FINAL without a window (refused)"

        def changes(self, node, ctx):  # type: ignore[no-untyped-def]
            if isinstance(node, exp.Select):
                new = node.copy()
                new.set("emit", Emit(this="final"))
                yield Change(new, node, "EMIT CHANGES", "EMIT FINAL")

    try:
        _suite(tmp_path)
        report = run_mutation(tmp_path, MutationOptions(operators=["test-emit-final"]))
        [m] = report.mutants
        assert (m.status, m.reason) == ("killed", "refused") and "EMIT FINAL needs a WINDOW" in m.detail
        assert report.counts["refused"] == 1 and report.score == 1.0
    finally:
        OPERATORS.pop("test-emit-final", None)


def test_an_app_whose_tests_fail_or_that_is_invalid_does_not_stop_the_others(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path / "good")
    failing = WEAK_SPEC.replace("greater_than: 0", "equals: 3")
    _suite(tmp_path / "failing", spec=failing)
    rc, report, _, _ = _mutate([str(tmp_path)], capsys)
    assert rc == 1
    apps = {a["file"].split("/")[-3]: a for a in report["apps"]}
    assert apps["failing"]["error_kind"] == "failing" and "fail on the original SQL" in apps["failing"]["error"]
    assert apps["good"]["error"] is None and apps["good"]["counts"]["mutants"] > 5
    _suite(tmp_path / "broken", sql=SQL.replace("WHERE amount > 100", "WHERE amount >"))
    rc, report, _, _ = _mutate([str(tmp_path)], capsys)
    assert rc == 2
    broken = next(a for a in report["apps"] if "/broken/" in a["file"])
    assert broken["error_kind"] == "invalid" and "big_orders.sql:8" in broken["error"]
    assert any(a["counts"]["mutants"] > 5 for a in report["apps"])


def test_the_budget_bounds_the_run_and_lists_what_did_not_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path)
    rc, out, _ = run_cli(["mutate", str(tmp_path), "--budget", "1ms"], capsys)
    assert rc == 0
    assert "not run (budget of 0.001 s used up)" in out
    rc, report, _, _ = _mutate([str(tmp_path), "--budget", "1ms"], capsys)
    assert report["budget_exhausted"] and all(m["status"] == "not_run" for m in _mutants(report))
    assert report["summary"]["score"] is None


def test_a_mutant_upstream_is_caught_downstream_and_only_what_reads_it_runs_again(tmp_path: Path) -> None:
    sql = SQL.replace("EMIT CHANGES\nWITH", "EMIT CHANGES;\n\nCREATE STREAM high AS SELECT order_id FROM big_orders "
                      "WHERE tier = 'HIGH'\nWITH") + ""
    spec = WEAK_SPEC + """\
  - name: high
    inputs:
      - source: orders
        data_file: orders.jsonl
    assertions:
      - type: template
        expression: "len(records) == count(1 for r in inputs.orders.records if r.amount > 500)"
"""
    _suite(tmp_path, spec=spec, sql=sql)
    report = run_mutation(tmp_path, MutationOptions())
    by_title = {m.title: m for m in report.mutants}
    tier = by_title["`amount > 500` → `amount >= 500`"]  # in big_orders, seen by the query of `high`
    assert tier.status == "killed" and tier.killed_by[0].startswith("high: template")
    from velotui.core.discovery import discover
    from velotui.core.mutate.runner import plan_app

    suite = discover(tmp_path)
    plan = plan_app(suite.apps[0], suite.root, MutationOptions())
    assert plan is not None
    assert plan.affected == {"big_orders": ["big_orders", "high"], "high": ["high"]}


def test_a_statement_no_query_tests_has_mutants_the_spec_does_not_look_at(tmp_path: Path) -> None:
    sql = SQL.replace("EMIT CHANGES\nWITH", "EMIT CHANGES;\n\nCREATE STREAM cheap AS SELECT order_id FROM orders "
                      "WHERE amount < 50\nWITH")
    _suite(tmp_path, spec=STRONG_SPEC, sql=sql)
    report = run_mutation(tmp_path, MutationOptions())
    cheap = [m for m in report.mutants if m.statement == "cheap"]
    assert cheap and all(m.reason == "spec_does_not_look" for m in cheap)
    assert "no query of the spec tests `cheap`" in cheap[0].hint
    assert all(m.reason != "spec_does_not_look" for m in report.mutants if m.statement == "big_orders")


def test_an_app_that_does_not_round_trip_is_not_mutated(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import velotui.core.mutate.runner as runner

    original = runner.identity_text
    monkeypatch.setattr(runner, "identity_text", lambda loaded: original(loaded).replace("> 100", "> 101"))
    _suite(tmp_path)
    report = run_mutation(tmp_path, MutationOptions())
    [app] = report.apps
    assert app.error_kind == "round_trip" and "written back unchanged" in (app.error or "")
    assert app.mutants == [] and report.exit_code() == 1


@pytest.mark.parametrize("args, message", [
    (["--budget", "soon"], "--budget 'soon': not a duration"),
    (["--operators", "comparisn"], "did you mean 'comparison'?"),
    (["-j", "0"], "-j 0: needs at least 1 process"),
    (["--query", "nope"], "has a query or statement named 'nope'"),
    (["--json", "/proc/no/such/folder/m.json"], "--json /proc/no/such/folder/m.json: cannot create the folder"),
])
def test_bad_arguments_are_clear_errors(tmp_path: Path, capsys, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    _suite(tmp_path)
    rc, _, err = run_cli(["mutate", str(tmp_path), *args], capsys)
    assert rc == 2 and message in err, err


def test_nothing_to_mutate_is_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, _, err = run_cli(["mutate", str(tmp_path)], capsys)
    assert rc == 2 and "nothing to mutate" in err
    rc, _, err = run_cli(["mutate", str(tmp_path / "nope")], capsys)
    assert rc == 2 and "no such file or folder" in err
    rc, out, _ = run_cli(["mutate", "--list-operators"], capsys)
    assert rc == 0 and all(name in out for name in OPERATORS)


def test_every_mutant_of_the_demo_is_killed_or_the_data_cannot_tell() -> None:
    """The demo's specs are strong (docs/QUALITY.md): no survivor that the spec does not look at."""
    demo = Path(__file__).resolve().parents[2] / "demo"
    report = run_mutation(demo, MutationOptions(jobs=2))
    assert not [a.error for a in report.apps if a.error]
    looked_past = [f"{a.name} {m.id} {m.title}" for a in report.apps for m in a.mutants
                   if m.reason == "spec_does_not_look"]
    assert looked_past == []
    assert report.counts["mutants"] >= 150 and report.score == 1.0
    assert report.counts["data_cannot_tell"] <= 30


def test_the_report_gives_survivors_by_line_for_a_gutter(tmp_path: Path) -> None:
    _suite(tmp_path)
    report = run_mutation(tmp_path, MutationOptions())
    gutter = report.survivors_at(tmp_path / "app" / "big_orders.sql")
    assert set(gutter) <= {5, 7} and 7 in gutter  # the CASE line and the WHERE line
    assert {m.operator for m in gutter[7]} >= {"comparison", "literal", "drop-conjunct"}
    assert all(m.survived for ms in gutter.values() for m in ms)
    assert report.survivors_at(tmp_path / "elsewhere.sql") == {}
