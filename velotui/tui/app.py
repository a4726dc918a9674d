"""The velotui terminal UI: five panes over the core service layer (no test logic here)."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, Tab, Tabs, TextArea

from velotui.core import events as ev
from velotui.core.discovery import AppFiles, Suite, discover
from velotui.records import Message
from velotui.tui import themes
from velotui.tui.keymap import (
    ACTIONS,
    WIDGET_ACTIONS,
    TuiConfig,
    bindings,
    is_printable,
    key_label,
    load_config,
)
from velotui.tui.messages import MutationUpdate, RunEvent
from velotui.tui.mutation import MutatedApp, MutationSession, resolved
from velotui.tui.screens.modals import ErrorModal, HelpRow, HelpScreen, MarkdownModal, UnsavedModal
from velotui.tui.screens.records import RecordsScreen, exports_folder, plural
from velotui.tui.widgets.apps_tree import AppNode, AppsTree, QueryNode
from velotui.tui.widgets.gutter import file_text, text_digest
from velotui.tui.widgets.results_tree import AssertionLeaf, QueryLeaf, ResultsTree
from velotui.tui.widgets.source_pane import SchemaEditor, SearchableText, SourcePane, SqlView
from velotui.tui.widgets.stress_gauge import StressGauge
from velotui.tui.widgets.topic_tail import TopicTail

PANES = {"apps": "#apps", "source": "#source", "tail": "#tail", "results": "#results", "stress": "#stress"}
TITLES = {"apps": "1 Apps", "source": "2 SQL / Schema", "tail": "3 Topic tail", "results": "4 Results",
          "stress": "5 Stress"}
NARROW_WIDTH = 100  # below this many columns the panes become tabs (one pane at a time)
ALWAYS = {"quit", "help", "help_pane", "command_palette", "cycle_theme"}  # actions that work on every screen


class PaneRow(Horizontal):
    """A row of panes. Its tab keys sit before the screen's, so they follow velotui's keymap ids."""

    BINDINGS = [Binding("tab", "app.focus_next", "Next pane", show=False, id="next_pane"),
                Binding("shift+tab", "app.focus_previous", "Previous pane", show=False, id="previous_pane")]


class SearchBar(Input):
    """The `/` line: searches the focused pane (filters the tail); esc closes it."""

    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def action_close(self) -> None:
        self.app.close_search()  # type: ignore[attr-defined]


class VelotuiCommands(Provider):
    """Command palette: velotui's commands when opened empty; every command, app, query, topic on search."""

    async def discover(self) -> Hits:
        app = self.app
        assert isinstance(app, VelotuiApp)
        for text, callback, help_text in app.palette_commands():
            yield DiscoveryHit(text, callback, help=help_text or None)

    async def search(self, query: str) -> Hits:
        app = self.app
        assert isinstance(app, VelotuiApp)
        matcher = self.matcher(query)
        for text, callback, help_text in app.palette_entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)


