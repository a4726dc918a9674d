"""A background run's messages that arrive while the app is going (its screens gone: the last ones of a run
or a mutation run the user quit in the middle of) change nothing and raise nothing: the app's exit stays
clean. (A clean-clone run once failed on a mutation run's late update: ScreenStackError.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.tui.helpers import SIZE, make_app
from velotui.core import events as ev
from velotui.tui.messages import MutationUpdate, RunEvent

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_suite"


async def test_messages_after_the_screens_are_gone_are_ignored(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(FIXTURE, suite)
    app = make_app(suite)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app._screens_gone()
    assert app._screens_gone()  # the app has gone: no screen left
    app.on_run_event(RunEvent(ev.Log("info", "late")))
    app.on_run_event(RunEvent(ev.RunStarted("r", 1, 0, ())))
    app.mutation = object()  # even a message of the current mutation run (whatever it holds)
    app.on_mutation_update(MutationUpdate(app.mutation, done=True, error="late"))
