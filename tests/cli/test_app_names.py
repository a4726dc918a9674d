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


# -- inside a run, an app is its SQL file: two apps of one name never read each other's records -------------
def _pair(tmp_path: Path) -> Path:
    """eu/orders.sql fails (expects 2 records of its 1), us/orders.sql passes (3 of its 3): one name, orders."""
    return write_suite(tmp_path / "suite", {
        "eu/orders.sql": SQL, "eu/orders.test.yaml": _spec(2).replace("../in.jsonl", "eu.jsonl"),
        "eu/eu.jsonl": '{"a": 1}\n',
        "us/orders.sql": SQL, "us/orders.test.yaml": _spec(3).replace("../in.jsonl", "us.jsonl"),
        "us/us.jsonl": '{"a": 1}\n{"a": 2}\n{"a": 3}\n'})


def test_explain_explains_the_failing_one_of_two_apps_of_one_name(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _pair(tmp_path)
    rc, out, err = run_cli(["explain", str(suite), "--no-ai"], capsys)
    assert rc == 1, out + err
    assert "Nothing to explain" not in out
    assert "record_count` failed in orders (eu/orders.sql) / o" in out
    assert "eu/orders.test.yaml" in out and "us/orders" not in out
    assert "expected record count equals 2, got 1" in out


def test_explain_in_json_lands_on_the_failing_app(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite, js = _pair(tmp_path), tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(suite), "--explain", "--no-ai", "--json", str(js)], capsys)
    assert rc == 1, out + err
    data = json.loads(js.read_bytes())
    eu = data["apps"][0]["queries"][0]["assertions"][0]
    assert data["apps"][0]["file"].endswith("eu/orders.sql") and eu["status"] == "failed"
    assert "orders (eu/orders.sql)" in eu["explanation"]


def test_shrink_shrinks_the_failing_one_of_two_apps_of_one_name(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite, js = _pair(tmp_path), tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(suite), "--shrink", "--json", str(js)], capsys)
    assert rc == 1, out + err
    assert "shrinking orders (eu/orders.sql) / o" in err
    data = json.loads(js.read_bytes())
    minimal = [(a["label"], q.get("minimal_input")) for a in data["apps"] for q in a["queries"]]
    assert minimal[1] == ("orders (us/orders.sql)", None)
    assert minimal[0][0] == "orders (eu/orders.sql)" and "record_count" in minimal[0][1]["assertion"]


def test_golden_approval_writes_the_named_apps_output(tmp_path: Path) -> None:
    from velotui.core.golden import approve
    from velotui.core.run import RunOptions, SuiteRun

    suite = _pair(tmp_path)
    run = SuiteRun(suite, RunOptions(jobs=1, seed=1, now_ms=1))
    report = run.execute()
    for app, want in zip(report.apps, (1, 3), strict=True):
        path, _ = approve(run, app.file, "o")
        assert path.is_relative_to(Path(app.file).parent)  # beside the app's own spec
        records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
        assert records == [{"a": i + 1} for i in range(want)]  # the app's own output, not the other's


def _normalised(data: dict) -> dict:  # type: ignore[type-arg]
    for k in ("run_id", "started_at", "duration_ms", "reproduce"):
        data.pop(k, None)

    def strip(v):  # type: ignore[no-untyped-def]
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if not k.endswith("_ms") and "memory" not in k}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return strip(data)


def test_minus_j_2_reports_two_apps_of_one_name_as_minus_j_1_does(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _pair(tmp_path)
    got = {}
    for j in ("1", "2"):
        js = tmp_path / f"r{j}.json"
        rc, out, err = run_cli(["--headless", str(suite), "-j", j, "--shrink", "--seed", "7", "--now", "1000",
                                "--json", str(js)], capsys)
        assert rc == 1, out + err
        got[j] = _normalised(json.loads(js.read_bytes()))
    assert got["2"] == got["1"]
    assert got["1"]["apps"][0]["queries"][0].get("minimal_input") is not None
