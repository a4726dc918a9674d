"""Generated query code never makes Python warn on the user's stderr (``1.5 is None`` is a SyntaxWarning)."""

from __future__ import annotations

import warnings

from velotui.engine import run_sql


def test_is_null_on_literals_compiles_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_sql("CREATE STREAM o AS SELECT 1.5 IS NOT NULL AS a, 'x' IS NULL AS b, NULL IS NULL AS c, "
                         "TRUE IS TRUE AS d, v IS NULL AS e FROM t;", {"t": [{"v": 1}]})
    assert [m.value for m in result.statements["o"].outputs] == [{"a": True, "b": False, "c": True, "d": True,
                                                                   "e": False}]
