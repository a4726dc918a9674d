"""Textual messages that carry core run events into the UI thread."""

from __future__ import annotations

from textual.message import Message as TMessage

from velotui.core.events import Event


class RunEvent(TMessage):
    """A core event, posted from the run worker thread (post_message is thread-safe). ``batch`` says which of
    the UI's runs it belongs to (None: not a run, the stress worker's): a superseded run's last events are
    ignored, never mixed into the run that replaced it."""

    def __init__(self, event: Event, batch: int | None = None) -> None:
        super().__init__()
        self.event = event
        self.batch = batch


class MutationUpdate(TMessage):
    """An event of a mutation run (``event``), or its end (``done``: the report, or ``error``), posted from the
    mutation worker thread; ``session`` says which run it belongs to (a superseded run's are ignored)."""

    def __init__(self, session: object, event: Event | None = None, *, done: bool = False, report: object = None,
                 error: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.event = event
        self.done = done
        self.report = report
        self.error = error
