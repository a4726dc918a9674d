"""The hints of uncovered coverage items (velotui/core/coverage_hints.py), each from a real run of a small
app whose data schema explains — or does not explain — why the inputs never produced an outcome."""

from __future__ import annotations

import textwrap
from pathlib import Path

from velotui.core.run import RunOptions, SuiteRun

SCHEMA = """\
name: orders
fields:
  - name: id
    type: integer
    constraints:
      range: {min: 1, max: 100000}
  - name: amount
    type: float
    constraints:
      range: {min: 1, max: 100}
  - name: quantity
    type: integer
    constraints:
      range: {min: 1, max: 10}
  - name: status
    type: string
    constraints:
      enum_values: {values: [NEW, PAID]}
  - name: region
    type: string
    constraints:
      enum_values: {values: [EU]}
  - name: note
    type: string
    nullable: true
    null_probability: 0
  - name: big
    type: float
    constraints:
      range: {min: 1, max: 100000}
      distribution:
        log_normal: {mean: 1.0, std_dev: 0.5}
"""


def hints(tmp_path: Path, select: str, *, tail: str = "", records: int = 200, inputs_extra: str = "") -> dict[str, str | None]:
    """{uncovered item's sql: its hint} of ``CREATE STREAM out AS SELECT <select> FROM orders <tail>``."""
    sql = (f"-- @app: h\nCREATE STREAM out AS SELECT {select} FROM orders {tail} EMIT CHANGES\n"
           "WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders', 'out.type' = 'kafka_sink',"
           " 'out.topic.name' = 'out');\n")
    spec = textwrap.dedent(f"""\
        application: h
        seed: 3
        queries:
          - name: out
            inputs:
              - source: orders
                schema: orders
                records: {records}
        """) + inputs_extra
    (tmp_path / "h.sql").write_text(sql)
    (tmp_path / "h.test.yaml").write_text(spec)
    (tmp_path / "schemas").mkdir(exist_ok=True)
    (tmp_path / "schemas" / "orders.schema.yaml").write_text(SCHEMA)
    report = SuiteRun(tmp_path, RunOptions(coverage=True)).execute()
    [app] = report.apps
    assert app.error is None, app.error
    [q] = app.queries
    assert q.status == "passed", (q.error, q.assertions)
    return {i.sql: i.hint for i in q.coverage.uncovered}


def test_arithmetic_over_ranges(tmp_path: Path) -> None:
    h = hints(tmp_path, "id", tail="WHERE amount * quantity > 100000")
    assert h["amount * quantity > 100000"] == "amount max 100 × quantity max 10 gives at most 1000"


def test_a_sum_in_having_is_bounded_by_the_records(tmp_path: Path) -> None:
    h = hints(tmp_path, "status, SUM(amount) AS total", tail="GROUP BY status HAVING SUM(amount) > 50000", records=100)
    assert h["SUM(amount) > 50000"] == "100 records × amount max 100 gives at most 10000"


def test_enum_values_equality_and_in(tmp_path: Path) -> None:
    h = hints(tmp_path, "CASE WHEN status IN ('REFUNDED', 'LOST') THEN 1 ELSE 0 END AS x",
              tail="WHERE status <> 'CANCELLED'")
    assert "status is one of 'NEW', 'PAID' (its schema's enum_values): none of the list" in \
        h["WHEN status IN ('REFUNDED', 'LOST') THEN 1"]
    assert h["status <> 'CANCELLED'"] == "status is one of 'NEW', 'PAID' (its schema's enum_values): never 'CANCELLED'"


def test_an_arm_every_earlier_arm_already_catches(tmp_path: Path) -> None:
    h = hints(tmp_path, "CASE WHEN amount > 10 THEN 'a' WHEN amount > 50 THEN 'b' ELSE 'c' END AS x")
    assert h["WHEN amount > 50 THEN 'b'"] == ("every amount in its range (1 to 100) that meets `amount > 50` already "
                                             "meets the earlier arm `amount > 10`")


def test_an_else_the_arms_leave_nothing_for(tmp_path: Path) -> None:
    h = hints(tmp_path, "CASE WHEN status = 'NEW' THEN 1 WHEN status = 'PAID' THEN 2 ELSE 0 END AS x")
    assert h["ELSE 0"] == "every status in its enum_values ('NEW', 'PAID') meets an arm before ELSE"
    h = hints(tmp_path, "CASE WHEN amount < 50 THEN 1 WHEN amount >= 50 THEN 2 ELSE 0 END AS x")
    assert h["ELSE 0"] == "every amount in its range (1 to 100) meets an arm before ELSE"


def test_null_hints(tmp_path: Path) -> None:
    h = hints(tmp_path, "COALESCE(note, 'none') AS n, CASE WHEN amount IS NULL THEN 1 ELSE 0 END AS x")
    assert h["COALESCE(note, 'none')"] == "note is never NULL: it is generated with null_probability 0"
    assert h["WHEN amount IS NULL THEN 1"].endswith(
        "amount is never NULL: its schema field is not nullable (set nullable: true and a null_probability to "
        "generate NULLs)")


def test_a_group_by_key_with_one_value(tmp_path: Path) -> None:
    h = hints(tmp_path, "region, COUNT(*) AS n", tail="GROUP BY region")
    assert h["region"] == "region has one value in its schema's enum_values ('EU')"
    h = hints(tmp_path, "status, COUNT(*) AS n", tail="WHERE status = 'NEW' GROUP BY status")
    assert h["status"] == "the WHERE keeps only `status = 'NEW'`: one status, one group"


def test_a_value_the_schema_allows_but_the_inputs_never_reached(tmp_path: Path) -> None:
    h = hints(tmp_path, "id", tail="WHERE big > 90000", records=50)
    hint = h["big > 90000"]
    assert hint.startswith("in these 50 records of orders, big was at most ")
    assert hint.endswith("its schema allows 1 to 100000 (log_normal distribution): more records, or a data_file "
                         "row, would reach it")


def test_an_unreached_condition_names_the_one_before_it(tmp_path: Path) -> None:
    h = hints(tmp_path, "id", tail="WHERE amount > 1000 AND quantity > 2")
    assert h["quantity > 2"] == "no record got past `amount > 1000` before it (never true)"


def test_no_late_record_in_ordered_input(tmp_path: Path) -> None:
    h = hints(tmp_path, "status, COUNT(*) AS n", tail="GROUP BY status WINDOW TUMBLING(1m)",
              inputs_extra="        time_simulation: {start_time: '-10m', end_time: now}\n")
    [window] = [v for k, v in h.items() if k.startswith("WINDOW")]
    assert window.startswith("the event times of orders never go back (time_simulation is sequential, without "
                             "jitter_ms): no record can be late; set time_simulation.jitter_ms above 0 ms")


def test_a_condition_inside_an_or_that_nothing_reaches(tmp_path: Path) -> None:
    h = hints(tmp_path, "id", tail="WHERE amount >= 1 OR quantity > 2")
    assert h["quantity > 2"] == ("no record reached it inside `amount >= 1 OR quantity > 2`: the conditions before "
                                 "it always decided the result")
    assert h["amount >= 1"] == "amount is at least 1 (its schema's range: 1 to 100)"


def test_two_fields_compared(tmp_path: Path) -> None:
    h = hints(tmp_path, "id", tail="WHERE quantity <= amount + 10")
    assert h["quantity <= amount + 10"] == "their difference: quantity max 10 − (amount min 1 + 10) gives at most -1"
