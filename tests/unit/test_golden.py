"""The golden file format: canonical values, ordering, reading with located errors, the row-level diff."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from velotui.errors import SpecError
from velotui.golden import (
    GoldenHeader,
    canonical,
    diff_rows,
    golden_path,
    golden_rows,
    read_golden,
    record_line,
    write_golden,
)


def test_canonical_values() -> None:
    assert record_line({"b": 1, "a": {"z": 1, "y": [3, {"d": 1, "c": 2}]}}) == \
        '{"a": {"y": [3, {"c": 2, "d": 1}], "z": 1}, "b": 1}'
    assert canonical(0.1 + 0.2) == 0.3  # 12 significant digits
    assert record_line({"x": 15025.0, "y": 15025}) == '{"x": 15025.0, "y": 15025}'  # int and float stay apart
    assert canonical(Decimal("12.50")) == 12.5
    assert canonical(-0.0) == 0.0 and record_line({"x": -0.0}) == '{"x": 0.0}'
    assert [canonical(float(v)) for v in ("nan", "inf", "-inf")] == ["NaN", "Infinity", "-Infinity"]
    assert canonical(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2024-01-02T03:04:05+00:00"
    assert canonical(2**70) == 2**70  # big integers are exact
    assert record_line({"s": "é\n"}) == '{"s": "é\\n"}'  # one record per line, UTF-8 kept


def test_rows_sorted_unless_ordered() -> None:
    recs = [{"a": 2}, {"a": 1}, {"a": 3}]
    assert golden_rows(recs, ordered=False).lines == ['{"a": 1}', '{"a": 2}', '{"a": 3}']
    assert golden_rows(recs, ordered=False).indexes == [1, 0, 2]
    assert golden_rows(recs, ordered=True).lines == ['{"a": 2}', '{"a": 1}', '{"a": 3}']


def _write(tmp_path: Path, records: list[dict], ordered: bool = False) -> Path:
    rows = golden_rows(records, ordered=ordered)
    header = GoldenHeader("app", "q", 1, 2, "arrival" if ordered else "sorted", len(rows.lines))
    return write_golden(tmp_path / "g" / "q.jsonl", header, rows.lines)


def test_round_trip_and_hand_edits_with_other_spacing(tmp_path: Path) -> None:
    p = _write(tmp_path, [{"id": 1, "v": 1.5}])
    g = read_golden(p)
    assert g.header.seed == 1 and g.header.now_ms == 2 and g.lines == ['{"id": 1, "v": 1.5}']
    p.write_text(p.read_text().splitlines()[0] + '\n{ "v":1.5,"id":1 }\n\n')
    g2 = read_golden(p)
    assert g2.lines == g.lines and diff_rows(g2, golden_rows([{"id": 1, "v": 1.5}], ordered=False),
                                             ordered=False).equal


@pytest.mark.parametrize("body, line, col, words", [
    ('{"a": 1}\n', 1, 1, "not a velotui golden file"),
    ("", 1, None, "golden file is empty"),
    ('HEADER\n{"a": 1\n', 2, 8, "not JSON"),
    ('HEADER\n[1, 2]\n', 2, 1, "must be a JSON object"),
])
def test_errors_name_file_line_and_column(tmp_path: Path, body: str, line: int, col: int | None,
                                          words: str) -> None:
    header = GoldenHeader("app", "q", 1, 2, "sorted", 1).to_line()
    p = tmp_path / "q.jsonl"
    p.write_text(body.replace("HEADER", header))
    with pytest.raises(SpecError) as e:
        read_golden(p)
    assert e.value.file == str(p) and e.value.line == line and e.value.column == col
    assert words in e.value.message and "--update-golden" in str(e.value)


def test_diff_added_removed_changed(tmp_path: Path) -> None:
    p = _write(tmp_path, [{"id": 1, "v": 10}, {"id": 2, "v": 20}, {"id": 3, "v": 30}])
    actual = golden_rows([{"id": 3, "v": 30}, {"id": 2, "v": 21}, {"id": 4, "v": 40}], ordered=False)
    d = diff_rows(read_golden(p), actual, ordered=False)
    assert (d.changed, d.added, d.removed) == (1, 1, 1) and d.summary() == "1 changed, 1 added, 1 removed"
    kinds = {c.kind: c for c in d.changes}
    assert kinds["changed"].fields == ("v",) and kinds["changed"].golden_line == 3
    assert kinds["changed"].expected == {"id": 2, "v": 20} and kinds["changed"].actual == {"id": 2, "v": 21}
    assert kinds["changed"].output_index == 1
    assert kinds["removed"].expected == {"id": 1, "v": 10} and kinds["removed"].golden_line == 2
    assert kinds["added"].actual == {"id": 4, "v": 40} and kinds["added"].output_index == 2
    text = d.text_lines()
    assert "~ q.jsonl:3 (output #1): v: 20 → 21" in text
    assert '- q.jsonl:2: {"id": 1, "v": 10}' in text and '+ output #2: {"id": 4, "v": 40}' in text
    assert json.loads(json.dumps(d.to_dict()))["changes"][0]["kind"] in ("changed", "removed", "added")


def test_a_type_change_is_a_change(tmp_path: Path) -> None:
    p = _write(tmp_path, [{"id": 1, "v": 10}])
    d = diff_rows(read_golden(p), golden_rows([{"id": 1, "v": 10.0}], ordered=False), ordered=False)
    assert d.changed == 1 and d.changes[0].fields == ("v",) and "v: 10 → 10.0" in d.text_lines()[0]


def test_ordered_diff_sees_a_reorder(tmp_path: Path) -> None:
    p = _write(tmp_path, [{"id": 1}, {"id": 2}], ordered=True)
    d = diff_rows(read_golden(p), golden_rows([{"id": 2}, {"id": 1}], ordered=True), ordered=True)
    assert not d.equal
    same = diff_rows(read_golden(p), golden_rows([{"id": 1}, {"id": 2}], ordered=True), ordered=True)
    assert same.equal and same.summary() == "no change"


def test_repeated_records_count(tmp_path: Path) -> None:
    p = _write(tmp_path, [{"id": 1}, {"id": 1}])
    d = diff_rows(read_golden(p), golden_rows([{"id": 1}], ordered=False), ordered=False)
    assert d.removed == 1 and d.added == 0


def test_big_diffs_are_bounded(tmp_path: Path) -> None:
    p = _write(tmp_path, [{"id": i, "v": i} for i in range(3000)])
    d = diff_rows(read_golden(p), golden_rows([{"id": i, "v": -i - 1} for i in range(3000)], ordered=False),
                  ordered=False)
    assert d.changed + d.added + d.removed >= 3000 and len(d.changes) == 1000 and d.omitted > 0
    assert d.text_lines(limit=5)[-1].startswith("… ")


def test_golden_path_is_beside_the_spec() -> None:
    assert golden_path(Path("s/apps/x.test.yaml"), "x", "q") == Path("s/apps/x.golden/q.jsonl")
    assert golden_path(Path("a.test.yaml"), "a", "../evil/q").parent == Path("a.golden")
