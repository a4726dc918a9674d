"""The velotui terminal UI: five panes over the core service layer (no test logic here)."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import threading
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.command import Hit, Hits, Provider
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Static

from velotui.core import events as ev
from velotui.core.discovery import Suite, discover
from velotui.records import Message
from velotui.tui import themes
from velotui.tui.keymap import ACTIONS, TuiConfig, bindings, load_config
from velotui.tui.messages import RunEvent
from velotui.tui.screens.modals import ErrorModal, HelpScreen, MarkdownModal
from velotui.tui.screens.records import RecordsScreen
from velotui.tui.widgets.apps_tree import AppNode, AppsTree
from velotui.tui.widgets.results_tree import ResultsTree
from velotui.tui.widgets.source_pane import SchemaEditor, SourcePane
from velotui.tui.widgets.stress_gauge import StressGauge
from velotui.tui.widgets.topic_tail import TopicTail

PANES = {"apps": "#apps", "source": "#source", "tail": "#tail", "results": "#results", "stress": "#stress"}


class VelotuiCommands(Provider):
    """Command palette: every action, app, query and topic."""

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
    COMMANDS = App.COMMANDS | {VelotuiCommands}
    BINDINGS = bindings()

    def __init__(self, path: str | Path, *, theme_name: str | None = None, watch: bool = False,
                 config: TuiConfig | None = None, kafka: str = "embedded", seed: int | None = None,
                 now_ms: int | None = None, use_ai: bool = True, kafka_config: str | None = None,
                 kafka_image: str | None = None) -> None:
        super().__init__()
        self.kafka_config = Path(kafka_config) if kafka_config else None
        self.kafka_image = kafka_image
        self._cluster_stack = contextlib.ExitStack()  # a broker the TUI started: one for the whole session
        self._cluster_bootstrap: str | None = None
        self._cluster_lock = threading.Lock()
        self.use_ai = use_ai
        self.root_path = Path(path)
        self.config = config or load_config()
        self.suite: Suite = discover(self.root_path)
        self.watch_files = watch
        self.kafka = kafka
        self.seed = seed
        self.now_ms = now_ms
        self.report: Any = None
        self.captured: dict[str, list[Message]] = {}  # topic -> every record seen this run
        self.query_topics: dict[tuple[str, str], tuple[str, ...]] = {}  # (app, query) -> sink topics
        self.current_run: Any = None
        self.runs: list[Any] = []
        self.last_stress: Any = None
        self.running = False
        self._mtimes: dict[Path, float] = {}
        self._app_files: dict[str, str] = {}  # app name -> SQL file
        self._progress_total = 0
        self._progress_done = 0
        self._fresh_results = True
        self.theme_name = theme_name or self.config.theme or "dark"
        if self.config.keys:
            self.set_keymap(self.config.keys)

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield AppsTree(self.suite, id="apps")
            yield SourcePane(id="source")
            yield ResultsTree(id="results")
        with Horizontal(id="bottom"):
            yield TopicTail(limit=self.config.tail_limit, id="tail")
            yield StressGauge(id="stress")
        yield Input(placeholder="filter (substring; ! inverts) — enter to apply, escape to close",
                    id="filter", classes="hidden")
        yield Static("", id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        titles = {"apps": "1 Apps", "source": "2 SQL / Schema", "tail": "3 Topic tail", "results": "4 Results",
                  "stress": "5 Stress"}
        for key, sel in PANES.items():
            self.main(sel).border_title = titles[key]
        themes.apply(self, self.theme_name)
        self._status(f"{len(self.suite.apps)} apps in {self.root_path} — r run · R run all · ? keys")
        tree = self.main(AppsTree)
        tree.focus()
        first = next((line for line in range(tree.last_line + 1)
                      if isinstance(getattr(tree.get_node_at_line(line), "data", None), AppNode)), None)
        if first is not None:
            tree.cursor_line = first
        self._remember_mtimes()
        self.set_interval(1.0, self._check_files)

    # -- helpers --------------------------------------------------------------------------------
    def main(self, selector: Any, expect_type: Any = None) -> Any:
        """A widget of the main screen, whatever screen is on top (records, help, a modal)."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        return screen.query_one(selector) if expect_type is None else screen.query_one(selector, expect_type)

    def _status(self, text: str) -> None:
        self.main("#status-line", Static).update(text)

    def palette_entries(self) -> Iterable[tuple[str, Any, str]]:
        for id_, keys, action, desc, _ in ACTIONS:
            yield (f"{desc} ({keys.split(',')[0]})", partial(self.run_action, action), f"action {id_}")
        for name in themes.available():
            yield (f"Theme: {name}", partial(self.set_theme_name, name), "switch theme")
        tree = self.main(AppsTree)
        for files in tree.app_files():
            yield (f"App: {files.sql_path.stem}", partial(self.run_apps, [files], None), f"run {files.sql_path}")
            node = tree.app_node(str(files.sql_path))
            for (f, q), _ in list(tree._queries.items()):
                if f == str(files.sql_path) and node is not None:
                    yield (f"Query: {files.sql_path.stem} / {q}", partial(self.run_apps, [files], q), "run query")
        for topic in self.captured:
            yield (f"Topic: {topic}", partial(self.open_topic, topic), "open records")

    def set_theme_name(self, name: str) -> None:
        self.theme_name = name
        themes.apply(self, name)
        self.notify(f"theme: {name}")

    # -- actions --------------------------------------------------------------------------------
    def action_focus_pane(self, pane: str) -> None:
        widget = self.main(PANES[pane])
        if widget.focusable:
            widget.focus()
            return
        target = next((w for w in widget.query("*") if w.focusable and w.display), None)
        if target is not None:
            target.focus()

    def action_cycle_theme(self) -> None:
        names = themes.available()
        i = names.index(self.theme_name) if self.theme_name in names else -1
        self.set_theme_name(names[(i + 1) % len(names)])

    def action_run_selected(self) -> None:
        tree = self.main(AppsTree)
        app = tree.selected_app()
        if app is not None:
            self.run_apps([app.files], tree.selected_query())
            return
        folder = tree.selected_folder()
        if folder is not None:
            self.run_apps([f for f in tree.app_files() if f.sql_path.is_relative_to(folder)], None)
        else:
            self.action_run_all()

    def action_run_all(self) -> None:
        self.run_apps(self.main(AppsTree).app_files(), None)

    def run_apps(self, apps: list[Any], query: str | None) -> None:
        runnable = [a for a in apps if a.spec_path is not None]
        if not runnable:
            self.notify("nothing to run: no app with a test spec selected", severity="warning")
            return
        if self.current_run is not None:
            self.current_run.cancel()  # a new run supersedes the old one (stops its query at once)
        self._release_previous_runs()
        self._fresh_results = True
        self._run_worker(runnable, query)

    def _release_previous_runs(self) -> None:
        """A run's data (inputs, outputs, lineage kept for explain and the records screen) is released
        when the next run starts: the results pane is reset for it anyway (benchmarks/tui_memory.py)."""
        for old in self.runs:
            old.query_records.clear()
        self.runs.clear()
        self.captured.clear()
        self.report = None

    @work(thread=True, exclusive=True, group="run")
    def _run_worker(self, apps: list[Any], query: str | None) -> None:
        """Runs in a thread: the UI never blocks. A whole-suite selection is one run of the root."""
        from velotui.core.run import RunOptions, SuiteRun

        everything = [a for a in self.suite.apps if a.spec_path is not None]
        targets = [self.root_path] if len(apps) == len(everything) and len(apps) > 1 else [a.sql_path for a in apps]
        self.running = True
        try:
            kafka = self._kafka_for_runs()
            for target in targets:
                run = SuiteRun(target, RunOptions(query=query, seed=self.seed, now_ms=self.now_ms, kafka=kafka,
                                                  kafka_config=self.kafka_config),
                               on_event=lambda e: self.post_message(RunEvent(e)))
                self.current_run = run
                self.runs.append(run)  # explain looks back over the runs of this batch
                run.execute()
                if run.cancelled:
                    break
        except Exception as e:  # an unreachable Kafka, a crashing run: shown, the app stays usable
            from velotui.errors import VelotuiError

            title = type(e).__name__ if isinstance(e, VelotuiError) else "Run failed"
            self.call_from_thread(self.push_screen, ErrorModal(title, str(e)))
        finally:
            self.running = False

    def _kafka_for_runs(self) -> str:
        """The --kafka of each run. A broker the TUI starts (local, testcontainers) is started once, on the
        first run, and serves every run until the app closes: no start-up per keypress."""
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

    def close_cluster(self) -> None:
        """Stop the broker the TUI started, if any (called when the app exits)."""
        with self._cluster_lock:
            self._cluster_stack.close()
            self._cluster_bootstrap = None

    def on_run_event(self, message: RunEvent) -> None:
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
            for f in e.apps:
                tree.set_app_status(f, "running")
            self._status(f"running {len(e.apps)} app(s), seed {e.seed}…")
        elif isinstance(e, ev.AppLoaded):
            results.app_loaded(e.app, e.file, e.error)
            if e.error:
                tree.set_app_status(e.file, "error")
                self._bump_progress()
        elif isinstance(e, ev.RecordCaptured):
            self.captured.setdefault(e.topic, []).extend(e.messages)
            tail.add(e.topic, e.messages[-tail.limit:])
            gauge.count(len(e.messages))
        elif isinstance(e, ev.AssertionEvaluated):
            file = self._file_of(e.app)
            results.assertion(e.app, file, e.query, e.result)
        elif isinstance(e, ev.QueryFinished):
            results.query_finished(e.app, e.file, e.query, e.status, e.records_in, e.records_out, e.duration_ms,
                                   e.error)
            tree.set_query_status(e.file, e.query, e.status)
            self._bump_progress()
            self.query_topics[(e.app, e.query)] = e.topics
            self._app_files[e.app] = e.file
        elif isinstance(e, ev.RunFinished):
            self.report = e.report
            for app in e.report.apps:
                status = "error" if app.error else (
                    "failed" if any(q.status in ("failed", "error") for q in app.queries) else "passed")
                tree.set_app_status(app.file, status)
                results.app_finished(app.name, status)
            gauge.set_progress(self._progress_total, max(1, self._progress_total))
            s = e.report.summary
            self._status(f"done: {s.get('passed', 0)} passed, {s.get('failed', 0)} failed"
                         f"{', ' + str(s.get('errors', 0)) + ' errors' if s.get('errors') else ''}"
                         f" — seed {e.report.seed}")
        elif isinstance(e, ev.Progress) and e.step == "stress":
            gauge.set_progress(e.done, max(1, e.total))
        elif isinstance(e, ev.RecordsPublished) and e.source == "stress":
            gauge.count(e.count)
        elif isinstance(e, ev.Log) and e.level == "error":
            self.notify(e.message.splitlines()[0][:200], severity="error")

    def _bump_progress(self) -> None:
        self._progress_done += 1
        self.main(StressGauge).set_progress(self._progress_done, max(1, self._progress_total))

    def _file_of(self, app: str) -> str:
        return self._app_files.get(app, "")

    def on_tree_node_highlighted(self, event: AppsTree.NodeHighlighted) -> None:  # type: ignore[name-defined]
        if event.control.id == "apps":
            data = event.node.data
            app = data if isinstance(data, AppNode) else getattr(data, "app", None)
            if isinstance(app, AppNode):
                self.main(SourcePane).show_app(app.files)

    def on_tree_node_selected(self, event: Any) -> None:
        if event.control.id == "results":
            self.action_open_selection()

    def action_open_selection(self) -> None:
        focused = self.focused
        results = self.main(ResultsTree)
        if focused is results:
            leaf = results.selected_query()
            if leaf is not None:
                self.open_query(leaf.app, leaf.query)
            return
        if focused is self.main(TopicTail):
            topics = list(self.captured)
            if topics:
                self.open_topic(topics[-1])
            return
        if focused is self.main(AppsTree):
            tree = self.main(AppsTree)
            app, q = tree.selected_app(), tree.selected_query()
            if app and q and (self._name_of(app), q) in self.query_topics:
                self.open_query(self._name_of(app), q)

    def _name_of(self, app: AppNode) -> str:
        for name, file in self._app_files.items():
            if file == str(app.files.sql_path):
                return name
        return app.name

    def open_query(self, app: str, query: str) -> None:
        topics = self.query_topics.get((app, query), ())
        msgs: list[Message] = []
        for t in topics:
            msgs.extend(self.captured.get(t, []))
        self.push_screen(RecordsScreen(f"{app} / {query}", msgs))

    def open_topic(self, topic: str) -> None:
        self.push_screen(RecordsScreen(topic, self.captured.get(topic, [])))

    def action_filter(self) -> None:
        inp = self.main("#filter", Input)
        inp.remove_class("hidden")
        inp.value = self.main(TopicTail).filter_text
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.main(TopicTail).set_filter(event.value)
            event.input.add_class("hidden")
            self.main(TopicTail).focus()

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
        failed = [r for r in slo if r.status in ("failed", "error")]
        self._status(f"stress {result.app}: {result.throughput:,.0f} records/s, p99 {lat['p99']:.1f} ms, "
                     f"peak {result.memory_peak_bytes / 1e6:.0f} MB" + (f" — {len(failed)} SLO(s) failed" if failed
                                                                      else ""))

    def action_toggle_pause(self) -> None:
        tail = self.main(TopicTail)
        tail.set_paused(not tail.paused)
        self.main(StressGauge).paused = tail.paused

    def action_save_schema(self) -> None:
        self.notify(self.main(SchemaEditor).save())

    def action_export(self) -> None:
        if self.report is None:
            self.notify("nothing to export yet: run something first", severity="warning")
            return
        from velotui.report import to_json

        out = Path.cwd() / "velotui-report.json"
        out.write_bytes(to_json(self.report))
        self.notify(f"report exported to {out}")

    def action_help(self) -> None:
        """`?`: every key that works here — the app's and the focused pane's."""
        self.push_screen(HelpScreen(self._binding_rows(pane_only=False)))

    def action_help_pane(self) -> None:
        """F1: the keys of the focused pane alone (its own bindings, not the app's)."""
        rows = self._binding_rows(pane_only=True)
        name = type(self.focused).__name__ if self.focused is not None else "this pane"
        self.push_screen(HelpScreen(rows or [("—", "no keys of its own; ? lists every key", "")],
                                    title=f"Keys of {name}"))

    def _binding_rows(self, *, pane_only: bool) -> list[tuple[str, str, str]]:
        rows = []
        for ab in self.active_bindings.values():
            if pane_only and (ab.node is self or ab.node is self.screen):
                continue
            binding = ab.binding
            rows.append((binding.key_display or binding.key, binding.description or binding.action, binding.id or ""))
        return sorted(set(rows))

    def action_explain(self) -> None:
        results = self.main(ResultsTree)
        leaf = results.selected_failure() or (results.failures[0] if results.failures else None)
        if leaf is None:
            self.notify("no failing assertion to explain", severity="warning")
            return
        self._explain(leaf)

    @work(thread=True, exclusive=True, group="explain")
    def _explain(self, leaf: Any) -> None:
        run = next((r for r in reversed(self.runs) if (leaf.app, leaf.query) in r.query_records), None)
        markdown = explain_markdown(leaf, run, use_ai=self.use_ai)
        self.call_from_thread(self.push_screen, MarkdownModal(markdown))

    def action_edit(self) -> None:
        tree = self.main(AppsTree)
        app = tree.selected_app()
        source = self.main(SourcePane)
        path: Path | None = None
        if source.active == "tab-schema":
            path = self.main(SchemaEditor).path
        elif app is not None:
            path = app.files.sql_path
        if path is None:
            self.notify("select an app first", severity="warning")
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.notify("set $VISUAL or $EDITOR to edit files", severity="warning")
            return
        from textual.app import SuspendNotSupported

        try:
            with self.suspend():
                subprocess.call([*shlex.split(editor), str(path)])
        except SuspendNotSupported:  # no terminal to hand over (a web or test driver): run it alongside
            subprocess.call([*shlex.split(editor), str(path)])
        if app is not None:
            source.show_app(app.files)
        self._check_files()

    # -- file watching --------------------------------------------------------------------------
    def _watched(self) -> dict[Path, str]:
        out: dict[Path, str] = {}
        for files in self.suite.apps:
            out[files.sql_path] = str(files.sql_path)
            if files.spec_path:
                out[files.spec_path] = str(files.sql_path)
        return out

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
        changed: list[str] = []
        for p, app_file in self._watched().items():
            try:
                m = p.stat().st_mtime
            except OSError:
                continue
            if self._mtimes.get(p) not in (None, m):
                changed.append(app_file)
            self._mtimes[p] = m
        for app_file in dict.fromkeys(changed):
            tree.mark_stale(app_file)
            if self.watch_files:
                files = [f for f in tree.app_files() if str(f.sql_path) == app_file]
                self.run_apps(files, None)
            else:
                self.notify(f"{Path(app_file).name} changed — press r to re-run")


def explain_markdown(leaf: Any, run: Any, *, use_ai: bool = True) -> str:
    """The explanation of a failing assertion: velotui.ai (Anthropic, hook, or offline explainer)."""
    from velotui.ai import explain
    from velotui.core.explain import failure_context

    ctx = failure_context(run, leaf.app, leaf.query, leaf.result) if run is not None else None
    if ctx is None:
        r = leaf.result
        return (f"# {r.type} failed in {leaf.app} / {leaf.query}\n\n- expected `{r.expected}`, got `{r.actual}`"
                f"\n- {r.message}\n\n_(the run that produced this result is gone; re-run to explain it)_")
    result = explain(ctx, use_ai=use_ai)
    source = {"anthropic": "Anthropic", "command": "ai.command hook", "offline": "offline explainer"}[result.source]
    return result.markdown + f"\n\n---\n_explained by the {source}_"
