"""Results pane: app → query → assertion; a failing leaf shows expected vs actual and file:line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from velotui.report.values import short
from velotui.tui.shown import shown

ICONS = {"passed": "✓", "failed": "✗", "error": "!", "warning": "⚠", "skipped": "-", "running": "…"}


@dataclass
class AssertionLeaf:
    app: str
    query: str
    result: Any  # velotui.assertions.AssertionResult


@dataclass
class QueryLeaf:
    app: str
    file: str
    query: str


class ResultsTree(Tree[object]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__("results", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self._apps: dict[str, TreeNode[object]] = {}
        self._queries: dict[tuple[str, str], TreeNode[object]] = {}
        self.failures: list[AssertionLeaf] = []

    def reset(self) -> None:
        self.clear()
        self._apps.clear()
        self._queries.clear()
        self.failures.clear()

    def _app(self, app: str) -> TreeNode[object]:
        if app not in self._apps:
            self._apps[app] = self.root.add(shown(f"… {app}"), data=None, expand=True)
            self.root.expand()
        return self._apps[app]

    def _query(self, app: str, file: str, query: str) -> TreeNode[object]:
        key = (app, query)
        if key not in self._queries:
            self._queries[key] = self._app(app).add(shown(f"… {query}"), data=QueryLeaf(app, file, query),
                                                    expand=False)
        return self._queries[key]

    def app_loaded(self, app: str, file: str, error: str | None) -> None:
        node = self._app(app)
        if error:
            node.set_label(shown(f"! {app}"))
            node.add_leaf(shown(error.splitlines()[0] if error else ""))
            for extra in error.splitlines()[1:6]:
                node.add_leaf(shown(extra))

    def assertion(self, app: str, file: str, query: str, result: Any) -> None:
        qnode = self._query(app, file, query)
        icon = ICONS.get(result.status, "?")
        label = f"{icon} {result.type}"
        if result.description:
            label += f" — {result.description}"
        leaf = AssertionLeaf(app, query, result)
        if result.status in ("failed", "error"):
            anode = qnode.add(shown(label), data=leaf, expand=True)
            anode.add_leaf(shown(f"expected {short(str(result.expected), 80)}, got {short(str(result.actual), 80)}",
                                 width=None),
                           data=leaf)
            if result.message:
                anode.add_leaf(shown(result.message), data=leaf)
            where = f"{result.file}:{result.line}" if getattr(result, "line", None) else str(result.file or "")
            if where:
                anode.add_leaf(shown(where), data=leaf)
            for s in (result.samples or [])[:5]:
                anode.add_leaf(shown(f"  {short(str(s), 160)}", width=None), data=leaf)
            self.failures.append(leaf)
            qnode.expand()
        else:
            qnode.add_leaf(shown(label), data=leaf)

    def query_finished(self, app: str, file: str, query: str, status: str, records_in: int, records_out: int,
                       duration_ms: float, error: str | None = None) -> None:
        qnode = self._query(app, file, query)
        qnode.set_label(shown(f"{ICONS.get(status, '?')} {query}  {records_in}→{records_out}  {duration_ms:.0f} ms"))
        if error:
            qnode.add_leaf(shown(error.splitlines()[0]))
            qnode.expand()

    def app_finished(self, app: str, status: str) -> None:
        self._app(app).set_label(shown(f"{ICONS.get(status, '?')} {app}"))

    def selected_failure(self) -> AssertionLeaf | None:
        data = self.cursor_node.data if self.cursor_node else None
        if isinstance(data, AssertionLeaf) and data.result.status in ("failed", "error"):
            return data
        return None

    def selected_query(self) -> QueryLeaf | None:
        node = self.cursor_node
        while node is not None:
            if isinstance(node.data, QueryLeaf):
                return node.data
            if isinstance(node.data, AssertionLeaf):
                node = node.parent
                continue
            node = node.parent
        return None
