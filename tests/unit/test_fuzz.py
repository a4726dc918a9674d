"""Fuzzing (hypothesis, bounded for CI): broken SQL, YAML, expressions, records and payloads give a
VelotuiError or a dead letter — never a crash, never a hang."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from velotui.bus.serde import JsonSerde, KeySerde
from velotui.engine import run_sql
from velotui.errors import VelotuiError
from velotui.records import Message
from velotui.sandbox import compile_expression
from velotui.spec import parse_data_schema, parse_test_spec
from velotui.sql import parse_app, validate

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SQL_TOKENS = ["CREATE", "STREAM", "TABLE", "o", "AS", "SELECT", "*", "a", "b", ",", "FROM", "s", "WHERE", ">",
              "=", "1", "'x'", "(", ")", "GROUP", "BY", "WINDOW", "TUMBLING", "1m", "EMIT", "CHANGES", "FINAL",
              "JOIN", "t", "ON", "s.a", "t.a", "COUNT", "SUM", "OVER", "PARTITION", "ROWS", "BUFFER", "WITH",
              "'k'", ";", "AND", "OR", "NOT", "NULL", "CASE", "WHEN", "THEN", "END", "LIMIT", "ORDER", "IN",
              "EXISTS", "PRIMARY", "KEY", "--", "\n", "\"q\"", "1.5", "-", "+", "/", "%", "||", "LAG", "HAVING"]


@FUZZ
@given(st.lists(st.sampled_from(SQL_TOKENS), max_size=40))
def test_sql_parser_never_crashes(tokens: list[str]) -> None:
    text = " ".join(tokens)
    try:
        app = parse_app(text, "fuzz.sql")
        validate(app)
    except VelotuiError:
        pass


@FUZZ
@given(st.text(max_size=200))
def test_sql_parser_on_any_text(text: str) -> None:
    try:
        validate(parse_app(text, "fuzz.sql"))
    except VelotuiError:
        pass


YAML_BITS = ["application: a\n", "queries:\n", "  - name: q\n", "    inputs:\n", "      - source: s\n",
             "        records: 5\n", "    assertions:\n", "      - type: record_count\n", "        equals: x\n",
             "[", "]", "{", "}", ": ", "- ", "  ", "\t", "'", "\"", "&a ", "*a ", "!!python/object ", "null\n",
             "fields:\n", "  - {name: x, type: float}\n", "name: s\n", "constraints: {range: {min: 1}}\n"]


@FUZZ
@given(st.lists(st.sampled_from(YAML_BITS), max_size=25))
def test_yaml_loaders_never_crash(bits: list[str]) -> None:
    text = "".join(bits)
    for parse in (parse_test_spec, parse_data_schema):
        try:
            parse(text, "fuzz.yaml")
        except VelotuiError:
            pass


EXPR_BITS = ["r", ".x", ".y", "records", "(", ")", "[", "]", "1", "2.5", "'a'", "+", "*", "**", "/", "==", "<",
             " and ", " or ", " not ", " for ", " in ", " if ", " else ", "sum", "len", "all", ",", "_", "__class__",
             "lambda", ":", "{", "}", "%", "-", "None", "True"]


@FUZZ
@given(st.lists(st.sampled_from(EXPR_BITS), max_size=30))
def test_sandbox_never_crashes(bits: list[str]) -> None:
    text = "".join(bits)
    try:
        compile_expression(text, max_seconds=0.5).evaluate({"records": [{"x": 1}], "r": {"x": 2, "y": None}})
    except VelotuiError:
        pass


values = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                   st.text(max_size=8), st.lists(st.integers(), max_size=3),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@FUZZ
@given(st.lists(st.fixed_dictionaries({"a": values, "b": values, "k": values}), max_size=15))
def test_engine_survives_any_record(rows: list[dict]) -> None:
    sql = ("CREATE STREAM o AS SELECT k, a + b AS s, a / b AS d, CAST(a AS INTEGER) AS i, UPPER(b) AS u, "
           "CASE WHEN a > b THEN 1 ELSE 0 END AS c, COALESCE(a, b) AS co, a || b AS cat FROM s WHERE a IS NOT NULL;"
           "CREATE STREAM g AS SELECT k, COUNT(*) AS n, SUM(a) AS total, MAX(b) AS mx FROM s GROUP BY k;")
    msgs = [Message(value=r, timestamp=i) for i, r in enumerate(rows)]
    try:
        result = run_sql(sql, {"s": msgs})
    except VelotuiError:
        return
    assert result.statements["o"].records_out <= len(rows)


BASE_QUERIES = [
    "CREATE STREAM o AS SELECT symbol, price, volume FROM s WHERE price > 10;",
    "CREATE STREAM o AS SELECT symbol, COUNT(*) AS n, SUM(volume) AS v, AVG(price) AS p FROM s GROUP BY symbol;",
    "CREATE STREAM o AS SELECT symbol, COUNT(*) AS n FROM s GROUP BY symbol WINDOW TUMBLING(1m) EMIT FINAL;",
    "CREATE STREAM o AS SELECT symbol, price, LAG(price) OVER (PARTITION BY symbol) AS prev FROM s;",
    "CREATE STREAM o AS SELECT symbol, CASE WHEN price > 100 THEN 'hi' ELSE 'lo' END AS b FROM s WHERE price "
    "BETWEEN 1 AND 500;",
]
EXPR_TOKENS = ["price", "volume", "symbol", "NULL", "0", "1.5", "'x'", "+", "-", "*", "/", "%", "||", "=", "<>",
               "<", "AND", "OR", "NOT", "(", ")", "ABS(", "ROUND(", "CAST(price AS INTEGER)", ",", "IS NULL",
               "IS NOT NULL", "LIKE 'A%'", "COALESCE(", "MIN(price)"]
ROWS = [{"symbol": ["A", "B", None][i % 3], "price": [12.5, None, "7", 0][i % 4], "volume": [3, None, -5][i % 3]}
        for i in range(40)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASE_QUERIES), st.lists(st.tuples(st.integers(1, 30), st.sampled_from(EXPR_TOKENS),
                                                          st.booleans()), min_size=1, max_size=3))
def test_mutated_queries_run_or_are_refused_never_crash(base: str, edits: list[tuple[int, str, bool]]) -> None:
    import warnings

    words = base.split(" ")
    for pos, token, delete in edits:
        j = 1 + pos % (len(words) - 1)
        if delete:
            del words[j]
        else:
            words.insert(j, token)
    msgs = [Message(value=dict(r), timestamp=1_700_000_000_000 + i * 1000) for i, r in enumerate(ROWS)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # generated code must not make Python warn either
        try:
            run_sql(" ".join(words), {"s": msgs})
        except VelotuiError:
            pass


@FUZZ
@given(st.binary(max_size=64))
def test_decoders_never_raise(data: bytes) -> None:
    JsonSerde().decode(data)
    KeySerde().decode(data)


@FUZZ
@given(st.lists(st.binary(max_size=20), max_size=10))
def test_bad_payloads_become_dead_letters(payloads: list[bytes]) -> None:
    msgs = [Message(value=None, raw=p) for p in payloads] + [Message(value={"a": 1})]
    result = run_sql("CREATE STREAM o AS SELECT a FROM s;", {"s": msgs})
    st_res = result.statements["o"]
    assert st_res.records_out == 1 and len(st_res.dead_letters) == len(payloads)


@pytest.mark.parametrize("text", ["!!python/object/apply:os.system ['echo x']", "a: !!python/name:os.system"])
def test_yaml_cannot_construct_python_objects(text: str) -> None:
    with pytest.raises(VelotuiError):
        parse_test_spec(text, "evil.yaml")
