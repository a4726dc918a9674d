"""Small modal screens: key help, explanations, errors, the unsaved-changes question."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, LoadingIndicator, Markdown, Static

from velotui.terminal import safe_text
from velotui.tui.shown import shown

HelpRow = tuple[str, str, str]  # (key as written, what it does, action id)


class HelpScreen(ModalScreen[None]):
    """Key help generated from the active bindings, grouped by where the keys work; `/` filters it."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("q,question_mark,f1", "dismiss", "Close", show=False),
                Binding("slash", "filter", "Search")]
    AUTO_FOCUS = "#help-body"

    def __init__(self, sections: list[tuple[str, list[HelpRow]]], title: str = "Keys") -> None:
        super().__init__()
        self.sections = sections
        self.title_text = title
        self.filter_text = ""

    @property
    def rows(self) -> list[HelpRow]:
        return [row for _, rows in self.sections for row in rows]

    def _shown(self) -> list[tuple[str, list[HelpRow]]]:
        needle = self.filter_text.lower()
        out = []
        for name, rows in self.sections:
            shown = [r for r in rows if not needle or any(needle in str(c).lower() for c in r)]
            if shown:
                out.append((name, shown))
        return out

    def _tables(self) -> Group:
        parts: list[Any] = [Text(self.title_text, style="bold"), Text("/ searches the keys · esc closes", style="dim")]
        shown = self._shown()
        for name, rows in shown:
            table = Table(title=name, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, expand=True,
                          show_edge=False, pad_edge=False)
            table.add_column("key", style="bold", no_wrap=True, ratio=2)
            table.add_column("action", ratio=5)
            table.add_column("id", style="dim", ratio=2)
            for k, d, i in rows:
                table.add_row(k, d, i)
            parts.append(table)
        if not shown:
            parts.append(Text(f"no key matches {self.filter_text!r}"))
        return Group(*parts)

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Input(placeholder="search the keys — enter to apply, escape to close", id="help-filter",
                        classes="hidden")
            with VerticalScroll(id="help-body"):
                yield Static(self._tables(), id="help-tables")

    def action_filter(self) -> None:
        inp = self.query_one("#help-filter", Input)
        inp.remove_class("hidden")
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.filter_text = event.value
        self.query_one("#help-tables", Static).update(self._tables())
        event.input.add_class("hidden")
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        inp = self.query_one("#help-filter", Input)
        if inp.has_focus:
            inp.add_class("hidden")
            self.query_one("#help-body").focus()
        else:
            self.dismiss()


class MarkdownModal(ModalScreen[None]):
    """An explanation: headed by the failure it explains; a spinner until the answer arrives."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close"), Binding("c", "copy", "Copy")]

    def __init__(self, markdown: str | None = None, heading: str = "", waiting: str = "explaining…") -> None:
        super().__init__()
        self.heading = _terminal_safe(heading)
        self.markdown = _terminal_safe(markdown or "")
        self.waiting = waiting

    @property
    def pending(self) -> bool:
        return not self.markdown

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="explain") as box_:
            box_.border_subtitle = "c copies · esc closes"
            yield Markdown(shown_markdown(self.markdown) or self.heading, id="explain-md")
            if not self.markdown:
                yield Static(self.waiting, id="explain-waiting")
                yield LoadingIndicator(id="explain-spinner")

    def show_answer(self, markdown: str) -> None:
        """The answer, terminal-safe: a model's (or a hook's) text and the values it quotes are shown with
        control and bidi characters escaped (they cannot clear the screen or write the clipboard)."""
        self.markdown = _terminal_safe(markdown)
        if not self.is_attached:
            return
        self.query_one("#explain-md", Markdown).update(shown_markdown(self.markdown))
        for sel in ("#explain-waiting", "#explain-spinner"):
            for w in self.query(sel):
                w.remove()

    def action_copy(self) -> None:
        if self.pending:
            self.notify("nothing to copy yet: the explanation is on its way", severity="warning")
            return
        self.app.copy_to_clipboard(self.markdown)
        self.notify(f"copied the explanation ({len(self.markdown)} characters) to the clipboard")


def _terminal_safe(markdown: str) -> str:
    return safe_text(markdown.replace("\r\n", "\n"))


SHOWN_MARKDOWN = 8000  # characters of an explanation rendered; Textual's Markdown takes seconds per few hundred blocks


def shown_markdown(markdown: str, limit: int = SHOWN_MARKDOWN) -> str:
    """What the explanation screen renders: the whole text up to ``limit`` characters, else its start (cut at a
    line, a code block closed) and what was cut. A hook's or a model's huge answer must not freeze the UI;
    ``c`` still copies all of it."""
    if len(markdown) <= limit:
        return markdown
    head = markdown[:limit]
    head = head[:head.rfind("\n")] if "\n" in head else head
    if head.count("```") % 2:
        head += "\n```"
    return (f"{head}\n\n---\n_… cut here: the explanation is {len(markdown):,} characters, {len(head):,} shown; "
            "c copies all of it._")


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


class UnsavedModal(ModalScreen[str]):
    """Unsaved changes: save, discard, or cancel what was asked (quit, another file)."""

    BINDINGS = [Binding("s", "answer('save')", "Save"), Binding("d", "answer('discard')", "Discard"),
                Binding("escape,c", "answer('cancel')", "Cancel")]

    def __init__(self, file_name: str, doing: str) -> None:
        super().__init__()
        self.file_name = file_name
        self.doing = doing

    def compose(self) -> ComposeResult:
        with Vertical(id="unsaved"):
            yield Static(f"{self.file_name} has unsaved changes.", id="unsaved-title", markup=False)
            yield Static(f"Save them before you {self.doing}?", markup=False)
            with Horizontal(id="unsaved-buttons"):
                yield Button("Save (s)", id="save", variant="primary")
                yield Button("Discard (d)", id="discard", variant="error")
                yield Button("Cancel (esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
