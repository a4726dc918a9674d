"""`--shrink`: the smallest input that fails the same assertion the same way, written beside the spec with
the command that reproduces the failure (and that command does)."""

from __future__ import annotations

import json
import shlex
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli, write_suite
from velotui.core.run import RunOptions, SuiteRun
from velotui.core.shrink import shrink_failures, shrink_query

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "failing"


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target)
    return target


def _shrunk(report: dict) -> dict:
    [app] = report["apps"]
    [query] = app["queries"]
    assert query["minimal_input"] is not None, query
    return query["minimal_input"]


def _replay(command: str, capsys) -> dict:  # type: ignore[no-untyped-def]
    argv = shlex.split(command)
    assert argv[:2] == ["velotui", "--headless"]
    rc, out, _ = run_cli([*argv[1:], "--output", "json", "-q"], capsys)
    assert rc == 1, out
    return json.loads(out)


def test_one_bad_record_among_hundreds_shrinks_to_exactly_that_record(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    app = _copy("one_bad_record", tmp_path)
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(["--headless", "one_bad_record", "--shrink", "--output", "json"], capsys)
    assert rc == 1
    m = _shrunk(json.loads(out))
    assert m["applies"] and m["reproduced"] is True and not m["stopped_early"]
    assert m["sizes"] == {"orders": {"before": 400, "after": 1}}
    [record] = m["records"]["orders"]
    assert record["order_id"] == "o0237" and record["discount_pct"] == 150 and record["price"] == 245.13
    assert m["assertion"] == "`field_values` at net_prices.test.yaml:10"
    written = app / "net_prices.net_prices.min.jsonl"
    assert m["files"] == {"orders": "one_bad_record/net_prices.net_prices.min.jsonl"} and written.exists()
    assert len(written.read_text().splitlines()) == 1
    assert m["command"] == ("velotui --headless one_bad_record/net_prices.sql --query net_prices --input "
                            f"orders=one_bad_record/net_prices.net_prices.min.jsonl --seed {json.loads(out)['seed']} "
                            f"--now {json.loads(out)['now_ms']}")
    assert "shrinking one_bad_record / net_prices (400 input records)" in err
    # the printed command reproduces the failure: the same assertion, on that one record
    again = _replay(m["command"], capsys)
    [q] = again["apps"][0]["queries"]
    assert q["records_in"] == 1
    failed = [a for a in q["assertions"] if a["status"] == "failed"]
    assert [a["type"] for a in failed] == ["field_values"] and failed[0]["samples"][0]["order_id"] == "o0237"


def test_a_template_failure_shrinks_to_its_exact_minimal_size(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    _copy("running_total_dip", tmp_path)
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run_cli(["--headless", "running_total_dip", "--shrink", "--output", "json", "-q"], capsys)
    assert rc == 1
    m = _shrunk(json.loads(out))
    assert m["sizes"] == {"payments": {"before": 300, "after": 2}}  # a dip needs a total before it
    first, refund = m["records"]["payments"]
    assert first["customer_id"] == refund["customer_id"] == "C007"
    assert refund["payment_id"] == "p0181" and refund["amount"] == -40.0
    assert first["amount"] == 0.0 and m["simplified"] == 1  # simplified: any earlier total dips below it
    assert first["$ts"] < refund["$ts"]
    again = _replay(m["command"], capsys)
    assert again["apps"][0]["queries"][0]["records_in"] == 2


FILTER_SQL = """\
-- @app: at_least_100
CREATE STREAM big AS
SELECT order_id, amount FROM orders WHERE amount > 100
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders');
"""


def _filter_suite(root: Path, assertion: str, schema: bool = True) -> Path:
    spec = f"""\
application: at_least_100
queries:
  - name: big
    inputs:
      - source: orders
        {"schema: orders" if schema else "data_file: orders.jsonl"}
        records: 300
    assertions:
{assertion}
"""
    schema_text = """\
name: orders
fields:
  - name: order_id
    type: string
    constraints: {pattern: "ORD-[0-9]{6}"}
  - name: amount
    type: integer
    constraints: {range: {min: 90, max: 110}}
  - name: status
    type: string
    constraints: {enum_values: {values: [PAID, NEW, SHIPPED]}}
  - name: quantity
    type: integer
    constraints: {range: {min: 2, max: 9}}
  - name: note
    type: string
"""
    return write_suite(root, {"app/big.sql": FILTER_SQL, "app/big.test.yaml": spec,
                              "app/schemas/orders.schema.yaml": schema_text})


def test_an_expectation_computed_from_the_inputs_shrinks_to_the_record_on_the_boundary(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _filter_suite(tmp_path, """\
      - type: template
        description: the orders of at least 100
        expression: "len(records) == count(1 for r in inputs.orders.records if r.amount >= 100)"
""")
    rc, out, _ = run_cli(["--headless", str(tmp_path), "--shrink", "--seed", "3", "--output", "json", "-q"], capsys)
    assert rc == 1
    m = _shrunk(json.loads(out))
    assert not m["stopped_early"], m["reason"]
    assert m["sizes"]["orders"]["after"] == 1
    [record] = m["records"]["orders"]
    assert record["amount"] == 100
    # the rest simplified toward the simplest value the schema allows; the id (a pattern) kept
    assert (record["status"], record["quantity"], record["note"]) == ("PAID", 2, "")
    assert record["order_id"].startswith("ORD-")
    assert m["reproduced"] is True and (tmp_path / "app" / "big.big.min.jsonl").exists()


@pytest.mark.parametrize("assertion, why", [
    ("      - type: record_count\n        equals: 4\n",
     "a constant expectation (record_count equals 4): shrinking would only find the empty input"),
    ("      - type: template\n        expression: \"len(records) == 5\"\n",
     "it fails the same way with no input at all"),
    ("      - type: execution_time\n        max_ms: 0.0000001\n", "a performance budget"),
])
def test_shrinking_says_when_it_does_not_apply(tmp_path: Path, capsys, assertion: str, why: str) -> None:  # type: ignore[no-untyped-def]
    _filter_suite(tmp_path, assertion)
    rc, out, _ = run_cli(["--headless", str(tmp_path), "--shrink", "--seed", "3", "--output", "json", "-q"], capsys)
    assert rc == 1
    m = _shrunk(json.loads(out))
    assert not m["applies"] and why in m["reason"], m["reason"]
    assert m["files"] == {} and not list((tmp_path / "app").glob("*.min.jsonl"))
    rc, text, _ = run_cli(["--headless", str(tmp_path), "--shrink", "--seed", "3", "-q"], capsys)
    assert "minimal failing input: does not apply to" in text and why in text.replace("\n", " ")


def test_the_search_is_deterministic_and_bounded(tmp_path: Path) -> None:
    app = _copy("one_bad_record", tmp_path)
    results = []
    for _ in range(2):
        run = SuiteRun(app, RunOptions(seed=5, now_ms=1_767_225_600_000))
        report = run.execute()
        [(_, _, found)] = shrink_failures(run, report, write=False)
        results.append((found.records, found.tests, found.simplified))
    assert results[0] == results[1]
    run = SuiteRun(app, RunOptions(seed=5, now_ms=1_767_225_600_000))
    run.execute()
    rec = next(iter(run.query_records.values()))
    bounded = shrink_query(run, rec, max_tests=4, write=False)
    assert bounded.applies and bounded.stopped_early and bounded.tests == 4
    assert 1 < bounded.sizes["orders"][1] < 400 and "stopped after 4 runs" in bounded.reason


def test_two_sources_shrink_each_into_its_own_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    orders = "".join(json.dumps({"order_id": f"o{i}", "amount": 10 + i}) + "\n" for i in range(40))
    ships = "".join(json.dumps({"shipment_id": f"s{i}", "order_id": f"o{i}", "carrier": "UPS" if i != 17 else ""})
                    + "\n" for i in range(40))
    write_suite(tmp_path, {
        "j/ship.sql": """\
            CREATE STREAM shipped AS
            SELECT o.order_id, o.amount, s.carrier FROM orders o JOIN shipments s ON o.order_id = s.order_id
            WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders',
                  'shipments.type' = 'kafka_source', 'shipments.topic.name' = 'shipments');
            """,
        "j/ship.test.yaml": """\
            application: ship
            queries:
              - name: shipped
                inputs:
                  - {source: orders, data_file: orders.jsonl}
                  - {source: shipments, data_file: shipments.jsonl}
                assertions:
                  - type: field_values
                    field: carrier
                    operator: not_equals
                    value: ""
            """,
        "j/orders.jsonl": orders, "j/shipments.jsonl": ships})
    rc, out, _ = run_cli(["--headless", str(tmp_path), "--shrink", "--output", "json", "-q"], capsys)
    assert rc == 1
    m = _shrunk(json.loads(out))
    assert m["sizes"] == {"orders": {"before": 40, "after": 1}, "shipments": {"before": 40, "after": 1}}
    assert m["records"]["shipments"][0]["shipment_id"] == "s17" and m["records"]["orders"][0]["order_id"] == "o17"
    assert sorted(Path(p).name for p in m["files"].values()) == ["ship.shipped.orders.min.jsonl",
                                                                 "ship.shipped.shipments.min.jsonl"]
    assert m["reproduced"] is True


def test_junit_and_text_carry_the_minimal_input(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    app = _copy("one_bad_record", tmp_path)
    junit = tmp_path / "r.xml"
    rc, out, _ = run_cli(["--headless", str(app), "--shrink", "--junit", str(junit), "-q"], capsys)
    assert rc == 1
    assert "minimal failing input: 1 of 400 records of `orders` still fail `field_values`" in out
    assert "reproduce: velotui --headless" in out and "--input orders=" in out
    failure = ET.parse(junit).getroot().find(".//failure")
    assert failure is not None and "minimal failing input: 1 of 400" in (failure.text or "")


def test_explain_feeds_the_minimal_input_to_the_explainer_and_the_prompt(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from velotui.ai import build_evidence
    from velotui.core.explain import failure_context

    app = _copy("one_bad_record", tmp_path)
    rc, out, _ = run_cli(["explain", str(app), "--shrink", "--no-ai", "-q"], capsys)
    assert rc == 1
    assert "## Minimal failing input" in out and "1 of 400 records of `orders`" in out and "o0237" in out
    run = SuiteRun(app, RunOptions(seed=2))
    report = run.execute()
    shrink_failures(run, report, write=False)
    rec = next(iter(run.query_records.values()))
    failed = next(r for r in rec.results if r.status == "failed")
    ctx = failure_context(run, report.apps[0].file, "net_prices", failed)  # an app is its SQL file
    assert ctx is not None and ctx.minimal_input is not None
    prompt = build_evidence(ctx).to_markdown()
    assert "## Minimal failing input" in prompt and '"order_id":"o0237"' in prompt
    assert prompt.index("## Minimal failing input") < prompt.index("## SQL")


def test_input_names_a_source_and_a_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    app = _copy("one_bad_record", tmp_path)
    good = tmp_path / "good.jsonl"
    good.write_text('{"order_id": "x", "customer_id": "C1", "price": 10, "discount_pct": 5}\n')
    rc, _, _ = run_cli(["--headless", str(app), "--input", f"orders={good}", "-q"], capsys)
    assert rc == 0  # the bad record is gone: the query passes on this input
    rc, _, err = run_cli(["--headless", str(app), "--input", f"ordrs={good}", "-q"], capsys)
    assert rc == 2 and "no query of this run reads a source named 'ordrs'" in err and "sources read: orders" in err
    rc, _, err = run_cli(["--headless", str(app), "--input", "orders", "-q"], capsys)
    assert rc == 2 and "expected SOURCE=FILE" in err
    rc, _, err = run_cli(["--headless", str(app), "--input", "orders=nope.jsonl", "-q"], capsys)
    assert rc == 2 and "no such file nope.jsonl" in err


def test_an_input_file_with_a_broken_line_is_reported_at_that_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The query that read the file reports its line; the run used to end instead with "no query of this run
    reads a source named 'orders'" (the file was not counted as read when a line of it was refused) and no
    report at all."""
    app = _copy("one_bad_record", tmp_path)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"order_id": "x", "customer_id": "C1", "price": 10, "discount_pct": 5}\n{not json\n')
    rc, out, err = run_cli(["--headless", str(app), "--input", f"orders={broken}", "--output", "json", "-q"], capsys)
    assert "no query of this run reads" not in err
    [q] = json.loads(out)["apps"][0]["queries"]
    assert q["status"] == "error" and f"{broken}:2: invalid JSON" in q["error"]


def test_a_golden_file_is_a_constant_so_shrinking_does_not_apply(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    app = _copy("one_bad_record", tmp_path)
    spec = app / "net_prices.test.yaml"
    spec.write_text(spec.read_text().split("      - type: field_values")[0])  # only the count
    rc, _, _ = run_cli(["--headless", str(app), "--update-golden", "-q"], capsys)
    assert rc == 0
    data = app / "orders.jsonl"
    data.write_text(data.read_text().replace('"price": 245.13', '"price": 245.14'))
    rc, out, _ = run_cli(["--headless", str(app), "--shrink", "--output", "json", "-q"], capsys)
    assert rc == 1
    m = _shrunk(json.loads(out))
    assert not m["applies"] and "a golden file is a recorded output" in m["reason"]


def test_the_same_way_means_a_message_of_the_same_shape() -> None:
    from types import SimpleNamespace

    from velotui.core.shrink import same_failure

    def result(message: str, samples: list | None = None) -> SimpleNamespace:
        return SimpleNamespace(status="failed", type="expected_output", line=3,
                               samples=[{"a": 1}] if samples is None else samples,
                               message=message)

    original = result("records for key ('C1',) differ")
    assert same_failure(original, [result("records for key ('C7',) differ")], 0)
    assert not same_failure(original, [result("expected 8 records, got 1")], 0)
    assert not same_failure(original, [result("records for key ('C1',) differ", samples=[])], 0)
    assert not same_failure(original, [SimpleNamespace(**{**vars(original), "status": "error"})], 0)


def test_input_replaces_a_file_source_the_engine_reads(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    app = _copy("wrong_join_key", tmp_path)
    rc, _, _ = run_cli(["--headless", str(app), "-q"], capsys)
    assert rc == 1  # joined on customer_name: nothing matches
    names_are_ids = tmp_path / "customers.csv"
    names_are_ids.write_text("customer_id,customer_name,tier\n" + "".join(f"C{i},C{i},GOLD\n" for i in range(1, 5)))
    rc, out, _ = run_cli(["--headless", str(app), "--input", f"customers={names_are_ids}", "--output", "json", "-q"],
                         capsys)
    assert rc == 0, out
    [q] = json.loads(out)["apps"][0]["queries"]
    assert q["records_out"] == 4
