"""The engine's coverage items and counts (velotui/engine/coverage.py): each kind of item, where it is, and
exactly how often the inputs produced each outcome — on the fused and on the general operators alike. A run
without coverage generates the code of a normal run (no probe) and carries no counts."""

from __future__ import annotations

import pytest

from velotui.engine import run_sql
from velotui.engine.api import EngineOptions
from velotui.engine.operators.build import build_statement
from velotui.engine.runtime import plan_for
from velotui.records import Message
from velotui.sql import parse_app

WITH = "WITH ('orders.type'='kafka_source', 'out.type'='kafka_sink');"


def counts(sql: str, inputs: dict, *, statement: str = "out", files: dict | None = None,
           properties: dict | None = None) -> dict[str, dict[str, int]]:
    """{item sql: {outcome: count}} for the statement, checked equal on both operator paths."""
    seen = []
    for fuse in (True, False):
        res = run_sql(sql, {k: [Message(value=dict(v), timestamp=v.get("ts", 0)) for v in vs] for k, vs in inputs.items()},
                      coverage=True, fuse=fuse, files=files, properties=properties)
        items = res.statements[statement].coverage
        assert items is not None
        seen.append({i.sql: {o.name: o.count for o in i.outcomes} for i in items})
    assert seen[0] == seen[1]
    return seen[0]


def test_where_conjuncts_case_arms_coalesce_nullif() -> None:
    sql = f"""CREATE STREAM out AS SELECT id,
      CASE WHEN amount > 100 THEN 'big' WHEN amount > 10 THEN 'mid' ELSE 'small' END AS size,
      CASE status WHEN 'A' THEN 1 WHEN 'B' THEN 2 END AS code,
      COALESCE(note, alt, 'none') AS n, NULLIF(status, 'A') AS s
    FROM orders WHERE amount > 0 AND (status <> 'Z' OR amount > 1000) EMIT CHANGES {WITH}"""
    rows = [{"id": 1, "amount": 5, "status": "A", "note": None, "alt": None},
            {"id": 2, "amount": 50, "status": "B", "note": "x", "alt": None},
            {"id": 3, "amount": -1, "status": "A", "note": None, "alt": "y"},
            {"id": 4, "amount": 500, "status": "C", "note": None, "alt": "y"},
            {"id": 5, "amount": 7, "status": "Z", "note": None, "alt": None}]
    c = counts(sql, {"orders": rows})
    assert c["amount > 0"] == {"true": 4, "false": 1}
    assert c["status <> 'Z' OR amount > 1000"] == {"true": 3, "false": 1}  # only the 4 that passed amount > 0
    # the conditions of the OR, each where it is evaluated: the second only when the first is false
    assert c["status <> 'Z'"] == {"true": 3, "false": 1}
    assert c["amount > 1000"] == {"true": 0, "false": 1}
    assert c["WHEN amount > 100 THEN 'big'"] == {"taken": 1}
    assert c["WHEN amount > 10 THEN 'mid'"] == {"taken": 1}
    assert c["ELSE 'small'"] == {"taken": 1}
    assert c["WHEN 'A' THEN 1"] == {"taken": 1} and c["WHEN 'B' THEN 2"] == {"taken": 1}
    assert c["COALESCE(note, alt, 'none')"] == {"note": 1, "alt": 1, "'none'": 1}
    assert c["NULLIF(status, 'A')"] == {"equal": 1, "different": 2}


def test_items_have_their_place_and_ids_follow_the_sql() -> None:
    sql = "CREATE STREAM out AS SELECT\n  CASE WHEN a > 1 THEN 'x' ELSE 'y' END AS t\nFROM orders\nWHERE b = 2\n" \
          f"EMIT CHANGES {WITH}"
    plan = plan_for(parse_app(sql, None), EngineOptions(coverage=True)).statements[0]
    assert [(i.id, i.kind, i.line, i.column, i.sql) for i in plan.coverage] == [
        ("C1", "case_arm", 2, 13, "WHEN a > 1 THEN 'x'"),
        ("C2", "case_else", 2, 33, "ELSE 'y'"),
        ("C3", "condition", 4, 7, "b = 2"),
    ]


