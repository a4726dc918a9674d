"""A run pointed at the wrong thing never passes, and nothing it skipped goes unsaid: a --query that names
no query, a SQL file whose spec is not found, a spec with no SQL, a golden file that belongs to no query;
and reports are never lost or written over the suite's own files (docs/CLI.md)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.cli.helpers import GOOD_SPEC, GOOD_SQL, good_files, run_cli, write_suite


def _two_apps(tmp_path: Path) -> Path:
    files = good_files()
    files["apps/other.sql"] = GOOD_SQL.replace("good_app", "other_app").replace("orders_out", "big_orders")
    files["apps/other.test.yaml"] = GOOD_SPEC.replace("good_app", "other_app").replace("orders_out", "big_orders")
    return write_suite(tmp_path, files)


# -- 1. --query ---------------------------------------------------------------------------------------

def test_a_query_typo_is_exit_2_with_did_you_mean_and_runs_nothing(tmp_path: Path, capsys) -> None:
    _two_apps(tmp_path)
    js = tmp_path / "r.json"
    for args in (["--headless", str(tmp_path / "apps")], ["run", str(tmp_path / "apps/good.sql")]):
        rc, out, err = run_cli([*args, "-q", "--query", "orders_outt", "--json", str(js)], capsys)
        assert rc == 2, out + err
        assert "no query of the selected apps is named 'orders_outt'" in err
        assert "did you mean 'orders_out'?" in err
        assert "passed" not in out
        assert not js.exists()


def test_an_app_whose_every_query_was_filtered_out_is_not_reported_as_passed(tmp_path: Path, capsys) -> None:
    _two_apps(tmp_path)
    js = tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(tmp_path / "apps"), "-q", "--seed", "1", "--query", "big_orders",
                            "--json", str(js)], capsys)
    assert rc == 0, out + err
    apps = json.loads(js.read_text())["apps"]
    assert [a["name"] for a in apps] == ["other_app"]
    assert [q["name"] for q in apps[0]["queries"]] == ["big_orders"]
