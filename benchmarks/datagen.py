"""Data generation speed: records/s for a market_data-like schema (JSON line per run).

    python benchmarks/datagen.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import time

from velotui.datagen import DataGenerator
from velotui.spec import parse_data_schema
from velotui.spec.test_spec import TimeSimulation

SCHEMA = """
name: market_data
key_field: symbol
fields:
  - name: symbol
    constraints:
      enum_values: {values: [AAPL, MSFT, GOOG, AMZN, TSLA], weights: [0.3, 0.25, 0.2, 0.15, 0.1]}
  - name: price
    type: float
    constraints:
      range: {min: 10, max: 500}
      distribution: {normal: {mean: 200, std_dev: 80}}
  - name: volume
    type: integer
    constraints: {range: {min: 1, max: 10000}}
  - name: exchange
    constraints: {enum_values: {values: [NYSE, NASDAQ]}}
  - name: bid_price
    type: {decimal: {precision: 2}}
    constraints: {range: {min: 10, max: 500}}
  - name: trade_id
    constraints: {pattern: "T-[0-9]{8}"}
  - name: event_time
    type: timestamp
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    args = ap.parse_args()
    schema = parse_data_schema(SCHEMA, "market_data.schema.yaml")
    best = float("inf")
    for seed in range(3):
        gen = DataGenerator({"market_data": schema}, seed=seed, now_ms=1_700_000_000_000)
        t0 = time.perf_counter()
        gen.generate(schema, args.records, time_simulation=TimeSimulation(start_time="-1h", end_time="now"))
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"case": "market_data", "records": args.records, "seconds": round(best, 3),
                      "records_per_s": round(args.records / best)}))


if __name__ == "__main__":
    main()
