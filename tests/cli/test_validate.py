"""`velotui validate`: broken files give exit 2 with file:line and a hint; other apps are still reported."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import GOOD_SPEC, good_files, run_cli, write_suite


def test_valid_suite_exits_0(tmp_path: Path, capsys) -> None:
    write_suite(tmp_path, good_files())
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 0, out
    assert "1 valid, 0 invalid" in out


def test_each_broken_file_is_reported_and_others_still_checked(tmp_path: Path, capsys) -> None:
    files = good_files()
    # a spec missing the required `queries` key
    files["apps/nospec_queries.sql"] = files["apps/good.sql"]
    files["apps/nospec_queries.test.yaml"] = "application: broken_spec\ndescription: no queries here\n"
    # a schema with a bad constraint (min > max)
    files["apps/badschema.sql"] = files["apps/good.sql"].replace("orders", "trades")
    files["apps/badschema.test.yaml"] = GOOD_SPEC.replace("orders", "trades")
    files["apps/schemas/trades.schema.yaml"] = (
        "name: trades\nfields:\n  - name: order_id\n    type: string\n  - name: amount\n    type: float\n"
        "    constraints:\n      range: {min: 10, max: 1}\n")
    # SQL with a syntax error on line 3
    files["apps/badsql.sql"] = "-- @app: bad_sql\nCREATE STREAM x AS\nSELECT a b c FROM orders;\n"
    files["apps/badsql.test.yaml"] = "application: bad_sql\nqueries:\n  - name: x\n    inputs: []\n"
    write_suite(tmp_path, files)
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2
    assert "1 valid, 3 invalid" in out
    assert "nospec_queries.test.yaml:1" in out and "queries" in out
    assert "trades.schema.yaml:8" in out  # the range line
    assert "badsql.sql:3" in out
    assert "hint" in out


def test_every_broken_assertion_of_a_spec_is_reported(tmp_path: Path, capsys) -> None:
    files = good_files()
    files["apps/good.test.yaml"] = GOOD_SPEC.replace(
        "      - type: record_count\n        equals: 50\n",
        "      - type: record_count\n      - type: template\n        expression: \"len(records) ==\"\n"
        "      - type: template\n        expression: \"__import__('os')\"\n")
    write_suite(tmp_path, files)
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2 and "0 valid, 1 invalid" in out
    assert "good.test.yaml:9:9: record_count: 'params': give equals" in out
    assert "good.test.yaml:11:21: template: invalid expression 'len(records) =='" in out and "stops too early" in out
    assert "good.test.yaml:13:21: template: calling '__import__' is not allowed" in out  # refused before any run


def test_an_input_without_any_schema_is_found_by_validate(tmp_path: Path, capsys) -> None:
    files = good_files()
    files["apps/good.test.yaml"] = GOOD_SPEC.replace("        schema: orders\n", "        schema: ordres\n")
    files["apps/nohints.sql"] = "-- @app: nohints\nCREATE STREAM y AS\nSELECT id FROM events;\n"
    files["apps/nohints.test.yaml"] = ("application: nohints\nqueries:\n  - name: y\n    inputs:\n"
                                       "      - source: events\n        records: 5\n")
    write_suite(tmp_path, files)
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 2 and "0 valid, 2 invalid" in out
    assert "names schema 'ordres', which is not found" in out and "did you mean 'orders'?" in out
    assert "nohints.test.yaml:5: no schema 'events' for input 'events'" in out


def test_strict_turns_near_miss_warnings_into_errors(tmp_path: Path, capsys) -> None:
    files = good_files()
    files["apps/good.sql"] = files["apps/good.sql"].replace("'orders.type'", "'orders.typ'")
    write_suite(tmp_path, files)
    rc, out, _ = run_cli(["validate", str(tmp_path)], capsys)
    assert rc == 0 and "warning" in out and "did you mean 'orders.type'?" in out
    rc, out, _ = run_cli(["validate", str(tmp_path), "--strict"], capsys)
    assert rc == 2 and "good.sql:" in out and "did you mean 'orders.type'?" in out and "--strict" in out
