"""WITH (…) keys one typo away from a key velotui reads are warned about, with the likely key; keys far
from any known one are kept silently (the production engine may read them)."""

from __future__ import annotations

from pathlib import Path

from velotui.sql import parse_app
from velotui.sql.validate import property_warnings

SQL = """CREATE STREAM big AS SELECT id FROM orders WHERE amount > 1
WITH ('orders.typ' = 'kafka_source', 'order.topic.name' = 'o', 'orders.config_fle' = 'x.yaml',
      'watermark.max_out_of_ordernes' = '5s', 'big.type' = 'kafka_sink', 'big.topic.name' = 'big',
      'orders.linger.ms' = '5', 'vendor.special' = 'x', 'orders.topic.partitions' = '3');
"""


def test_near_misses_are_warned_with_the_key_meant(tmp_path: Path) -> None:
    warnings = property_warnings(parse_app(SQL, tmp_path / "a.sql"))
    text = "\n".join(warnings)
    assert "'orders.typ' is not one velotui reads; did you mean 'orders.type'?" in text
    assert "'orders.config_fle' is not one velotui reads; did you mean 'orders.config_file'?" in text
    assert "'order.topic.name' names no source or sink of big; did you mean 'orders.topic.name'?" in text
    assert "did you mean 'watermark.max_out_of_orderness'?" in text
    assert len(warnings) == 4  # 'orders.linger.ms', 'vendor.special', 'orders.topic.partitions': no warning
    assert all(w.startswith(f"{tmp_path / 'a.sql'}:1:") for w in warnings)
