"""infer-schema and init: drafts that validate, specific inferences, and a round trip on every demo app
(inferred schemas + drafted spec → a run that passes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from velotui.cli import main
from velotui.core.authoring import infer_schemas, init_spec
from velotui.sql import load_app, parse_app

ROOT = Path(__file__).resolve().parents[2]
DEMO_APPS = sorted((ROOT / "demo").glob("tier*/*.sql"))


@pytest.mark.parametrize("sql", DEMO_APPS, ids=[p.stem for p in DEMO_APPS])
def test_round_trip_on_demo_app(sql: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "demo"
    shutil.copytree(ROOT / "demo", copy, ignore=shutil.ignore_patterns("*.test.yaml", "schemas"))
    app_sql = copy / sql.parent.name / sql.name
    assert main(["infer-schema", str(app_sql), "-o", str(app_sql.parent / "schemas")]) == 0
    assert main(["init", str(app_sql), "-o", str(app_sql.with_suffix("").with_suffix(".test.yaml"))]) == 0
    capsys.readouterr()
    rc = main(["--headless", str(app_sql), "--seed", "3"])
    out = capsys.readouterr().out
    assert rc == 0, out


def test_enum_with_weights_from_csv(tmp_path: Path) -> None:
    data = tmp_path / "orders.csv"
    data.write_text("id,status,amount\n" + "".join(f"{i},{'NEW' if i % 4 else 'PAID'},{i * 1.5}\n"
                                                   for i in range(40)))
    app = parse_app("CREATE STREAM o AS SELECT id, status, amount FROM orders;")
    from velotui.core.authoring import load_samples

    schema = infer_schemas(app, load_samples([data]))["orders"]
    status = next(f for f in schema["fields"] if f["name"] == "status")
    assert status["constraints"]["enum_values"] == {"values": ["NEW", "PAID"], "weights": [0.75, 0.25]}
    amount = next(f for f in schema["fields"] if f["name"] == "amount")
    assert amount["type"] == "float" and amount["constraints"]["range"] == {"min": 0.0, "max": 58.5}


def test_foreign_key_from_join_and_event_time() -> None:
    app = load_app(ROOT / "demo" / "tier3_joins" / "20_stream_table_join.sql")
    fields = {f["name"]: f for f in infer_schemas(app)["orders"]["fields"]}
    assert fields["customer_id"]["constraints"]["references"] == {"file": "../data/customers.csv",
                                                                  "field": "customer_id"}
    app2 = load_app(ROOT / "demo" / "tier2_aggregations" / "12_tumbling_window.sql")
    fields2 = {f["name"]: f for f in infer_schemas(app2)["market_data"]["fields"]}
    assert fields2["event_time"]["type"] == "timestamp"


def test_where_clause_fires_on_inferred_data() -> None:
    app = parse_app("CREATE STREAM o AS SELECT id FROM s WHERE amount > 100 AND status IN ('PAID', 'SHIPPED');")
    fields = {f["name"]: f for f in infer_schemas(app)["s"]["fields"]}
    assert fields["amount"]["constraints"]["range"]["max"] > 100 > fields["amount"]["constraints"]["range"]["min"]
    assert {"PAID", "SHIPPED"} <= set(fields["status"]["constraints"]["enum_values"]["values"])


def test_init_fits_the_query_shape() -> None:
    spec = init_spec(parse_app("CREATE STREAM f AS SELECT a FROM s WHERE a > 5;\n"
                               "CREATE STREAM g AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;"))
    f, g = spec["queries"]
    assert f["assertions"][1]["type"] == "template" and "r.a > 5.0" in f["assertions"][1]["expression"]
    assert g["assertions"][1] == {"type": "record_count", "description": "EMIT CHANGES: one update per input",
                                  "expression": "== {{inputs.s.count}}"}
    assert yaml.safe_load(yaml.safe_dump(spec)) == spec
