"""A green run means the app works (issue 12), end to end: warnings and divergence flags in every report,
--strict, the reference dialect, format names, velo-test's pipeline and stress idioms, metrics of any type,
and runs whose output is empty."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli, write_suite

SCHEMA = """\
name: trades
fields:
  - name: id
    type: integer
    constraints: {range: {min: 1, max: 1000}}
  - name: symbol
    type: string
    constraints: {enum_values: {values: [AAPL, MSFT]}}
  - name: price
    type: float
    constraints: {range: {min: 1, max: 100}}
"""

LEAD_SQL = """\
-- @metric: last_symbol
-- @metric_type: gauge
-- @metric_field: symbol
-- @metric: trades_out
-- @metric_type: counter
CREATE STREAM moves AS
SELECT id, symbol, price, LEAD(price, 1) OVER (PARTITION BY symbol ORDER BY id) AS next_price
FROM trades;
"""

LEAD_SPEC = """\
application: moves_app
queries:
  - name: moves
    owner_team: markets
    inputs:
      - source: trades
        records: 20
    assertions:
      - type: record_count
        equals: 20
    metric_assertions:
      - type: metric_counter
        name: trades_out
        operator: equals
        value: 20
"""


def _suite(tmp_path: Path, sql: str = LEAD_SQL, spec: str = LEAD_SPEC, **extra: str) -> Path:
    return write_suite(tmp_path, {"app.sql": sql, "app.test.yaml": spec, "schemas/trades.schema.yaml": SCHEMA, **extra})


def test_warnings_and_flags_are_in_every_report_format_and_q_never_hides_them(tmp_path: Path, capsys) -> None:
    _suite(tmp_path)
    junit, js = tmp_path / "r.xml", tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(tmp_path), "-q", "--seed", "3", "--junit", str(junit),
                            "--json", str(js)], capsys)
    assert rc == 0, out
    assert err == ""  # -q: no progress at all
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("PASS  moves_app / moves"))
    below = "\n".join(lines[at + 1:at + 4])
    assert "⚑ divergence" in below and "moves: D5 LEAD(…) OVER (…): the reference engine (Velostream c61189e7, " \
                                       "measured 2026-12-01) always gives NULL" in below
    assert "⚠ warning" in below and "unknown key 'owner_team'" in below
    assert "metric 'last_symbol' (gauge): field 'symbol' has 20 value(s) that are not numbers" in below
    assert "1 passed, 0 failed, 2 warnings, 1 divergence flags" in out
    data = json.loads(js.read_text())
    assert [(f["app"], f["query"], f["id"]) for f in data["flags"]] == [("moves_app", "moves", "D5")]
    assert {w["query"] for w in data["warnings"]} == {"moves"} and len(data["warnings"]) == 2
    q = data["apps"][0]["queries"][0]
    assert [f["id"] for f in q["flags"]] == ["D5"] and q["flags"][0]["accepted"] is False
    assert q["flags"][0]["measured"] == "Velostream c61189e7, measured 2026-12-01"
    messages = [w["message"] for w in q["warnings"]]
    assert any(m.startswith("unknown key 'owner_team'") for m in messages)
    assert any("'last_symbol' (gauge): field 'symbol'" in m for m in messages)
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None and case.find("failure") is None
    text = case.findtext("system-out") or ""
    assert "divergence: " in text and "D5 LEAD" in text and "warning: " in text and "owner_team" in text


def test_a_warning_assertion_is_a_warning_in_every_report_format(tmp_path: Path, capsys) -> None:
    """An assertion of severity warning that does not hold: in the text, in JUnit and in the JSON's warnings
    lists (the top level and its query), which the summary's count adds up to. The JSON had it only among
    the assertions, with "warnings": [] everywhere while summary.warnings said 1."""
    spec = LEAD_SPEC.replace("    owner_team: markets\n", "")
    spec = spec.replace("    assertions:\n", "    assertions:\n      - {type: record_count, equals: 99999, severity: warning}\n", 1)
    sql = LEAD_SQL.replace("-- @metric: last_symbol\n-- @metric_type: gauge\n-- @metric_field: symbol\n", "")
    _suite(tmp_path, sql=sql, spec=spec)
    junit, js = tmp_path / "r.xml", tmp_path / "r.json"
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--junit", str(junit), "--json", str(js)], capsys)
    assert rc == 0, out
    assert "1 warnings" in out
    data = json.loads(js.read_text())
    assert data["summary"]["warnings"] == len(data["warnings"]) == 1
    [w] = data["warnings"]
    assert w["assertion"] == "record_count" and "99999" in w["message"] and w["query"] == "moves"
    assert data["apps"][0]["queries"][0]["warnings"] == [{k: v for k, v in w.items() if k not in ("app", "query")}]
    assert "99999" in (ET.parse(junit).getroot().find("testsuite/testcase").findtext("system-out") or "")


def test_strict_fails_a_flagged_or_warned_query(tmp_path: Path, capsys) -> None:
    _suite(tmp_path, spec=LEAD_SPEC.replace("    owner_team: markets\n", ""))
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--strict"], capsys)
    assert rc == 1
    assert "FAIL  moves_app / moves" in out
    assert "✗ --strict divergence: " in out and "D5 LEAD" in out
    assert "✗ --strict warning: " in out and "metric 'last_symbol'" in out


def test_an_accepted_divergence_is_shown_and_passes_strict(tmp_path: Path, capsys) -> None:
    sql = LEAD_SQL.replace("-- @metric: last_symbol\n-- @metric_type: gauge\n-- @metric_field: symbol\n", "")
    spec = LEAD_SPEC.replace("    owner_team: markets\n", "    accepted_divergences: [D5]\n")
    _suite(tmp_path, sql=sql, spec=spec)
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--strict"], capsys)
    assert rc == 0, out
    assert "D5 LEAD(…) OVER (…)" in out and "(accepted by the spec)" in out
    rc, out, _ = run_cli(["validate", str(tmp_path), "--strict"], capsys)
    assert rc == 0 and "divergence " in out and "(accepted by the spec)" in out


def test_validate_lists_flags_and_strict_makes_them_errors(tmp_path: Path, capsys) -> None:
    sql = LEAD_SQL.replace("-- @metric: last_symbol\n-- @metric_type: gauge\n-- @metric_field: symbol\n", "")
    _suite(tmp_path, sql=sql, spec=LEAD_SPEC.replace("    owner_team: markets\n", ""))
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 0
    assert f"divergence {tmp_path / 'app.sql'}:4:27: moves: D5 LEAD(…) OVER (…)" in out
    assert "1 valid, 0 invalid, 1 divergence flag(s)" in out
    rc, out, _ = run_cli(["validate", str(tmp_path), "--strict"], capsys)
    assert rc == 2
    assert f"{tmp_path / 'app.sql'}:4:27: moves: divergence from the reference engine: D5" in out
    assert "accepted_divergences: [D5]" in out


def test_acceptance_of_a_divergence_the_query_does_not_use(tmp_path: Path, capsys) -> None:
    sql = "CREATE STREAM moves AS SELECT id, price FROM trades;\n"
    _suite(tmp_path, sql=sql, spec=LEAD_SPEC.replace("    owner_team: markets\n", "    accepted_divergences: [D5]\n")
           .replace("    metric_assertions:\n      - type: metric_counter\n        name: trades_out\n"
                    "        operator: equals\n        value: 20\n", ""))
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 0 and "query 'moves' accepts divergence D5, which statement 'moves' does not use" in out
    _suite(tmp_path, sql=sql, spec=LEAD_SPEC.replace("    owner_team: markets\n", "    accepted_divergences: [D55]\n"))
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2 and "accepted_divergences names 'D55', which is no divergence; did you mean 'D5'?" in out


def test_a_metric_over_any_field_type_never_crashes(tmp_path: Path, capsys) -> None:
    sql = ("-- @metric: price_hist\n-- @metric_type: histogram\n-- @metric_field: symbol\n"
           "CREATE STREAM moves AS SELECT id, symbol, price FROM trades;\n")
    spec = LEAD_SPEC.replace("    owner_team: markets\n", "").replace("name: trades_out", "name: price_hist") \
        .replace("type: metric_counter", "type: metric_exists")
    _suite(tmp_path, sql=sql, spec=spec)
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0, out
    assert "engine crashed" not in out
    assert "metric 'price_hist' (histogram): field 'symbol' has 20 value(s) that are not numbers" in out


def test_a_zero_output_run_checked_nothing_unless_the_spec_expects_it(tmp_path: Path, capsys) -> None:
    sql = "CREATE STREAM cheap AS SELECT id, price FROM trades WHERE price > 1000;\n"
    spec = ("application: a\nqueries:\n  - name: cheap\n    inputs:\n      - source: trades\n        records: 10\n"
            "    assertions:\n      - type: no_nulls\n        fields: [price]\n")
    _suite(tmp_path, sql=sql, spec=spec)
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 1
    assert "✗ no_nulls" in out and "nothing checked: there are no output records to check" in out
    _suite(tmp_path, sql=sql, spec=spec + "      - type: record_count\n        equals: 0\n")
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0, out


def test_a_refused_construct_stops_the_app_with_the_rewrite_and_extended_opts_in(tmp_path: Path, capsys) -> None:
    sql = "CREATE STREAM moves AS\nSELECT id, -price AS neg FROM trades;\n"
    spec = "application: a\nqueries:\n  - name: moves\n    inputs:\n      - source: trades\n        records: 5\n"
    _suite(tmp_path, sql=sql, spec=spec + "    assertions:\n      - type: record_count\n        equals: 5\n")
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 2
    assert f"{tmp_path / 'app.sql'}:2:12: moves: -price — unary minus on a column or expression" in out
    assert "write 0 - price" in out
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2 and "write 0 - price" in out
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--dialect", "extended"], capsys)
    assert rc == 0, out
    write_suite(tmp_path, {"app.sql": sql.replace(";", " WITH ('sql.dialect' = 'extended');")})
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0, out


@pytest.mark.parametrize("fmt", ["jsonlines", "jsonl", "json"])
def test_json_lines_under_every_name_are_read_as_json_lines(fmt: str, tmp_path: Path, capsys) -> None:
    rows = "".join(json.dumps({"id": i, "symbol": "AAPL", "price": 10.0 + i}) + "\n" for i in range(4))
    sql = (f"CREATE STREAM o AS SELECT id, price FROM f WITH ('f.type' = 'file_source_mmap', 'f.path' = 'f.data', "
           f"'f.format' = '{fmt}');\n")
    spec = ("application: a\nqueries:\n  - name: o\n    inputs: []\n    assertions:\n      - type: record_count\n"
            "        equals: 4\n      - type: aggregate_check\n        function: SUM\n        field: price\n"
            "        expected: 46\n")
    _suite(tmp_path, sql=sql, spec=spec, **{"f.data": rows})
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0, out
    said = (f"file source 'f': format '{fmt}' is read as JSON lines here, but the reference engine reads 'jsonl' "
            "as CSV and has no 'json' source format")
    assert (said in out) == (fmt != "jsonlines")  # the reference's own name passes silently
    if fmt != "jsonlines":
        assert "write 'f.format' = 'jsonlines'" in out


def test_an_unknown_format_name_is_an_error_not_a_csv_read(tmp_path: Path, capsys) -> None:
    sql = "CREATE STREAM o AS SELECT id FROM f WITH ('f.type' = 'file_source', 'f.path' = 'f.txt', 'f.format' = 'jsn');\n"
    _suite(tmp_path, sql=sql, spec="application: a\nqueries:\n  - name: o\n    inputs: []\n", **{"f.txt": "{}\n"})
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2
    assert f"{tmp_path / 'app.sql'}:1: file source 'f': unknown format 'jsn'" in out
    assert "set 'f.format' to one of csv, tsv, jsonl (also jsonlines, ndjson, json: JSON lines)" in out


PIPE_SQL = """\
CREATE STREAM priced AS SELECT id, symbol, price FROM trades WHERE price > 50;
CREATE STREAM tagged AS SELECT id, symbol, CASE WHEN price > 75 THEN 'HIGH' ELSE 'MID' END AS band FROM priced;
"""


@pytest.mark.parametrize("idiom", ["from_previous", "dependencies"])
def test_both_pipeline_idioms_run(idiom: str, tmp_path: Path, capsys) -> None:
    second = ("  - name: tagged\n    inputs:\n      - source: priced\n        from_previous: priced\n"
              if idiom == "from_previous" else
              "  - name: tagged\n    dependencies: [priced]\n    inputs:\n      - source: trades\n        records: 40\n")
    spec = ("application: a\nseed: 5\nqueries:\n  - name: priced\n    inputs:\n      - source: trades\n"
            "        records: 40\n    assertions:\n      - type: record_count\n        greater_than: 0\n" + second +
            "    assertions:\n      - type: record_count\n        expression: \"== {{outputs.priced.count}}\"\n"
            "      - type: field_in_set\n        field: band\n        values: [HIGH, MID]\n")
    _suite(tmp_path, sql=PIPE_SQL, spec=spec)
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--seed", "5"], capsys)
    assert rc == 0, out
    counts = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(r"PASS  a / (\w+)  (\d+) → (\d+)", out)}
    # from_previous: tagged reads what priced emitted (priced does not run again); dependencies: both run
    assert counts["tagged"][0] == (counts["priced"][1] if idiom == "from_previous" else "40")


def test_format_on_an_input_is_checked_and_acted_on(tmp_path: Path, capsys) -> None:
    spec = ("application: a\nqueries:\n  - name: moves\n    inputs:\n      - source: trades\n        records: 5\n"
            "        format: avro\n")
    _suite(tmp_path, sql="CREATE STREAM moves AS SELECT id FROM trades;\n", spec=spec)
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2
    assert f"{tmp_path / 'app.test.yaml'}:7:17: input 'trades': format avro: value.format avro needs avro.schema.file" \
        in out
    _suite(tmp_path, sql="CREATE STREAM moves AS SELECT id FROM trades;\n", spec=spec.replace("avro", "json"))
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0, out
    _suite(tmp_path, sql="CREATE STREAM moves AS SELECT id FROM trades;\n", spec=spec.replace("avro", "xml"))
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2 and "'format': unknown format 'xml'" in out


def test_stress_test_block_is_known_and_acted_on(tmp_path: Path, capsys) -> None:
    sql = "CREATE STREAM moves AS SELECT id, price FROM trades;\n"
    spec = ("application: a\nstress_test:\n  enabled: true\n  records: 3000\n  batch_size: 1000\nqueries:\n"
            "  - name: moves\n    inputs:\n      - source: trades\n")
    _suite(tmp_path, sql=sql, spec=spec)
    rc, out, _ = run_cli(["stress", str(tmp_path / "app.sql")], capsys)
    assert rc == 0, out
    assert "3,000 records" in out and "3 batch(es)" in out
    _suite(tmp_path, sql=sql, spec=spec.replace("enabled: true", "enabled: false"))
    rc, _, err = run_cli(["stress", str(tmp_path / "app.sql")], capsys)
    assert rc == 2
    assert f"{tmp_path / 'app.test.yaml'}:3:12: this app's spec disables stress testing (stress_test.enabled: false)" \
        in err
    _suite(tmp_path, sql=sql, spec=spec.replace("  records: 3000\n", "  duration_seconds: 0.2\n  rate_per_second: 5000\n"))
    rc, out, _ = run_cli(["stress", str(tmp_path / "app.sql")], capsys)
    assert rc == 0, out


def test_an_input_naming_no_source_of_the_sql_is_found_by_validate(tmp_path: Path, capsys) -> None:
    spec = "application: a\nqueries:\n  - name: moves\n    inputs:\n      - source: trade\n        records: 5\n"
    _suite(tmp_path, sql="CREATE STREAM moves AS SELECT id FROM trades;\n", spec=spec)
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2
    assert f"{tmp_path / 'app.test.yaml'}:5:17: input source 'trade' is not a source of app.sql; did you mean " \
           "'trades'?" in out


def test_a_spec_naming_another_app_than_the_sqls_at_app_is_a_warning_in_every_report(tmp_path: Path,
                                                                                         capsys) -> None:
    """The spec's ``application`` and the SQL's ``-- @app:`` name one app (FORMATS.md §2): a spec that names
    another (written for another app, or a mistyped name) was accepted without a word."""
    spec = LEAD_SPEC.replace("    owner_team: markets\n", "")
    sql = "-- @app: moves_app\n" + LEAD_SQL.replace(
        "-- @metric: last_symbol\n-- @metric_type: gauge\n-- @metric_field: symbol\n", "")
    _suite(tmp_path, sql=sql, spec=spec)
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0 and "0 warnings" not in out and "warning" not in out, out  # the names agree: no warning
    _suite(tmp_path, sql=sql, spec=spec.replace("application: moves_app", "application: move_app"))
    junit, js = tmp_path / "r.xml", tmp_path / "r.json"
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--junit", str(junit), "--json", str(js)], capsys)
    assert rc == 0 and "1 passed, 0 failed, 1 warnings" in out, out
    assert "app.test.yaml:1:1: the spec's application 'move_app' is not the SQL's '-- @app: moves_app'" in out
    data = json.loads(js.read_text())
    [w] = data["warnings"]
    assert "'move_app' is not the SQL's" in w["message"] and w["line"] == 1
    assert "'move_app' is not the SQL's" in (ET.parse(junit).getroot().findtext("testsuite/system-out") or "")
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--strict"], capsys)  # a file's warning: an error
    assert rc == 2 and "app: could not be loaded" in out and "'move_app' is not the SQL's" in out, out


@pytest.mark.parametrize("checks", ["    assertions: []\n", "", "    expected_output:\n"])
def test_a_query_with_no_check_is_a_warning_in_every_report(checks: str, tmp_path: Path, capsys) -> None:
    """No assertion at all (an empty list, none written, an expected_output left empty) passed on any output
    with 'assertions: 0'. A warning in every format, an error under --strict; not for a query a later one
    reads (a pipeline stage), nor for one with a golden file."""
    spec = ("application: moves_app\nqueries:\n  - name: moves\n    inputs:\n      - source: trades\n"
            "        records: 5\n" + checks)
    sql = LEAD_SQL.replace("-- @metric: last_symbol\n-- @metric_type: gauge\n-- @metric_field: symbol\n", "")
    _suite(tmp_path, sql=sql, spec=spec)
    junit, js = tmp_path / "r.xml", tmp_path / "r.json"
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--junit", str(junit), "--json", str(js)], capsys)
    assert rc == 0 and "1 passed, 0 failed, 1 warnings" in out, out
    assert "app.test.yaml:3:5: query 'moves' checks nothing: it has no assertions, so it passes on any output" in out
    [w] = json.loads(js.read_text())["warnings"]
    assert "checks nothing" in w["message"] and w["query"] == "moves"
    assert "checks nothing" in (ET.parse(junit).getroot().findtext("testsuite/testcase/system-out") or "")
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--strict"], capsys)
    assert rc == 1 and "✗ --strict warning: " in out, out
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q", "--update-golden"], capsys)  # a golden file checks it
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0 and "checks nothing" not in out, out


def test_a_pipeline_stage_without_checks_is_no_warning(tmp_path: Path, capsys) -> None:
    sql = ("CREATE STREAM stage AS SELECT id, symbol, price FROM trades;\n"
           "CREATE STREAM moves AS SELECT id, price FROM stage WHERE price > 0;\n")
    spec = ("application: moves_app\nqueries:\n  - name: stage\n    inputs:\n      - source: trades\n"
            "        records: 5\n  - name: moves\n    inputs:\n      - source: stage\n        from_previous: stage\n"
            "    assertions:\n      - {type: record_count, equals: 5}\n")
    _suite(tmp_path, sql=sql, spec=spec)
    rc, out, _ = run_cli(["--headless", str(tmp_path), "-q"], capsys)
    assert rc == 0 and "checks nothing" not in out, out
