"""The Mutants view (`M`; `m` opens it as it starts a run): mutation testing of the selected apps, live.

Per app and per query (the statement whose SQL was changed) the mutation score and the counts —
killed, ● the spec does not look, ○ the data cannot tell — and under them every surviving mutant. The
highlighted one shows its diagnosis, the SQL diff, its ``file:line:col``, the hint and the assertion that
kills it (checked before it is shown). `enter` on a survivor goes to its line in the SQL pane, where the
gutter carries the same marks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static, Tree
from textual.widgets.tree import TreeNode

from velotui.report.mutation import DATA_CANNOT_TELL, SPEC_DOES_NOT_LOOK, MutantResult, score_text
from velotui.terminal import safe_text
from velotui.tui.mutation import DIAGNOSIS, MARK_OF, MutatedApp, MutationSession, counts_text
from velotui.tui.widgets.gutter import MARK_KINDS

REFRESH_S = 0.25  # while a run goes, the view redraws at most this often


@dataclass(frozen=True)
class AppItem:
    file: str  # resolved SQL file (the session's key)


@dataclass(frozen=True)
class QueryItem:
    file: str
    statement: str


@dataclass(frozen=True)
class SurvivorItem:
    file: str
    mutant: str  # its id


def _safe(text: object) -> str:
    """Names, SQL, records and messages on one line, with every control and bidi character escaped."""
    return safe_text(text, newlines=False)


def glyph(reason: str) -> str:
    return MARK_KINDS[MARK_OF[reason]].glyph


def short_counts(counts: dict[str, int]) -> str:
    text = (f"{counts['killed']} killed · {glyph(SPEC_DOES_NOT_LOOK)} {counts[SPEC_DOES_NOT_LOOK]} · "
            f"{glyph(DATA_CANNOT_TELL)} {counts[DATA_CANNOT_TELL]}")
    return text + (f" · {counts['not_run']} not run" if counts["not_run"] else "")


def summary(counts: dict[str, int], score: float | None) -> str:
    """A row's numbers: the score and the counts; only the count when none of its mutants ran."""
    if counts["mutants"] and counts["not_run"] == counts["mutants"]:
        return f"{counts['not_run']} not run"
    return f"{score_text(score)}  {short_counts(counts)}"


def where(app: MutatedApp, m: MutantResult) -> str:
    return f"{app.file}:{m.line}:{m.column}" if m.line else app.file


def survivor_text(app: MutatedApp, m: MutantResult, styles: dict[str, str] | None = None) -> Text:
    """Everything about one survivor (what the detail shows and `c` copies)."""
    styles = styles or {}
    out = Text()
    out.append(f"{glyph(m.reason)} {m.id} · {m.operator} · {DIAGNOSIS[m.reason]}\n",
               style=f"bold {styles.get(m.reason, '')}".strip())
    out.append(_safe(f"{app.name} / {m.statement}: {m.title}") + "\n")
    out.append(_safe(where(app, m)) + "  (enter: go to the line)\n\n", style="dim")
    for line in m.diff.splitlines():
        style = "red" if line.startswith("-") else "green" if line.startswith("+") else "dim"
        out.append(_safe(line) + "\n", style=style)
    if m.difference is not None:
        out.append("\nfirst difference: ", style="bold")
        out.append(_safe(m.difference.describe()) + "\n")
    if m.hint:
        out.append("\nhint: ", style="bold")
        out.append(_safe(m.hint) + "\n")
    if m.suggestion:
        out.append("\nan assertion that kills it (checked: it passes on the original, fails on the mutant):\n",
                   style="bold")
        for line in m.suggestion.splitlines():
            out.append("  " + _safe(line) + "\n", style="cyan")
    elif m.reason == DATA_CANNOT_TELL:
        out.append("\nno assertion can kill it on these inputs: better data can (a data_file row on the boundary, "
                   "a wider schema range, more records)\n", style="dim")
    return out


