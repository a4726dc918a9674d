"""The dialect's generator writes text that its parser reads back into the same tree.

Mutation testing renders every mutant with the generator (docs/QUALITY.md), so a construct that does not
round-trip would make mutants that test something else than they say. Checked on every SQL text the
project holds (conformance cases, demo, examples, fixtures), by tree equality and, for the conformance
cases, by running the re-rendered SQL against the golden outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.runner import expected_value, load_cases, same, to_message
from velotui.sql.dialect import CreateStream, Velostream, parse_statements

ROOT = Path(__file__).resolve().parents[3]
CASES = [c for c in load_cases() if c.expected_error is None]


def _corpus() -> list[tuple[str, str]]:
    texts = [(f"case:{c.id}", c.sql) for c in CASES]
    for folder in ("demo", "examples", "tests/fixtures"):
        for p in sorted((ROOT / folder).rglob("*.sql")):
            texts.append((str(p.relative_to(ROOT)), p.read_text(errors="replace")))
    return texts


def _render(tree: object) -> str:
    return tree.sql(dialect=Velostream, comments=False)  # type: ignore[attr-defined]


def test_every_statement_of_the_corpus_round_trips() -> None:
    checked, failures = 0, []
    for name, text in _corpus():
        try:
            trees = parse_statements(text)
        except Exception:  # fixtures of bad SQL: nothing to round-trip
            continue
        for tree in trees:
            for rendered in (_render(tree), tree.sql(dialect=Velostream, comments=False, pretty=True)):
                back = parse_statements(rendered)
                checked += 1
                if len(back) != 1 or back[0] != tree:
                    failures.append(f"{name}: {rendered}")
    assert checked > 500, checked
    assert not failures, "\n".join(failures[:10])


@pytest.mark.parametrize("sql", [
    "CREATE STREAM o AS SELECT SUM(a) OVER (ROWS WINDOW BUFFER 3 ROWS PARTITION BY k ORDER BY t "
    "EMIT EVERY RECORD EXPIRE AFTER INTERVAL '5' MINUTE INACTIVITY) AS x FROM s",
    "CREATE STREAM o AS SELECT AVG(a) OVER (PARTITION BY k ORDER BY t ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) "
    "AS x FROM s",
    # an INTERVAL bound stays an interval, not a count of rows (the planner refuses it as such)
    "CREATE STREAM o AS SELECT AVG(a) OVER (ORDER BY t RANGE BETWEEN INTERVAL '5' MINUTE PRECEDING AND CURRENT ROW) "
    "AS x FROM s",
    "CREATE TABLE t AS SELECT k PRIMARY KEY, COUNT(DISTINCT a) AS c FROM s GROUP BY k HAVING COUNT(*) > 2 "
    "WINDOW SESSION(t, 30s, k) EMIT FINAL WITH ('s.type' = 'kafka_source', 's.topic.name' = \"in\")",
    "CREATE STREAM o AS SELECT `my col` AS `x y`, 'it''s' AS q, -5 AS n, 1.50 AS f FROM s WINDOW HOPPING(2m, 1m)",
    "CREATE STREAM o AS SELECT a FROM s WHERE a BETWEEN 1 AND 3 AND b NOT IN (1, 2) AND c LIKE 'x%' "
    "AND d IS NOT NULL ORDER BY a DESC LIMIT 3 EMIT CHANGES",
])
def test_velostream_extensions_round_trip(sql: str) -> None:
    tree = parse_statements(sql)[0]
    back = parse_statements(_render(tree))
    assert back == [tree], _render(tree)


def test_the_with_list_is_written_back() -> None:
    tree = parse_statements("CREATE STREAM o AS SELECT a FROM s WITH ('s.type' = 'kafka_source', 'o.x' = 1)")[0]
    assert isinstance(tree, CreateStream)
    assert _render(tree).endswith("WITH ('s.type' = 'kafka_source', 'o.x' = 1)")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rendered_sql_computes_the_golden_outputs(case) -> None:  # type: ignore[no-untyped-def]
    """Same tree is necessary; same outputs is what mutation testing relies on."""
    from velotui.engine import run_sql

    rendered = ";\n".join(_render(t) for t in parse_statements(case.sql)) + ";"
    inputs = {name: [to_message(r) for r in recs] for name, recs in case.inputs.items()}
    result = run_sql(rendered, inputs, now_ms=case.now_ms, files=case.files, properties=case.properties)
    for statement, want in (case.expected or {}).items():
        values = [m.value for m in result.statements[statement].outputs]
        wanted = [expected_value({k: v for k, v in w.items() if not k.startswith("$")}) for w in want]
        assert len(values) == len(wanted) and all(same(a, e) for a, e in zip(values, wanted)), (rendered, values)


@pytest.mark.parametrize("ms", [1, 500, 1000, 1500, 60_000, 90_000, 3_600_000, 86_400_000, 2 * 86_400_000 + 1])
def test_window_durations_are_written_short_and_read_back_exactly(ms: int) -> None:
    from velotui.sql.dialect import StreamWindow, duration_sql

    tree = parse_statements(f"CREATE STREAM o AS SELECT COUNT(*) AS n FROM s WINDOW TUMBLING({duration_sql(ms)})")[0]
    window = next(tree.find_all(StreamWindow))
    assert window.args["arguments"] == [ms] and window.args["kinds"] == ["duration"]
    assert duration_sql(60_000) == "1m" and duration_sql(90_000) == "90s" and duration_sql(1500) == "1500ms"