def test_group_by_having_and_null_reaching_aggregates() -> None:
    sql = f"""CREATE STREAM out AS SELECT region, COUNT(*) AS n, SUM(amount) AS total
      FROM orders GROUP BY region HAVING COUNT(*) > 1 EMIT CHANGES {WITH}"""
    rows = [{"region": "EU", "amount": 1, "bonus": None}, {"region": "EU", "amount": None, "bonus": 2},
            {"region": "US", "amount": 3, "bonus": 1}]
    c = counts(sql, {"orders": rows})
    assert c["region"] == {"more than one group": 2}
    assert c["COUNT(*) > 1"] == {"true": 1, "false": 2}
    assert c["SUM(amount)"] == {"NULL": 1}
    sql = f"CREATE STREAM out AS SELECT GREATEST(amount, bonus, 0) AS g, CONCAT(region, '-') AS r FROM orders " \
          f"EMIT CHANGES {WITH}"
    c = counts(sql, {"orders": rows})
    assert c["GREATEST(amount, bonus, 0)"] == {"NULL": 2} and c["CONCAT(region, '-')"] == {"NULL": 0}


def test_one_group_is_not_enough() -> None:
    sql = f"CREATE STREAM out AS SELECT region, COUNT(*) AS n FROM orders GROUP BY region EMIT CHANGES {WITH}"
    c = counts(sql, {"orders": [{"region": "EU"}, {"region": "EU"}]})
    assert c["region"] == {"more than one group": 1}


def test_stream_table_join_matched_and_unmatched() -> None:
    sql = """CREATE STREAM out AS SELECT o.id, c.name FROM orders o LEFT JOIN customers c ON o.cid = c.cid
    EMIT CHANGES WITH ('orders.type'='kafka_source', 'customers.type'='file_source', 'customers.path'='c.csv',
    'customers.format'='csv', 'out.type'='kafka_sink');"""
    c = counts(sql, {"orders": [{"id": 1, "cid": "a"}, {"id": 2, "cid": "zz"}, {"id": 3, "cid": None}]},
               files={"c.csv": "cid,name\na,Ann\n"})
    assert c["LEFT JOIN customers c ON o.cid = c.cid"] == {"matched": 1, "o unmatched": 2}


def test_stream_stream_join_unmatched_per_side() -> None:
    sql = """CREATE STREAM out AS SELECT o.id, s.sid FROM orders o LEFT JOIN shipments s ON o.id = s.oid
    EMIT CHANGES WITH ('orders.type'='kafka_source', 'shipments.type'='kafka_source', 'out.type'='kafka_sink');"""
    c = counts(sql, {"orders": [{"id": 1, "ts": 1}, {"id": 2, "ts": 2}],
                     "shipments": [{"oid": 1, "sid": 9, "ts": 3}, {"oid": 7, "sid": 8, "ts": 4},
                                   {"oid": 8, "sid": 8, "ts": 5}]})
    assert c["LEFT JOIN shipments s ON o.id = s.oid"] == {"matched": 1, "o unmatched": 1, "s unmatched": 2}


def test_windows_count_records_on_time_and_late() -> None:
    sql = f"""CREATE STREAM out AS SELECT region, COUNT(*) AS n FROM orders GROUP BY region
    WINDOW TUMBLING(1s) EMIT FINAL {WITH}"""
    c = counts(sql, {"orders": [{"region": "EU", "ts": 100}, {"region": "EU", "ts": 2500}, {"region": "US", "ts": 200}]})
    assert c["WINDOW TUMBLING(1s)"] == {"on time": 2, "late": 1}
    sql = f"""CREATE STREAM out AS SELECT region, COUNT(*) AS n FROM orders GROUP BY region
    WINDOW SESSION(1s) EMIT FINAL {WITH}"""
    c = counts(sql, {"orders": [{"region": "EU", "ts": 100}, {"region": "EU", "ts": 5000}, {"region": "EU", "ts": 200}]})
    assert c["WINDOW SESSION(1s)"] == {"on time": 2, "late": 1}


