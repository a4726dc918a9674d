"""The record-by-record comparison of two engines' outputs, and the flags that explain a difference."""

from __future__ import annotations

from pathlib import Path

from velotui.compare import canonical, compare_outputs, divergence_flags, normalize
from velotui.compare.flags import BOUNDED_INPUT
from velotui.sql import load_app, parse_app

ROOT = Path(__file__).resolve().parents[3]
ENGINES = ("embedded", "velostream")


def test_values_written_differently_compare_equal() -> None:
    # the reference writes SUM of INTEGER as a float, DECIMAL as a string, TIMESTAMP as text (REFERENCE_BEHAVIOUR §2)
    assert normalize(164305) == normalize(164305.0) == normalize("164305.00")
    assert normalize("10.50") == normalize(10.5)
    assert normalize("2023-11-14 22:14:00.663") == normalize(1700000040663)
    assert normalize(0.1 + 0.2) == normalize(0.3)  # AVG's last digit
    assert normalize(1.0000001) != normalize(1.0000002)
    assert canonical({"b": 1, "a": "x"}) == canonical({"a": "x", "b": 1.0})
    assert normalize("ABC") == "ABC" and normalize(None) is None and normalize(True) is True
    assert canonical({"x": True}) != canonical({"x": 1})


def test_same_records_in_another_order_are_the_same_unless_ordered() -> None:
    a = [{"k": "a", "n": 1}, {"k": "b", "n": 2}]
    b = list(reversed(a))
    same = compare_outputs(a, b, engines=ENGINES, ordered=False, flags=[])
    assert (same.verdict, same.label, same.counts) == ("same", "same", (2, 2))
    ordered = compare_outputs(a, b, engines=ENGINES, ordered=True, flags=[])
    assert ordered.verdict == "unexplained" and ordered.first_difference == 0
    assert ordered.only_left[0] == {"k": "a", "n": 1} and ordered.only_right[0] == {"k": "b", "n": 2}


def test_a_multiset_difference_lists_what_each_side_alone_emitted() -> None:
    a = [{"n": 1}, {"n": 1}, {"n": 2}, {"n": 3}]
    b = [{"n": 1}, {"n": 2}, {"n": 4}]
    c = compare_outputs(a, b, engines=ENGINES, ordered=False, flags=[])
    assert c.verdict == "unexplained" and c.label == "differs, unexplained"
    assert c.only_left == [{"n": 1}, {"n": 3}] and c.only_right == [{"n": 4}]
    assert (c.missing_right, c.missing_left) == (2, 1)


def test_a_flagged_query_that_differs_is_explained_and_says_by_what() -> None:
    c = compare_outputs([{"n": 1}], [], engines=ENGINES, ordered=False, flags=[BOUNDED_INPUT])
    assert c.verdict == "explained" and c.label == "differs, explained by flag D18"
    assert c.flag_notes == [f"D18: {BOUNDED_INPUT.summary}"]
    same = compare_outputs([{"n": 1}], [{"n": 1.0}], engines=ENGINES, ordered=False, flags=[BOUNDED_INPUT])
    assert same.verdict == "same" and same.flags == []


def test_d18_flags_windowed_final_statements_and_what_reads_them() -> None:
    tumbling = load_app(ROOT / "demo" / "tier2_aggregations" / "12_tumbling_window.sql")
    assert BOUNDED_INPUT in divergence_flags(tumbling, "tumbling_output")
    counts = load_app(ROOT / "demo" / "tier2_aggregations" / "10_count.sql")
    assert BOUNDED_INPUT not in divergence_flags(counts, "category_counts")
    changes = parse_app("CREATE STREAM w AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(1m) "
                        "EMIT CHANGES;\nCREATE STREAM x AS SELECT * FROM w")
    assert BOUNDED_INPUT not in divergence_flags(changes, "x")
    assert [f.id for f in divergence_flags(changes, "x")] == ["D3"]  # the reference table's flag of the upstream
    assert divergence_flags(changes, "x")[0].summary.startswith("WINDOW TUMBLING … EMIT CHANGES")
    final = parse_app("CREATE STREAM w AS SELECT k, COUNT(*) AS n FROM s GROUP BY k WINDOW TUMBLING(1m) "
                      "EMIT FINAL;\nCREATE STREAM x AS SELECT * FROM w")
    assert [f.id for f in divergence_flags(final, "x")] == ["D2", "D15", "D18"]
