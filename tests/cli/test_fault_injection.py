"""Fault injection: deterministic from the seed, every malformed type reaches the dead-letter list with its
error type, and the run goes on."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from velotui.core.faults import MALFORMED_TYPES, inject
from velotui.core.run import RunOptions, SuiteRun
from velotui.records import Message
from velotui.spec.test_spec import FaultInjection

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "faults"


def _run(seed: int) -> SuiteRun:
    run = SuiteRun(FIXTURE, RunOptions(seed=seed, now_ms=1_700_000_000_000))
    report = run.execute()
    assert report.exit_code == 0, [(x.type, x.message) for a in report.apps for q in a.queries for x in q.assertions]
    return run


def test_every_malformed_type_is_dead_lettered_by_type() -> None:
    run = _run(1)
    rec = next(iter(run.query_records.values()))
    kinds = Counter(d.error_type for d in rec.dead_letters)
    assert set(kinds) == set(MALFORMED_TYPES)
    assert len(rec.outputs) + sum(kinds.values()) == 1050  # 1000 records + 50 duplicates


def test_injection_is_deterministic() -> None:
    faults = FaultInjection.model_validate({"malformed_records": {"enabled": True, "rate": 0.2},
                                            "duplicates": {"enabled": True, "rate": 0.1},
                                            "out_of_order": {"enabled": True, "rate": 0.1}})
    msgs = [Message(value={"a": i, "b": "x"}, timestamp=i) for i in range(200)]

    def dump(seed: int) -> str:
        out, counts = inject([Message(value=dict(m.value), timestamp=m.timestamp) for m in msgs], faults, seed=seed,
                             source="s", required_fields=["a", "b"])
        return json.dumps([[m.value, m.raw.decode("latin-1") if m.raw else None, m.timestamp] for m in out]
                          + [counts], default=str)

    assert dump(1) == dump(1) and dump(1) != dump(2)


def test_slow_processing_slows_the_query(tmp_path: Path) -> None:
    import shutil

    suite = tmp_path / "faults"
    shutil.copytree(FIXTURE, suite)
    spec = suite / "payments.test.yaml"
    text = spec.read_text().replace("  out_of_order: {enabled: true, rate: 0.1, window_size: 5}\n",
                                    "  out_of_order: {enabled: true, rate: 0.1, window_size: 5}\n"
                                    "  slow_processing: {enabled: true, rate: 0.03, min_delay_ms: 20, max_delay_ms: 20}\n")
    spec.write_text(text.replace("      - type: no_nulls\n", "      - type: execution_time\n        min_ms: 150\n"
                                 "      - type: no_nulls\n"))
    run = SuiteRun(suite, RunOptions(seed=1, now_ms=1_700_000_000_000))
    report = run.execute()
    assert report.exit_code == 0, [(x.type, x.message) for a in report.apps for q in a.queries for x in q.assertions]
    assert report.apps[0].queries[0].duration_ms >= 150
