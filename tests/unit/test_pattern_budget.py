"""A user's regular expression runs under a time budget (velotui/patterns.py): one that backtracks without
end costs its check or its row one second, never the run its report.

With Python's re, `matches: "^(a|a)*$"` on forty letters and a '!' ran inside C for hours: no query timeout
or watchdog could stop it, and no report was written.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.unit.assertions.test_assertion_types import ctx, spec
from velotui.assertions import evaluate
from velotui.patterns import BUDGET_S, PatternTooSlow, fullmatch, search

EVIL = "^(a|a)*$"
TEXT = "a" * 40 + "!"


def test_a_pattern_that_backtracks_without_end_is_stopped_at_its_budget() -> None:
    t0 = time.monotonic()
    with pytest.raises(PatternTooSlow) as e:
        search(EVIL, TEXT)
    assert time.monotonic() - t0 < BUDGET_S + 5 and "(a|a)*" in str(e.value) and "simplify it" in str(e.value)
    with pytest.raises(PatternTooSlow):
        fullmatch(EVIL, TEXT)
    assert search("^a+!$", TEXT) and not fullmatch("a+", TEXT)  # the syntax of re


@pytest.mark.parametrize(("type_", "params"), [
    ("field_values", {"field": "s", "operator": "matches", "value": EVIL}),
    ("data_quality", {"string_patterns": [{"field": "s", "pattern": EVIL}]}),
])
def test_an_assertion_whose_pattern_is_too_slow_is_an_error_naming_it(tmp_path: Path, type_: str,
                                                                     params: dict) -> None:
    res = evaluate(spec(type_, **params), ctx(tmp_path, records=[{"s": TEXT}], messages=[]))
    assert res.status == "error" and "took more than" in res.message and "velotui bug" not in res.message


def test_regexp_replace_too_slow_is_the_rows_error_and_the_query_goes_on() -> None:
    from velotui.bus import MemoryBus
    from velotui.engine import EngineOptions, run_app
    from velotui.records import Message
    from velotui.sql import parse_app

    bus = MemoryBus()
    bus.publish("s", [Message(value={"s": TEXT}, timestamp=1), Message(value={"s": "ab"}, timestamp=2)])
    app = parse_app(f"CREATE STREAM o AS SELECT REGEXP_REPLACE(s, '{EVIL}', 'x') AS r FROM s;")
    res = run_app(app, bus, EngineOptions()).statements["o"]
    assert [m.value["r"] for m in res.outputs] == [None, "ab"]
    assert res.row_errors == 1 and "took more than" in res.dead_letters[0].message


def test_the_run_writes_its_report(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.cli.helpers import run_cli

    (tmp_path / "a.sql").write_text("CREATE STREAM out_s AS SELECT * FROM src EMIT CHANGES;\n")
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": 1, "s": TEXT}) + "\n")
    (tmp_path / "a.test.yaml").write_text(
        "application: a\nqueries:\n  - name: out_s\n    inputs: [{source: src, data_file: a.jsonl}]\n"
        f"    assertions:\n      - {{type: record_count, equals: 1}}\n"
        f"      - {{type: field_values, field: s, operator: matches, value: '{EVIL}'}}\n")
    rc, out, _ = run_cli(["--headless", str(tmp_path), "--output", "json", "-q"], capsys)
    [q] = json.loads(out)["apps"][0]["queries"]
    statuses = [a["status"] for a in q["assertions"]]
    assert rc != 0 and statuses == ["passed", "error"]
