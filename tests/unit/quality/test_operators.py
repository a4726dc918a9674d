"""Mutation operators: every operator of the issue's list makes mutants from the parsed SQL, each one a
whole SQL file that velotui parses, that differs in exactly that change, at the right line:col."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlglot import exp

from velotui.core.mutate import OPERATORS, Change, MutationOperator, generate_mutants, operator
from velotui.sql import parse_app, validate

ROOT = Path(__file__).resolve().parents[3]

# one statement per construct the operators know; WITH keeps a property list that must survive
SQL = """\
-- @app: everything
-- @data.amount.range: 0..1000
CREATE STREAM filtered AS
SELECT order_id, amount * 2 AS doubled,
       CASE WHEN amount > 500 THEN 'HIGH' WHEN amount > 100 THEN 'MEDIUM' ELSE 'LOW' END AS tier,
       CASE status WHEN 'NEW' THEN 1 WHEN 'PAID' THEN 2 END AS code,
       COALESCE(note, 'none') AS note
FROM orders
WHERE amount >= 10 AND status <> 'X' OR region = 'EU'
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders');

CREATE STREAM per_minute AS
SELECT region, status, SUM(amount) AS total, MIN(amount) AS low, COUNT(order_id) AS n
FROM orders
GROUP BY region, status
HAVING SUM(amount) < 1000
WINDOW TUMBLING(1m)
EMIT FINAL;

CREATE STREAM sliding AS
SELECT region, AVG(amount) AS avg_amount, MAX(amount) AS high
FROM orders
GROUP BY region
WINDOW SLIDING(2m, 1m);

CREATE STREAM joined AS
SELECT o.order_id, c.customer_name
FROM orders o
LEFT JOIN customers c ON o.customer_id = c.customer_id
WITH ('customers.type' = 'file_source', 'customers.path' = 'customers.csv');

CREATE STREAM moves AS
SELECT order_id, LAG(amount, 1) OVER (PARTITION BY region ORDER BY order_id) AS prev,
       AVG(amount) OVER (ROWS WINDOW BUFFER 5 ROWS PARTITION BY region) AS moving
