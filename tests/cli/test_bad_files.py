"""A bad file in a suite is exit 2 with file:line and a fix, and never stops the other apps: a data file
with a bad line (found while the query prepares its inputs), a SQL file that is not UTF-8, a spec with a
duplicate key, an alias bomb."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.cli.helpers import run_cli, write_suite

HEALTHY = {
    "a_healthy.sql": "CREATE STREAM ok_out AS SELECT id FROM rec EMIT CHANGES;\n",
    "a_healthy.test.yaml": "application: a_healthy\nqueries:\n  - name: ok_out\n    inputs: [{source: rec, records: 4}]\n"
                           "    assertions: [{type: record_count, equals: 4}]\n",
    "schemas/rec.schema.yaml": "name: rec\nfields:\n  - {name: id, type: integer, constraints: {range: {min: 1, max: 9}}}\n",
}


def _run(tmp_path: Path, files: dict[str, str], capsys) -> tuple[int, str, dict]:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", {**HEALTHY, **files})
    js = tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(suite), "--json", str(js)], capsys)
    report = orjson.loads(js.read_bytes())
    assert any(q["name"] == "ok_out" and q["status"] == "passed" for a in report["apps"] for q in a["queries"]), out
    return rc, out + err, report


def test_a_bad_line_in_a_data_file_is_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, text, report = _run(tmp_path, {
        "b_data.sql": "CREATE STREAM d_out AS SELECT id FROM rec EMIT CHANGES;\n",
        "b_data.test.yaml": "application: b_data\nqueries:\n  - name: d_out\n    inputs: [{source: rec, data_file: in.jsonl}]\n"
                            "    assertions: [{type: record_count, equals: 2}]\n",
        "in.jsonl": '{"id": 1}\n{"id": 2,,}\n'}, capsys)
    assert rc == 2
    q = next(q for a in report["apps"] for q in a["queries"] if q["name"] == "d_out")
    assert q["invalid_input"] is True and "in.jsonl:2: invalid JSON on this line" in q["error"]


def test_sql_that_is_not_utf8(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", HEALTHY)
    (suite / "b_latin.sql").write_bytes(b"-- caf\xe9\nCREATE STREAM l_out AS SELECT id FROM rec;\n")
    (suite / "b_latin.test.yaml").write_text("application: b_latin\nqueries:\n  - name: l_out\n"
                                             "    inputs: [{source: rec, records: 1}]\n")
    rc, out, err = run_cli(["--headless", str(suite)], capsys)
    assert rc == 2 and "PASS  a_healthy / ok_out" in out
    assert "b_latin.sql:1:7: not UTF-8 text: byte 0xe9 at byte offset 6" in out and "save the file as UTF-8" in out


def test_a_duplicate_key_and_an_alias_bomb(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bomb = "x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"x{i}: &a{i} [{', '.join(['*a' if i == 0 else f'*a{i - 1}'] * 10)}]\n" for i in range(7))
    rc, text, report = _run(tmp_path, {
        "b_dup.sql": "CREATE STREAM u_out AS SELECT id FROM rec;\n",
        "b_dup.test.yaml": "application: b_dup\nqueries:\n  - name: u_out\n    inputs: [{source: rec, records: 1}]\n"
                           "    inputs: []\n",
        "c_bomb.sql": "CREATE STREAM c_out AS SELECT id FROM rec;\n",
        "c_bomb.test.yaml": bomb + "application: c_bomb\nqueries: []\n"}, capsys)
    assert rc == 2
    errors = {a["name"]: a["error"] for a in report["apps"] if a["error"]}
    assert "b_dup.test.yaml:5:5: duplicate key 'inputs' (first written at line 4)" in errors["b_dup"]
    assert "c_bomb.test.yaml:8:" in errors["c_bomb"] and "YAML aliases expand this document to" in errors["c_bomb"]
