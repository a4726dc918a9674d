"""Two statements with one name in one SQL file: refused at the second's name (both ran and wrote the sink)."""

from __future__ import annotations

import pytest

from velotui.errors import SqlError
from velotui.sql import parse_app

SQL = """\
CREATE STREAM out_s AS
SELECT id FROM s WHERE amount > 100
EMIT CHANGES;

CREATE STREAM out_s AS
SELECT id FROM s
EMIT CHANGES;
"""


def test_a_statement_name_used_twice_is_refused_at_the_second() -> None:
    with pytest.raises(SqlError) as e:
        parse_app(SQL, "f.sql")
    err = e.value
    assert (err.file, err.line, err.column) == ("f.sql", 5, 15)
    assert "'out_s' is used twice" in err.message and "line 1" in err.message


def test_a_table_and_a_stream_with_one_name_are_refused_too() -> None:
    with pytest.raises(SqlError, match="used twice"):
        parse_app(SQL.replace("CREATE STREAM out_s AS\nSELECT id FROM s\n", "CREATE TABLE out_s AS\nSELECT id FROM s\n"),
                  "f.sql")
