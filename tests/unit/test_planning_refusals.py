"""Everything the engine refuses is refused when the statement is planned — `velotui validate` and every
run — as a SqlError with file:line:column and the fix, never a row error or a crash during a run:
function calls checked against the registry (issue 12: "SPLIT_PART(a) is refused at validation"), window
sizes and sliding window counts, buffer and offset sizes, WITH settings, literals beyond their type, and
SQL nested too deep (issue 13, classes 3 and 5)."""

from __future__ import annotations

import pytest

from velotui.core.loading import sql_problems
from velotui.errors import SqlError
from velotui.sql import parse_app

CASES = [
    # calls: arity, argument types and values, unknown names (one message for every function)
    ("SELECT SPLIT_PART(a) AS x FROM s", "1:27", "o: SPLIT_PART takes 3 arguments, got 1",
     "write SPLIT_PART(string, delimiter, n)"),
    ("SELECT UPPER(a, b) AS x FROM s", "1:27", "o: UPPER takes 1 argument, got 2", "write UPPER(string)"),
    ("SELECT ROUND(a, 1, 2) AS x FROM s", "1:27", "o: ROUND takes 1 to 2 arguments, got 3", "write ROUND(x, [places])"),
    ("SELECT NOW(1) AS x FROM s", "1:27", "o: NOW takes no arguments, got 1", "write NOW()"),
    ("SELECT COALESCE() AS x FROM s", "1:27", "o: COALESCE takes at least 1 argument, got 0", "write COALESCE(value, …)"),
    ("SELECT SQRT('abc') AS x FROM s", "1:32", "o: SQRT: argument 1 (x) must be a number, not the text 'abc'",
     "write SQRT(x)"),
    ("SELECT LEFT(a, 1.5) AS x FROM s", "1:35",
     "o: LEFT: argument 2 (n) must be an integer, not 1.5, which is not a whole number", "write LEFT(string, n)"),
    ("SELECT DATE_TRUNC('fortnight', t) AS x FROM s", "1:38",
     "o: DATE_TRUNC: 'fortnight' is not a unit: use one of millisecond, second, minute, hour, day, week, month, year",
     "write DATE_TRUNC(unit, t)"),
    ("SELECT REGEXP_REPLACE(a, '(', 'x') AS x FROM s", "1:45",
     "o: REGEXP_REPLACE: '(' is not a regular expression: missing ), unterminated subpattern at position 0",
     "write REGEXP_REPLACE(string, pattern, replacement)"),
    ("SELECT UPPR(a) AS x FROM s", "1:27", "o: unknown function UPPR", "did you mean UPPER?"),
    ("SELECT k, SUM(a, b) AS x FROM s GROUP BY k", "1:30", "o: SUM takes 1 argument, got 2", "write SUM(x)"),
    ("SELECT k, SUM(DISTINCT a) AS x FROM s GROUP BY k", "1:30", "o: SUM(DISTINCT …) is not supported",
     "COUNT(DISTINCT x) is"),
    ("SELECT k, SUM(COUNT(a)) AS x FROM s GROUP BY k", "1:34", "o: aggregates cannot be nested: SUM(COUNT(a))",
     "compute the inner aggregate in an earlier statement"),
    ("SELECT LAG(a, 1, 2, 3) OVER (PARTITION BY k) AS x FROM s", "1:27", "o: LAG takes 1 to 3 arguments, got 4",
     "write LAG(x[, k[, default]]) OVER (…)"),
    ("SELECT LAG(a) AS x FROM s", "1:27", "o: LAG(…) needs OVER (…)", "write LAG(x[, k[, default]]) OVER"),
    ("SELECT ROW_NUMBER(a) OVER (PARTITION BY k) AS x FROM s", "1:27", "o: ROW_NUMBER takes 0 arguments, got 1",
     "write ROW_NUMBER() OVER (…)"),
    # sizes
    ("SELECT LAG(a, 99999999) OVER (PARTITION BY k) AS x FROM s", "1:34",
     "o: LAG(x, 99999999): k must be between 1 and 100000", None),
    ("SELECT AVG(a) OVER (ROWS WINDOW BUFFER 0 ROWS PARTITION BY k) AS x FROM s", "1:27",
     "o: ROWS WINDOW BUFFER 0 ROWS: the buffer holds 1 to 100000 rows", "ROWS WINDOW BUFFER 100 ROWS"),
    # OVER frames: only those the engine computes as written (tests/unit/test_over_frames.py has them all)
    ("SELECT SUM(a) OVER (ORDER BY t ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS x FROM s", "1:51",
     "o: SUM(…) OVER (… ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING): a frame that ends after the current row "
     "(FOLLOWING) is not supported: a row would wait for later records", "write LEAD(x, n) OVER (…)"),
    ("SELECT SUM(a) OVER (ORDER BY t ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) AS x FROM s", "1:51",
     "o: SUM(…) OVER (… ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING): a frame that ends before the current row is not "
     "supported", "write LAG(x, n) OVER (…)"),
    ("SELECT AVG(a) OVER (ORDER BY t RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW) AS x FROM s",
     "1:51", "o: AVG(…) OVER (… RANGE BETWEEN INTERVAL '60000' MILLISECOND PRECEDING AND CURRENT ROW): RANGE frames "
     "are not supported (a RANGE frame takes in the rows whose ORDER BY value is within the bounds, ties with the "
     "current row included; velotui counts rows)", "ROWS BETWEEN n PRECEDING AND CURRENT ROW"),
    ("SELECT ROW_NUMBER() OVER (ORDER BY t ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS x FROM s", "1:57",
     "o: ROW_NUMBER(…) OVER (… ROWS BETWEEN 1 PRECEDING AND CURRENT ROW): a frame has no meaning for ROW_NUMBER, "
     "which reads the partition's rows in order; it is not supported", "remove the ROWS BETWEEN … frame"),
    ("SELECT COUNT(*) AS n FROM s WINDOW TUMBLING(0s)", "1:55",
     "o: WINDOW TUMBLING: the size must be at least 1 ms, not 0 ms", "write TUMBLING(1m) or TUMBLING(time_column, 1m)"),
    ("SELECT COUNT(*) AS n FROM s WINDOW TUMBLING(-5s)", "1:55",
     "o: WINDOW TUMBLING: the size must be at least 1 ms, not -5000 ms", "write TUMBLING(1m)"),
    ("SELECT COUNT(*) AS n FROM s WINDOW TUMBLING(400d)", "1:55",
     "o: WINDOW TUMBLING: the size of 34560000000 ms is longer than a year", "write TUMBLING(1m)"),
    ("SELECT COUNT(*) AS n FROM s WINDOW SLIDING(1d, 1ms)", "1:55",
     "o: WINDOW SLIDING: each record would belong to 86400000 windows (size / advance); at most 1000",
     "write SLIDING(10m, 1m)"),
    ("SELECT COUNT(*) AS n FROM s WINDOW SLIDING(1m, 2m)", "1:55",
     "o: WINDOW SLIDING: the advance (120000 ms) is longer than the size (60000 ms): records between windows would "
     "belong to none", "size, then advance"),
    ("SELECT COUNT(*) AS n FROM s WINDOW SESSION(0s)", "1:55", "o: WINDOW SESSION: the gap must be at least 1 ms, not 0 ms",
     "write SESSION(30s)"),
    ("SELECT COUNT(*) AS n FROM s WINDOW TUMBLNG(1m)", "1:55", "o: unknown window kind TUMBLNG",
     "did you mean TUMBLING?"),
    # a window's time column is read as SELECT reads it: a system column that is no time, an expression, refused
    ("SELECT COUNT(*) AS n FROM s WINDOW SESSION(_partition, 30s)", "1:55",
     "o: WINDOW SESSION(_partition, …): _partition is not a time", "WINDOW SESSION(_event_time, …)"),
    ("SELECT COUNT(*) AS n FROM s WINDOW TUMBLING(CAST(ts AS BIGINT), 1m)", "1:55",
     "o: WINDOW TUMBLING: the time column must be a column or a system column (_event_time, _timestamp), not the "
     "expression CAST(ts AS BIGINT)", "compute it in an earlier statement (SELECT CAST(ts AS BIGINT) AS t"),
    # literals
    ("SELECT " + "9" * 5000 + " AS v FROM s", "1:27",
     "o: the INTEGER literal 999999999999…999999 (5000 characters) does not fit 64 bits",
     "INTEGER is 64-bit (at most 9223372036854775807); write a DECIMAL (add .0) or a FLOAT"),
    ("SELECT 1.00000000000000000000000000000000000000001 AS v FROM s", "1:27",
     "o: the DECIMAL literal 1.0000000000…000001 (43 characters) has 42 digits (at most 38)", "round it"),
    ("SELECT 1e999 AS v FROM s", "1:27", "o: the FLOAT literal 1e999 is out of range", "about 1.8e308"),
    ("SELECT CAST(a AS WIDGET) AS v FROM s", "1:27", "o: cannot CAST to WIDGET", "CAST targets: INTEGER"),
    # incomplete constructs (found by the fuzz test: a CASE missing its THEN value was an AttributeError)
    ("SELECT CASE WHEN a > 1 THEN ELSE 'lo' END AS b FROM s", "1:27",
     "o: CASE: a WHEN needs a condition and a THEN value", "write CASE WHEN condition THEN value"),
    ("SELECT CASE WHEN THEN 1 END AS b FROM s", "1:27", "o: CASE: a WHEN needs a condition and a THEN value", None),
    # depth
    ("SELECT " + " + ".join(["a"] * 200) + " AS v FROM s", "1:31",
     "o: expression nested 201 levels deep (at most 120)", "compute part of it in an earlier statement"),
    # WITH settings the engine reads, checked whether the statement uses them or not
    ("SELECT a FROM s WITH ('watermark.max_out_of_orderness' = 'soon')", "1:1",
     "o: 'watermark.max_out_of_orderness' = 'soon' is not a duration", "use 500ms, 30s"),
    ("SELECT a FROM s WITH ('watermark.strategy' = 'fast')", "1:1",
     "o: 'watermark.strategy' = 'fast' is not one of bounded_out_of_orderness, ascending, none", None),
    ("SELECT a FROM s WITH ('sql.null_semantics' = 'weird')", "1:1",
     "o: 'sql.null_semantics' = 'weird' is not one of reference, standard", None),
    ("SELECT a FROM s WITH ('late.data.strategy' = 'keep')", "1:1",
     "o: 'late.data.strategy' = 'keep' is not one of drop, dead_letter", None),
]


