"""Paths in a spec or SQL cannot escape the suite folder unless --allow-outside names the place."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import run_cli, write_suite

SQL = """CREATE STREAM o AS SELECT a FROM s;\n"""


def _suite(tmp_path: Path, data_file: str) -> Path:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.jsonl").write_text('{"a": 1}\n')
    return write_suite(tmp_path / "suite", {
        "app.sql": SQL,
        "app.test.yaml": f"application: app\nqueries:\n  - name: o\n    inputs:\n      - source: s\n"
                         f"        data_file: {data_file}\n    assertions:\n      - type: record_count\n"
                         f"        equals: 1\n",
    })


def test_data_file_outside_the_suite_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, "../outside/secret.jsonl")
    rc, out, _ = run_cli(["--headless", str(suite)], capsys)
    assert rc == 2
    assert "app.test.yaml:5: data_file" in out and "is outside the suite folder" in out and "--allow-outside" in out


def test_allow_outside_permits_it(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, "../outside/secret.jsonl")
    rc, out, _ = run_cli(["--headless", str(suite), "--allow-outside", str(tmp_path / "outside")], capsys)
    assert rc == 0, out


def test_sql_file_source_outside_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "t.csv").write_text("k\n1\n")
    suite = write_suite(tmp_path / "suite", {
        "app.sql": "CREATE STREAM o AS SELECT x.a FROM s x JOIN t y ON x.a = y.k "
                   "WITH ('t.type' = 'file_source', 't.config_file' = 't_table.yaml');\n",
        "t_table.yaml": "type: file_source\npath: ../etc/t.csv\n",
        "app.test.yaml": "application: app\nqueries:\n  - name: o\n    inputs: []\n",
    })
    rc, out, _ = run_cli(["validate", str(suite)], capsys)
    assert rc == 2 and "outside the suite folder" in out
