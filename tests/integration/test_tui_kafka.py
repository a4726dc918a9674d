"""The TUI on a broker it starts itself (--kafka local): one broker for the whole session, gone at exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from velotui.errors import InfraError
from velotui.infra import KafkaCluster, check_reachable
from velotui.tui.app import VelotuiApp
from velotui.tui.keymap import TuiConfig

pytestmark = pytest.mark.kafka
DEMO = Path(__file__).resolve().parents[2] / "demo" / "tier1_basic"


async def test_tui_starts_one_local_broker_for_every_run() -> None:
    app = VelotuiApp(DEMO, config=TuiConfig(), seed=5, now_ms=1_700_000_000_000, kafka="local")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            bootstraps = []
            for _ in range(2):
                await pilot.press("R")  # run all
                await pilot.app.workers.wait_for_complete()
                await pilot.pause()
                assert app.report is not None and app.report.exit_code == 0
                bootstraps.append(app.current_run.options.kafka)
            assert bootstraps[0] == bootstraps[1] and ":" in bootstraps[0]  # the same broker, reused
            assert any(t.startswith("test_") for t in app.captured)  # records came through real topics
    finally:
        app.close_cluster()
    with pytest.raises(InfraError):  # stopped with the app
        check_reachable(KafkaCluster(bootstrap=bootstraps[0]), timeout_s=2)
