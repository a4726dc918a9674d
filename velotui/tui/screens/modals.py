"""Small modal screens: key help, explanations, errors."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from velotui.tui.shown import shown


class HelpScreen(ModalScreen[None]):
    """Key help generated from the active bindings."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]], title: str = "Keys") -> None:
        super().__init__()
        self.rows = rows
        self.title_text = title

    def compose(self) -> ComposeResult:
        lines = [f"# {self.title_text}", "", "| key | action | id |", "|---|---|---|"]
        lines += [f"| `{k}` | {d} | {i} |" for k, d, i in self.rows]
        with VerticalScroll(id="help"):
            yield Markdown("\n".join(lines))


class MarkdownModal(ModalScreen[None]):
    """A Markdown document (explanations)."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="explain"):
            yield Markdown(self.markdown, id="explain-md")


class ErrorModal(ModalScreen[None]):
    """An error with where it came from; the app stays usable behind it."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="error"):
            yield Static(self.title_text, id="error-title")
            yield Static(shown(self.message, width=None, one_line=False), id="error-message", markup=False)
