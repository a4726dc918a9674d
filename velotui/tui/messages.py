"""Textual messages that carry core run events into the UI thread."""

from __future__ import annotations

from textual.message import Message as TMessage

from velotui.core.events import Event


class RunEvent(TMessage):
    """A core event, posted from the run worker thread (post_message is thread-safe)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event