class VelotuiApp(App[int]):
    CSS_PATH = "velotui.tcss"
    TITLE = "velotui"
    COMMANDS = {VelotuiCommands}
    BINDINGS = bindings()

    def __init__(self, path: str | Path, *, theme_name: str | None = None, watch: bool = False,
                 config: TuiConfig | None = None, kafka: str = "embedded", seed: int | None = None,
                 now_ms: int | None = None, use_ai: bool = True, kafka_config: str | None = None,
                 kafka_image: str | None = None, dialect: str | None = None, strict: bool = False,
                 engine_options: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.dialect = dialect  # --dialect and --strict apply to the runs the UI starts
        self.strict = strict
        # --engine, --compare and the velostream settings, passed to every run (docs/ENGINES.md)
        self.engine_options = dict(engine_options or {})
        self.kafka_config = Path(kafka_config) if kafka_config else None
        self.kafka_image = kafka_image
        self._cluster_stack = contextlib.ExitStack()  # a broker the TUI started: one for the whole session
        self._cluster_bootstrap: str | None = None
        self._cluster_lock = threading.Lock()
        self.use_ai = use_ai
        self.root_path = Path(path)
        self.config = config or load_config()
        # an unknown theme is the user's mistake: said before anything starts (ThemeError lists the themes)
        self.theme_name = themes.check(theme_name, "--theme") if theme_name else (
            themes.check(self.config.theme, f"{self.config.path or 'config'}: [tui] theme") if self.config.theme
            else "dark")
        self.suite: Suite = discover(self.root_path)
        self.watch_files = watch
        self.kafka = kafka
        self.seed = seed
        self.now_ms = now_ms
        self.report: Any = None
        self.captured: dict[str, list[Message]] = {}  # topic -> every record seen this run
        self.query_topics: dict[tuple[str, str], tuple[str, ...]] = {}  # (app's SQL file, query) -> sink topics
        self.current_run: Any = None
        self.runs: list[Any] = []
        self.last_stress: Any = None
        self.mutation: MutationSession | None = None  # the last mutation run (`m`), its survivors
        self.running = False
        self._batch = 0  # the UI's runs, counted: events of a run that another superseded are ignored
        self._mtimes: dict[Path, float] = {}
        self._schema_files: dict[str, tuple[float | None, list[Path]]] = {}  # app -> (its spec's mtime, schemas)
        self._progress_total = 0
        self._progress_done = 0
        self._fresh_results = True
        self._coverage_digests: dict[str, str] = {}  # file -> the text its last run read (coverage marks)
        self.current_pane = "apps"
        self._width: int | None = None  # the terminal's width as of the last resize
        self._search_target = "tail"
        self._searches: dict[str, str] = {}
        self._printable_only = self._actions_on_printable_keys()
        if self.config.keys:
            self.set_keymap(self.config.keys)

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Tabs(*[Tab(TITLES[k], id=f"pane-{k}") for k in PANES], id="pane-tabs")
        with PaneRow(id="top"):
            yield AppsTree(self.suite, id="apps")
            yield SourcePane(id="source")
            yield ResultsTree(id="results")
        with PaneRow(id="bottom"):
            yield TopicTail(limit=self.config.tail_limit, title=TITLES["tail"], id="tail")
            yield StressGauge(id="stress")
        yield SearchBar(placeholder="search (the tail: filter; ! inverts) — enter to apply, esc to close",
                        id="filter", classes="hidden")
        yield Static("", id="status-line", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        for key, sel in PANES.items():
            if key != "tail":
                self.main(sel).border_title = TITLES[key]
        self.main(ResultsTree).auto_expand = False  # enter opens a failure; space folds
        themes.apply(self, self.theme_name)
        self._status(f"{len(self.suite.apps)} apps in {self.root_path} — r run · R run all · ? keys")
        tree = self.main(AppsTree)
        tree.focus()
        first = next((line for line in range(tree.last_line + 1)
                      if isinstance(getattr(tree.get_node_at_line(line), "data", None), AppNode)), None)
        if first is not None:
            tree.cursor_line = first
        for warning in self.config.warnings:
            self.notify(warning, title="config", severity="warning", timeout=15)
        self._remember_mtimes()
        self.set_interval(1.0, self._check_files)
        self._apply_layout()

    def on_resize(self, event: events.Resize) -> None:
        self._width = event.size.width
        self._apply_layout()

    @property
    def narrow(self) -> bool:
        return (self._width or self.size.width) < NARROW_WIDTH

    def _apply_layout(self) -> None:
        """Wide: every pane at once. Narrow (< NARROW_WIDTH columns): one pane, chosen from a tab bar."""
        if not self.screen_stack or not self.screen_stack[0].query("#top"):
            return
        narrow = self.narrow
        self.screen_stack[0].set_class(narrow, "-narrow")
        for key, sel in PANES.items():
            self.main(sel).set_class(narrow and key != self.current_pane, "-offstage")
        in_top = self.current_pane in ("apps", "source", "results")
        self.main("#top").set_class(narrow and not in_top, "-offstage")
        self.main("#bottom").set_class(narrow and in_top, "-offstage")
        self.main(Footer).compact = narrow
        tabs = self.main("#pane-tabs", Tabs)
        tabs.display = narrow
        if narrow and tabs.active != f"pane-{self.current_pane}":
            with tabs.prevent(Tabs.TabActivated):
                tabs.active = f"pane-{self.current_pane}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tabs.id == "pane-tabs" and event.tab.id:
            pane = event.tab.id.removeprefix("pane-")
            if pane != self.current_pane:
                self.current_pane = pane
                self._apply_layout()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        pane = self._pane_of(event.widget)
        if pane is not None and pane != self.current_pane:
            self.current_pane = pane
            self._apply_layout()

    # -- helpers --------------------------------------------------------------------------------
    def main(self, selector: Any, expect_type: Any = None) -> Any:
        """A widget of the main screen, whatever screen is on top (records, help, a modal)."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        return screen.query_one(selector) if expect_type is None else screen.query_one(selector, expect_type)

    def _status(self, text: str) -> None:
        from velotui.terminal import safe_text

        self.main("#status-line", Static).update(safe_text(text, newlines=False))

    def _pane_of(self, widget: Widget | None) -> str | None:
        node: Any = widget
        while node is not None:
            if getattr(node, "id", None) in PANES:
                return str(node.id)
            node = node.parent
        return None

    @property
    def focused_pane(self) -> str | None:
        return self._pane_of(self.focused) if self.screen is self.screen_stack[0] else None

    def _editing(self) -> bool:
        """The focused widget takes typed characters (an editor, an input line)."""
        f = self.focused
        return isinstance(f, Input) or (isinstance(f, TextArea) and not f.read_only)

    def _actions_on_printable_keys(self) -> set[str]:
        """App actions whose every key is a printable character: an editor types those keys instead."""
        by_action: dict[str, list[str]] = {}
        for a in ACTIONS:
            keys = self.config.keys.get(a.id, a.keys)
            by_action.setdefault(a.action.split("(")[0].removeprefix("app."), []).extend(
                k.strip() for k in keys.split(","))
        return {name for name, keys in by_action.items() if keys and all(is_printable(k) for k in keys)}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot work where the focus is are hidden from the footer: typed characters belong to
        the editor; the main screen's actions are off while another screen is on top."""
        try:
            on_main = self.screen is self.screen_stack[0]
        except Exception:  # still starting
            return True
        if action in self._printable_only and self._editing():
            return False
        if action not in ALWAYS and not on_main and action in {a.action.split("(")[0] for a in ACTIONS}:
            return False
        return True

    def _run_of(self, app: str, query: str) -> Any:
        """The most recent run that has this query's records (explain, the detail view, approve use it);
        ``app`` is the app's SQL file (velotui.core.run.app_key), as every per-app structure here is keyed."""
        return next((r for r in reversed(self.runs) if r.record(app, query) is not None), None)

    @staticmethod
    def _key_of(app: AppNode) -> str:
        """An Apps row's app as the results, the runs' records and the topics know it: its SQL file."""
        return str(app.files.sql_path)

    def _label_of(self, app: str) -> str:
        """How the Results pane (and every report) names the app whose SQL file is ``app``."""
        return self.main(ResultsTree).label_of(app)

    # -- palette --------------------------------------------------------------------------------
    def palette_commands(self) -> Iterable[tuple[str, Any, str]]:
        """What the palette lists when opened empty: velotui's own commands."""
        def key(action_id: str) -> str:
            a = next(x for x in ACTIONS if x.id == action_id)
            return key_label(self.config.keys.get(a.id, a.keys).split(",")[0])

        yield (f"Run the selected app or query ({key('run')})", self.action_run_selected, "the Apps cursor's")
        yield (f"Run all apps ({key('run_all')})", self.action_run_all, "everything under the root")
        yield (f"Run the selection with data coverage ({key('coverage')})", self.action_run_coverage,
               "the SQL gutter marks what its inputs did not cover")
        yield (f"Explain the failure under the cursor ({key('explain')})", self.action_explain,
               "a query or app row: its first failure")
        yield (f"Open the failure under the cursor ({key('zoom')})", self.action_zoom, "the detail view")
        yield ("Open records of the selected query (enter)", self.action_open_selection, "the Records screen")
        yield (f"Stress the selected app ({key('stress')})", self.action_stress, "drives the Stress pane")
        yield (f"Step mode on the selected app ({key('debug')})", self.action_debug, "velotui debug's commands")
        yield (f"Mutation testing of the selected app, query or folder ({key('mutate')})", self.action_mutate_selected,
               "how good are its tests? survivors in the Mutants view and the SQL gutter")
        yield ("Mutation testing of every app", self.action_mutate_all, "every app with a spec under the root")
        yield (f"The Mutants view ({key('mutants')})", self.action_mutants, "the last mutation run")
        if self.mutation is not None and self.mutation.running:
            yield ("Stop the mutation run", self.action_stop_mutation, self.mutation.progress_text())
        yield (f"Approve every golden diff of the run ({key('approve_all')})", self.action_approve_all,
               "rewrites their golden files")
        yield (f"Approve the golden output of the selected query ({key('approve')})", self.action_approve,
               "rewrites its golden file")
        for name in themes.available():
            yield (f"Theme: {name}", partial(self.set_theme_name, name), "")
        folder = exports_folder(self.config.export_dir)
        yield (f"Export the report ({key('export')})", self.action_export, f"JSON into {folder}")
        yield (f"Keys ({key('help')})", self.action_help, "grouped by pane")
        yield ("Save a screenshot", self.action_save_screenshot, f"SVG into {folder}")
        yield (f"Quit ({key('quit')})", self.action_quit, "")

    def palette_entries(self) -> Iterable[tuple[str, Any, str]]:
        yield from self.palette_commands()
        for a in ACTIONS:
            yield (f"{a.description} ({key_label(self.config.keys.get(a.id, a.keys).split(',')[0])})",
                   partial(self.run_action, a.action), f"action {a.id}")
        tree = self.main(AppsTree)
        for files in tree.app_files():
            yield (f"Run app: {files.sql_path.stem}", partial(self.run_apps, [files], None), f"run {files.sql_path}")
            if files.spec_path is not None:
                yield (f"Mutate app: {files.sql_path.stem}",
                       partial(self.mutate, files.sql_path, None, files.sql_path.stem), "mutation testing")
            for q in tree.query_names(str(files.sql_path)):
                yield (f"Run query: {files.sql_path.stem} / {q}", partial(self.run_apps, [files], q), "run query")
        for topic in self.captured:
            yield (f"Topic: {topic}", partial(self.open_topic, topic), "open records")

    def set_theme_name(self, name: str) -> None:
        try:
            themes.apply(self, name)
        except themes.ThemeError as e:
            self.notify(str(e), severity="error")
            return
        self.theme_name = name
        self.notify(f"theme: {name}")

    def action_save_screenshot(self) -> None:
        folder = exports_folder(self.config.export_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(path=str(folder))
        except OSError as e:
            self.notify(f"no screenshot: cannot write to {folder}: {e.strerror}", severity="error")
            return
        self.notify(f"screenshot saved to {Path(path).resolve()}")

    # -- panes ----------------------------------------------------------------------------------
    def action_focus_pane(self, pane: str) -> None:
        self.current_pane = pane
        self._apply_layout()
        self.call_after_refresh(self._focus_pane_widget, pane)

    def _focus_pane_widget(self, pane: str) -> None:
        widget = self.main(PANES[pane])
        if widget.focusable:
            widget.focus()
            return
        target = next((w for w in widget.query("*") if w.focusable and w.display), None)
        if target is not None:
            target.focus()

    def action_next_pane(self) -> None:
        self.screen.focus_next()

    def action_previous_pane(self) -> None:
        self.screen.focus_previous()

    def action_cycle_theme(self) -> None:
        names = themes.available()
        i = names.index(self.theme_name) if self.theme_name in names else -1
        self.set_theme_name(names[(i + 1) % len(names)])

    # -- runs -----------------------------------------------------------------------------------
    def action_run_selected(self, coverage: bool = False) -> None:
        tree = self.main(AppsTree)
        app = tree.selected_app()
        if app is not None:
            self.run_apps([app.files], tree.selected_query(), coverage=coverage)
            return
        folder = tree.selected_folder()
        if folder is not None:
            self.run_apps([f for f in tree.app_files() if f.sql_path.is_relative_to(folder)], None, coverage=coverage)
        else:
            self.run_apps(self.main(AppsTree).app_files(), None, coverage=coverage)

    def action_run_coverage(self) -> None:
        """`v`: run the selection counting data coverage (as --coverage): the SQL gutter marks (◇) each item
        of the SQL its inputs did not cover, and the status line says which and why on its line."""
        self.action_run_selected(coverage=True)

    def action_run_all(self) -> None:
        self.run_apps(self.main(AppsTree).app_files(), None)

    def run_apps(self, apps: list[Any], query: str | None, coverage: bool = False) -> None:
        runnable = [a for a in apps if a.spec_path is not None]
        if not runnable:
            self.notify("nothing to run: no app with a test spec selected", severity="warning")
            return
        if self.current_run is not None:
            self.current_run.cancel()  # a new run supersedes the old one (stops its query at once)
        self._release_previous_runs()
        self._fresh_results = True
        self.main(SqlView).clear_marks("coverage")  # a new run: the last one's coverage marks go
        self._batch += 1
        self._run_worker(runnable, query, coverage, self._batch)

    def _release_previous_runs(self) -> None:
        """A run's data (inputs, outputs, lineage kept for explain and the records screen) is released
        when the next run starts: the results pane is reset for it anyway (benchmarks/tui_memory.py)."""
        for old in self.runs:
            old.query_records.clear()
        self.runs.clear()
        self.captured.clear()
        self.report = None

    @work(thread=True, exclusive=True, group="run")
    def _run_worker(self, apps: list[Any], query: str | None, coverage: bool = False, batch: int = 0) -> None:
        """Runs in a thread: the UI never blocks. A whole-suite selection is one run of the root. Its events
        carry ``batch``: once a newer run started, what this one still says is ignored."""
        from velotui.core.run import RunOptions, SuiteRun

        everything = [a for a in self.suite.apps if a.spec_path is not None]
        targets = [self.root_path] if len(apps) == len(everything) and len(apps) > 1 else [a.sql_path for a in apps]
        self.running = True
        digests: dict[str, str] = {}
        for a in apps:  # the text each app's run reads: its coverage marks belong to that text only
            with contextlib.suppress(Exception):
                digests[resolved(a.sql_path)] = text_digest(file_text(a.sql_path))
        self._coverage_digests = digests
        try:
            kafka = self._kafka_for_runs()
            for target in targets:
                run = SuiteRun(target, RunOptions(query=query, seed=self.seed, now_ms=self.now_ms, kafka=kafka,
                                                  kafka_config=self.kafka_config, dialect=self.dialect,
                                                  strict=self.strict, coverage=coverage,
                                                  by_blocks=False,  # records to browse
                                                  **self.engine_options),
                               on_event=lambda e: self.post_message(RunEvent(e, batch)))
                if batch != self._batch:  # superseded before it started
                    break
                self.current_run = run
                self.runs.append(run)  # explain looks back over the runs of this batch
                run.execute()
                if run.cancelled:
                    break
        except Exception as e:  # an unreachable Kafka, a crashing run: shown, the app stays usable
            from velotui.errors import VelotuiError

            title = type(e).__name__ if isinstance(e, VelotuiError) else "Run failed"
            if batch == self._batch:  # a superseded run's error is not the new run's
                self.call_from_thread(self.push_screen, ErrorModal(title, str(e)))
        finally:
            if batch == self._batch:
                self.running = False

    def _kafka_for_runs(self) -> str:
        """The --kafka of each run. A broker the TUI starts (local, testcontainers) is started once, on the
        first run, and serves every run until the app closes: no start-up per keypress. An engine that needs
        Kafka (velostream) gets such a local broker when no --kafka was given."""
        if self.kafka == "embedded" and self._engines_need_kafka():
            self.kafka = "local"
        if self.kafka not in ("local", "testcontainers"):
            return self.kafka
        with self._cluster_lock:
            if self._cluster_bootstrap is None:
                from velotui.infra import open_cluster

                self.call_from_thread(self._status, f"starting a Kafka broker ({self.kafka})…")
                cluster = self._cluster_stack.enter_context(
                    open_cluster(self.kafka, config_file=self.kafka_config, image=self.kafka_image))
                self._cluster_bootstrap = cluster.bootstrap
                self.call_from_thread(self.notify, f"Kafka ({self.kafka}) at {cluster.bootstrap}: it serves every "
                                      "run and stops when you quit")
            return self._cluster_bootstrap

    def _engines_need_kafka(self) -> bool:
        names = self.engine_options.get("compare") or [self.engine_options.get("engine") or "embedded"]
        return any(n != "embedded" for n in names)

    def action_compare(self) -> None:
        """`C`: the Compare view of the last --compare run."""
        from velotui.tui.screens.compare import CompareScreen, comparison_rows

        if self.report is None or not comparison_rows(self.report):
            self.notify("nothing compared yet: start velotui with --compare embedded,velostream and run",
                        severity="warning")
            return
        self.push_screen(CompareScreen(self.report))

    # -- mutation testing -----------------------------------------------------------------------
    def action_mutate_selected(self) -> None:
        """`m`: mutation testing of the Apps cursor's app (its query: that query's statement), folder, or
        everything; the Mutants view follows it."""
        tree = self.main(AppsTree)
        app = tree.selected_app()
        if app is not None:
            q = tree.selected_query()
            self.mutate(app.files.sql_path, q, f"{app.name} / {q}" if q else app.name)
            return
        folder = tree.selected_folder()
        if folder is not None:
            self.mutate(folder, None, f"{folder.name}/")
        else:
            self.mutate(self.root_path, None, "every app")

    def action_mutate_all(self) -> None:
        self.mutate(self.root_path, None, "every app")

    def _apps_under(self, path: Path) -> list[AppFiles]:
        target = Path(resolved(path))
        return [a for a in self.suite.apps if a.spec_path is not None and (
            Path(resolved(a.sql_path)) == target or (target.is_dir() and Path(resolved(a.sql_path)).is_relative_to(target)))]

    def mutate(self, path: Path, query: str | None, label: str) -> None:
        """Start a mutation run of ``path`` in a worker (a run going is stopped: the new one supersedes it)."""
        apps = self._apps_under(path)
        if not apps:
            self.notify("nothing to mutate: no app with a test spec selected", severity="warning")
            return
        if self.mutation is not None and self.mutation.running:
            self.mutation.stop.set()
        digests = {}
        from velotui.errors import VelotuiError

        for a in apps:
            with contextlib.suppress(VelotuiError, OSError):  # unreadable: it cannot be mutated either
                digests[resolved(a.sql_path)] = text_digest(file_text(a.sql_path))
        session = MutationSession(path=Path(path), label=label, query=query, expected_apps=len(apps), digests=digests)
        self.mutation = session
        self.main(SqlView).clear_marks("mutants")  # a new run: the last one's marks go
        self._status(session.progress_text())
        from velotui.tui.screens.mutants import MutantsScreen

        screen = self._mutants_screen()
        if screen is not None:
            screen.show_session(session)
        else:
            self.push_screen(MutantsScreen(session))
        self._mutation_worker(session)

    @work(thread=True, exclusive=True, group="mutate")
    def _mutation_worker(self, session: MutationSession) -> None:
        """run_mutation in a child process (velotui.core.mutate.background: the UI's interpreter stays free);
        this thread passes its events on as MutationUpdate messages, and the session's stop flag to it."""
        from velotui.core.mutate import MutationOptions
        from velotui.core.mutate.background import Finished, MutationProcess

        options = MutationOptions(seed=self.seed, now_ms=self.now_ms, query=session.query, strict=self.strict)
        process = MutationProcess(session.path, options)
        session.process = process
        try:
            process.start()
            for item in process.events(stop=session.stop):
                if isinstance(item, Finished):
                    self.post_message(MutationUpdate(session, done=True, report=item.report, error=item.error))
                else:
                    self.post_message(MutationUpdate(session, item))
        except Exception as e:  # the process could not start, or its queue broke: said, the UI stays usable
            self.post_message(MutationUpdate(session, done=True, error=f"mutation testing could not run: {e!r}"))
        finally:
            process.close()

    def _screens_gone(self) -> bool:
        """The app is going (its screens are gone): a background run's late messages have nothing to update."""
        return not self.screen_stack

    def on_mutation_update(self, message: MutationUpdate) -> None:
        if self._screens_gone():
            return
        session = message.session
        if session is not self.mutation or not isinstance(session, MutationSession):
            return  # a superseded run's last words
        screen = self._mutants_screen()
        if message.done:
            from velotui.report.mutation import MutationReport
            from velotui.terminal import safe_text

            session.finish(message.report if isinstance(message.report, MutationReport) else None, message.error)
            for app in session.apps.values():
                self._mark_gutter(session, app.file)
            self._status(session.progress_text())
            if screen is None or self.screen is not screen:
                self.notify(safe_text(session.progress_text()) + (" — M shows the survivors" if session.survivor_count
                                                                  else ""),
                            severity="error" if session.state == "failed" else "information", timeout=10, markup=False)
            if screen is not None:
                screen.session_changed(now=True)
            return
        result = session.apply(message.event)
        if result is not None and result.survived:
            self._mark_gutter(session, getattr(message.event, "file", ""))
        self._status(session.progress_text())
        if screen is not None:
            screen.session_changed()

    def _mark_coverage(self, report: Any) -> None:
        """The SQL view's coverage marks of every file whose coverage the run counted (◇ per item not covered)."""
        from velotui.tui.coverage import coverage_marks, measured_files

        view = self.main(SqlView)
        for file in measured_files(report):
            digest = self._coverage_digests.get(resolved(file))
            if digest is not None:
                view.set_marks("coverage", Path(file), digest, coverage_marks(report, file))

    def _mark_gutter(self, session: MutationSession, file: str) -> None:
        """The SQL view's marks for one file: its survivors, on the text the run mutated."""
        digest = session.digests.get(resolved(file))
        if digest is not None:
            self.main(SqlView).set_marks("mutants", Path(file), digest, session.marks(file))

    def _mutants_screen(self) -> Any:
        from velotui.tui.screens.mutants import MutantsScreen

        return next((s for s in self.screen_stack if isinstance(s, MutantsScreen)), None)

    def action_mutants(self) -> None:
        """`M`: the Mutants view of the last mutation run."""
        from velotui.tui.screens.mutants import MutantsScreen

        if self.mutation is None:
            self.notify(f"no mutation run yet: {key_label(self.config.keys.get('mutate', 'm'))} runs mutation "
                        "testing on the selected app (or folder, or everything)", severity="warning")
            return
        if self._mutants_screen() is None:
            self.push_screen(MutantsScreen(self.mutation))

    def action_stop_mutation(self) -> None:
        session = self.mutation
        if session is None or not session.running:
            self.notify("no mutation run is going", severity="warning")
            return
        session.stop.set()
        self._status(f"stopping the mutation run of {session.label} after the mutant that runs now…")

    def jump_to_mutant(self, app: MutatedApp, mutant: Any) -> None:
        """The Mutants view's `enter`: the survivor's line in the SQL pane (cursor on its column)."""
        files = next((f for f in self.suite.apps if resolved(f.sql_path) == resolved(app.file)), None)
        if files is None:
            self.notify(f"{app.file} is not in this suite any more", severity="warning", markup=False)
            return
        while self.screen is not self.screen_stack[0]:
            self.pop_screen()

        def go() -> None:
            self.main(AppsTree).select_file(str(files.sql_path))
            source = self.main(SourcePane)
            source.show_app(files)
            source.active = "tab-sql"
            self.current_pane = "source"
            self._apply_layout()
            view = self.main(SqlView)
            view.go_to(mutant.line or 1, mutant.column)
            view.focus()
            self._line_status(view, (mutant.line or 1) - 1)

        if self.main(SchemaEditor).dirty and self.main(SourcePane).files != files:
            self.ask_unsaved(f"open {files.sql_path.name}", go)
            return
        go()

    def on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        if isinstance(event.text_area, SqlView) and event.text_area.has_focus:
            self._line_status(event.text_area, event.selection.end[0])

    def _line_status(self, view: SqlView, row: int) -> None:
        """The status line says what the gutter marks on the cursor's line are."""
        from velotui.tui.widgets.gutter import MARK_KINDS

        marks = view.marks_at(row + 1)
        if not marks:
            return
        if len(marks) == 1:
            shown = f"{MARK_KINDS[marks[0].kind].glyph} {marks[0].note}"
        else:
            by_kind: dict[str, list[str]] = {}
            for m in marks:
                by_kind.setdefault(m.kind, []).append(m.ref or m.note)
            shown = " · ".join(f"{MARK_KINDS[k].glyph} {', '.join(refs)}: {MARK_KINDS[k].short}"
                               for k, refs in by_kind.items())
        tails = []
        if any(MARK_KINDS[m.kind].lane == "mutants" for m in marks):
            tails.append(f"{key_label(self.config.keys.get('mutants', 'M'))}: the Mutants view")
        if any(MARK_KINDS[m.kind].lane == "coverage" for m in marks):
            tails.append(f"{key_label(self.config.keys.get('coverage', 'v'))}: run with coverage again")
        self._status(f"line {row + 1}: {shown} — {' · '.join(tails)}")

    def stop_background(self) -> None:
        """Quitting: a run going is cancelled (its query stops within a second: the process does not wait for
        the run to finish), a mutation run going stops (its process ends; it is ended after a few seconds)."""
        self._batch += 1  # what the run still says is for no one
        if self.current_run is not None:
            self.current_run.cancel()
        session = self.mutation
        if session is not None:
            session.stop.set()
            if session.process is not None:
                session.process.close(grace_s=3.0)

    def on_unmount(self) -> None:
        self.stop_background()

    def close_cluster(self) -> None:
        """Stop the broker the TUI started, if any (called when the app exits)."""
        with self._cluster_lock:
            self._cluster_stack.close()
            self._cluster_bootstrap = None

    def on_run_event(self, message: RunEvent) -> None:
        if self._screens_gone():
            return
        if message.batch is not None and message.batch != self._batch:
            return  # a superseded run's last words: its cancelled queries are not this run's results
        e = message.event
        results = self.main(ResultsTree)
        tree = self.main(AppsTree)
        tail = self.main(TopicTail)
        gauge = self.main(StressGauge)
        if isinstance(e, ev.RunStarted):
            if self._fresh_results:
                self._fresh_results = False
                results.reset()
                tail.reset()
                self.captured.clear()
            self._progress_total = sum(max(1, len(tree.query_names(f))) for f in e.apps)
            self._progress_done = 0
            gauge.set_progress(0, max(1, self._progress_total))
            for files in tree.app_files():  # apps a superseded run left running have no verdict now
                node = tree.app_node(str(files.sql_path))
                if node is not None and node.status == "running" and str(files.sql_path) not in e.apps:
                    tree.set_app_status(str(files.sql_path), None)
            for f in e.apps:
                tree.set_app_status(f, "running")
            self._status(f"running {plural(len(e.apps), 'app')}, seed {e.seed}…")
        elif isinstance(e, ev.AppLoaded):
            results.app_loaded(e.app, e.file, e.error, e.warnings)
            if e.error:
                tree.set_app_status(e.file, "error")
                self._bump_progress()
        elif isinstance(e, ev.RecordCaptured):
            self.captured.setdefault(e.topic, []).extend(e.messages)
            tail.add(e.topic, e.messages[-tail.limit:])
            gauge.count(len(e.messages))
        elif isinstance(e, ev.AssertionEvaluated):
            results.assertion(e.app, e.file, e.query, e.result)
        elif isinstance(e, ev.QueryFinished):
            results.query_finished(e.app, e.file, e.query, e.status, e.records_in, e.records_out, e.duration_ms,
                                   e.error, e.warnings, e.flags)
            tree.set_query_status(e.file, e.query, e.status)
            self._bump_progress()
            self.query_topics[(e.file, e.query)] = e.topics
        elif isinstance(e, ev.RunFinished):
            self.report = e.report
            self._mark_coverage(e.report)
            for app in e.report.apps:
                status = "error" if app.error else (
                    "failed" if any(q.status in ("failed", "error") for q in app.queries) else "passed")
                tree.set_app_status(app.file, status)
                results.app_finished(app.name, app.file, status)
            gauge.set_progress(self._progress_total, max(1, self._progress_total))
            golden = len(results.golden_failures())
            left_out = list(getattr(e.report, "warnings", None) or [])  # files of the folder that did not run
            strict = " (failed: --strict)" if getattr(e.report, "strict", False) else ""
            notes = note_counts(e.report.summary)
            self._status(f"done: {summary_counts(e.report.summary, notes=not left_out)}"
                         + (f" — ⚠ {plural(len(left_out), 'file')} not run{strict}: {_file_name(left_out[0])}"
                            + (f" — {notes}" if notes else "")
                            if left_out else "")  # before the other counts: an 80-column line shows it
                         + f" — seed {e.report.seed}"
                         + (f" — {plural(golden, 'golden diff')}: enter shows, a / A approves" if golden else ""))
        elif isinstance(e, ev.Progress) and e.step == "stress":
            gauge.set_progress(e.done, max(1, e.total))
        elif isinstance(e, ev.RecordsPublished) and e.source == "stress":
            gauge.count(e.count)
        elif isinstance(e, ev.Log) and e.level == "error":
            self.notify(e.message.splitlines()[0][:200], severity="error")

    def _bump_progress(self) -> None:
        self._progress_done += 1
        self.main(StressGauge).set_progress(self._progress_done, max(1, self._progress_total))

    # -- selection and unsaved changes ----------------------------------------------------------
    def on_tree_node_highlighted(self, event: Any) -> None:
        if event.control.id == "apps":
            data = event.node.data
            app = data if isinstance(data, AppNode) else getattr(data, "app", None)
            if isinstance(app, AppNode):
                self.show_app(app.files)
        elif event.control.id == "results":
            leaf = self.main(ResultsTree).selected_failure()
            if leaf is not None:
                self._status("enter: the detail" + (" and diff · a: approve · A: approve all" if leaf.golden else "")
                             + " · x: explain · c: copy")

    def show_app(self, files: AppFiles) -> None:
        """Show an app in the SQL / Schema pane; unsaved schema edits are asked about first."""
        source = self.main(SourcePane)
        if source.files == files:
            return
        previous = source.files
        if source.editor.dirty:
            def back() -> None:
                if previous is not None:
                    self.main(AppsTree).select_file(str(previous.sql_path))

            self.ask_unsaved(f"open {files.sql_path.name}", lambda: source.show_app(files), back)
            return
        source.show_app(files)

    def ask_unsaved(self, doing: str, proceed: Callable[[], Any], cancel: Callable[[], Any] | None = None) -> None:
        """Unsaved schema edits: save (only a valid schema is saved), discard, or cancel ``doing``."""
        editor = self.main(SchemaEditor)

        def answer(choice: str | None) -> None:
            if choice == "save":
                message = editor.save()
                if editor.dirty:
                    self.notify(message, severity="error")
                    if cancel:
                        cancel()
                    return
                self.notify(message)
                proceed()
            elif choice == "discard":
                editor.reload()
                proceed()
            elif cancel:
                cancel()

        name = editor.path.name if editor.path else "the schema"
        self.push_screen(UnsavedModal(name, doing), answer)

    def on_schema_editor_dirty_changed(self, event: SchemaEditor.DirtyChanged) -> None:
        source = self.main(SourcePane)
        source.mark_dirty(event.editor.dirty)
        name = event.editor.path.name if event.editor.path else ""
        source.border_title = TITLES["source"] + (f" · ● {name} unsaved (ctrl+s saves)" if event.editor.dirty else "")

    def on_schema_editor_switch_requested(self, event: SchemaEditor.SwitchRequested) -> None:
        self.ask_unsaved(f"open {event.path.name}", lambda: event.editor.open(event.path))

    async def action_quit(self) -> None:
        if self.screen_stack and self.main(SchemaEditor).dirty:
            self.ask_unsaved("quit", self._quit_now)
            return
        self._quit_now()

    def _quit_now(self) -> None:
        self.stop_background()
        self.exit()

    # -- opening things -------------------------------------------------------------------------
    def on_tree_node_selected(self, event: Any) -> None:
        if event.control.id == "results":
            self.action_open_selection()
        elif event.control.id == "apps" and isinstance(event.node.data, QueryNode):
            self.action_open_selection()  # a query that ran: its records

    def action_open_selection(self) -> None:
        focused = self.focused
        results = self.main(ResultsTree)
        if focused is results:
            leaf = results.selected_failure()
            if leaf is not None:
                self.open_failure(leaf)
                return
            q = results.selected_query()
            if q is not None:
                self.open_query(q.app, q.query)
            return
        if focused is self.main(TopicTail):
            topics = list(self.captured)
            if topics:
                self.open_topic(topics[-1])
            return
        tree = self.main(AppsTree)
        app, q = tree.selected_app(), tree.selected_query()
        if app and q and (self._key_of(app), q) in self.query_topics:
            self.open_query(self._key_of(app), q)
        elif focused is not tree:
            leaf = results.selected_failure()
            if leaf is not None:
                self.open_failure(leaf)

    def open_query(self, app: str, query: str) -> None:
        topics = self.query_topics.get((app, query), ())
        msgs: list[Message] = []
        for t in topics:
            msgs.extend(self.captured.get(t, []))
        self.push_screen(RecordsScreen(f"{self._label_of(app)} / {query}", msgs, export_dir=exports_folder(self.config.export_dir)))

    def open_topic(self, topic: str) -> None:
        self.push_screen(RecordsScreen(topic, self.captured.get(topic, []),
                                       export_dir=exports_folder(self.config.export_dir)))

    def _detail(self, leaf: AssertionLeaf) -> Any:
        from velotui.core.explain import failure_detail

        detail = failure_detail(self._run_of(leaf.app, leaf.query), leaf.app, leaf.query, leaf.result)
        detail.divergence = self._divergence_flags(leaf.app, leaf.query)
        detail.label = self._label_of(leaf.app)
        return detail

    def _divergence_flags(self, app: str, query: str) -> list[str]:
        """Divergence flags the report carries for a query (the reference engine computes it otherwise)."""
        for a in getattr(self.report, "apps", None) or []:
            if a.file != app:
                continue
            for q in a.queries:
                if q.name == query:
                    flags = getattr(q, "divergences", None) or getattr(q, "flags", None) or []
                    return [str(getattr(f, "message", f)) for f in flags]
        return []

    def open_failure(self, leaf: AssertionLeaf) -> None:
        from velotui.tui.screens.failure import FailureScreen

        self.push_screen(FailureScreen(self._detail(leaf), leaf))

    def action_zoom(self) -> None:
        """`z`: the failure under the cursor full width; on a pane without one, the pane itself."""
        leaf = self._failure_for_cursor(fallback=False)
        if leaf is not None and self.focused_pane in ("results", "apps"):
            self.open_failure(leaf)
            return
        pane = self.focused_pane or self.current_pane
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        widget = self.main(PANES[pane])
        if not screen.maximize(widget, container=False):
            self.notify("this pane cannot be zoomed", severity="warning")

    def jump_to_spec(self, detail: Any) -> None:
        """The detail view's `g`: the spec in the SQL / Schema pane's Spec tab, cursor on the line."""
        file = detail.app  # the app's SQL file
        if not detail.spec_file:
            self.notify("this result names no spec line", severity="warning")
            return
        while self.screen is not self.screen_stack[0]:
            self.pop_screen()
        files = next((f for f in self.suite.apps if str(f.sql_path) == file), None)
        if files is not None and not self.main(SchemaEditor).dirty:  # unsaved edits stay; the spec still shows
            self.main(AppsTree).select_file(file)
            self.main(SourcePane).show_app(files)
        self.current_pane = "source"
        self._apply_layout()
        path = Path(detail.spec_file)
        if path.suffix == ".jsonl":  # a golden file: its query's entry in the spec is the place to look
            spec = next((f.spec_path for f in self.suite.apps if str(f.sql_path) == file), None)
            path = spec or path
        self.main(SourcePane).show_spec_line(path, detail.spec_line)
        self._status(f"{path}:{detail.spec_line or 1} — e opens it in $EDITOR")

    # -- failures: explain, approve, copy -------------------------------------------------------
    def _failure_for_cursor(self, fallback: bool = True) -> AssertionLeaf | None:
        """The failure under the cursor: in Results (an assertion; a query or app row: its first failure),
        in Apps (the first failure of the app or query there); elsewhere the Results cursor's."""
        results = self.main(ResultsTree)
        pane = self.focused_pane
        if pane == "apps":
            tree = self.main(AppsTree)
            app = tree.selected_app()
            if app is None:
                return None
            key, q = self._key_of(app), tree.selected_query()
            return next((f for f in results.failures if f.failed and f.app == key and (q is None or f.query == q)),
                        None)
        leaf = results.failure_under_cursor()
        if leaf is None and fallback and pane != "results":
            app = self.main(AppsTree).selected_app()
            leaf = results.first_failure(self._key_of(app)) if app is not None else None
        return leaf

    def action_explain(self) -> None:
        if self.screen is not self.screen_stack[0]:
            return
        leaf = self._failure_for_cursor()
        if leaf is None:
            broken = self._load_error_under_cursor()
            if broken is not None:  # nothing ran to explain: the app's load error is the explanation
                self.push_screen(ErrorModal(f"{broken[0]} could not be loaded", broken[1]))
                return
            errored = self._query_error_under_cursor()
            if errored is not None:  # the query stopped with an error before any check: that error is the cause
                strict = errored[2].startswith("failed under --strict")
                self.push_screen(ErrorModal(f"{errored[0]} / {errored[1]} " + (
                    "failed under --strict (every assertion held)" if strict else
                    "stopped with an error (no assertion was checked)"), errored[2]))
                return
            self.notify("nothing failed under the cursor: move to a ✗ row in Results (4) or to an app that failed",
                        severity="warning")
            return
        self.explain_leaf(leaf)

    def _load_error_under_cursor(self) -> tuple[str, str] | None:
        key = None  # the app's SQL file
        if self.focused_pane == "apps":
            app = self.main(AppsTree).selected_app()
            key = self._key_of(app) if app is not None else None
        else:
            key = self.main(ResultsTree).selected_app()
        report = self.report
        for a, label in zip(getattr(report, "apps", None) or [], getattr(report, "app_labels", None) or [],
                            strict=False):
            if a.error and a.file == key:
                return label, a.error
        return None

    def _query_error_under_cursor(self) -> tuple[str, str, str] | None:
        """(app, query, error) of the query under the cursor that errored (on an app row: its first), from
        the report: an errored query has no failed assertion to explain, and "nothing failed" would be false."""
        app_key: str | None = None  # the app's SQL file
        query: str | None = None
        if self.focused_pane == "apps":
            tree = self.main(AppsTree)
            app = tree.selected_app()
            if app is None:
                return None
            app_key, query = self._key_of(app), tree.selected_query()
        else:
            results = self.main(ResultsTree)
            q = results.selected_query()
            app_key, query = (q.app, q.query) if q is not None else (results.selected_app(), None)
        report = self.report
        for a, label in zip(getattr(report, "apps", None) or [], getattr(report, "app_labels", None) or [],
                            strict=False):
            if a.file != app_key:
                continue
            for q in a.queries:
                if query is not None and q.name != query:
                    continue
                if q.error and q.status == "error":
                    return label, q.name, q.error
                if q.status == "failed" and q.strict_failures and not q.failed_assertions:  # --strict failed it
                    return label, q.name, "failed under --strict:\n" + "\n".join(q.strict_failures)
        return None

    def explain_leaf(self, leaf: AssertionLeaf) -> None:
        """Open the explanation of one failure at once (a spinner), then ask in a worker thread."""
        from velotui.ai import heading_for

        waiting = "explaining offline…" if not self.use_ai else "asking the model (offline explainer without a key)…"
        label = self._label_of(leaf.app)
        modal = MarkdownModal(heading=heading_for(label, leaf.query, leaf.result), waiting=waiting)
        self.push_screen(modal)
        self._explain_worker(leaf, modal, label)

    @work(thread=True, exclusive=True, group="explain")
    def _explain_worker(self, leaf: AssertionLeaf, modal: MarkdownModal, label: str) -> None:
        """Ask in a thread. Whatever goes wrong there (a config the explainer cannot read, a hook that cannot
        start, the app's files gone) is said in the explanation's place: a worker's error would end the app."""
        try:
            markdown = explain_markdown(leaf, self._run_of(leaf.app, leaf.query), use_ai=self.use_ai,
                                        label=label)
        except Exception as e:
            from velotui.ai import heading_for
            from velotui.errors import VelotuiError

            what = str(e) if isinstance(e, VelotuiError) else f"internal error: {e!r}"
            markdown = (f"{heading_for(label, leaf.query, leaf.result)}\n\n## No explanation\n\n"
                        f"The explanation could not be made:\n\n```\n{what}\n```")
        self.call_from_thread(modal.show_answer, markdown)

    def action_approve(self) -> None:
        """`a`: approve the golden output of the query under the cursor (its golden file rewritten)."""
        results = self.main(ResultsTree)
        under = results.cursor_node.data if self.focused_pane == "results" and results.cursor_node else None
        if isinstance(under, AssertionLeaf):  # an assertion row: only a golden comparison can be approved
            self.approve_leaf(under)
            return
        q = results.selected_query() if self.focused_pane == "results" else None
        if q is None and self.focused_pane == "apps":
            tree = self.main(AppsTree)
            app, name = tree.selected_app(), tree.selected_query()
            if app is not None and name is not None:
                q = QueryLeaf(self._key_of(app), str(app.files.sql_path), name)
        if q is None:
            self.notify("a approves a query's golden output: move to a query (or its golden row) in Results",
                        severity="warning")
            return
        golden = next((r for r in q.results if r.golden), None) if q.results else None
        if golden is not None:
            self.approve_leaf(golden)
        else:
            self._approve(q.app, q.query)

    def _approve(self, app: str, query: str) -> str | None:
        from velotui.core.golden import approve
        from velotui.errors import VelotuiError

        try:
            path, what = approve(self._run_of(app, query), app, query)
        except VelotuiError as e:
            self.notify(str(e), severity="error")
            return None
        except OSError as e:
            self.notify(f"not approved: cannot write the golden file: {e}", severity="error")
            return None
        self.notify(f"approved {self._label_of(app)} / {query}: golden file {what}: {path}")
        return what

    def approve_leaf(self, leaf: AssertionLeaf) -> bool:
        if not leaf.golden:
            self.notify(f"a approves golden comparisons; this is a {leaf.result.type} assertion", severity="warning")
            return False
        what = self._approve(leaf.app, leaf.query)
        if what is None:
            return False
        self.main(ResultsTree).mark_approved(leaf, what)
        return True

    def action_approve_all(self) -> bool:
        """`A`: approve every failed golden comparison of the run."""
        pending = self.main(ResultsTree).golden_failures()
        if not pending:
            self.notify("no golden diff to approve in this run", severity="warning")
            return False
        done = sum(1 for leaf in pending if self.approve_leaf(leaf))
        self.notify(f"approved {plural(done, 'golden file')} of {len(pending)}")
        return done > 0

    def action_copy(self) -> None:
        """`c`: copy what is under the cursor (a failure, the SQL or spec selection, the tail) via OSC 52."""
        pane = self.focused_pane
        text, what = "", ""
        if pane in ("results", "apps"):
            leaf = self._failure_for_cursor(fallback=False)
            if leaf is not None:
                from velotui.tui.screens.failure import failure_text

                text, what = failure_text(self._detail(leaf)), "the failure"
            elif pane == "apps" and self.main(AppsTree).selected_app() is not None:
                text, what = str(self.main(AppsTree).selected_app().files.sql_path), "the app's path"
        elif pane == "source":
            view = self.main(SourcePane).searchable()
            if view is not None:
                text = view.selected_text or view.text
                what = "the selection" if view.selected_text else f"{view.path.name if view.path else 'the file'}"
        elif pane == "tail":
            text, what = "\n".join(str(line.text) for line in self.main(TopicTail).lines), "the tail"
        if not text:
            self.notify("nothing to copy here", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(f"copied {what} ({plural(len(text.splitlines()), 'line')}) to the clipboard")

    # -- search ---------------------------------------------------------------------------------
    def action_filter(self) -> None:
        pane = self.focused_pane or "tail"
        target = {"source": "sql", "results": "results", "apps": "apps"}.get(pane, "tail")
        if target == "sql" and self.main(SourcePane).searchable() is None:
            self.notify("/ searches the SQL and Spec tabs", severity="warning")
            return
        self._search_target = target
        inp = self.main("#filter", SearchBar)
        inp.placeholder = {"tail": "filter the tail (substring; ! inverts) — enter applies, esc closes",
                           "sql": "search the file — enter finds the next match (n again), esc closes",
                           "results": "search the results — enter finds the next match, esc closes",
                           "apps": "search the apps and queries — enter finds the next match, esc closes"}[target]
        inp.value = self.main(TopicTail).filter_text if target == "tail" else self._searches.get(target, "")
        inp.remove_class("hidden")
        inp.focus()

    def close_search(self) -> None:
        self.main("#filter", SearchBar).add_class("hidden")
        self.action_focus_pane({"sql": "source"}.get(self._search_target, self._search_target))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "filter":
            return
        text = event.value
        target = self._search_target
        self._searches[target] = text
        event.input.add_class("hidden")
        if target == "tail":
            self.main(TopicTail).set_filter(text)
            self.main(TopicTail).focus()
            return
        if target == "sql":
            view: SearchableText | None = self.main(SourcePane).searchable()
            found = view.find(text) if view is not None else (0, 0)
            if view is not None:
                view.focus()
        elif target == "results":
            found = self.main(ResultsTree).search(text)
            self.main(ResultsTree).focus()
        else:
            found = self.main(AppsTree).search(text)
            self.main(AppsTree).focus()
        n, total = found
        self._status(f"match {n} of {total} for {text!r}" + (" — n: next" if target == "sql" else
                                                               " — / enter: next") if total else
                     f"no match for {text!r}")

    # -- the other keys -------------------------------------------------------------------------
    def action_debug(self) -> None:
        from velotui.tui.screens.debug import DebugScreen

        app = self.main(AppsTree).selected_app()
        if app is None or app.files.spec_path is None:
            self.notify("select an app with a test spec for step mode", severity="warning")
            return
        self.push_screen(DebugScreen(app.files.sql_path, seed=self.seed or 1, now_ms=self.now_ms))

    def action_stress(self) -> None:
        app = self.main(AppsTree).selected_app()
        if app is None or app.files.spec_path is None:
            self.notify("select an app with a test spec to stress it", severity="warning")
            return
        self._stress_worker(app.files.sql_path)

    @work(thread=True, exclusive=True, group="stress")
    def _stress_worker(self, sql_path: Path) -> None:
        """A stress run of the selected app; its progress events drive the gauge."""
        from velotui.core.stress import StressOptions, run_stress
        from velotui.errors import VelotuiError

        try:
            result, slo, _ = run_stress(sql_path, StressOptions(seed=self.seed or 1),
                                        on_event=lambda e: self.post_message(RunEvent(e)))
        except VelotuiError as e:
            self.call_from_thread(self.push_screen, ErrorModal("Stress run failed", str(e)))
            return
        self.last_stress = result
        self.call_from_thread(self._show_stress, result, slo)

    def _show_stress(self, result: Any, slo: list[Any]) -> None:
        lat = result.latency()
        gauge = self.main(StressGauge)
        gauge.set_latency(lat["p50"], lat["p95"], lat["p99"])
        gauge.set_progress(result.records, max(1, result.records))
        gauge.set_result(result.throughput, lat["p99"], result.memory_peak_bytes)
        failed = [r for r in slo if r.status in ("failed", "error")]
        self._status(f"stress {result.app}: {result.throughput:,.0f} records/s, p99 {lat['p99']:.1f} ms, "
                     f"peak {result.memory_peak_bytes / 1e6:.0f} MB" + (f" — {len(failed)} SLO(s) failed" if failed
                                                                      else ""))

    def action_toggle_pause(self) -> None:
        tail = self.main(TopicTail)
        tail.set_paused(not tail.paused)
        self.main(StressGauge).paused = tail.paused

    def action_export(self) -> None:
        if self.report is None:
            self.notify("nothing to export yet: run something first", severity="warning")
            return
        from velotui.report import to_json

        folder = exports_folder(self.config.export_dir)
        out = folder / f"velotui-report-{self.report.run_id}.json"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            out.write_bytes(to_json(self.report))
        except OSError as e:
            self.notify(f"not exported: cannot write to {folder}: {e.strerror} (set export_dir in [tui] of the "
                        "config)", severity="error")
            return
        self.notify(f"report exported to {out.resolve()}")

    # -- help -----------------------------------------------------------------------------------
    def action_help(self) -> None:
        """`?`: every key, grouped by where it works (everywhere, each pane, the screen on top)."""
        from velotui.tui.help import help_sections

        self.push_screen(HelpScreen(help_sections(self), title="Keys"))

    def action_help_pane(self) -> None:
        """F1: the keys of the focused pane (or of the screen on top) alone."""
        from velotui.tui.help import help_sections, pane_section

        section = pane_section(self)
        if section is None:
            self.push_screen(HelpScreen(help_sections(self), title="Keys"))
            return
        name, rows = section
        self.push_screen(HelpScreen([(name, rows or [("—", "no keys of its own; ? lists every key", "")])],
                                    title=f"Keys of {name}"))

    def binding_rows(self) -> list[HelpRow]:
        """The app-wide keys as they are bound now (config overrides applied)."""
        rows = []
        for a in [*ACTIONS]:
            keys = self.config.keys.get(a.id, a.keys)
            rows.append((" / ".join(key_label(k.strip()) for k in keys.split(",")), a.description, a.id))
        return rows

    def widget_rows(self, ids: Iterable[str]) -> list[HelpRow]:
        out = []
        for a in WIDGET_ACTIONS:
            if a.id in ids:
                keys = self.config.keys.get(a.id, a.keys)
                out.append((" / ".join(key_label(k.strip()) for k in keys.split(",")), a.description, a.id))
        return out

    # -- editing --------------------------------------------------------------------------------
    def action_edit(self) -> None:
        tree = self.main(AppsTree)
        app = tree.selected_app()
        source = self.main(SourcePane)
        path: Path | None = None
        line: int | None = None
        if source.active == "tab-schema":
            path = self.main(SchemaEditor).path
        elif source.active == "tab-spec" and source.files is not None:
            view = source.searchable()
            path = source.files.spec_path
            line = view.selection.end[0] + 1 if view is not None else None
        elif app is not None:
            path = app.files.sql_path
        if path is None:
            self.notify("select an app first", severity="warning")
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.notify("set $VISUAL or $EDITOR to edit files", severity="warning")
            return
        if source.active == "tab-schema" and self.main(SchemaEditor).dirty:
            self.ask_unsaved(f"edit {path.name} outside", lambda: self._edit(path, line, app))
            return
        self._edit(path, line, app)

    def _edit(self, path: Path, line: int | None, app: AppNode | None) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        argv = [*shlex.split(editor), *editor_args(editor, path, line)]
        from textual.app import SuspendNotSupported

        try:
            with self.suspend():
                subprocess.call(argv)
        except SuspendNotSupported:  # no terminal to hand over (a web or test driver): run it alongside
            subprocess.call(argv)
        source = self.main(SourcePane)
        if app is not None:
            source.files = None  # reload what the editor changed
            source.show_app(app.files)
        self._check_files()

    # -- file watching --------------------------------------------------------------------------
    def _watched(self) -> dict[Path, list[str]]:
        """Each file a run of an app reads — its SQL, its spec, the schema files its inputs use (one schema
        can serve many apps) — and the apps (SQL files) that read it."""
        out: dict[Path, list[str]] = {}
        for files in self.suite.apps:
            app_file = str(files.sql_path)
            paths = [files.sql_path, *([files.spec_path] if files.spec_path else []), *self._schemas_read(files)]
            for p in paths:
                out.setdefault(p, [])
                if app_file not in out[p]:
                    out[p].append(app_file)
        return out

    def _schemas_read(self, files: AppFiles) -> list[Path]:
        """The schema files an app's inputs use, as its spec says now (read again when the spec changes)."""
        spec = files.spec_path
        try:
            stamp = spec.stat().st_mtime if spec is not None else None
        except OSError:
            stamp = None
        key = str(files.sql_path)
        cached = self._schema_files.get(key)
        if cached is None or cached[0] != stamp:
            from velotui.tui.widgets.source_pane import schemas_of

            cached = (stamp, schemas_of(files))
            self._schema_files[key] = cached
        return cached[1]

    def _remember_mtimes(self) -> None:
        for p in self._watched():
            try:
                self._mtimes[p] = p.stat().st_mtime
            except OSError:
                pass

    def _check_files(self) -> None:
        trees = self.screen_stack[0].query(AppsTree) if self.screen_stack else []
        if not trees:  # the app is closing: its widgets are gone before its timers stop
            return
        tree = trees.first()
        changed: dict[str, list[Path]] = {}  # app -> the files of it that changed
        for p, app_files in self._watched().items():
            try:
                m = p.stat().st_mtime
            except OSError:
                continue
            if self._mtimes.get(p) not in (None, m):
                for app_file in app_files:
                    changed.setdefault(app_file, []).append(p)
            self._mtimes[p] = m
        for app_file in changed:
            tree.mark_stale(app_file)
            self._app_changed(app_file)
        if not changed:
            return
        if self.watch_files:  # one run of every app that changed (one run_apps each superseded the last)
            self.run_apps([f for f in tree.app_files() if str(f.sql_path) in changed], None)
            return
        for path in dict.fromkeys(p for paths in changed.values() for p in paths):
            apps = [a for a, paths in changed.items() if path in paths]
            whose = "" if (len(apps) == 1 and Path(apps[0]).stem in path.name) else (
                f" (read by {Path(apps[0]).stem})" if len(apps) == 1 else f" (read by {len(apps)} apps, marked ○)")
            self.notify(f"{path.name} changed{whose} — press r to re-run", markup=False)


    def _app_changed(self, app_file: str) -> None:
        """An app's SQL or spec changed on disk: the views show it as it is now, and the last mutation run's
        survivors of that app are out of date (their gutter marks go; the Mutants view says so)."""
        source = self.main(SourcePane)
        if source.files is not None and str(source.files.sql_path) == app_file:
            source.reload_views()
        session = self.mutation
        app = session.app_for(app_file) if session is not None else None
        if app is not None and not app.changed:
            app.changed = True
            self.main(SqlView).clear_marks("mutants", Path(app_file))
            screen = self._mutants_screen()
            if screen is not None:
                screen.session_changed(now=True)


_PLUS_LINE = {"vi", "vim", "nvim", "view", "nano", "emacs", "emacsclient", "micro", "kak", "joe", "mg", "ne", "hx",
              "helix", "vis", "jed"}


def editor_args(editor: str, path: Path, line: int | None) -> list[str]:
    """The file argument(s) for ``$VISUAL``/``$EDITOR``, at ``line`` when the editor has a way to say so
    (``+LINE`` for the vi/emacs/nano family, ``--goto FILE:LINE`` for VS Code, ``FILE:LINE`` for Sublime);
    other editors just open the file."""
    if not line:
        return [str(path)]
    name = Path(shlex.split(editor)[0]).name if editor.strip() else ""
    if name in _PLUS_LINE:
        return [f"+{line}", str(path)]
    if name in ("code", "code-insiders", "codium", "cursor"):
        return ["--goto", f"{path}:{line}"]
    if name in ("subl", "zed"):
        return [f"{path}:{line}"]
    return [str(path)]


def explain_markdown(leaf: Any, run: Any, *, use_ai: bool = True, label: str | None = None) -> str:
    """The explanation of a failing assertion, headed by the failure it explains (velotui.ai: Anthropic,
    the command hook, or the offline explainer). Runs in a worker thread: the SDK is imported here.
    ``leaf.app`` is the app's SQL file; ``label`` how the Results pane names the app (else the run's label)."""
    from velotui.ai import SOURCE_NAMES, explain, heading_for
    from velotui.core.explain import failure_context

    ctx = failure_context(run, leaf.app, leaf.query, leaf.result) if run is not None else None
    if ctx is None:
        r = leaf.result
        return (f"{heading_for(label or leaf.app, leaf.query, r)}\n\n- expected `{r.expected}`, got `{r.actual}`"
                f"\n- {r.message}\n\n_(the run that produced this result is gone; re-run to explain it)_")
    result = explain(ctx, use_ai=use_ai)
    return result.document() + f"\n\n---\n_explained by the {SOURCE_NAMES[result.source]}_"


def summary_counts(summary: dict[str, int], notes: bool = True) -> str:
    """The counts of a run as the headless report's last line gives them (passed, failed, then skipped,
    errors, warnings and divergence flags when there are any): the TUI's status line lost the last four.
    ``notes=False``: without the warnings and flags (note_counts)."""
    parts = [f"{summary.get('passed', 0)} passed", f"{summary.get('failed', 0)} failed"]
    for key, word in (("skipped", None), ("errors", "error")):
        n = summary.get(key, 0)
        if n:
            parts.append(f"{n} skipped" if word is None else plural(n, word))
    tail = note_counts(summary) if notes else ""
    return ", ".join(parts) + (f", {tail}" if tail else "")


def note_counts(summary: dict[str, int]) -> str:
    """``1 warning, 10 divergence flags`` (empty when there are none)."""
    return ", ".join(plural(summary[key], word) for key, word in (("warnings", "warning"), ("flags", "divergence flag"))
                     if summary.get(key))


def _file_name(warning: Any) -> str:
    """The name of the file a warning is about (its message when it names none): short enough for the
    status line of an 80-column terminal."""
    file = getattr(warning, "file", None)
    return Path(str(file)).name if file else str(getattr(warning, "message", warning))


__all__ = ["NARROW_WIDTH", "QueryNode", "VelotuiApp", "explain_markdown"]

