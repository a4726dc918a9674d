"""The consoles the command line prints through: everything printed is terminal-safe (control and bidi
characters shown escaped, velotui.terminal), and when the stream is not a terminal (a CI log, a pipe)
lines are never hard-wrapped and no markup or colour codes are written."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from velotui.terminal import safe_text


class SafeConsole(Console):
    """A rich Console whose text arguments pass through :func:`velotui.terminal.safe_text`."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().print(*(safe_text(o) if isinstance(o, str) else o for o in objects), **kwargs)

    def on_broken_pipe(self) -> None:
        """The reader went away (``| head``): rich would exit 1 at once; velotui's front door stops
        quietly with its own exit code (141, velotui.cli.main)."""
        self.quiet = True
        raise BrokenPipeError(32, "the reader of standard output went away")

    def rule(self, title: Any = "", **kwargs: Any) -> None:  # type: ignore[override]
        super().rule(safe_text(title, newlines=False) if isinstance(title, str) else title, **kwargs)


def make_console(*, stderr: bool = False, **kwargs: Any) -> SafeConsole:
    """stdout (the report) or stderr (progress); soft-wrapped unless it is a terminal."""
    kwargs.setdefault("highlight", False)
    console = SafeConsole(stderr=stderr, **kwargs)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def echo(*parts: Any, file: Any = None, end: str = "\n", sep: str = " ") -> None:
    """``print`` for the command line: the text made terminal-safe first (velotui.terminal)."""
    import sys

    stream = file if file is not None else sys.stdout
    stream.write(safe_text(sep.join(str(p) for p in parts)) + end)
    if end != "\n" or stream is sys.stderr:
        stream.flush()