FROM orders;
"""


def _loaded(tmp_path: Path, sql: str = SQL) -> SimpleNamespace:
    path = tmp_path / "app.sql"
    path.write_text(sql)
    (tmp_path / "customers.csv").write_text("customer_id,customer_name,tier\nC1,Ann,GOLD\n")
    app = parse_app(sql, path)
    spec = SimpleNamespace(queries=[])
    return SimpleNamespace(sql_path=path, app=app, spec=spec, schemas={})


def test_every_operator_of_the_issue_makes_mutants_that_velotui_parses(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path)
    mutants = generate_mutants(loaded)
    by_operator = {m.operator for m in mutants}
    assert by_operator == set(OPERATORS), set(OPERATORS) - by_operator
    texts = set()
    for m in mutants:
        app = parse_app(m.text, loaded.sql_path)  # a SqlError here is a mutant velotui cannot read
        assert not validate(app), (m.id, m.title, validate(app))
        assert m.text != SQL and m.text not in texts, m.title
        texts.add(m.text)
        assert "-- @app: everything" in m.text and "'orders.topic.name' = 'orders'" in m.text
        assert m.diff.count("\n-") + m.diff.startswith("-") >= 1 or "+" in m.diff, m.title


def _titles(tmp_path: Path, name: str, sql: str = SQL) -> list[str]:
    return [m.title for m in generate_mutants(_loaded(tmp_path, sql), [name])]


def test_comparisons_flip_at_their_boundary_but_join_keys_are_left_to_join_key(tmp_path: Path) -> None:
    titles = _titles(tmp_path, "comparison")
    assert "`amount >= 10` → `amount > 10`" in titles
    assert "`status <> 'X'` → `status = 'X'`" in titles
    assert "`amount > 500` → `amount >= 500`" in titles
    assert "`SUM(amount) < 1000` → `SUM(amount) <= 1000`" in titles
    assert not any("customer_id" in t for t in titles)  # o.customer_id = c.customer_id is a join key


def test_logical_drop_conjunct_and_literals(tmp_path: Path) -> None:
    assert "`amount >= 10 AND status <> 'X'` → `amount >= 10 OR status <> 'X'`" in _titles(tmp_path, "logical")
    drops = _titles(tmp_path, "drop-conjunct")
    assert "`SUM(amount) < 1000` dropped: no HAVING" in drops
    assert any(t.startswith("`amount >= 10 AND status <> 'X' OR region = 'EU'` dropped: no WHERE") for t in drops)
    literals = _titles(tmp_path, "literal")
    assert {"`amount * 2` → `amount * 3`", "`amount * 2` → `amount * 1`", "`amount * 2` → `amount * 20`"} <= set(literals)
    assert "`amount >= 10` → `amount >= 100`" in literals
    assert not any("DECIMAL" in t for t in literals)


def test_windows_emit_and_groups(tmp_path: Path) -> None:
    assert _titles(tmp_path, "window-size") == [
        "`WINDOW TUMBLING(1m)` → `WINDOW TUMBLING(2m)`", "`WINDOW TUMBLING(1m)` → `WINDOW TUMBLING(30s)`",
        "`WINDOW SLIDING(2m, 1m)` → `WINDOW SLIDING(4m, 1m)`", "`WINDOW SLIDING(2m, 1m)` → `WINDOW SLIDING(1m, 1m)`"]
    assert _titles(tmp_path, "window-advance") == ["`WINDOW SLIDING(2m, 1m)` → `WINDOW SLIDING(2m, 2m)`",
                                                   "`WINDOW SLIDING(2m, 1m)` → `WINDOW SLIDING(2m, 30s)`"]
    assert _titles(tmp_path, "window-kind") == ["`WINDOW TUMBLING(1m)` → `WINDOW SLIDING(1m, 30s)`",
                                                "`WINDOW SLIDING(2m, 1m)` → `WINDOW TUMBLING(2m)`"]
    # EMIT only where a WINDOW makes both modes valid; SLIDING without EMIT has FINAL by default
    assert _titles(tmp_path, "emit") == ["`EMIT FINAL` → `EMIT CHANGES`", "`EMIT FINAL (the default)` → `EMIT CHANGES`"]
    groups = generate_mutants(_loaded(tmp_path), ["group-key"])
    assert [m.title for m in groups] == ["`GROUP BY region, status` → `GROUP BY status`",
                                         "`GROUP BY region, status` → `GROUP BY region`",
                                         "`GROUP BY region` dropped: no GROUP BY"]
    dropped = parse_app(groups[0].text).statements[1]
    assert [i.name for i in dropped.query.items][:2] == ["status", "total"]  # the key's select item goes too


def test_joins_aggregates_case_coalesce_lag_and_buffer(tmp_path: Path) -> None:
    assert _titles(tmp_path, "join-kind") == ["`LEFT JOIN customers AS c` → `JOIN customers AS c`"]
    # the other side's columns come from the CSV header of the file source
    assert _titles(tmp_path, "join-key")[0] == "`o.customer_id = c.customer_id` → `o.customer_id = c.customer_name`"
    aggs = _titles(tmp_path, "aggregate")
    assert {"`SUM(amount)` → `AVG(amount)`", "`MIN(amount)` → `MAX(amount)`", "`AVG(amount)` → `SUM(amount)`",
            "`MAX(amount)` → `MIN(amount)`", "`COUNT(order_id)` → `COUNT(DISTINCT order_id)`"} <= set(aggs)
    cases = _titles(tmp_path, "case")
    assert ("`WHEN amount > 500 THEN 'HIGH' WHEN amount > 100 THEN 'MEDIUM'` → "
            "`WHEN amount > 100 THEN 'MEDIUM' WHEN amount > 500 THEN 'HIGH'`") in cases
    assert "`WHEN 'NEW' THEN 1 WHEN 'PAID' THEN 2` → `WHEN 'NEW' THEN 2 WHEN 'PAID' THEN 1`" in cases
    disjoint = _titles(tmp_path, "case", "CREATE STREAM o AS SELECT CASE WHEN s = 'A' THEN 1 WHEN s = 'B' THEN 2 "
                       "END AS c FROM t")
    assert disjoint[0] == "`WHEN s = 'A' THEN 1 WHEN s = 'B' THEN 2` → `WHEN s = 'A' THEN 2 WHEN s = 'B' THEN 1`"
    assert "`WHEN amount > 100 THEN 'MEDIUM'` removed" in cases and "`ELSE 'LOW'` removed (NULL instead)" in cases
    assert _titles(tmp_path, "coalesce") == ["`'none'` → `''`"]
    assert _titles(tmp_path, "lag-lead") == ["`LAG(amount, 1)` → `LEAD(amount, 1)`"]
    assert _titles(tmp_path, "rows-buffer") == ["`BUFFER 5 ROWS` → `BUFFER 6 ROWS`", "`BUFFER 5 ROWS` → `BUFFER 4 ROWS`"]


def test_a_mutant_points_at_the_line_and_column_of_its_change(tmp_path: Path) -> None:
    lines = SQL.splitlines()
    for m in generate_mutants(_loaded(tmp_path)):
        assert m.line is not None and m.column is not None, m.title
        text = lines[m.line - 1][m.column - 1:]
        first = re.split(r"\W", m.before.lstrip("`("), maxsplit=1)[0]
        if m.operator in ("window-size", "window-advance", "window-kind"):
            assert text.startswith("WINDOW"), (m.title, text)
        elif m.operator == "emit":
            assert text.startswith(("EMIT", "WINDOW")), (m.title, text)
        elif m.operator == "literal":
            assert re.match(r"\d", text), (m.title, text)
        elif m.operator == "join-kind":
            assert text.startswith(("LEFT", "JOIN")), (m.title, text)
        elif first and m.operator not in ("group-key", "case"):
            assert first.lower() in text.lower()[:80], (m.title, m.line, m.column, text)


def test_mutants_come_in_the_same_order_with_the_same_ids_every_time(tmp_path: Path) -> None:
    a = [(m.id, m.title, m.text) for m in generate_mutants(_loaded(tmp_path))]
    b = [(m.id, m.title, m.text) for m in generate_mutants(_loaded(tmp_path))]
    assert a == b and a[0][0] == "M1" and a[-1][0] == f"M{len(a)}"


def test_adding_an_operator_is_adding_one_class(tmp_path: Path) -> None:
    @operator
    class NotDistinct(MutationOperator):
        name = "test-upper-lower"
        summary = "UPPER ↔ LOWER"

        def changes(self, node, ctx):  # type: ignore[no-untyped-def]
            if isinstance(node, exp.Upper):
                new = exp.Lower(this=node.this.copy())
                yield Change(new, node, "UPPER", "LOWER")

    try:
        sql = "CREATE STREAM o AS SELECT UPPER(name) AS n FROM s"
        mutants = generate_mutants(_loaded(tmp_path, sql), ["test-upper-lower"])
        assert [m.title for m in mutants] == ["`UPPER` → `LOWER`"] and "LOWER(name)" in mutants[0].text
        with pytest.raises(ValueError, match="registered twice"):
            operator(NotDistinct)
    finally:
        OPERATORS.pop("test-upper-lower", None)


def test_the_docs_list_every_operator() -> None:
    doc = (ROOT / "docs" / "QUALITY.md").read_text()
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", doc, flags=re.M))
    assert listed == set(OPERATORS), (set(OPERATORS) - listed, listed - set(OPERATORS))
