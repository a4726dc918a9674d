"""Data generation speed: records/s per schema (one JSON line per case).

    python benchmarks/datagen.py [--records N] [--repeat R] [--cases five_fields_uuid,market_data,...]

Cases:
- five_fields_uuid: a uuid, a pattern, a decimal, a weighted enum and the event time (the issue's
  "five-field schema with a uuid"; target >= 1,000,000 records/s);
- market_data: demo/schemas/market_data.schema.yaml itself (weighted enum, normal distribution,
  integer range, decimal, the derived field ``round(price * volume, 2)``, event time; target >= 500,000);
- every_kind: one field of each kind and constraint the generator knows, NULLs included (no target:
  the slowest mix, to see that no kind falls back to a per-record path).

Each case times ``DataGenerator.generate`` with a time simulation over the last hour, best of R runs,
each with a new seed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from velotui.datagen import DataGenerator
from velotui.spec import parse_data_schema
from velotui.spec.test_spec import TimeSimulation

ROOT = Path(__file__).resolve().parents[1]

FIVE_FIELDS_UUID = """
name: orders
fields:
  - {name: order_id, type: uuid}
  - name: customer_id
    constraints: {pattern: "C[0-9]{4}"}
  - name: amount
    type: {decimal: {precision: 2}}
    constraints: {range: {min: 1, max: 1000}}
  - name: status
    constraints: {enum_values: {values: [NEW, PAID, SHIPPED], weights: [0.5, 0.3, 0.2]}}
  - {name: event_time, type: timestamp}
"""

EVERY_KIND = """
name: every_kind
fields:
  - {name: id, type: uuid}
  - {name: code, constraints: {pattern: "(EU|US|APAC)-[A-Z]{2}[0-9]{3,6}"}}
  - {name: note, constraints: {length: {min: 3, max: 12}}}
  - {name: city, type: string}
  - {name: word, type: string}
  - {name: flag, type: boolean}
  - {name: day, type: date}
  - {name: qty, type: integer, nullable: true, constraints: {range: {min: 1, max: 100}}}
  - {name: price, type: float, constraints: {range: {min: 1, max: 500}, distribution: {log_normal: {mean: 3, std_dev: 0.4}}}}
  - {name: level, type: float, constraints: {range: {min: 50, max: 150}, distribution: {random_walk: {volatility: 0.01, group_by: code}}}}
  - {name: fee, type: {decimal: {precision: 4}}, constraints: {range: {min: 0, max: 10}}}
  - {name: total, type: float, constraints: {derived: {expression: "round(price * 1.2 + fee_rate, 2)", depends_on: [price, fee_rate]}}}
  - {name: fee_rate, type: float, constraints: {range: {min: 0, max: 1}}}
  - {name: updated, type: timestamp, constraints: {timestamp_range: {start: "-1d", end: now}}}
  - {name: event_time, type: timestamp}
"""


def _cases() -> dict[str, object]:
    return {
        "five_fields_uuid": parse_data_schema(FIVE_FIELDS_UUID, "orders.schema.yaml"),
        "market_data": parse_data_schema((ROOT / "demo/schemas/market_data.schema.yaml").read_text(),
                                         ROOT / "demo/schemas/market_data.schema.yaml"),
        "every_kind": parse_data_schema(EVERY_KIND, "every_kind.schema.yaml"),
    }


def measure(schema: object, records: int, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time of this process of ``repeat`` generations of ``records`` records
    (on a machine that other work keeps busy the CPU time is the steadier figure; on a quiet one they
    are the same)."""
    best, best_cpu = float("inf"), float("inf")
    name = schema.name  # type: ignore[attr-defined]
    for seed in range(repeat):
        gen = DataGenerator({name: schema}, seed=seed, now_ms=1_700_000_000_000)
        t0, c0 = time.perf_counter(), time.process_time()
        gen.generate(schema, records, time_simulation=TimeSimulation(start_time="-1h", end_time="now"))
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    return best, best_cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="five_fields_uuid,market_data,every_kind")
    args = ap.parse_args()
    cases = _cases()
    for name in args.cases.split(","):
        seconds, cpu = measure(cases[name], args.records, args.repeat)
        print(json.dumps({"case": name, "records": args.records, "seconds": round(seconds, 3),
                          "records_per_s": round(args.records / seconds),
                          "records_per_cpu_s": round(args.records / cpu)}), flush=True)


if __name__ == "__main__":
    main()
