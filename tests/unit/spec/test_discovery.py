"""Discovery of apps, specs, schema and data folders (FORMATS.md §1)."""

from __future__ import annotations

from pathlib import Path

from velotui.core.discovery import discover, find_schema


def _touch(root: Path, *paths: str) -> None:
    for p in paths:
        f = root / p
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("-- x\n" if f.suffix == ".sql" else "name: x\n")


def test_spec_lookup_order_and_folders(tmp_path: Path) -> None:
    _touch(tmp_path, "suite/tier/a.sql", "suite/tier/a.test.yaml", "suite/tier/b.sql", "suite/tests/b.spec.yaml",
           "suite/tier/c.sql", "suite/tier/c.annotated.sql", "suite/schemas/orders.schema.yaml",
           "suite/tier/schemas/orders.yaml", "suite/data/t.csv", "suite/tier/d.sql")
    suite = discover(tmp_path / "suite")
    names = [a.sql_path.name for a in suite.apps]
    assert names == ["a.sql", "b.sql", "c.sql", "d.sql"]  # sorted; *.annotated.sql is not an app
    by = {a.sql_path.name: a for a in suite.apps}
    assert by["a.sql"].spec_path.name == "a.test.yaml"
    assert by["b.sql"].spec_path.name == "b.spec.yaml"
    assert by["c.sql"].spec_path is None
    # the nearest schema wins
    assert find_schema(by["a.sql"], "orders").name == "orders.yaml"
    assert [d.name for d in by["a.sql"].data_dirs] == ["data"]


def test_single_sql_file(tmp_path: Path) -> None:
    _touch(tmp_path, "x.sql", "x.test.yaml", "schemas/s.schema.yaml")
    suite = discover(tmp_path / "x.sql")
    assert len(suite.apps) == 1 and suite.apps[0].spec_path is not None
    assert find_schema(suite.apps[0], "s") is not None


def test_shared_test_spec_yaml(tmp_path: Path) -> None:
    _touch(tmp_path, "only.sql")
    (tmp_path / "test_spec.yaml").write_text("application: only\nqueries: []\n")
    assert discover(tmp_path).apps[0].spec_path.name == "test_spec.yaml"
