"""scaffold, health, annotate and quickstart."""

from __future__ import annotations

import json
from pathlib import Path

from velotui.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_scaffold_creates_a_project_that_passes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "proj"
    assert main(["scaffold", str(target)]) == 0
    assert (target / "apps" / "orders_filter.test.yaml").exists() and (target / "ci" / "velotui.yml").exists()
    assert main(["--headless", str(target), "--seed", "4"]) == 0
    assert main(["scaffold", str(target)]) == 2  # never over an existing project
    capsys.readouterr()


def test_health_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["health", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"java", "maven", "docker"} <= set(report) and "ok" in report["java"]
    for name in ("java", "maven", "docker"):  # each check says its version, or what to do
        assert report[name].get("version") if report[name]["ok"] else report[name].get("hint")


def test_health_text_one_line_per_check(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["health"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[1] for ln in lines] == ["java", "maven", "docker", "velostream"]
    assert all(ln.startswith(("ok   ", "FAIL ")) and len(ln.split()) > 2 for ln in lines)


def test_health_unreachable_kafka_is_exit_3(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["health", "--kafka", "127.0.0.1:1"]) == 3
    assert "FAIL kafka" in capsys.readouterr().out


def test_annotate_adds_hints_that_generate_data(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "filter.annotated.sql"
    assert main(["annotate", str(ROOT / "demo" / "tier1_basic" / "03_filter.sql"), "-o", str(out)]) == 0
    text = out.read_text()
    assert "-- @data.value.range: 0..1000" in text and "-- @data.category.enum: A, B, C" in text
    from velotui.sql import parse_app

    assert parse_app(text, ROOT / "demo" / "tier1_basic" / "x.sql").data_hints["value"]["range"] == "0..1000"


def test_quickstart_drafts_and_runs(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    sql = tmp_path / "pay.sql"
    sql.write_text("CREATE STREAM big AS SELECT id, amount FROM payments WHERE amount > 50;\n")
    assert main(["quickstart", str(sql), "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "drafted" in out and (tmp_path / "pay.test.yaml").exists()
    assert (tmp_path / "schemas" / "payments.schema.yaml").exists()


def test_data_hints_stand_in_for_a_schema(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "h.sql").write_text("-- @data.amount.type: float\n-- @data.amount.range: 10..20\n"
                                    "-- @data.kind.enum: a, b\nCREATE STREAM o AS SELECT amount, kind FROM s;\n")
    (tmp_path / "h.test.yaml").write_text(
        "application: h\nqueries:\n  - name: o\n    inputs: [{source: s, records: 30}]\n    assertions:\n"
        "      - {type: field_values, field: amount, operator: greater_than_or_equals, value: 10}\n"
        "      - {type: field_in_set, field: kind, values: [a, b]}\n      - {type: record_count, equals: 30}\n")
    assert main(["--headless", str(tmp_path), "--seed", "1"]) == 0
    capsys.readouterr()