def test_an_on_condition_beyond_the_keys_is_a_condition() -> None:
    sql = """CREATE STREAM out AS SELECT o.id FROM orders o JOIN customers c ON o.cid = c.cid AND
    COALESCE(c.tier, 'none') <> 'banned' EMIT CHANGES WITH ('orders.type'='kafka_source',
    'customers.type'='file_source', 'customers.path'='c.csv', 'customers.format'='csv', 'out.type'='kafka_sink');"""
    c = counts(sql, {"orders": [{"id": 1, "cid": "a"}, {"id": 2, "cid": "b"}]},
               files={"c.csv": "cid,tier\na,banned\nb,\n"})
    assert c["COALESCE(c.tier, 'none') <> 'banned'"] == {"true": 1, "false": 1}
    # the copied ON condition's call keeps its own argument nodes: its probes still count
    assert c["COALESCE(c.tier, 'none')"] == {"c.tier": 1, "'none'": 1}


def test_a_not_of_an_or_lists_its_conditions_once_each() -> None:
    sql = f"CREATE STREAM out AS SELECT id FROM orders WHERE NOT (a = 1 OR b IS NULL) AND NOT c IS NULL " \
          f"EMIT CHANGES {WITH}"
    c = counts(sql, {"orders": [{"id": 1, "a": 1, "b": 1, "c": 1}, {"id": 2, "a": 2, "b": 1, "c": None}]})
    assert c == {"NOT (a = 1 OR b IS NULL)": {"true": 1, "false": 1}, "a = 1": {"true": 1, "false": 1},
                 "b IS NULL": {"true": 0, "false": 1}, "NOT c IS NULL": {"true": 0, "false": 1}}


def test_standard_null_semantics_count_unknown_as_not_true() -> None:
    sql = """CREATE STREAM out AS SELECT id FROM orders WHERE amount > 1 EMIT CHANGES
    WITH ('orders.type'='kafka_source', 'out.type'='kafka_sink', 'sql.null_semantics'='standard');"""
    c = counts(sql, {"orders": [{"id": 1, "amount": None}, {"id": 2, "amount": 5}]})
    assert c["amount > 1"] == {"true": 1, "false": 1}


def test_subqueries_and_window_functions_are_not_probed_inside() -> None:
    sql = """CREATE STREAM out AS SELECT id, LAG(amount) OVER (PARTITION BY region ORDER BY ts) AS prev,
    CASE WHEN amount > 1 THEN 'a' ELSE 'b' END AS t FROM orders EMIT CHANGES
    WITH ('orders.type'='kafka_source', 'out.type'='kafka_sink');"""
    c = counts(sql, {"orders": [{"id": 1, "amount": 0, "region": "EU", "ts": 1}, {"id": 2, "amount": 5, "region": "EU",
                                                                                 "ts": 2}]})
    assert c == {"WHEN amount > 1 THEN 'a'": {"taken": 1}, "ELSE 'b'": {"taken": 1}}


def test_a_null_into_a_field_its_schema_forbids_is_unreachable() -> None:
    sql = f"CREATE STREAM out AS SELECT region, SUM(amount) AS t, SUM(bonus) AS b FROM orders GROUP BY region " \
          f"EMIT CHANGES {WITH}"
    from velotui.bus.memory import MemoryBus
    from velotui.engine import run_app

    app = parse_app(sql, None)
    bus = MemoryBus()
    bus.create_topic("orders")
    bus.publish("orders", [Message(value={"region": "EU", "amount": 1.0, "bonus": 2.0})])
    schemas = {"orders": {"region": ("string", False), "amount": ("float", False), "bonus": ("float", True)}}
    res = run_app(app, bus, EngineOptions(coverage=True, source_schemas=schemas))
    by_sql = {i.sql: i for i in res.statements["out"].coverage}
    assert by_sql["SUM(amount)"].unreachable and "orders.amount cannot be NULL" in by_sql["SUM(amount)"].unreachable
    assert by_sql["SUM(bonus)"].unreachable is None  # nullable: a NULL could reach it


