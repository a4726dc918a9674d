"""`velotui debug`: statements one at a time, breakpoints, topics, state, re-run."""

from __future__ import annotations

from pathlib import Path

from velotui.cli import main
from velotui.core.debug import DebugSession

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "demo" / "tier5_complex" / "40_pipeline.sql"


def test_session_steps_and_breakpoints() -> None:
    s = DebugSession(PIPELINE, seed=3, now_ms=1_700_000_000_000, breakpoints=["large_orders"])
    first = s.step()
    assert first.statement == "paid_orders" and first.records_in == 300
    assert all(r["status"] in ("PAID", "SHIPPED") for r in s.topic("paid_orders"))
    ran = s.cont()
    assert [r.statement for r in ran] == ["priced_orders"]  # stopped before the breakpoint
    assert s.stepper.next_statement.name == "large_orders"
    last = s.step()
    assert last.records_out == sum(1 for r in s.topic("priced_orders") if r["size_class"] == "LARGE")
    s.rerun("priced_orders")
    assert s.step().statement == "priced_orders"


def test_debug_command_script(capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["debug", str(PIPELINE), "--seed", "2", "--break", "large_orders",
               "--commands", "l;s;c;st;t large_orders;q"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "== paid_orders: 300 in ->" in out and "stopped at breakpoint before large_orders" in out
    assert "priced_orders: out" in out and "topic large_orders: 0 records" in out
