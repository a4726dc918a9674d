"""Apps pane: the discovered apps, grouped by folder, with their queries and last status."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from velotui.core.discovery import AppFiles, Suite

STATUS_ICONS = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "-", "running": "…", "stale": "○",
                None: " "}


@dataclass
class AppNode:
    files: AppFiles
    name: str
    status: str | None = None


@dataclass
class QueryNode:
    app: AppNode
    query: str
    status: str | None = None


class AppsTree(Tree[object]):
    """Folder → app → query. Selecting an app shows its SQL; `r` runs the selection."""

    def __init__(self, suite: Suite, **kwargs: object) -> None:
        super().__init__("apps", **kwargs)  # type: ignore[arg-type]
        self.suite = suite
        self.show_root = False
        self.guide_depth = 2
        self._apps: dict[str, tuple[AppNode, TreeNode[object]]] = {}  # by sql path
        self._queries: dict[tuple[str, str], tuple[QueryNode, TreeNode[object]]] = {}
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        self._apps.clear()
        self._queries.clear()
        folders: dict[Path, TreeNode[object]] = {}
        for files in self.suite.apps:
            rel = files.sql_path.parent.relative_to(self.suite.root) if files.sql_path.is_relative_to(
                self.suite.root) else files.sql_path.parent
            parent = self.root
            if str(rel) not in ("", "."):
                if rel not in folders:
                    folders[rel] = self.root.add(str(rel), expand=True)
                parent = folders[rel]
            node = AppNode(files=files, name=files.sql_path.stem)
            tn = parent.add(self._app_label(node), data=node, expand=False)
            self._apps[str(files.sql_path)] = (node, tn)
            for q in self._query_names(files):
                qn = QueryNode(app=node, query=q)
                self._queries[(str(files.sql_path), q)] = (qn, tn.add_leaf(self._query_label(qn), data=qn))
        self.root.expand()

    @staticmethod
    def _query_names(files: AppFiles) -> list[str]:
        if files.spec_path is None:
            return []
        try:
            from velotui.spec import load_test_spec

            return [q.name for q in load_test_spec(files.spec_path).queries]
        except Exception:  # a broken spec shows as an app without queries; running it shows the error
            return []

    @staticmethod
    def _app_label(node: AppNode) -> str:
        suffix = "" if node.files.spec_path else "  (no spec)"
        return f"{STATUS_ICONS.get(node.status, ' ')} {node.name}{suffix}"

    @staticmethod
    def _query_label(node: QueryNode) -> str:
        return f"{STATUS_ICONS.get(node.status, ' ')} {node.query}"

    def query_names(self, file: str) -> list[str]:
        return [q for (f, q) in self._queries if f == file]

    def app_node(self, file: str) -> AppNode | None:
        hit = self._apps.get(file)
        return hit[0] if hit else None

    def set_app_status(self, file: str, status: str | None) -> None:
        hit = self._apps.get(file)
        if hit:
            hit[0].status = status
            hit[1].set_label(self._app_label(hit[0]))

    def set_query_status(self, file: str, query: str, status: str | None) -> None:
        hit = self._queries.get((file, query))
        if hit:
            hit[0].status = status
            hit[1].set_label(self._query_label(hit[0]))

    def mark_stale(self, file: str) -> None:
        self.set_app_status(file, "stale")

    def selected_app(self) -> AppNode | None:
        node = self.cursor_node
        data = node.data if node else None
        if isinstance(data, AppNode):
            return data
        if isinstance(data, QueryNode):
            return data.app
        return None

    def selected_query(self) -> str | None:
        data = self.cursor_node.data if self.cursor_node else None
        return data.query if isinstance(data, QueryNode) else None

    def selected_folder(self) -> Path | None:
        node = self.cursor_node
        if node is None or node.data is not None or node is self.root:
            return None
        return self.suite.root / str(node.label)

    def app_files(self) -> list[AppFiles]:
        return [n.files for n, _ in self._apps.values()]

    def select_file(self, file: str, query: str | None = None) -> bool:
        """Move the cursor to an app (or one of its queries)."""
        hit = self._queries.get((file, query)) if query else None
        node = hit[1] if hit else (self._apps[file][1] if file in self._apps else None)
        if node is None:
            return False
        if node.parent is not None:
            node.parent.expand()
        _ = self.last_line
        self.move_cursor(node)
        return True

    def search(self, needle: str) -> tuple[int, int]:
        """Move the cursor to the next app or query whose name contains ``needle``."""
        low = needle.lower()
        names = [(tn, str(tn.label)) for _, tn in [*self._apps.values(), *self._queries.values()]]
        hits = sorted((tn for tn, label in names if low and low in label.lower()), key=lambda n: n.id)
        if not hits:
            return 0, 0
        for tn in hits:
            if tn.parent is not None:
                tn.parent.expand()
        _ = self.last_line
        hits.sort(key=lambda n: n._line)
        here = self.cursor_line
        k = next((i for i, n in enumerate(hits) if n._line > here), 0)
        self.move_cursor(hits[k])
        return k + 1, len(hits)