def app_text(app: MutatedApp, running: bool) -> Text:
    out = Text()
    out.append(_safe(app.name), style="bold")
    out.append(f" · {_safe(app.file)}\n", style="dim")
    if app.error:
        out.append(f"\ncannot mutate: {safe_text(app.error)}\n", style="red")
        return out
    c = app.counts
    if app.changed:
        out.append("\nits SQL or spec changed since this run: the gutter marks are gone; m runs it again\n",
                   style="yellow")
    if not c["mutants"]:
        out.append("\n" + ("its mutants are waiting to run…" if running and app.planned else
                           "no mutants: no operator applies to its SQL") + "\n")
        return out
    progress = f" ({c['mutants']} of {app.planned} done)" if running and c["mutants"] < app.planned else ""
    out.append(f"\nmutation score {score_text(app.score)}{progress}: killed ÷ (killed + the spec does not look)\n")
    out.append(f"{c['mutants']} mutants: {counts_text(c)}" + (f" ({c['refused']} refused)" if c["refused"] else "")
               + "\n")
    for q in app.queries():
        out.append(f"  {_safe(q.name)}: {score_text(q.score)} · {short_counts(q.counts)}\n")
    out.append(f"\n{glyph(SPEC_DOES_NOT_LOOK)} the spec does not look: the output differs, yet every assertion "
               "passed — an assertion is missing (each survivor suggests one)\n")
    out.append(f"{glyph(DATA_CANNOT_TELL)} the data cannot tell: the output is the same record for record — "
               "better data, not a better spec, is the cure (not in the score)\n")
    return out


class MutantsTree(Tree[object]):
    BINDINGS = [Binding("enter", "select_cursor", "Go to the line", show=True)]

    def process_label(self, label: Any) -> Text:
        return super().process_label(Text(label) if isinstance(label, str) else label)


class MutantsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("enter", "go_to_line", "Go to the survivor's line (an app or query: its first survivor's)", show=False),
        Binding("m", "run_again", "Run again"),
        Binding("s", "stop", "Stop the run"),
        Binding("c", "copy", "Copy"),
    ]

    def __init__(self, session: MutationSession) -> None:
        super().__init__()
        self.session = session
        self._dirty = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="mutants-head"):
            yield Static("", id="mutants-title", markup=False)
            yield ProgressBar(id="mutants-progress", show_eta=False)
        with Horizontal(id="mutants-body"):
            tree = MutantsTree("mutants", id="mutants-tree")
            tree.show_root = False
            tree.auto_expand = False
            tree.border_title = "Mutants: app · query · survivors"
            yield tree
            with VerticalScroll(id="mutants-detail-box") as box:
                box.border_title = "Detail"
                yield Static("", id="mutants-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.rebuild()
        self.query_one(MutantsTree).focus()
        self.set_interval(REFRESH_S, self._refresh_if_dirty)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        from velotui.tui.app import NARROW_WIDTH

        narrow = width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")
        self.query_one(Footer).compact = narrow

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.session.running
        return True

    # -- the session ------------------------------------------------------------------------------
    def show_session(self, session: MutationSession) -> None:
        """A new run (`m`): the view follows it."""
        self.session = session
        self.rebuild()

    def session_changed(self, *, now: bool = False) -> None:
        """The session took in an event; redrawn at the next tick (at once when the run ended)."""
        self._dirty = True
        if now:
            self._refresh_if_dirty()

    def _refresh_if_dirty(self) -> None:
        if self._dirty:
            self.rebuild()

    def _styles(self) -> dict[str, str]:
        from velotui.tui import themes

        palette = themes.PALETTES[themes.palette_of(getattr(self.app, "theme_name", "dark"))]
        return {reason: palette[f"gutter.{kind}"] for reason, kind in MARK_OF.items()}

    def rebuild(self) -> None:
        """Redraw the title, the progress bar and the tree from the session (the cursor stays put)."""
        self._dirty = False
        s = self.session
        self.query_one("#mutants-title", Static).update(safe_text(s.progress_text()) + ("  (s stops)" if s.running else ""))
        bar = self.query_one(ProgressBar)
        bar.display = s.running
        if s.state == "planning":
            bar.update(total=None)
        else:
            bar.update(total=max(1, s.total), progress=s.done if s.total else 1)
        tree = self.query_one(MutantsTree)
        keep = self._cursor_data() or s.view_cursor
        collapsed = {n.data for n in self._tree_nodes(tree.root) if n.allow_expand and not n.is_expanded}
        styles = self._styles()
        tree.clear()
        found: TreeNode[object] | None = None
        for key, app in s.apps.items():
            anode = tree.root.add(_safe(self._app_label(app)), data=AppItem(key), expand=AppItem(key) not in collapsed)
            found = anode if keep == AppItem(key) else found
            if app.error:
                anode.add_leaf(_safe(f"cannot mutate: {app.error.splitlines()[0][:200]}"), data=AppItem(key))
                continue
            for q in app.queries():
                item = QueryItem(key, q.name)
                qnode = anode.add(_safe(f"{q.name}  {summary(q.counts, q.score)}"), data=item,
                                  expand=item not in collapsed)
                found = qnode if keep == item else found
                for m in [m for m in app.survivors if m.statement == q.name]:
                    label = Text()
                    label.append(glyph(m.reason), style=f"bold {styles.get(m.reason, '')}".strip())
                    label.append(_safe(f" {m.id} {m.line or '?'}:{m.column or '?'} {m.title}"))
                    leaf = qnode.add_leaf(label, data=SurvivorItem(key, m.id))
                    found = leaf if keep == SurvivorItem(key, m.id) else found
        tree.root.expand()
        _ = tree.last_line
        if found is not None:
            tree.move_cursor(found)
        elif tree.root.children:
            tree.cursor_line = 0
        self._show_detail()
        self.refresh_bindings()

    @staticmethod
    def _tree_nodes(node: TreeNode[object]) -> list[TreeNode[object]]:
        out = []
        for child in node.children:
            out.append(child)
            out.extend(MutantsScreen._tree_nodes(child))
        return out

    def _app_label(self, app: MutatedApp) -> str:
        if app.error:
            return f"! {app.name}  cannot mutate"
        c = app.counts
        running = self.session.running and c["mutants"] < app.planned
        icon = "…" if running else ("✗" if c[SPEC_DOES_NOT_LOOK] else "✓")
        changed = "  (changed since)" if app.changed else ""
        if not app.planned:
            return f"- {app.name}  no mutants{changed}"
        if running and not c["mutants"]:
            return f"… {app.name}  {app.planned} mutants to run"
        progress = f"  ({c['mutants']}/{app.planned})" if running else ""
        if c["not_run"] == c["mutants"]:
            icon = "-"
        return f"{icon} {app.name}  {summary(c, app.score)}{progress}{changed}"

    # -- the detail -------------------------------------------------------------------------------
    def _cursor_data(self) -> object:
        try:
            node = self.query_one(MutantsTree).cursor_node
        except Exception:  # not mounted yet
            return None
        return node.data if node is not None else None

    def survivor_under_cursor(self, *, first: bool = False) -> tuple[MutatedApp, MutantResult] | None:
        """The highlighted survivor; with ``first``, on an app or query row, its first survivor."""
        data = self._cursor_data()
        if isinstance(data, SurvivorItem):
            app = self.session.apps.get(data.file)
            m = next((r for r in app.results if r.id == data.mutant), None) if app else None
            return (app, m) if app is not None and m is not None else None
        if first and isinstance(data, (AppItem, QueryItem)) and data.file in self.session.apps:
            app = self.session.apps[data.file]
            hits = [m for m in app.survivors if not isinstance(data, QueryItem) or m.statement == data.statement]
            return (app, hits[0]) if hits else None
        return None

    def detail(self) -> Text:
        s = self.session
        data = self._cursor_data()
        hit = self.survivor_under_cursor()
        if hit is not None:
            return survivor_text(*hit, styles=self._styles())
        if isinstance(data, (AppItem, QueryItem)) and data.file in s.apps:
            return app_text(s.apps[data.file], s.running)
        if s.state == "planning":
            return Text("running each app's tests on the original SQL first: an app whose tests fail cannot be "
                        "mutation-tested…")
        if not s.apps:
            return Text("no app with a test spec here" if not s.running else "")
        return Text("")

    def _show_detail(self) -> None:
        self.query_one("#mutants-detail", Static).update(self.detail())

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[object]) -> None:
        event.stop()
        self.session.view_cursor = event.node.data
        self._show_detail()
        self.refresh_bindings()

    def on_tree_node_selected(self, event: Tree.NodeSelected[object]) -> None:
        event.stop()
        if self.survivor_under_cursor(first=True) is not None:
            self.action_go_to_line()
        else:
            event.node.toggle()

    # -- actions ----------------------------------------------------------------------------------
    def action_go_to_line(self) -> None:
        hit = self.survivor_under_cursor(first=True)
        if hit is None:
            self.notify("no survivor here: enter on a survivor (● or ○) goes to its line in the SQL pane",
                        severity="warning")
            return
        self.app.jump_to_mutant(*hit)  # type: ignore[attr-defined]

    def action_run_again(self) -> None:
        self.app.mutate(self.session.path, self.session.query, self.session.label)  # type: ignore[attr-defined]

    def action_stop(self) -> None:
        self.app.action_stop_mutation()  # type: ignore[attr-defined]

    def action_copy(self) -> None:
        text = self.detail().plain.rstrip()
        if not text:
            self.notify("nothing to copy here", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"copied {len(text.splitlines())} lines to the clipboard")
