"""Rewriting WITH properties from the dialect's tokens: values replaced where they stand, new keys added,
everything else of the user's file kept as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from velotui.sql import parse_app
from velotui.sql.rewrite import application_name, needed_statements, quote, rewrite_statement, statement_spans

ROOT = Path(__file__).resolve().parents[3]

SQL = """-- @app: two
-- a comment the rewrite keeps
CREATE STREAM a AS
SELECT id, v  -- trailing comment
FROM s
WHERE v IN (SELECT w FROM t)
EMIT CHANGES
WITH ('s.type' = 'kafka_source',   'a.topic.name' = 'out_a');

CREATE STREAM b AS SELECT * FROM a
"""


def test_spans_cover_each_statement_with_its_comments() -> None:
    spans = statement_spans(SQL)
    assert [s.name for s in spans] == ["a", "b"]
    assert SQL[spans[0].start:spans[0].end + 1].startswith("-- @app: two")
    assert SQL[spans[0].end] == ";"
    assert [(p.key, p.value) for p in spans[0].properties] == [("s.type", "kafka_source"), ("a.topic.name", "out_a")]
    assert spans[1].properties == [] and spans[1].with_close is None


def test_a_value_is_replaced_in_place_and_a_new_key_added_before_the_parenthesis() -> None:
    span = statement_spans(SQL)[0]
    out = rewrite_statement(SQL, span, {"a.topic.name": "test_r1_out_a", "s.topic.name": "test_r1_s"})
    assert "-- a comment the rewrite keeps" in out and "-- trailing comment" in out
    assert "'s.type' = 'kafka_source',   'a.topic.name' = 'test_r1_out_a'" in out  # layout kept
    assert out.rstrip().endswith("'s.topic.name' = 'test_r1_s');")
    st = parse_app(out).statements[0]
    assert st.properties["a.topic.name"] == "test_r1_out_a" and st.properties["s.topic.name"] == "test_r1_s"
    assert st.query.source.topic == "test_r1_s"


def test_a_statement_without_with_gets_one() -> None:
    span = statement_spans(SQL)[1]
    out = rewrite_statement(SQL, span, {"b.type": "kafka_sink", "b.topic.name": "x"})
    assert parse_app(out).statements[0].sinks[0].topic == "x"


def test_a_subquery_in_parentheses_is_never_taken_for_the_property_list() -> None:
    text = "CREATE STREAM a AS SELECT * FROM s WHERE v IN (SELECT w FROM t) EMIT CHANGES"
    span = statement_spans(text)[0]
    assert span.properties == [] and span.with_close is None
    out = rewrite_statement(text, span, {"k": "v"})
    assert parse_app(out).statements[0].properties == {"k": "v"}


def test_quotes_in_values_are_escaped() -> None:
    assert quote("it's") == "'it''s'"
    text = "CREATE STREAM a AS SELECT * FROM s WITH ('k' = 'x')"
    out = rewrite_statement(text, statement_spans(text)[0], {"k": "it's", "path": "a b/c's.csv"})
    assert parse_app(out).statements[0].properties == {"k": "it's", "path": "a b/c's.csv"}


def test_application_header_is_read_from_the_comments() -> None:
    assert application_name("-- SQL Application: orders_app\nCREATE STREAM a AS SELECT * FROM s") == "orders_app"
    assert application_name(SQL) is None
    assert application_name("CREATE STREAM a AS SELECT 'SQL Application: x' AS t FROM s") is None


def test_needed_statements_follow_streams_and_table_subqueries() -> None:
    app = parse_app((ROOT / "demo" / "tier5_complex" / "40_pipeline.sql").read_text(),
                    ROOT / "demo" / "tier5_complex" / "40_pipeline.sql")
    assert needed_statements(app, "paid_orders") == ["paid_orders"]
    assert needed_statements(app, "large_orders") == ["paid_orders", "priced_orders", "large_orders"]


@pytest.mark.parametrize("sql", sorted((ROOT / "demo").rglob("*.sql")), ids=lambda p: p.stem)
def test_every_demo_statement_rewrites_to_an_equal_app(sql: Path) -> None:
    text = sql.read_text()
    app = parse_app(text, sql)
    spans = statement_spans(text)
    assert [s.name for s in spans] == [s.name for s in app.statements]
    for st, span in zip(app.statements, spans):
        out = rewrite_statement(text, span, {f"{st.name}.x.y": "z"})
        again = parse_app(out, sql).statements[0]
        assert again.properties == {**st.properties, f"{st.name}.x.y": "z"}
        assert again.query.select == st.query.select  # the query itself untouched
