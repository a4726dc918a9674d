"""Results pane: app → query → assertion; a failing leaf shows expected vs actual and file:line.

`enter` on a failed assertion opens its detail view (a golden comparison: its diff); `x` explains the
failure under the cursor (on a query or an app row: the first failure inside it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from velotui.report.values import short
from velotui.tui.shown import shown

ICONS = {"passed": "✓", "failed": "✗", "error": "!", "warning": "⚠", "skipped": "-", "running": "…", "flag": "⚑"}
FAILED = ("failed", "error")
NOTE_WIDTH = 2000  # a warning or a flag: as much as the text report shows (it was cut at 300, saying nothing)


# ``app`` of every row is the app's SQL file (velotui.core.run.app_key): two apps of a suite may share a name,
# never a file; the rows show the app's label (``ResultsTree.label_of``), as the reports name it
@dataclass
class AppRow:
    app: str


@dataclass
class AssertionLeaf:
    app: str  # the app's SQL file
    query: str
    result: Any  # velotui.assertions.AssertionResult
    approved: bool = False  # a golden comparison the user approved (its file rewritten)

    @property
    def failed(self) -> bool:
        return self.result.status in FAILED and not self.approved

    @property
    def golden(self) -> bool:
        return getattr(self.result, "diff", None) is not None or self.result.type == "golden"


@dataclass
class QueryLeaf:
    app: str  # the app's SQL file
    file: str
    query: str
    results: list[AssertionLeaf] = field(default_factory=list)


def _label(result: Any) -> str:
    label = f"{ICONS.get(result.status, '?')} {result.type}"
    if result.description:
        label += f" — {result.description}"
    if getattr(result, "diff", None) is not None:
        label += f" — {result.diff.summary()}"
    return label


class ResultsTree(Tree[object]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__("results", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self._apps: dict[str, TreeNode[object]] = {}  # the app's SQL file -> its row
        self._queries: dict[tuple[str, str], TreeNode[object]] = {}  # (the app's SQL file, query) -> its row
        self._names: dict[str, str] = {}  # the app's SQL file -> its name
        self._marks: dict[str, str] = {}  # the app's SQL file -> the icon its row shows
        self._leaves: dict[int, TreeNode[object]] = {}  # id(AssertionLeaf) -> its node
        self.failures: list[AssertionLeaf] = []
        self.last_search = ""

    def process_label(self, label: Any) -> Text:
        """Labels are plain text: names, messages and records are shown as written (``q [velostream]``,
        ``[1, 2]``), never read as markup."""
        if isinstance(label, str):
            label = Text(label)
        return super().process_label(label)

    def reset(self) -> None:
        self.clear()
        self._apps.clear()
        self._names.clear()
        self._marks.clear()
        self._queries.clear()
        self._leaves.clear()
        self.failures.clear()

    def label_of(self, file: str) -> str:
        """The app's name as the reports give it: qualified by its file when another app shown has its name
        (velotui.report.model.distinct_tails)."""
        from velotui.report.model import distinct_tails

        name = self._names.get(file, file)
        same = [f for f, n in self._names.items() if n == name]
        if len(same) < 2:
            return name
        return f"{name} ({distinct_tails(same)[same.index(file)]})"

    def _set_mark(self, file: str, mark: str) -> None:
        self._marks[file] = mark
        self._apps[file].set_label(shown(f"{mark} {self.label_of(file)}"))

    def _app(self, name: str, file: str) -> TreeNode[object]:
        if file not in self._apps:
            clash = name in self._names.values()
            self._names[file] = name
            self._apps[file] = self.root.add("", data=AppRow(file), expand=True)
            self._set_mark(file, ICONS["running"])
            if clash:  # a second app of that name: every app of it is named by its file from now on
                for f, n in self._names.items():
                    if n == name and f != file:
                        self._set_mark(f, self._marks.get(f, ICONS["running"]))
            self.root.expand()
        return self._apps[file]

    def _query(self, app: str, file: str, query: str) -> TreeNode[object]:
        key = (file, query)
        if key not in self._queries:
            self._queries[key] = self._app(app, file).add(shown(f"… {query}"), data=QueryLeaf(file, file, query),
                                                          expand=False)
        return self._queries[key]

    def app_loaded(self, app: str, file: str, error: str | None, warnings: tuple[str, ...] = ()) -> None:
        node = self._app(app, file)
        for w in warnings:
            node.add_leaf(shown(f"{ICONS['warning']} {w}", width=NOTE_WIDTH))
        if error:
            self._set_mark(file, "!")
            node.add_leaf(shown(error.splitlines()[0] if error else ""))
            for extra in error.splitlines()[1:6]:
                node.add_leaf(shown(extra))

    def assertion(self, app: str, file: str, query: str, result: Any) -> None:
        qnode = self._query(app, file, query)
        leaf = AssertionLeaf(file, query, result)
        qdata = qnode.data
        if isinstance(qdata, QueryLeaf):
            qdata.results.append(leaf)
        label = _label(result)
        if result.status in FAILED:
            anode = qnode.add(shown(label), data=leaf, expand=True)
            if getattr(result, "diff", None) is not None:
                for line in result.diff.text_lines(limit=3):
                    anode.add_leaf(shown(f"  {short(line, 160)}", width=None), data=leaf)
                anode.add_leaf("  enter: the diff · a: approve it", data=leaf)
            else:
                if result.expected is not None or result.actual is not None:
                    anode.add_leaf(shown(f"expected {short(str(result.expected), 80)}, got "
                                         f"{short(str(result.actual), 80)}", width=None), data=leaf)
                if result.message:
                    anode.add_leaf(shown(result.message), data=leaf)
                where = f"{result.file}:{result.line}" if getattr(result, "line", None) else str(result.file or "")
                if where:
                    anode.add_leaf(shown(where), data=leaf)
                for s in (result.samples or [])[:5]:
                    anode.add_leaf(shown(f"  {short(str(s), 160)}", width=None), data=leaf)
            self.failures.append(leaf)
            qnode.expand()
            self._leaves[id(leaf)] = anode
        else:
            self._leaves[id(leaf)] = qnode.add_leaf(shown(label), data=leaf)

    def query_finished(self, app: str, file: str, query: str, status: str, records_in: int, records_out: int,
                       duration_ms: float, error: str | None = None, warnings: tuple[str, ...] = (),
                       flags: tuple[str, ...] = ()) -> None:
        qnode = self._query(app, file, query)
        marks = f"  {ICONS['flag']}{len(flags)}" if flags else ""
        qnode.set_label(shown(f"{ICONS.get(status, '?')} {query}  {records_in}→{records_out}  {duration_ms:.0f} ms"
                              f"{marks}"))
        if error:
            qnode.add_leaf(shown(error.splitlines()[0]))
            qnode.expand()
        for f in flags:  # where the reference engine computes something else
            qnode.add_leaf(shown(f"{ICONS['flag']} {f}", width=NOTE_WIDTH))
        for w in warnings:
            qnode.add_leaf(shown(f"{ICONS['warning']} {w}", width=NOTE_WIDTH))
        if flags or warnings:
            qnode.expand()

    def app_finished(self, app: str, file: str, status: str) -> None:
        self._app(app, file)
        self._set_mark(file, ICONS.get(status, "?"))

    def on_focus(self) -> None:
        """Arriving without a cursor (after a run): the cursor goes to the first failure."""
        if self.cursor_node is None and self.root.children:
            first = self.first_failure()
            node = self._leaves.get(id(first)) if first is not None else None
            _ = self.last_line
            if node is not None:
                self.move_cursor(node)
            else:
                self.cursor_line = 0

    # -- what is under the cursor ---------------------------------------------------------------
    def _cursor_data(self) -> Any:
        return self.cursor_node.data if self.cursor_node else None

    def selected_failure(self) -> AssertionLeaf | None:
        """The failed assertion under the cursor (or one of its detail lines)."""
        data = self._cursor_data()
        return data if isinstance(data, AssertionLeaf) and data.failed else None

    def failure_under_cursor(self) -> AssertionLeaf | None:
        """A failed assertion under the cursor; on a query or an app row, the first failure inside it."""
        data = self._cursor_data()
        if self.cursor_node is None:  # no cursor yet: the first failure
            return self.first_failure()
        if isinstance(data, AssertionLeaf):
            return data if data.failed else None
        if isinstance(data, QueryLeaf):
            return next((f for f in self.failures if (f.app, f.query) == (data.app, data.query) and f.failed), None)
        if isinstance(data, AppRow):
            return next((f for f in self.failures if f.app == data.app and f.failed), None)
        return None

    def first_failure(self, app: str | None = None) -> AssertionLeaf | None:
        return next((f for f in self.failures if f.failed and (app is None or f.app == app)), None)

    def selected_query(self) -> QueryLeaf | None:
        node = self.cursor_node
        while node is not None:
            if isinstance(node.data, QueryLeaf):
                return node.data
            node = node.parent
        return None

    def selected_app(self) -> str | None:
        node = self.cursor_node
        while node is not None:
            if isinstance(node.data, AppRow):
                return node.data.app
            node = node.parent
        return None

    def golden_failures(self) -> list[AssertionLeaf]:
        return [f for f in self.failures if f.golden and f.failed]

    def mark_approved(self, leaf: AssertionLeaf, message: str) -> None:
        leaf.approved = True
        node = self._leaves.get(id(leaf))
        if node is not None:
            node.set_label(shown(f"✓ golden — approved: {message}"))
            node.remove_children()
        qnode = self._queries.get((leaf.app, leaf.query))
        if qnode is not None and isinstance(qnode.data, QueryLeaf):
            if not any(r.failed for r in qnode.data.results):
                label = str(qnode.label)
                if label.startswith("✗"):
                    qnode.set_label(shown("✓" + label[1:]))

    def search(self, needle: str) -> tuple[int, int]:
        """Move the cursor to the next line whose label contains ``needle`` (case-insensitive), expanding
        what hides it; (match number, matches) or (0, 0)."""
        self.last_search = needle
        low = needle.lower()
        if not low:
            return 0, 0
        hits: list[TreeNode[object]] = []

        def walk(node: TreeNode[object]) -> None:
            for child in node.children:
                if low in str(child.label).lower():
                    hits.append(child)
                walk(child)

        walk(self.root)
        if not hits:
            return 0, 0
        current = self.cursor_node
        order = {n.id: i for i, n in enumerate(hits)}
        after = 0
        if current is not None:
            flat: list[TreeNode[object]] = []

            def all_nodes(node: TreeNode[object]) -> None:
                for c in node.children:
                    flat.append(c)
                    all_nodes(c)

            all_nodes(self.root)
            pos = {n.id: i for i, n in enumerate(flat)}
            here = pos.get(current.id, -1)
            after = next((k for k, n in enumerate(hits) if pos[n.id] > here), 0)
        target = hits[after]
        parent = target.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        _ = self.last_line  # the expanded lines are laid out before the cursor moves
        self.move_cursor(target)
        return order[target.id] + 1, len(hits)