@pytest.mark.parametrize(("select", "where", "message", "hint"), CASES, ids=[c[2][:60] for c in CASES])
def test_refused_at_planning_with_place_and_fix(select: str, where: str, message: str, hint: str | None) -> None:
    app = parse_app(f"CREATE STREAM o AS {select};", "q.sql")
    problems = sql_problems(app, dialect="extended")
    assert problems, "not refused"
    first = str(problems[0]).splitlines()
    assert first[0] == f"q.sql:{where}: {message}"
    if hint is not None:
        assert len(first) > 1 and first[1].startswith("  hint: ") and hint in first[1]


@pytest.mark.parametrize("nesting", [
    "(" * 5000 + "a" + ")" * 5000, "NOT " * 5000 + "a", "UPPER(" * 3000 + "a" + ")" * 3000,
    "CASE WHEN " * 2000 + "a" + " THEN 1 END" * 2000, "- " * 5000 + "a"])
def test_deep_nesting_is_a_message_never_a_recursion_error(nesting: str) -> None:
    with pytest.raises(SqlError) as e:
        parse_app(f"CREATE STREAM o AS SELECT {nesting} AS v FROM s;", "q.sql")
    assert "nests more than 64 levels deep here" in str(e.value) and e.value.line == 1 and e.value.column


def test_every_call_of_the_demo_and_conformance_plans() -> None:
    """The checks refuse no valid call: every conformance case that expects output plans."""
    from tests.conformance.runner import load_cases

    for case in load_cases():
        if case.expected_error is None:
            app = parse_app(case.sql, "q.sql")
            assert sql_problems(app, dict(case.properties), "extended") == [], case.id