def test_without_coverage_nothing_is_counted_and_no_probe_is_generated() -> None:
    sql = f"""CREATE STREAM out AS SELECT CASE WHEN amount > 1 THEN 'a' ELSE 'b' END AS t,
      COALESCE(note, 'x') AS n FROM orders WHERE amount > 0 EMIT CHANGES {WITH}"""
    res = run_sql(sql, {"orders": [{"amount": 5, "note": None}]})
    assert res.statements["out"].coverage is None
    assert plan_for(parse_app(sql, None), EngineOptions()).statements[0].coverage == []  # a normal run lists none
    plan = plan_for(parse_app(sql, None), EngineOptions(coverage=True)).statements[0]
    assert len(plan.coverage) == 4  # a run that counts lists them; built without counters, nothing counts them
    for fuse in (True, False):
        pipeline = build_statement(plan, fuse=fuse)
        sources = [getattr(op, "source", "") for op in _operators(pipeline)]
        assert sources and not any("_cv_" in s for s in sources)
    from velotui.engine.coverage import CoverageProbes

    pipeline = build_statement(plan, coverage=CoverageProbes(plan.coverage))
    assert any("_cv_truth" in getattr(op, "source", "") for op in _operators(pipeline))


def _operators(pipeline):  # type: ignore[no-untyped-def]
    op, out = pipeline.top, []
    while op is not None:
        out.append(op)
        op = op.downstream
    return out


@pytest.mark.parametrize("sql", [
    f"CREATE STREAM out AS SELECT CAST(x AS INTEGER) AS v FROM orders WHERE CASE WHEN x > '1' THEN TRUE END "
    f"EMIT CHANGES {WITH}",
])
def test_a_record_the_fast_path_cannot_take_is_counted_once(sql: str) -> None:
    """A NULL or text in arithmetic sends a record of a normal run to the NULL-safe code; under coverage
    every record runs the NULL-safe code once, so it is counted once."""
    c = counts(sql, {"orders": [{"x": "2"}, {"x": None}, {"x": "0"}]})
    assert c["WHEN x > '1' THEN TRUE"] == {"taken": 1}
    assert c["CASE WHEN x > '1' THEN TRUE END"] == {"true": 1, "false": 2}


def test_having_items_are_shown_as_written_when_they_name_select_items() -> None:
    sql = f"""CREATE STREAM out AS SELECT region, COUNT(*) AS n FROM orders GROUP BY region
    HAVING n > 1 EMIT CHANGES {WITH}"""
    c = counts(sql, {"orders": [{"region": "EU"}, {"region": "EU"}, {"region": "US"}]})
    assert c["n > 1"] == {"true": 1, "false": 2}
    plan = plan_for(parse_app(sql, None), EngineOptions(coverage=True)).statements[0]
    [having] = [i for i in plan.coverage if i.clause == "HAVING"]
    assert (having.line, having.column) == (2, 12)


def test_a_case_whose_every_branch_is_a_value_never_feeds_a_null() -> None:
    sql = f"""CREATE STREAM out AS SELECT region, SUM(CASE WHEN amount > 5 THEN 1 ELSE 0 END) AS big,
      SUM(CASE WHEN amount > 5 THEN 1 END) AS maybe FROM orders GROUP BY region EMIT CHANGES {WITH}"""
    res = run_sql(sql, {"orders": [{"region": "EU", "amount": 1}]}, coverage=True)
    by_sql = {i.sql: i for i in res.statements["out"].coverage}
    assert by_sql["SUM(CASE WHEN amount > 5 THEN 1 ELSE 0 END)"].unreachable == \
        "its argument can never be NULL: each value it can take is a literal"
    assert by_sql["SUM(CASE WHEN amount > 5 THEN 1 END)"].unreachable is None  # no ELSE: NULL
