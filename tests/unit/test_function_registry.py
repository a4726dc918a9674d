"""The function registry declares what every function takes and how it treats NULL; these tests hold
the declarations to the behaviour (and the SQL layer's names to the engine's)."""

from __future__ import annotations

import pytest

from velotui.engine import run_sql
from velotui.engine.expr.aggregates import AGGREGATES, WINDOW_FUNCTIONS
from velotui.engine.expr.functions import FUNCTIONS
from velotui.sql import analysis

SAMPLE = {"string": "'ab,c'", "number": "4", "integer": "2", "timestamp": "60000", "json": "'{\"a\": 1}'",
          "boolean": "TRUE", "any": "3"}
SPECIAL_LITERALS = {("DATE_TRUNC", 0): "'minute'", ("JSON_VALUE", 1): "'$.a'", ("JSON_EXTRACT", 1): "'$.a'",
                    ("JSON_QUERY", 1): "'$.a'", ("JSON_EXISTS", 1): "'$.a'", ("REGEXP_REPLACE", 1): "'b'",
                    ("SPLIT_PART", 1): "','", ("HEADER", 0): "'k'", ("HAS_HEADER", 0): "'k'",
                    ("SET_HEADER", 0): "'k'"}


def test_the_sql_layer_and_the_engine_know_the_same_aggregates_and_window_functions() -> None:
    assert set(AGGREGATES) == set(analysis.AGGREGATE_FUNCTIONS)
    assert set(WINDOW_FUNCTIONS) == set(analysis.WINDOW_FUNCTIONS)


def _args(name: str, n: int) -> list[str]:
    fn = FUNCTIONS[name]
    return [SPECIAL_LITERALS.get((name, i), SAMPLE[fn.param(i).type]) for i in range(n)]


@pytest.mark.parametrize("name", sorted({f.name for f in FUNCTIONS.values()}))
def test_every_function_runs_at_each_arity_it_declares_and_refuses_the_others(name: str) -> None:
    fn = FUNCTIONS[name]
    top = fn.max_args if fn.max_args is not None else fn.min_args + 2
    for n in range(fn.min_args, top + 1):
        sql = f"CREATE STREAM o AS SELECT {name}({', '.join(_args(name, n))}) AS v FROM s;"
        out = run_sql(sql, {"s": [{"x": 1}]}).statements["o"]
        assert len(out.outputs) == 1 and out.row_errors == 0, (sql, out.dead_letters)
    for n in (fn.min_args - 1, (fn.max_args or 99) + 1):
        if n < 0 or n > 20:
            continue
        from velotui.errors import SqlError

        # TRIM has its own grammar (TRIM(BOTH 'x' FROM s)): too many arguments is a syntax error at its place
        expected = "syntax error" if name == "TRIM" and n > fn.min_args else f"{name} takes"
        with pytest.raises(SqlError, match=expected):
            run_sql(f"CREATE STREAM o AS SELECT {name}({', '.join(_args(name, n) if n else [])}) AS v FROM s;", {})


@pytest.mark.parametrize("name", sorted({f.name for f in FUNCTIONS.values() if f.nulls == "propagate"
                                         and f.params}))
def test_propagate_means_a_null_argument_gives_null(name: str) -> None:
    fn = FUNCTIONS[name]
    for i in range(fn.min_args):
        args = _args(name, fn.min_args)
        args[i] = "x"  # a column that is NULL in the record
        sql = f"CREATE STREAM o AS SELECT {name}({', '.join(args)}) AS v FROM s;"
        out = run_sql(sql, {"s": [{"x": None}]}).statements["o"]
        assert [m.value for m in out.outputs] == [{"v": None}], sql
