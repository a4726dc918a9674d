"""The whole demo: only the queries that use a construct where the reference engine computes something else
carry a divergence flag — each the flag of its construct, and no other query any (no noise). The demo keeps
to the reference dialect (validate --strict is clean) and accepts, in its specs, the divergences it shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from velotui.core.run import RunOptions, SuiteRun

ROOT = Path(__file__).resolve().parents[2]

# what each demo query uses, read from its SQL by a person (not by velotui): the construct, then the row
USES = {
    "casting_output": {"D12"},  # CAST(amount AS STRING)
    "tumbling_output": {"D2", "D15"},  # GROUP BY symbol WINDOW TUMBLING(1m), EMIT FINAL
    "customer_sessions": {"D4"},  # GROUP BY customer_id WINDOW SESSION(30s)
    "enriched_orders": {"D8"},  # orders LEFT JOIN customers (a file table)
    "order_lines": {"D9"},  # orders JOIN customers JOIN products (file tables)
    "price_moves": {"D5"},  # LEAD(price, 1) OVER (…)
    "ranked_trades": {"D6"},  # RANK() and DENSE_RANK() OVER (…)
    "late_tolerant_counts": {"D2", "D15"},  # GROUP BY symbol WINDOW TUMBLING(1m), EMIT FINAL, late records
}


def test_only_the_queries_that_use_a_flagged_construct_carry_a_flag() -> None:
    report = SuiteRun(ROOT / "demo", RunOptions(seed=1, now_ms=1_700_000_000_000)).execute()
    assert report.exit_code == 0
    got = {q.name: {f.id for f in q.flags} for a in report.apps for q in a.queries}
    assert len(got) == 27
    assert {name: ids for name, ids in got.items() if ids} == USES
    for a in report.apps:
        for q in a.queries:
            assert all(f.accepted for f in q.flags), (q.name, [f.id for f in q.flags if not f.accepted])
            assert q.warnings == [], (q.name, [str(w) for w in q.warnings])
        assert a.warnings == [], [str(w) for w in a.warnings]


def test_the_demo_is_clean_under_strict() -> None:
    for args in (["validate", "demo/", "--strict"], ["--headless", "demo/", "--strict", "-q", "--seed", "2"]):
        proc = subprocess.run([sys.executable, "-m", "velotui", *args], capture_output=True, text=True, cwd=ROOT,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        assert "warning" not in proc.stdout.lower()
        assert "error" not in proc.stdout.lower().replace("0 errors", "")
