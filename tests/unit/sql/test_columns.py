"""SQL columns against the sources' known fields: an unknown column is a validation error, never a NULL."""

from __future__ import annotations

from pathlib import Path

import pytest

from velotui.cli import main
from velotui.sql import parse_app
from velotui.sql.columns import KnownFields, check_columns

ORDERS = KnownFields(("order_id", "customer_id", "amount", "status"), "schema orders (orders.schema.yaml)")
LISTED = "orders (schema orders (orders.schema.yaml): order_id, customer_id, amount, status)"


def _errors(sql: str, **known: KnownFields | None) -> list[str]:
    app = parse_app(sql, "a.sql")
    return [f"{e.line}:{e.column}: {e.message}" for e in check_columns(app, known)]


def test_an_unknown_column_names_the_source_its_fields_and_the_closest() -> None:
    assert _errors("CREATE STREAM o AS\nSELECT order_id, amout FROM orders;", orders=ORDERS) == [
        f"2:18: o: column 'amout' is not a field of {LISTED}; did you mean 'amount'?"]
    assert _errors("CREATE STREAM o AS SELECT x.order_id FROM orders x WHERE x.stauts = 'A';", orders=ORDERS) == [
        f"1:58: o: column x.stauts: 'stauts' is not a field of {LISTED}; did you mean x.status?"]


def test_known_columns_system_columns_and_output_aliases_pass() -> None:
    assert _errors("CREATE STREAM o AS SELECT order_id, amount * 2 AS dbl, _timestamp AS ts FROM orders "
                   "WHERE amount > 1 ORDER BY dbl;", orders=ORDERS) == []
    assert _errors("CREATE STREAM o AS SELECT status, COUNT(*) AS n FROM orders GROUP BY status HAVING n > 1;",
                   orders=ORDERS) == []


def test_a_source_of_unknown_fields_is_not_checked() -> None:
    assert _errors("CREATE STREAM o AS SELECT anything FROM orders;", orders=None) == []
    assert _errors("CREATE STREAM o AS SELECT anything FROM orders;") == []


def test_an_upstream_statement_defines_the_fields_of_the_next() -> None:
    sql = ("CREATE STREAM paid AS SELECT order_id, amount AS total FROM orders;\n"
           "CREATE STREAM big AS SELECT order_id, amount FROM paid WHERE total > 10;")
    assert _errors(sql, orders=ORDERS) == [
        "2:39: big: column 'amount' is not a field of paid (the output of statement paid: order_id, total)"]
    star = "CREATE STREAM a AS SELECT * FROM orders;\nCREATE STREAM b AS SELECT amount, colour FROM a;"
    assert _errors(star, orders=ORDERS) == [
        "2:35: b: column 'colour' is not a field of a (the output of statement a: order_id, customer_id, amount, "
        "status)"]


def test_joins_resolve_by_qualifier_and_unqualified_names_anywhere() -> None:
    cust = KnownFields(("customer_id", "tier"), "the header of customers.csv")
    sql = "CREATE STREAM o AS SELECT x.order_id, c.teir, tier FROM orders x JOIN customers c ON x.customer_id = c.customer_id;"
    assert _errors(sql, orders=ORDERS, customers=cust) == [
        "1:39: o: column c.teir: 'teir' is not a field of customers (the header of customers.csv: customer_id, tier); "
        "did you mean c.tier?"]
    assert _errors("CREATE STREAM o AS SELECT x.order_id, nope FROM orders x JOIN customers c ON x.customer_id = "
                   "c.customer_id;", orders=ORDERS, customers=cust)[0].startswith(
        "1:39: o: column 'nope' is not a field of orders (")


def test_subqueries_read_their_own_table_and_the_outer_row() -> None:
    cust = KnownFields(("customer_id", "tier"), "the header of customers.csv")
    with_ = " WITH ('customers.type' = 'file_source', 'customers.path' = 'customers.csv')"
    ok = ("CREATE STREAM o AS SELECT order_id FROM orders x WHERE customer_id IN "
          "(SELECT customer_id FROM customers WHERE tier = 'GOLD')" + with_ + ";")
    assert _errors(ok, orders=ORDERS, customers=cust) == []
    bad = ok.replace("tier = 'GOLD'", "level = 'GOLD'")
    [msg] = _errors(bad, orders=ORDERS, customers=cust)
    assert "column 'level' is not a field of customers (the header of customers.csv: customer_id, tier)" in msg


def test_a_window_time_column_must_be_a_field() -> None:
    """The WINDOW clause's columns are checked as every column is, at their own place: the time column and a
    SESSION's partition column (which no check looked at)."""
    [msg] = _errors("CREATE STREAM o AS SELECT COUNT(*) AS n FROM orders WINDOW TUMBLING(evt_time, 1m);", orders=ORDERS)
    assert msg == f"1:69: o: column 'evt_time' is not a field of {LISTED}"
    [msg] = _errors("CREATE STREAM o AS SELECT COUNT(*) AS n FROM orders WINDOW SESSION(amount, 10s, custmer_id);",
                    orders=ORDERS)
    assert msg == f"1:81: o: column 'custmer_id' is not a field of {LISTED}; did you mean 'customer_id'?"
    assert _errors("CREATE STREAM o AS SELECT COUNT(*) AS n FROM orders o WINDOW SESSION(o.amount, 10s, customer_id);",
                   orders=ORDERS) == []


SCHEMA = "name: orders\nfields:\n  - {name: order_id, type: integer}\n  - {name: amount, type: float}\n"


@pytest.mark.parametrize("feed", ["schema", "data_file", "file_source"])
def test_validate_knows_the_fields_from_every_kind_of_input(feed: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "orders.schema.yaml").write_text(SCHEMA)
    (tmp_path / "orders.csv").write_text("order_id,amount\n1,2.5\n")
    inp = {"schema": "      - source: orders\n        records: 3\n",
           "data_file": "      - source: orders\n        data_file: orders.csv\n",
           "file_source": ""}[feed]
    (tmp_path / "orders_table.yaml").write_text("type: file_source\npath: orders.csv\nformat: csv\n")
    with_ = (" WITH ('orders.type' = 'file_source', 'orders.config_file' = 'orders_table.yaml')" if feed == "file_source"
             else "")
    (tmp_path / "app.sql").write_text(f"CREATE STREAM o AS\nSELECT order_id, amonut FROM orders{with_};\n")
    (tmp_path / "app.test.yaml").write_text(f"application: app\nqueries:\n  - name: o\n    inputs:\n{inp or '      []'}\n")
    if not inp:
        (tmp_path / "app.test.yaml").write_text("application: app\nqueries:\n  - name: o\n    inputs: []\n")
    assert main(["validate", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert f"{tmp_path / 'app.sql'}:2:18: o: column 'amonut' is not a field of orders (" in out
    assert "did you mean 'amount'?" in out


def test_a_check_over_a_field_the_statement_never_outputs_is_an_error(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "orders.schema.yaml").write_text(SCHEMA)
    (tmp_path / "app.sql").write_text("CREATE STREAM o AS SELECT order_id, amount * 2 AS doubled FROM orders;\n")
    (tmp_path / "app.test.yaml").write_text(
        "application: app\nqueries:\n  - name: o\n    inputs:\n      - source: orders\n        records: 3\n"
        "    assertions:\n      - type: no_nulls\n        fields: [order_id, amount]\n")
    assert main(["validate", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert (f"{tmp_path / 'app.test.yaml'}:9:17: no_nulls: fields 'amount' is not a field that statement 'o' "
            "outputs") in out
    assert "hint: o outputs: order_id, doubled" in out
