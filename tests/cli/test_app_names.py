"""Two apps of one suite with the same name (two specs saying one ``application:``, a spec copied and not
renamed): their JUnit testcases had the same classname and name, so a CI dashboard merged or hid one, and the
text report could not tell them apart. Each is now qualified by its file in every format, with a warning."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.cli.helpers import run_cli, write_suite

SQL = "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n"


def _spec(count: int, app: str = "orders") -> str:
    return (f"application: {app}\nqueries:\n  - name: o\n    inputs: [{{source: s, data_file: ../in.jsonl}}]\n"
            f"    assertions: [{{type: record_count, equals: {count}}}]\n")


def _run(tmp_path: Path, capsys, *extra: str) -> tuple[int, str, dict, ET.Element]:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", {"eu/orders.sql": SQL, "eu/orders.test.yaml": _spec(1),
                                             "us/orders.sql": SQL, "us/orders.test.yaml": _spec(2),
                                             "in.jsonl": '{"a": 1}\n'})
    js, junit = tmp_path / "r.json", tmp_path / "r.xml"
    rc, out, err = run_cli(["--headless", str(suite), "-j", "1", *extra, "--json", str(js), "--junit", str(junit)],
                           capsys)
    return rc, out, json.loads(js.read_bytes()), ET.parse(junit).getroot()


def test_two_apps_of_one_name_are_told_apart_by_file_in_every_format(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, text, data, root = _run(tmp_path, capsys)
    assert rc == 1, text
    cases = [(c.get("classname"), c.get("name"), c.find("failure") is not None) for c in root.iter("testcase")]
    assert cases == [("orders (eu/orders.sql)", "o", False), ("orders (us/orders.sql)", "o", True)]
    assert [s.get("name") for s in root.iter("testsuite")] == ["orders (eu/orders.sql)", "orders (us/orders.sql)"]
    assert "PASS  orders (eu/orders.sql) / o" in text and "FAIL  orders (us/orders.sql) / o" in text
    assert [(a["name"], a["label"]) for a in data["apps"]] == [("orders", "orders (eu/orders.sql)"),
                                                              ("orders", "orders (us/orders.sql)")]
    # the warning, in every format: text, JSON (the app's and the run's list), JUnit (the testsuite's system-out)
    said = "app name 'orders' is also the name of"
    assert text.count(said) == 2 and "2 warnings" in text
    assert all(said in a["warnings"][0]["message"] for a in data["apps"])
    assert [w["app"] for w in data["warnings"] if said in w["message"]] == ["orders (eu/orders.sql)",
                                                                           "orders (us/orders.sql)"]
    assert data["summary"]["warnings"] == 2
    outs = [s.findtext("system-out") or "" for s in root.iter("testsuite")]
    assert all(said in o and "application:" in o for o in outs)


def test_under_strict_two_apps_of_one_name_fail_the_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, text, data, root = _run(tmp_path, capsys, "--strict")
    assert rc == 2, text
    assert data["exit_code"] == 2 and "✗ --strict" in text
    errors = root.findall("testsuite[@name='velotui run']/testcase/error")
    assert len(errors) == 2 and all(e.get("type") == "StrictWarning" for e in errors)


def test_apps_of_their_own_names_keep_them(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", {"eu/orders.sql": SQL, "eu/orders.test.yaml": _spec(1, "eu_orders"),
                                             "us/orders.sql": SQL, "us/orders.test.yaml": _spec(1, "us_orders"),
                                             "in.jsonl": '{"a": 1}\n'})
    js = tmp_path / "r.json"
    rc, text, _ = run_cli(["--headless", str(suite), "-j", "1", "--json", str(js)], capsys)
    assert rc == 0, text
    data = json.loads(js.read_bytes())
    assert [a["label"] for a in data["apps"]] == ["eu_orders", "us_orders"] and data["warnings"] == []
