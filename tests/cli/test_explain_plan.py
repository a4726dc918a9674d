"""velotui explain-plan: the plan of each statement as text and as JSON; a broken app is exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import run_cli

SQL = """\
CREATE STREAM counts AS
SELECT symbol, COUNT(*) AS n, _window_start AS ws FROM trades
WHERE price > 10
GROUP BY symbol
WINDOW TUMBLING(ts, 1m)
EMIT FINAL;

CREATE STREAM big AS SELECT symbol, n FROM counts WHERE n > 2;
"""


def test_text_plan_draws_each_statement(tmp_path: Path, capsys) -> None:
    (tmp_path / "app.sql").write_text(SQL)
    rc, out, err = run_cli(["explain-plan", str(tmp_path / "app.sql")], capsys)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("counts (stream)  ") and lines[0].endswith("app.sql:1")
    assert "└─ sink counts → topic counts · key: the GROUP BY values" in lines[1]
    assert any("aggregate group by symbol: COUNT(*) · emit final" in x for x in lines)
    assert any("window tumbling size 1m time_column ts" in x for x in lines)
    assert any("filter: price > 10" in x for x in lines)
    assert any("source trades ← topic trades · event time: field ts" in x for x in lines)
    assert any("source counts ← statement counts's sink topic counts" in x for x in lines)


def test_json_plan_is_a_tree_of_nodes(tmp_path: Path, capsys) -> None:
    (tmp_path / "app.sql").write_text(SQL)
    rc, out, _ = run_cli(["explain-plan", str(tmp_path / "app.sql"), "--json"], capsys)
    assert rc == 0
    plan = json.loads(out)
    first, second = plan["statements"]
    assert first["statement"] == "counts" and second["reads_statements"] == ["counts"]
    chain = []
    node = first["plan"]
    while node:
        chain.append(node["node"])
        node = (node.get("inputs") or [None])[0]
    assert chain == ["sink", "project", "aggregate", "window", "filter", "source"]
    window = first["plan"]["inputs"][0]["inputs"][0]["inputs"][0]
    assert window["kind"] == {"kind": "tumbling", "size_ms": 60000, "time_column": "ts"}


def test_a_broken_app_is_exit_2_with_its_place(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.sql").write_text("CREATE STREAM o AS SELECT SPLIT_PART(a) AS x FROM s;\n")
    rc, _, err = run_cli(["explain-plan", str(tmp_path / "bad.sql")], capsys)
    assert rc == 2
    assert f"{tmp_path / 'bad.sql'}:1:27: o: SPLIT_PART takes 3 arguments, got 1" in err
    assert "hint: write SPLIT_PART(string, delimiter, n)" in err
