"""Every route by which a spec, schema, SQL or config file names a path goes through one resolver
(velotui/files.py): outside the suite (also through a symlink), a FIFO or a device is refused with the
file and line that named it, exit 2, and nothing outside the suite is opened (an audit hook watches
every open of the process)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli, write_suite

_OPENED: list[str] = []
_WATCHING = [False]


def _audit(event: str, args: tuple) -> None:  # type: ignore[type-arg]
    if _WATCHING[0] and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opened() -> list[str]:
    _OPENED.clear()
    _WATCHING[0] = True
    yield _OPENED
    _WATCHING[0] = False


SCHEMA = "name: s\nfields:\n  - name: a\n    type: integer\n    constraints: {range: {min: 1, max: 3}}\n"
SQL = "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n"


def _spec(extra_input: str = "", assertion: str = "      - type: record_count\n        equals: 3\n",
          query_extra: str = "") -> str:
    return ("application: app\nqueries:\n  - name: o\n" + query_extra + "    inputs:\n      - source: s\n"
            "        records: 3\n" + extra_input + "    assertions:\n" + assertion)


def _suite(tmp_path: Path, spec: str, sql: str = SQL, extra: dict[str, str] | None = None) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.jsonl").write_text('{"a": 1}\n')
    (outside / "secret.csv").write_text("a\n1\n")
    (outside / "base.yaml").write_text("x: 1\n")
    (outside / "s.avsc").write_text('{"type": "record", "name": "s", "fields": [{"name": "a", "type": "long"}]}')
    return write_suite(tmp_path / "suite", {"app.sql": sql, "app.test.yaml": spec, "schemas/s.schema.yaml": SCHEMA,
                                            **(extra or {})})


def _refused(tmp_path: Path, suite: Path, capsys, opened: list[str], where: str, what: str) -> str:  # type: ignore[no-untyped-def]
    opened.clear()  # what the test wrote itself does not count
    for args in (["validate", str(suite)], ["--headless", str(suite)]):
        rc, out, err = run_cli(args, capsys)
        assert rc == 2, out + err
        text = out + err
        assert f"{where}: {what}" in text, text
        assert "is outside the suite folder" in text or "not a file" in text, text
    outside = str((tmp_path / "outside").resolve())
    assert not [p for p in opened if os.path.abspath(p).startswith(outside)], opened
    return text


def test_data_file_through_a_symlink(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec("        data_file: link.jsonl\n"))
    (suite / "link.jsonl").symlink_to(tmp_path / "outside" / "secret.jsonl")
    _refused(tmp_path, suite, capsys, opened, "app.test.yaml:5", "data_file link.jsonl (which resolves to")


def test_source_type_file_path(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec("        source_type: {type: file, path: ../outside/secret.jsonl}\n"))
    _refused(tmp_path, suite, capsys, opened, "app.test.yaml:5", "source_type path ../outside/secret.jsonl")


@pytest.mark.parametrize(("assertion", "what"), [
    ("      - type: file_row_count\n        path: ../outside/secret.jsonl\n        equals: 1\n",
     "file_row_count path ../outside/secret.jsonl"),
    ("      - type: file_exists\n        path: /etc/hostname\n", "file_exists path /etc/hostname"),
    ("      - type: file_contains\n        path: ../outside/secret.csv\n        field: a\n"
     "        expected_values: [1]\n", "file_contains path ../outside/secret.csv"),
    ("      - type: file_matches\n        actual_path: out.jsonl\n        expected_path: ../outside/secret.jsonl\n",
     "file_matches expected_path ../outside/secret.jsonl"),
])
def test_file_assertion_paths(tmp_path: Path, capsys, opened, assertion: str, what: str) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec(assertion=assertion))
    _refused(tmp_path, suite, capsys, opened, "app.test.yaml:8", what)


def test_config_extends(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    sql = "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES WITH ('s.config_file' = 'configs/s.yaml');\n"
    suite = _suite(tmp_path, _spec(), sql, {"configs/s.yaml": "topic: s\nextends: ../../outside/base.yaml\n"})
    _refused(tmp_path, suite, capsys, opened, "configs/s.yaml:2", "config 'extends' ../../outside/base.yaml")


def test_config_extends_in_a_list(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    sql = "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES WITH ('s.config_file' = 'configs/s.yaml');\n"
    suite = _suite(tmp_path, _spec(), sql, {"configs/s.yaml": "extends:\n  - ok.yaml\n  - /etc/hostname\n",
                                            "configs/ok.yaml": "topic: s\n"})
    _refused(tmp_path, suite, capsys, opened, "configs/s.yaml:3", "config 'extends' /etc/hostname")


def test_capture_schema(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec(query_extra="    capture_format: avro\n    capture_schema: ../outside/s.avsc\n"))
    _refused(tmp_path, suite, capsys, opened, "app.test.yaml:3", "capture_schema ../outside/s.avsc")


def test_expected_output_file(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec(query_extra="    expected_output: ../outside/secret.jsonl\n"))
    _refused(tmp_path, suite, capsys, opened, "app.test.yaml:3", "expected_output ../outside/secret.jsonl")


def test_references_file(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec())
    (suite / "schemas" / "s.schema.yaml").write_text(
        "name: s\nfields:\n  - name: a\n    type: integer\n    constraints:\n"
        "      references: {file: ../../outside/secret.csv, field: a}\n")
    _refused(tmp_path, suite, capsys, opened, "s.schema.yaml:3", "references.file ../../outside/secret.csv")


def test_avro_schema_file_in_a_config(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    sql = "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES WITH ('s.config_file' = 's.yaml');\n"
    suite = _suite(tmp_path, _spec(), sql, {"s.yaml": "value.format: avro\navro.schema.file: ../outside/s.avsc\n"})
    _refused(tmp_path, suite, capsys, opened, "app.sql:1", "'avro.schema.file' ../outside/s.avsc")


def test_a_fifo_is_refused_without_hanging(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec("        data_file: pipe.jsonl\n"))
    os.mkfifo(suite / "pipe.jsonl")  # opening it for reading would block forever
    text = _refused(tmp_path, suite, capsys, opened, "app.test.yaml:5", "data_file pipe.jsonl is a FIFO")
    assert "hint: name a regular file" in text


def test_a_device_through_a_symlink_is_refused(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec("        data_file: zero.jsonl\n"))
    (suite / "zero.jsonl").symlink_to("/dev/zero")  # never ends
    _refused(tmp_path, suite, capsys, opened, "app.test.yaml:5", "data_file zero.jsonl (which resolves to /dev/zero)")


def test_a_device_allowed_by_allow_outside_is_still_refused(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec("        data_file: /dev/zero\n"))
    rc, out, err = run_cli(["validate", str(suite), "--allow-outside", "/dev"], capsys)
    assert rc == 2 and "app.test.yaml:5: data_file /dev/zero is a device, not a file" in out + err


def test_symlinked_sql_outside_the_suite(tmp_path: Path, capsys, opened) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec())
    (tmp_path / "outside" / "app.sql").write_text(SQL)
    (suite / "app.sql").unlink()
    (suite / "app.sql").symlink_to(tmp_path / "outside" / "app.sql")
    rc, out, err = run_cli(["validate", str(suite)], capsys)
    assert rc == 2 and "(which resolves to" in out and "is outside the suite folder" in out, out + err


def test_inside_the_suite_still_works(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec("        data_file: data/in.jsonl\n", "      - type: record_count\n"
                                   "        equals: 2\n"), extra={"data/in.jsonl": '{"a": 1}\n{"a": 2}\n'})
    (suite / "alias.jsonl").symlink_to(suite / "data" / "in.jsonl")  # a symlink that stays inside is fine
    rc, out, err = run_cli(["--headless", str(suite)], capsys)
    assert rc == 0, out + err


def test_a_fifo_among_the_apps_is_reported_and_the_others_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec())
    os.mkfifo(suite / "b_pipe.sql")
    (suite / "b_pipe.test.yaml").write_text(_spec().replace("application: app", "application: b_pipe"))
    os.mkfifo(suite / "test_spec.yaml")  # a shared spec discovery would read to match apps
    rc, out, err = run_cli(["--headless", str(suite)], capsys)
    assert rc == 2, out + err
    assert "PASS  app / o" in out
    assert "SQL file" in out and "b_pipe.sql is a FIFO (named pipe), not a file" in out


def test_a_symlinked_golden_folder_cannot_write_outside(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, _spec())
    (suite / "app.golden").symlink_to(tmp_path / "outside", target_is_directory=True)
    rc, out, err = run_cli(["--headless", str(suite), "--update-golden"], capsys)
    assert rc != 0
    assert "golden folder" in out + err and "is outside the suite folder" in out + err
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["base.yaml", "s.avsc", "secret.csv",
                                                                       "secret.jsonl"]
