"""Run orchestration: the only place that knows the order of a run.

spec → generate → publish → engine → capture → assert → report. Every step emits an event
(velotui.core.events); the TUI and the headless CLI render the same stream.
"""

from __future__ import annotations

import fnmatch
import secrets
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from velotui.bus.serde import registry_conf
from velotui.core import events as ev
from velotui.core.discovery import AppFiles, discover
from velotui.core.engines import ArtifactFolders, EngineChoice
from velotui.core.inputs import InputBuilder, PreparedInput
from velotui.core.parallel import RunIdentity
from velotui.errors import DataError, InfraError, RunCancelled, RunTimeout, SpecError, SqlError, VelotuiError
from velotui.gcpause import paused
from velotui.records import Message


@dataclass
class RunOptions:
    """What a user can choose for a run (CLI flags and TUI actions map onto these)."""

    seed: int | None = None
    now_ms: int | None = None
    pattern: str | None = None  # -k: only apps/queries whose path or name matches
    fail_fast: bool = False
    records: int | None = None  # overrides every input's record count
    strict: bool = False
    query: str | None = None  # only this query
    spec_path: Path | None = None  # velo-test: --spec for a single SQL file
    schema_dirs: list[Path] = field(default_factory=list)  # velo-test: --schemas
    kafka: str = "embedded"
    kafka_config: Path | None = None
    brokers: int = 1  # --kafka local: the nodes of the cluster velotui starts
    keep_cluster: bool = False
    kafka_image: str | None = None  # testcontainers: the image (default apache/kafka)
    reuse_cluster: bool = False
    timeout_s: float | None = None  # overrides every query's timeout
    argv: list[str] | None = None  # the command line, for the reproduce line of the report
    allow_outside: list[Path] = field(default_factory=list)  # folders outside the suite that paths may name
    engine: str | None = None  # embedded | external | velostream; None: the spec's `engine:`, the config's, embedded
    deploy: str | None = None  # external: 'COMMAND {sql} {bootstrap} {topics} {run_id}'; exits when done
    jobs: int = 1  # apps run in this many worker processes (velotui.core.parallel); the report is the same
    shard: tuple[int, int] | None = None  # (K, N): run only shard K of N of the apps (velotui.core.sharding)
    timings: Path | None = None  # a timing file of an earlier run: shards balanced by its durations
    inputs: dict[str, Path] = field(default_factory=dict)  # --input SOURCE=FILE: this data instead of the spec's
    lineage: bool = True  # record which inputs made each output (explain); mutation runs do without
    compare: list[str] | None = None  # --compare A,B: every query on both engines, outputs diffed
    velostream_bin: str | None = None  # --velostream-bin (else the config's bin, else velo-sql on PATH)
    quiet_period_s: float | None = None  # --quiet-period: sinks unchanged this long = the engine is done
    close_windows: bool | None = None  # --close-windows on|off (D18; default on)
    artifacts: Path | None = None  # --artifacts DIR: keep every engine's staged folder and log here
    engine_settings: Any = None  # velotui.adapters.settings.EngineSettings (default: the config file's)
    dialect: str | None = None  # reference | extended (None: each statement's 'sql.dialect', else reference)
    update_golden: bool = False  # write each query's captured output to its golden file (velotui.golden)
    coverage: bool = False  # --coverage: count every query's coverage items (report.coverage), embedded engine
    # a query over a generated input bigger than one block runs block by block, holding one block at a time
    # (velotui.core.streamed); False (--whole-inputs): every input is made and held whole
    by_blocks: bool = True
    # RecordCaptured events (the records each query published and captured: the TUI's topic tail); a headless
    # run, which shows no records, makes none (nor does a -j worker send them to the command)
    record_events: bool = True


LINEAGE_MAX_INPUTS = 20_000  # the engine records which inputs made each output (for explain) up to this size


def _now_ms() -> int:
    return int(time.time() * 1000)


def declared_query_names(spec_path: Path) -> list[str] | None:
    """The query names a spec declares, read from its YAML alone (None: it cannot be read; loading says why)."""
    from velotui.spec.yaml_source import read_yaml

    try:
        data = read_yaml(spec_path, what="test spec").data
    except Exception:  # noqa: BLE001 - a broken spec is reported by loading, with its location
        return None
    queries = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(queries, list):
        return None
    return [str(q["name"]) for q in queries if isinstance(q, dict) and q.get("name") is not None]


def _check_query_named(query: str, apps: list[AppFiles], spec_override: Path | None) -> None:
    """``--query NAME`` that no spec of the run declares is an error before anything runs (exit 2), with
    the nearest query name: a typo must never run nothing and pass. A spec that cannot be read is left to
    loading (it is reported as that app's error)."""
    import difflib

    names: list[str] = []
    for app in apps:
        spec = spec_override or app.spec_path
        declared = declared_query_names(spec) if spec is not None else None
        if declared is None:
            return
        if query in declared:
            return
        names += [n for n in declared if n not in names]
    close = difflib.get_close_matches(query, names, n=1, cutoff=0.5)
    raise SpecError(f"--query {query!r}: no query of the selected apps is named {query!r}",
                    hint=(f"did you mean {close[0]!r}? " if close else "")
                    + "queries: " + (", ".join(sorted(names)[:20]) or "(none)"))


def app_key(app: Any) -> str:
    """An app's identity in a run: its SQL file, as the reports give it (``AppReport.file``). Two specs of one
    suite may give two apps one name (``application:``), never one file; everything a run keeps per app
    (``SuiteRun.query_records``, --shrink's results, the TUI's rows) is keyed by this. ``app``: a LoadedApp,
    an AppFiles (``sql_path``) or an AppReport (``file``)."""
    path = getattr(app, "sql_path", None)
    return str(path) if path is not None else str(app.file)


def _matches(pattern: str | None, *names: str) -> bool:
    if not pattern:
        return True
    pat = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    return any(fnmatch.fnmatch(n, pat) for n in names)


class SuiteRun:
    """One run of a folder (or one SQL file): call ``execute()`` once; events go to ``on_event``."""

    def __init__(self, path: str | Path, options: RunOptions | None = None,
                 on_event: Callable[[ev.Event], None] | None = None, identity: RunIdentity | None = None) -> None:
        self.path = Path(path)
        self.options = options or RunOptions()
        self._emit = on_event or (lambda e: None)
        if identity is None:  # a new run; a worker of a parallel run gets its parent's
            identity = RunIdentity(
                run_id=secrets.token_hex(4),
                seed=self.options.seed if self.options.seed is not None else secrets.randbelow(2**31),
                now_ms=self.options.now_ms if self.options.now_ms is not None else _now_ms(),
                wall_start_ms=_now_ms())
        self.identity = identity
        self.run_id = identity.run_id
        self.seed = identity.seed
        self.now_ms = identity.now_ms
        self.wall_start_ms = identity.wall_start_ms
        self._cancelled = False
        self.cancel_event: Any = None  # a parallel run's shared cancel (multiprocessing.Event)
        self.infra_down: str | None = None  # set when the cluster stops answering: later queries don't run
        self._cluster: Any = None
        self._app_index = 0
        self._cluster_stack: Any = None  # where a broker started for an engine that needs Kafka is kept
        self._bus_seq = 0
        self.engines = EngineChoice(self.options)
        self.artifacts = ArtifactFolders(self.run_id, self.engines.settings.velostream.artifacts)
        self.inputs_used: set[str] = set()  # --input sources some query read
        # what explain, --shrink, golden approval and mutation testing need, per (app's SQL file, query): an
        # app is its file (``app_key``), never its name, which two specs of one suite may share
        self.query_records: dict[tuple[str, str], QueryRecord] = {}
        self.report: Any = None  # the RunReport, once execute() has made it (its labels name the apps)
        self.watchdog: Any = None  # velotui.watchdog.Watchdog of the query running now

    @property
    def cancelled(self) -> bool:
        if not self._cancelled and self.cancel_event is not None and self.cancel_event.is_set():
            self._cancelled = True
        return self._cancelled

    @cancelled.setter
    def cancelled(self, value: bool) -> None:
        self._cancelled = value

    # -- public ---------------------------------------------------------------------------------
    def execute(self) -> Any:
        from velotui.report import AppReport, RunReport

        started = time.perf_counter()
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        if self.options.jobs > 1 and self.path.is_dir():  # one SQL file is one app: no workers
            from velotui.core.parallel import prepare

            prepare(kafka=(self.options.kafka or "embedded") != "embedded")  # workers get ready meanwhile
        suite = discover(self.path)
        apps = [a for a in suite.apps if a.spec_path is not None or self.options.spec_path is not None]
        left_out: list[Any] = []  # files of the folder that do not run: in every report (shard 1 of N says them)
        if self.options.spec_path is None and (self.options.shard or (1, 1))[0] == 1:
            from velotui.core.discovery import suite_warnings

            left_out = suite_warnings(suite, lambda path, stem: _matches(self.options.pattern, path, stem),
                                      orphans=self.path.is_dir())
            for w in left_out:
                self._emit(ev.Log("warning", str(w)))
        if self.options.shard is not None:
            from velotui.core.sharding import load_timings, shard_apps

            k, n = self.options.shard
            timings = load_timings(self.options.timings) if self.options.timings else None
            apps = shard_apps(apps, suite.root, k, n, timings)
        if self.options.query is not None:  # a --query that names no query at all runs nothing: said now
            _check_query_named(self.options.query, [a for a in suite.apps if a.spec_path is not None
                                                    or self.options.spec_path is not None],
                               self.options.spec_path)
        # with -k, an app whose path does not match may still have a query that does: decided once loaded
        reports: list[AppReport] = []
        with self._cluster_scope():  # the run starts once its Kafka (if any) is ready
            self._emit(ev.RunStarted(self.run_id, self.seed, self.now_ms, tuple(str(a.sql_path) for a in apps)))
            # --input is checked against what every query read: those stay in one process
            if self.options.jobs > 1 and len(apps) > 1 and not self.options.inputs:
                from velotui.core.parallel import run_in_workers

                reports = run_in_workers(self, apps, suite.root, self.options.jobs)
            else:
                for index, app_files in enumerate(apps):
                    if self.cancelled:
                        break
                    report = self._run_app(app_files, suite.root, index)
                    if report is None:  # -k matched none of its queries
                        continue
                    reports.append(report)
                    if self.options.fail_fast and self._stops_run(report):
                        break
        unused = sorted(set(self.options.inputs) - self.inputs_used)
        if unused and not self.cancelled and reports:
            sources = sorted({s.name for r in self.query_records.values() for s in r.loaded.app.external_sources})
            raise SpecError(f"--input {unused[0]}=…: no query of this run reads a source named {unused[0]!r}",
                            hint="sources read: " + (", ".join(sources) or "(none)"))
        run_report = RunReport(
            run_id=self.run_id,
            seed=self.seed,
            started_at=started_at,
            now_ms=self.now_ms,
            duration_ms=(time.perf_counter() - started) * 1000,
            reproduce=self.reproduce_command(),
            apps=reports,
            strict=self.options.strict,
            warnings=left_out,
        )
        if self.options.fail_fast and reports and not self.cancelled and self._stops_run(reports[-1]):
            # the apps after the one that stopped the run were not run (nor, with -j, reported): said
            stopped = reports[-1].file
            at = next((i for i, a in enumerate(apps) if str(a.sql_path) == stopped), None)
            if at is not None and at + 1 < len(apps):
                run_report.stopped_by = stopped
                run_report.not_run = [str(a.sql_path) for a in apps[at + 1:]]
        self.report = run_report
        self._emit(ev.RunFinished(run_report, run_report.exit_code))
        return run_report

    @staticmethod
    def _stops_run(report: Any) -> bool:
        """With --fail-fast, the run stops after this app."""
        return bool(report.error) or any(q.status in ("failed", "error") for q in report.queries)

    def record(self, app: str, query: str) -> QueryRecord | None:
        """What ``query`` of the app whose SQL file is ``app`` (``app_key``: AppReport.file) saw and produced."""
        return self.query_records.get((app, query))

    def records_of(self, app: str) -> dict[str, QueryRecord]:
        """query name -> record, of the app whose SQL file is ``app`` (``app_key``)."""
        return {q: rec for (a, q), rec in self.query_records.items() if a == app}

    def app_label(self, app: str, name: str) -> str:
        """How the reports call the app whose SQL file is ``app``: its ``name``, qualified by its file when
        another app of the run has that name (velotui.report.model.app_labels)."""
        report = self.report
        if report is not None:
            for a, label in zip(report.apps, report.app_labels, strict=True):
                if a.file == app:
                    return label
        return name

    def cancel(self) -> None:
        """Stop the run (Ctrl-C, the TUI's stop): the running query stops within a second, whatever it is
        doing, and the run reports what it has."""
        self.cancelled = True
        dog = self.watchdog
        if dog is not None:
            dog.cancel()

    def note_infra_failure(self) -> None:
        """After an infrastructure error: if the cluster no longer answers, the queries still to come
        are reported as not run instead of each waiting out its timeouts."""
        if self._cluster is None or self.infra_down:
            return
        from velotui.infra import check_reachable

        try:
            check_reachable(self._cluster, timeout_s=3)
        except InfraError as e:
            self.infra_down = e.message

    def reproduce_command(self) -> str:
        argv = list(self.options.argv or ["velotui", "--headless", str(self.path)])
        cleaned: list[str] = []
        skip = False
        for a in argv:
            if skip:
                skip = False
                continue
            if a in ("--seed", "--now", "-j", "--jobs"):  # -j changes nothing in the results
                skip = True
                continue
            if a.startswith(("--seed=", "--now=", "--jobs=")) or (a.startswith("-j") and a[2:].isdigit()):
                continue
            cleaned.append(a)
        return " ".join([*cleaned, "--seed", str(self.seed), "--now", str(self.now_ms)])

    # -- steps ----------------------------------------------------------------------------------
    @contextmanager
    def _cluster_scope(self) -> Iterator[None]:
        from contextlib import ExitStack

        with ExitStack() as stack:
            self._cluster_stack = stack
            try:
                self.engines.check()
                mode = self.options.kafka or "embedded"
                if mode != "embedded" or self.engines.needs_kafka():
                    self._open_cluster(mode)
                yield
            finally:
                self._cluster = None
                self._cluster_stack = None
        self.artifacts.clean()

    def _open_cluster(self, mode: str) -> None:
        from velotui.infra import open_cluster

        if mode == "embedded":  # an engine needs real Kafka: a local broker, started for this run
            mode = "local"
            self._emit(ev.Log("info", "starting a local Kafka broker for the engine under test "
                              "(--kafka HOST:PORT uses yours)"))
        from velotui.infra.cluster import BrokerMonitor

        try:
            self._cluster = self._cluster_stack.enter_context(open_cluster(
                mode, config_file=self.options.kafka_config, keep=self.options.keep_cluster,
                reuse=self.options.reuse_cluster, image=self.options.kafka_image, brokers=self.options.brokers))
        except InfraError:
            if self.cancelled:  # Ctrl-C reached the broker's start script too: an interruption, not a failure
                raise RunCancelled(f"interrupted (Ctrl-C) while the Kafka cluster (--kafka {mode}) was starting; "
                                   "it is stopped") from None
            raise
        self._cluster_stack.enter_context(BrokerMonitor(self._cluster, self._cluster_down))

    def _cluster_down(self, message: str) -> None:
        """From the broker monitor: the query in flight stops now; the ones to come are not run."""
        self.infra_down = message
        dog = self.watchdog
        if dog is not None:
            dog.cancel("infra", message)

    def ensure_cluster(self) -> Any:
        """The run's Kafka cluster, started now (a local broker) when an app's spec asks for an engine that
        needs Kafka and the run had none."""
        if self._cluster is None:
            self._open_cluster(self.options.kafka or "embedded")
        return self._cluster

    # -- engines --------------------------------------------------------------------------------
    def engines_for(self, spec: Any) -> list[str]:
        """The engine(s) a query of ``spec`` runs on (velotui.core.engines)."""
        return self.engines.for_spec(spec)

    def adapter(self, name: str) -> Any:
        return self.engines.adapter(name)

    def _new_bus(self, topic_naming: Any = None, *, kafka: bool = True) -> Any:
        if self._cluster is None or not kafka:
            from velotui.bus import MemoryBus

            return MemoryBus()
        from velotui.bus.kafka import KafkaBus

        # every query gets its own topics: a deleted topic may linger a moment on a real broker, and two
        # apps reading the same source must never see each other's records; the app's place in the run
        # is in the name, so apps that run at the same time in worker processes (-j) never share one
        self._bus_seq += 1
        return KafkaBus(self._cluster, run_id=f"{self.run_id}a{self._app_index}q{self._bus_seq}",
                        topic_naming=topic_naming)

    def _topic_name(self, bus: Any, base: str) -> str:
        namer = getattr(bus, "topic_name", None)
        return namer(base) if namer else base

    def _set_format(self, bus: Any, topic: str, config: dict[str, Any], base_dir: Path) -> None:
        """On Kafka, records are (de)serialized per the source/sink config's ``value.format``."""
        if hasattr(bus, "set_serde") and config:
            from velotui.bus.serde import key_serde_for, serde_for
            from velotui.spec.config import config_get

            rf = config_get(config, "topic.replication_factor")
            if rf is not None and hasattr(bus, "replication") and str(rf).lstrip("-").isdigit():
                bus.replication[topic] = int(rf)

            key_serde = key_serde_for(config, base_dir) if config_get(config, "key.format") else None
            bus.set_serde(topic, serde_for(config, base_dir), key_serde)

    def _run_app(self, app_files: AppFiles, root: Path, index: int = 0) -> Any:
        """Load and run one app (``index``: its place in the run, which names its topics)."""
        self._app_index, self._bus_seq = index, 0
        started = time.perf_counter()
        try:
            report = self._load_and_run_app(app_files, root)
        except InfraError:  # the cluster: the run's verdict (exit 3), said in every report
            raise
        except Exception as e:  # a bug of ours, or an error outside every query: this app's error, the rest run
            from velotui.report import AppReport

            msg = str(e) if isinstance(e, VelotuiError) else f"internal error while running: {e!r}"
            self._emit(ev.Log("error", f"{app_files.sql_path}: {msg}", app=app_files.sql_path.stem,
                              extra={"traceback": traceback.format_exc()}))
            report = AppReport(name=app_files.sql_path.stem, file=str(app_files.sql_path), error=msg, queries=[])
        if report is not None:
            report.duration_ms = (time.perf_counter() - started) * 1000  # what shards are balanced by
        return report

    def _load_and_run_app(self, app_files: AppFiles, root: Path) -> Any:
        from velotui.core.loading import load_app_under_test
        from velotui.report import AppReport

        try:
            loaded = load_app_under_test(app_files, strict=self.options.strict,
                                         spec_override=self.options.spec_path,
                                         extra_schema_dirs=self.options.schema_dirs, root=root,
                                         allow_outside=self.options.allow_outside, dialect=self.options.dialect)
        except VelotuiError as e:
            if self.options.pattern and not _matches(self.options.pattern, str(app_files.sql_path),
                                                     app_files.sql_path.stem):
                return None  # -k selects other apps: a broken one beside them does not stop their run
            self._emit(ev.AppLoaded(app_files.sql_path.stem, str(app_files.sql_path), (), error=str(e)))
            return AppReport(name=app_files.sql_path.stem, file=str(app_files.sql_path), error=str(e),
                             queries=[])
        except Exception as e:  # a bug of ours must not stop the other apps
            msg = f"internal error while loading: {e!r}"
            self._emit(ev.Log("error", msg, app=app_files.sql_path.stem, extra={"traceback": traceback.format_exc()}))
            return AppReport(name=app_files.sql_path.stem, file=str(app_files.sql_path), error=msg, queries=[])
        for w in loaded.warnings:
            self._emit(ev.Log("warning", str(w), app=loaded.name))
        names = tuple(q.name for q in loaded.spec.queries)
        self._emit(ev.AppLoaded(loaded.name, str(app_files.sql_path), names,
                                warnings=tuple(str(w) for w in loaded.app_warnings())))
        from velotui import files

        for given in self.options.inputs.values():  # --input SOURCE=FILE: the user's own choice of file
            if loaded.folders is not None:
                loaded.folders = loaded.folders.with_folder(Path(given))
        with files.confined_to(loaded.folders):  # every file the run opens stays inside the suite
            return _AppRunner(self, loaded).execute()

    def run_loaded(self, loaded: Any, *, fixed_inputs: dict[str, dict[str, PreparedInput]] | None = None,
                   previous_outputs: dict[str, list[Message]] | None = None,
                   queries: list[str] | None = None) -> Any:
        """Run one already-loaded app (no discovery, no cluster: the embedded engine over memory topics) and
        return its AppReport; ``run.query_records`` holds what each query saw and produced.

        Mutation testing and shrinking run an app many times through here, the order of a run unchanged:
        ``fixed_inputs`` (query → source → input) replaces inputs that would be generated or read, so every
        run sees the same data (or the subset being tried); ``previous_outputs`` (query → messages) stands
        in for earlier queries that ``from_previous`` inputs name; ``queries`` runs only those."""
        from velotui import files

        with files.confined_to(loaded.folders):  # every file the run opens stays inside the suite
            return _AppRunner(self, loaded, fixed_inputs=fixed_inputs, previous_outputs=previous_outputs,
                              only=queries).execute()


@dataclass
class QueryRecord:
    """What a finished query leaves for the explain service: its app, inputs, outputs and results."""

    loaded: Any  # velotui.core.loading.LoadedApp
    query: Any  # the spec's QueryTest
    statement: Any  # velotui.sql.model.Statement
    inputs: dict[str, list[dict]]
    input_times: dict[str, list[int]]
    outputs: list[Message]
    lineage: list[list[int]] | None
    results: list[Any]
    dead_letters: list[Any] = field(default_factory=list)
    seed: int = 0  # the seed and frozen "now" the app's inputs were generated with (golden files record them)
    now_ms: int = 0
    prepared: list[PreparedInput] = field(default_factory=list)  # the inputs as built, before fault injection
    by_blocks: bool = False  # run block by block: ``inputs`` and ``outputs`` were not held (velotui.core.streamed)


class _AppRunner:
    """Runs the queries of one loaded app, in dependency order."""

    def __init__(self, run: SuiteRun, loaded: Any, *, fixed_inputs: dict[str, dict[str, PreparedInput]] | None = None,
                 previous_outputs: dict[str, list[Message]] | None = None, only: list[str] | None = None) -> None:
        self.run = run
        self.loaded = loaded
        self.spec = loaded.spec
        # CLI --seed wins, then the spec's own seed, then the run's. An app with golden files is a recorded
        # test case: its inputs come from the seed and "now" the files were recorded with (so a reproduce line
        # or another --seed replays the same case); --update-golden records anew (CLI, spec, recorded, run).
        from velotui.core import golden

        pins = golden.app_pins(loaded, [q.name for q in self.spec.queries])
        seed = run.options.seed if run.options.seed is not None else (
            self.spec.seed if self.spec.seed is not None else run.seed)
        now_ms = run.options.now_ms if run.options.now_ms is not None else run.now_ms
        if run.options.update_golden:
            if run.options.seed is None and self.spec.seed is None and pins.seed is not None:
                seed = pins.seed
            if run.options.now_ms is None and pins.now_ms is not None:
                now_ms = pins.now_ms
        elif pins.seed is not None and pins.now_ms is not None:
            seed, now_ms = pins.seed, pins.now_ms
        self.seed, self.now_ms = seed, now_ms
        self.fixed_inputs = fixed_inputs or {}
        self.only = only
        self.outputs: dict[str, list[Message]] = dict(previous_outputs or {})
        # the values of those outputs (``outputs.<query>`` of templates), made once per query
        self.output_values: dict[str, list[dict]] = {k: [m.value for m in v if m.value is not None]
                                                     for k, v in self.outputs.items()}
        self.inputs_seen: dict[str, list[dict]] = {}
        self.sink_topics: dict[str, list[str]] = {}

    def execute(self) -> Any:
        from velotui.report import AppReport

        reports = []
        opts = self.run.options
        app_matches = _matches(opts.pattern, str(self.loaded.sql_path), self.loaded.sql_path.stem, self.loaded.name)
        for query in _dependency_order(self.spec.queries):
            if self.run.cancelled:
                break
            if opts.query and query.name != opts.query:
                continue
            if self.only is not None and query.name not in self.only:
                continue
            if opts.pattern and not app_matches and not _matches(opts.pattern, query.name):
                continue
            qr = self._judge(query, self._run_query_safely(query))
            reports.append(qr)
            self.run._emit(ev.QueryFinished(self.loaded.name, query.name, qr.status, qr.records_in,
                                            qr.records_out, qr.duration_ms, file=str(self.loaded.sql_path),
                                            topics=tuple(self.sink_topics.get(query.name, ())),
                                            error=qr.error, warnings=tuple(str(w) for w in qr.warnings),
                                            flags=tuple(str(f) for f in qr.flags)))
            other = qr.comparison.other if qr.comparison is not None else None
            if other is not None:  # --compare: the second engine's run of the query, under its own label
                self.run._emit(ev.QueryFinished(self.loaded.name, engine_label(query.name, other.engine),
                                                other.status, other.records_in, other.records_out,
                                                other.duration_ms, file=str(self.loaded.sql_path),
                                                error=other.error, warnings=tuple(str(w) for w in other.warnings),
                                                flags=tuple(str(f) for f in other.flags)))
            if opts.fail_fast and qr.status in ("failed", "error"):
                break
        if opts.pattern and not app_matches and not reports:
            return None
        if opts.query and not any(q.name == opts.query for q in self.spec.queries):
            return None  # --query names a query of another app: this one ran nothing and is not reported
        return AppReport(name=self.loaded.name, file=str(self.loaded.sql_path), error=None, queries=reports,
                         warnings=self.loaded.app_warnings())

    def _judge(self, query: Any, qr: Any) -> Any:
        """Attach the query's warnings and divergence flags; under --strict a warning or a flag the spec
        did not accept fails the query (a skipped query stays skipped, an error stays an error)."""
        qr.warnings = [*self.loaded.query_warnings(query.name), *qr.warnings]
        try:
            qr.flags = self.loaded.query_flags(query)
        except VelotuiError:  # the query names no statement: already the query's error
            qr.flags = []
        other = qr.comparison.other if qr.comparison is not None else None
        runs = [r for r in (qr, other) if r is not None]
        if qr.status != "skipped" and any(r.engine != "embedded" for r in runs):  # D18 matters on the real engine
            qr.flags = [*qr.flags, *self._bounded_input_flags(query, runs)]
        if other is not None:
            other.flags = list(qr.flags)
        if self.run.options.strict and qr.status == "passed":
            qr.strict_failures = [f"warning: {w}" for w in qr.warning_texts] + [f"divergence: {f}"
                                                                                for f in qr.open_flags]
            if qr.strict_failures:
                qr.status = "failed"
        return qr

    def _bounded_input_flags(self, query: Any, runs: list[Any]) -> list[Any]:
        """D18 on the real engine: open windows at the end of a bounded input are never emitted."""
        from velotui.adapters.velostream.closing import NOTE_PREFIX
        from velotui.compare.flags import bounded_input_flags

        try:
            statement = self.loaded.statement_for(query.name).name
        except VelotuiError:
            return []
        closed = any(n.startswith(NOTE_PREFIX) for r in runs for n in r.notes)
        return bounded_input_flags(self.loaded.app, statement, closed=closed)

    def _run_query_safely(self, query: Any) -> Any:
        from velotui.report import QueryReport

        line = getattr(query, "line", None)
        file = str(self.loaded.spec_path)
        if query.skip:
            return QueryReport(name=query.name, status="skipped", records_in=0, records_out=0, duration_ms=0.0,
                               assertions=[], error=None, file=file, line=line)
        if self.run.infra_down:  # the cluster died under an earlier query: say so at once, never wait
            return QueryReport(name=query.name, status="error", records_in=0, records_out=0, duration_ms=0.0,
                               assertions=[], error=f"not run: {self.run.infra_down}", file=file, line=line,
                               infra_error=True)
        from velotui.watchdog import Stopped, Watchdog

        dog = Watchdog(self._timeout_s(query), what=f"query {query.name!r}")
        self.run.watchdog = dog
        if self.run.cancelled:
            dog.cancel()
        elif self.run.infra_down:
            dog.cancel("infra", self.run.infra_down)
        try:
            try:
                # a big input is millions of acyclic objects: the cyclic collector pauses for the query
                # (velotui.gcpause), from generating its inputs to checking its outputs
                with dog, paused():
                    return self._run_query(query, dog)
            except Stopped as stopped:  # the watchdog stopped the query in the middle of whatever it did
                _disarm(dog)
                earlier = _engine_error_under(stopped)
                if earlier is not None:  # the engine had already said why, more precisely: its words stand
                    raise earlier from None
                if dog.reason() == "cancelled":
                    raise RunCancelled(_interrupted(query.name, dog.phase, "")) from None
                if dog.reason() == "infra":
                    raise InfraError(f"{query.name}: {dog.cancel_message} (while {dog.phase})",
                                     hint="is the broker still running? restart it and run again") from None
                raise RunTimeout(f"{query.name}: timed out after {dog.timeout_s:g} s while {dog.phase}",
                                 file=file, line=line,
                                 hint="raise timeout_ms in the spec, or --timeout; or make the query cheaper") from None
            finally:
                self.run.watchdog = None
        except VelotuiError as e:
            status = "error"
            if type(e).__name__ == "RunCancelled":
                self.run.cancelled = True
                e = RunCancelled(_interrupted(query.name, dog.phase, str(e)))
            infra = isinstance(e, InfraError)
            if infra:
                self.run.note_infra_failure()
            return QueryReport(name=query.name, status=status, records_in=0, records_out=0, duration_ms=0.0,
                               assertions=[], error=str(e), file=file, line=line,
                               timed_out=isinstance(e, RunTimeout), infra_error=infra,
                               invalid_input=isinstance(e, (SpecError, DataError, SqlError)),
                               engine=self._engine_name())
        except Exception as e:  # engine crash: reported, never stops the other queries or apps
            self.run._emit(ev.Log("error", f"{self.loaded.name} / {query.name}: engine crashed: {e!r}",
                                  app=self.loaded.name, extra={"traceback": traceback.format_exc()}))
            return QueryReport(name=query.name, status="error", records_in=0, records_out=0, duration_ms=0.0,
                               assertions=[], error=f"engine crashed: {e!r}", file=file, line=line,
                               engine=self._engine_name())

    def _engine_name(self) -> str:
        try:
            return self.run.engines_for(self.spec)[0]
        except Exception:  # noqa: BLE001 - only a label
            return "embedded"

    def _open_stream(self, adapter: Any, job: Any, deferred: list[PreparedInput]) -> Any:
        """The engine's block-by-block run of the statement over the one deferred input, or None: the engine
        cannot (velotui.engine.StatementStream says why), or the deferred input is not its stream."""
        opener = getattr(adapter, "open_stream", None)
        if opener is None or len(deferred) != 1:
            return None
        stream = opener(job)
        if stream is None or stream.source != deferred[0].source:
            return None
        return stream

    def _timeout_s(self, query: Any) -> float | None:
        """The query's timeout: --timeout, else its timeout_ms, else the spec's default. It bounds the
        whole query — generating and publishing its inputs, running, capturing and checking — once per
        engine it runs on (--compare runs it twice)."""
        timeout_s = self.run.options.timeout_s
        if timeout_s is None:
            timeout_ms = query.timeout_ms or self.spec.default_timeout_ms
            timeout_s = timeout_ms / 1000 if timeout_ms else None
        if timeout_s is None:
            return None
        try:
            engines = max(1, len(self.run.engines_for(self.spec)))
        except Exception:  # noqa: BLE001 - an engine choice error is reported by the query itself
            engines = 1
        return timeout_s * engines

    def _run_query(self, query: Any, dog: Any) -> Any:
        from velotui.core.inputs import app_for_query

        loaded, run = self.loaded, self.run
        dog.phase = "generating inputs"
        app = app_for_query(loaded.app, query)  # statements fed by an input read it instead of running upstream
        statement = app.statement(loaded.statement_for(query.name).name)
        engines = run.engines_for(self.spec)
        builder = InputBuilder(loaded, seed=self.seed, now_ms=self.now_ms, records_override=run.options.records,
                               previous_outputs=self.outputs, app=app, fixed=self.fixed_inputs.get(query.name),
                               files=run.options.inputs)
        from velotui.core.streamed import why_whole

        # a big generated input is made block by block as the run asks for it, when the query allows
        by_blocks = why_whole(run, loaded, query, statement, engines) is None
        try:
            prepared: list[PreparedInput] = builder.prepare(query, statement, defer=by_blocks)
            if not by_blocks:
                for p in prepared:
                    p.materialize()  # an input reused from an earlier run that was made block by block
        finally:  # a --input file this query read counts as read even when a line of it is refused
            run.inputs_used.update(builder.files_used)
        # what the spec asked for, before faults are injected (which may touch the messages themselves)
        as_built = [p.fresh() for p in prepared] if self.spec.fault_injection else list(prepared)
        _inject_faults(prepared, self.spec.fault_injection, self.seed)
        source_schemas = _source_schemas(prepared)  # the engine dead-letters records that do not fit
        second_inputs = _copy_inputs(prepared) if len(engines) > 1 else []  # the same inputs for both engines
        first = self._run_on(engines[0], query, app, statement, prepared, source_schemas, primary=True,
                             compare=len(engines) > 1, dog=dog)
        record = run.record(app_key(loaded), query.name)
        if record is not None and record.query is query:
            record.prepared = as_built
        if len(engines) == 1:
            return first.report
        try:
            second = self._run_on(engines[1], query, app, statement, second_inputs, source_schemas, primary=False,
                                  compare=True, dog=dog)
        except (InfraError, RunCancelled):
            raise
        except VelotuiError as e:  # the first engine's results stand; the second's failure is reported beside
            from velotui.report import QueryReport

            failed = QueryReport(name=query.name, status="error", records_in=0, records_out=0, duration_ms=0.0,
                                 error=str(e), file=str(loaded.spec_path), line=getattr(query, "line", None),
                                 timed_out=isinstance(e, RunTimeout), engine=engines[1])
            return _with_comparison(first, _Outcome(report=failed, captured=[]), app, statement,
                                    (engines[0], engines[1]))
        return _with_comparison(first, second, app, statement, (engines[0], engines[1]))

    def _run_on(self, engine: str, query: Any, app: Any, statement: Any, prepared: list[PreparedInput],
                source_schemas: dict[str, dict[str, tuple[str, bool]]], *, primary: bool, compare: bool,
                dog: Any = None) -> _Outcome:
        """Publish the prepared inputs, run ``engine``, capture, assert: one engine's run of the query.
        Only the primary engine's run feeds later queries (from_previous) and the explain service."""
        from velotui.adapters import EngineJob
        from velotui.assertions import AssertionContext, evaluate, expects_no_records
        from velotui.core.metrics import app_metrics
        from velotui.report import QueryReport

        loaded, run = self.loaded, self.run
        adapter = run.adapter(engine)
        if adapter.needs_kafka:
            run.ensure_cluster()
        label = query.name if primary else engine_label(query.name, engine)
        query_warnings: list[Any] = []
        # --compare: the embedded side runs in memory (the same results as on Kafka, docs/KAFKA.md)
        bus = run._new_bus(getattr(self.spec, "topic_naming", None),
                           kafka=adapter.needs_kafka or not (compare and engine == "embedded"))
        app_name = loaded.name
        tmp = tempfile.TemporaryDirectory(prefix="velotui_")
        work_dir = run.artifacts.new(app_name, query.name, engine) if adapter.needs_kafka and engine != "external" \
            else None
        from velotui import files
        from velotui.watchdog import Watchdog

        dog = dog if dog is not None else Watchdog(None)  # (a caller without one: phases only)
        folders = loaded.folders.with_folder(Path(tmp.name)) if loaded.folders else None
        if folders is not None and work_dir is not None:
            folders = folders.with_folder(Path(work_dir))
        confined = files.confined_to(folders)
        confined.__enter__()
        try:
            dog.phase = "publishing inputs"
            topic_names: dict[str, str] = {}
            published: dict[str, list[Message]] = {}
            records_in = 0

            def publish(p: PreparedInput, real: str) -> None:
                run._emit(ev.Progress(app_name, "publish", 0, len(p.messages)))
                n = bus.publish(real, p.messages)
                run._emit(ev.RecordsPublished(app_name, p.source, real, n))
                if p.messages and run.options.record_events:
                    run._emit(ev.RecordCaptured(app_name, real, tuple(p.messages)))
                published[p.source] = p.messages

            for p in prepared:
                if p.topic is not None:
                    real = run._topic_name(bus, p.topic)
                    topic_names[p.topic] = real
                    src_ref = next((s for s in app.external_sources if s.name == p.source), None)
                    if src_ref is not None:  # formats and topic settings first: the topic is created with them
                        config = dict(src_ref.config)
                        if p.value_format:  # the spec's `format:` on the input says how its topic is written
                            config["value.format"] = p.value_format
                        run._set_format(bus, real, config, loaded.sql_path.parent)
                    bus.create_topic(real, p.partitions)
                    run._emit(ev.TopicCreated(app_name, real, "source"))
                    if p.deferred is None:  # a deferred input is published block by block, or once made
                        publish(p, real)
                self.inputs_seen[p.source] = p.records
                records_in += p.count
            sink_topics: dict[str, str] = {}
            file_paths: dict[str, str] = {}
            for st in app.statements:
                for sink in st.sinks:
                    if sink.kind == "kafka" and sink.topic:
                        real = run._topic_name(bus, sink.topic)
                        topic_names[sink.topic] = real
                        if st.name == statement.name:
                            sink_topics[sink.name] = real
                        run._set_format(bus, real, sink.config, loaded.sql_path.parent)
                        bus.create_topic(real, 1)
                        if st.name == statement.name and query.capture_format != "json":
                            fmt = query.capture_format  # the spec says how to decode what it captures
                            capture = {"value.format": fmt, f"{fmt}.schema.file": query.capture_schema or ""}
                            for k, v in (registry_conf(sink.config or {}) or {}).items():
                                capture[f"schema.registry.{k}"] = v  # the sink's registry still applies
                            run._set_format(bus, real, capture, loaded.spec_path.parent)
                    elif sink.kind == "file" and sink.path:
                        file_paths[sink.path] = str(Path(tmp.name) / Path(sink.path).name)
            for src in app.external_sources:  # --input for a file source: the engine reads that file
                if src.kind == "file" and src.path and src.name in run.options.inputs:
                    file_paths[src.path] = str(Path(run.options.inputs[src.name]).resolve())
            for st in app.statements:  # sources read from topics of other statements' sinks
                for src in st.sources:
                    if src.kind == "kafka" and src.topic and src.topic not in topic_names:
                        real = run._topic_name(bus, src.topic)
                        topic_names[src.topic] = real
                        bus.create_topic(real, 1)
            timeout_s = run.options.timeout_s
            if timeout_s is None:
                timeout_ms = query.timeout_ms or self.spec.default_timeout_ms
                timeout_s = timeout_ms / 1000 if timeout_ms else None
            dog.phase = "running the app" if engine == "embedded" else f"running the app on {engine}"
            proc = psutil.Process()
            rss_before = proc.memory_info().rss
            t0 = time.perf_counter()
            from velotui.core.coverage import wanted

            cov_spec = wanted(self.spec, query)
            cov_required = bool(cov_spec is not None and cov_spec.required)
            # coverage is counted by the embedded engine; under --compare only there
            measure = (run.options.coverage or cov_required) and (engine == "embedded" or not compare)
            job = EngineJob(
                app=app, sql_path=loaded.sql_path, statement=statement.name, bus=bus, cluster=run._cluster,
                topic_names=topic_names, file_paths=file_paths, published=published,
                properties=dict(self.spec.config or {}), now_ms=self.now_ms, timeout_s=timeout_s,
                run_id=getattr(bus, "run_id", run.run_id), app_name=app_name, query_name=query.name,
                work_dir=work_dir, wants_metrics=_checks_metrics(query), should_stop=lambda: run.cancelled,
                log=lambda level, message, extra=None: run._emit(ev.Log(level, message, app=app_name,
                                                                        extra=dict(extra or {}))),
                source_schemas=source_schemas,
                schema_checked={p.source for p in prepared if p.fits_schema and getattr(bus, "keeps_values", False)},
                lineage=run.options.lineage and records_in <= LINEAGE_MAX_INPUTS,
                slow_processing=bool(self.spec.fault_injection and self.spec.fault_injection.slow_processing
                                     and self.spec.fault_injection.slow_processing.enabled),
                deploy=run.options.deploy, coverage=measure and engine == "embedded")
            deferred = [p for p in prepared if p.deferred is not None and p.topic is not None]
            stream = self._open_stream(adapter, job, deferred) if deferred else None
            if stream is None:  # run whole after all (the engine cannot take this statement block by block)
                for p in deferred:
                    p.materialize()
                    publish(p, topic_names[p.topic])  # type: ignore[index]
                    self.inputs_seen[p.source] = p.records
                job.schema_checked = {p.source for p in prepared
                                      if p.fits_schema and getattr(bus, "keeps_values", False)}
            streamed = None
            captured: list[Message] = []
            sink_messages: dict[str, list[Message]] = {}
            if stream is not None:  # generate, publish, run, capture and check a block at a time
                from velotui.adapters import EngineRun
                from velotui.core.streamed import run_blocks

                sink = statement.sinks[0]
                streamed = run_blocks(stream, deferred[0], bus, topic_names[deferred[0].topic],  # type: ignore[index]
                                      sink_topics[sink.name], query, run._emit, app_name,
                                      lambda phase: setattr(dog, "phase", phase))
                engine_run = EngineRun(result=streamed.result)
                duration_ms = streamed.engine_seconds * 1000
                sink_messages[sink.name] = []
                if sink.topic:
                    sink_messages.setdefault(sink.topic, [])
            else:
                t0 = time.perf_counter()
                engine_run = adapter.run(job)
                duration_ms = (time.perf_counter() - t0) * 1000
            result = engine_run.result
            rss_after = proc.memory_info().rss
            st_result = result.statements.get(statement.name)
            # capture: read the sinks back from the bus (or files), never from engine memory
            dog.phase = "capturing outputs"
            for sink in statement.sinks if streamed is None else ():
                if sink.kind == "kafka":
                    msgs = bus.read_all(sink_topics[sink.name])
                    if msgs and run.options.record_events:
                        run._emit(ev.RecordCaptured(app_name, sink_topics[sink.name], tuple(msgs)))
                elif sink.path:
                    landed = engine_run.file_sinks.get(sink.path) or Path(file_paths[sink.path])
                    msgs = _read_file_sink(landed, sink.format)
                else:
                    msgs = []
                sink_messages[sink.name] = msgs
                if sink.topic:
                    sink_messages.setdefault(sink.topic, msgs)
                captured.extend(msgs)
            sink_files = {k: engine_run.file_sinks.get(k) or Path(v) for k, v in file_paths.items()}
            captured_values = [m.value for m in captured if m.value is not None]
            if primary:
                self.outputs[query.name] = captured
                self.output_values[query.name] = captured_values
                self.sink_topics[query.name] = [sink_topics[s.name] if s.kind == "kafka" else str(s.path)
                                                for s in statement.sinks]
            outputs_seen = dict(self.output_values)
            outputs_seen[query.name] = captured_values
            if engine_run.metrics_measured:  # the engine's own metrics (velostream: its endpoint)
                metrics = list(result.metrics)
            else:  # computed from what each statement emitted; another engine's: what was captured
                statement_outputs = {name: r.outputs for name, r in result.statements.items()}
                if engine != "embedded":
                    statement_outputs[statement.name] = captured
                metrics, metric_warnings = app_metrics(loaded.app, statement_outputs)
                query_warnings.extend(metric_warnings)
            ctx_common: dict[str, Any] = dict(
                inputs=dict(self.inputs_seen),
                outputs=outputs_seen,
                variables=dict(getattr(self.spec, "variables", None) or {}),
                query=query.name,
                records_in=records_in,
                duration_ms=duration_ms,
                dead_letters=list(st_result.dead_letters) if st_result else [],
                metrics=metrics,
                memory_peak_bytes=max(rss_before, rss_after),
                memory_growth_bytes=max(0, rss_after - rss_before),
                base_dir=loaded.spec_path.parent,
                sink_files=sink_files,
                table_state=_table_state(captured) if statement.kind == "table" else None,
                # the run's clock: frozen "now" plus the time elapsed since the run started
                now_ms=self.now_ms + (_now_ms() - run.wall_start_ms),
                strict=run.options.strict,
            )
            results = []
            dog.phase = "checking assertions"
            for check_list, msgs, what in _check_targets(query, statement, loaded, captured, sink_messages):
                scope = [a for cl in query.check_lists() if cl.sink == check_list.sink for a in cl.checks]
                values = captured_values if msgs is captured else [m.value for m in msgs if m.value is not None]
                ctx = AssertionContext(records=values, messages=msgs,
                                       expects_empty=expects_no_records(scope), output_label=what,
                                       seen=streamed.checks.seen[check_list.sink] if streamed else None,
                                       **ctx_common)
                for spec_a in check_list.checks:
                    tally = streamed.checks.tally(spec_a) if streamed else None
                    res = _cannot_check(spec_a, engine, engine_run.unavailable) or evaluate(spec_a, ctx, tally)
                    results.append(res)
                    run._emit(ev.AssertionEvaluated(app_name, label, res, app_key(loaded)))
            from velotui.core import golden

            # the golden file is written from the first engine's output; every engine is compared with it
            golden_result = golden.check(golden.target_for(loaded, query.name), captured, seed=self.seed,
                                         now_ms=self.now_ms, update=run.options.update_golden and primary)
            if golden_result is not None:
                results.append(golden_result)
                run._emit(ev.AssertionEvaluated(app_name, label, golden_result, app_key(loaded)))
            coverage = None
            if measure:
                from velotui.core.coverage import coverage_assertion, not_measured, query_coverage

                if engine == "embedded":
                    coverage = query_coverage(
                        statement, st_result.coverage if st_result else None, file=str(loaded.sql_path),
                        inputs=prepared, input_specs={i.source: i for i in query.inputs},
                        times={p.source: [m.timestamp for m in p.messages] for p in prepared}, required=cov_required,
                        app=app)
                else:
                    coverage = not_measured(statement.name, str(loaded.sql_path), engine, cov_required)
                if cov_required:
                    cov_result = coverage_assertion(coverage, cov_spec)
                    results.append(cov_result)
                    run._emit(ev.AssertionEvaluated(app_name, label, cov_result, app_key(loaded)))
            record = QueryRecord(
                loaded=loaded, query=query, statement=statement,
                inputs={p.source: p.records for p in prepared},
                input_times={p.source: [m.timestamp for m in p.messages] for p in prepared},
                outputs=captured, lineage=st_result.lineage if st_result else None, results=results,
                dead_letters=list(st_result.dead_letters) if st_result else [], seed=self.seed,
                now_ms=self.now_ms, by_blocks=streamed is not None)
            if primary:
                run.query_records[(app_key(loaded), query.name)] = record
            failed = any(r.status in ("failed", "error") for r in results)
            report = QueryReport(name=query.name, status="failed" if failed else "passed", records_in=records_in,
                                 records_out=streamed.checks.records_out if streamed else len(captured), duration_ms=duration_ms, assertions=results,
                                 error=None, file=str(loaded.spec_path), line=getattr(query, "line", None),
                                 warnings=query_warnings, engine=engine, engine_error=engine_run.first_error,
                                 notes=list(engine_run.notes), coverage=coverage)
            if run.artifacts.keep(work_dir, passed=not failed):
                report.engine_log = str(engine_run.log_file) if engine_run.log_file else str(work_dir)
            work_dir = None
            return _Outcome(report=report, captured=captured)
        except VelotuiError as e:
            if work_dir is not None and run.artifacts.keep(work_dir, passed=False) and e.hint is None:
                e.hint = f"the engine's files: {work_dir}"
            raise
        finally:
            _hold(dog)  # the cleanup (topics deleted, files removed) is never cut short by the watchdog
            try:
                confined.__exit__(None, None, None)
                tmp.cleanup()
                bus.close()
            finally:
                dog.release()


def _interrupted(query: str, phase: str, message: str) -> str:
    """What a query stopped by Ctrl-C says, whoever noticed first (its watchdog, the engine's own check, an
    adapter): which query, what it was doing, and the detail the one who noticed gave."""
    if "interrupted while" in message:
        return message
    detail = message.removeprefix(f"{query}:").strip().removeprefix("interrupted").strip(" :")
    return f"{query}: interrupted while {phase}" + (f" ({detail})" if detail else "")


def _engine_error_under(stopped: BaseException) -> VelotuiError | None:
    """The VelotuiError (a timeout the engine noticed itself, with what it had read) being handled when
    the watchdog's Stopped arrived, if any."""
    seen: set[int] = set()
    e = stopped.__context__
    while e is not None and id(e) not in seen:
        if isinstance(e, VelotuiError):
            return e
        seen.add(id(e))
        e = e.__context__
    return None


def _hold(dog: Any) -> None:
    """Hold a query's watchdog for its cleanup, even when a Stopped arrives while doing so."""
    from velotui.watchdog import Stopped

    while True:
        try:
            dog.hold()
            return
        except Stopped:
            continue


def _disarm(dog: Any) -> None:
    """Disarm a query's watchdog, even when its last Stopped arrives while doing so."""
    from velotui.watchdog import Stopped

    while True:
        try:
            dog.disarm()
            return
        except Stopped:
            continue


@dataclass
class _Outcome:
    report: Any  # QueryReport
    captured: list[Message]


def engine_label(query: str, engine: str) -> str:
    """How a query's run on the second engine of --compare is named in events (``q [velostream]``)."""
    return f"{query} [{engine}]"


def _with_comparison(first: _Outcome, second: _Outcome, app: Any, statement: Any, engines: tuple[str, str]) -> Any:
    """The first engine's report with the second's run and the diff of their records attached; its status
    is the worse of the two, and failed when they differ for no known reason."""
    from velotui.compare import compare_outputs, divergence_flags
    from velotui.report.model import Comparison

    report, other = first.report, second.report
    flags = divergence_flags(app, statement.name)
    if other.status == "error":
        comparison = Comparison(engines=engines, verdict="error", counts=(len(first.captured), 0))
    else:
        comparison = compare_outputs([m.value for m in first.captured if m.value is not None],
                                     [m.value for m in second.captured if m.value is not None],
                                     engines=engines, ordered=bool(statement.query.order_by), flags=flags)
    comparison.other = other
    report.comparison = comparison
    if report.coverage is None and other.coverage is not None:  # counted on the embedded side, whichever it is
        report.coverage = other.coverage
    rank = {"passed": 0, "skipped": 0, "failed": 1, "error": 2}
    status = max(report.status, other.status, key=lambda x: rank.get(x, 0))
    if comparison.verdict == "unexplained" and rank[status] < 1:
        status = "failed"
    report.status = status
    report.timed_out = report.timed_out or other.timed_out
    report.infra_error = report.infra_error or other.infra_error
    if other.error and not report.error:
        report.error = f"[{other.engine}] {other.error}"
    return report


def _copy_inputs(prepared: list[PreparedInput]) -> list[PreparedInput]:
    """Fresh messages with the same keys, values, headers and timestamps (publishing sets their offsets)."""
    import copy

    return [PreparedInput(source=p.source, topic=p.topic, records=p.records, partitions=p.partitions, schema=p.schema,
                          messages=[Message(value=copy.deepcopy(m.value), key=m.key, headers=dict(m.headers),
                                            timestamp=m.timestamp, raw=m.raw, partition=m.partition)
                                    for m in p.messages])
            for p in prepared]


_NEEDS = {"dead_letters": ("dlq_count", "error_rate")}  # and for "metrics", every metric_* type


def _cannot_check(spec: Any, engine: str, unavailable: dict[str, str]) -> Any:
    """An error result for a check that needs what the engine cannot tell (its dead letters, its
    metrics): a check of an empty list would pass or fail for the wrong reason."""
    from velotui.assertions import AssertionResult

    for what, reason in unavailable.items():
        uses = spec.type in _NEEDS.get(what, ()) or (what == "metrics" and str(spec.type).startswith("metric_")) \
            or (spec.type == "template" and what in str(spec.params.get("expression", "")))
        if uses:
            return AssertionResult(type=spec.type, description=spec.description, status="error",
                                   message=f"cannot check on the {engine} engine: {reason}",
                                   file=spec.file, line=spec.line)
    return None


def _checks_metrics(query: Any) -> bool:
    checks = [*query.assertions, *getattr(query, "metric_assertions", []),
              *(a for o in getattr(query, "outputs", None) or [] for a in o.assertions)]
    return any(str(a.type).startswith("metric_") for a in checks)


def _inject_faults(prepared: list[PreparedInput], faults: Any, seed: int) -> None:
    """Apply the spec's fault_injection to generated inputs."""
    from velotui.core.faults import inject

    if faults is None:
        return
    for p in prepared:
        if p.topic is None or p.schema is None:
            continue
        fields = [f for f in p.schema.fields if not f.constraints.derived]
        p.messages, _ = inject(p.messages, faults, seed=seed, source=p.source,
                               required_fields=[f.name for f in fields if not f.nullable])
        p.fits_schema = False  # faults may have made records that do not fit: the engine checks each


def _source_schemas(prepared: list[PreparedInput]) -> dict[str, dict[str, tuple[str, bool]]]:
    """Per input whose data schema is known (generated, or a data file with a schema): each field's kind and
    whether it may be NULL. The engine sends a record that does not fit to the query's dead letters."""
    schemas: dict[str, dict[str, tuple[str, bool]]] = {}
    for p in prepared:
        if p.topic is None or p.schema is None:
            continue
        schemas[p.source] = {f.name: (f.kind, bool(f.nullable or f.null_probability))
                             for f in p.schema.fields if not f.constraints.derived}
    return schemas


def _check_targets(query: Any, statement: Any, loaded: Any, captured: list[Message],
                   sink_messages: dict[str, list[Message]]) -> list[tuple[Any, list[Message], str]]:
    """Every check list of the query (QueryTest.check_lists: all of them, by construction) with the records
    it checks: the query's captured output, or one sink's."""
    out = []
    for cl in query.check_lists():
        if cl.sink is None:
            out.append((cl, captured, "output records"))
            continue
        msgs = sink_messages.get(cl.sink)
        if msgs is None:  # loading checks this; a sink the engine did not write is still said
            raise SpecError(f"query {query.name!r}: outputs names sink {cl.sink!r}, which statement "
                            f"{statement.name!r} does not have", file=loaded.spec_path,
                            line=getattr(cl.entry, "line", None),
                            hint="sinks of this statement: " + ", ".join(sorted(sink_messages)))
        out.append((cl, msgs, f"records of sink {cl.sink!r}"))
    return out


def _dependency_order(queries: list[Any]) -> list[Any]:
    by_name = {q.name: q for q in queries}
    done: set[str] = set()
    order: list[Any] = []

    def visit(q: Any, stack: tuple[str, ...]) -> None:
        if q.name in done or q.name in stack:
            return
        for dep in list(getattr(q, "dependencies", None) or []) + [
                i.from_previous for i in q.inputs if getattr(i, "from_previous", None)]:
            if dep in by_name:
                visit(by_name[dep], (*stack, q.name))
        done.add(q.name)
        order.append(q)

    for q in queries:
        visit(q, ())
    return order


def _table_state(messages: list[Message]) -> dict[Any, dict]:
    state: dict[Any, dict] = {}
    for m in messages:
        if m.value is not None:
            state[m.key] = m.value
    return state


def _read_file_sink(path: Path, fmt: str) -> list[Message]:
    from velotui.datagen import load_data_file

    if not path.exists():
        return []
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson") or fmt in ("json", "jsonl"):
        return _read_json_lines(path)
    rows = load_data_file(path)
    return [Message(value=r, offset=i, topic=str(path)) for i, r in enumerate(rows)]


def _read_json_lines(path: Path) -> list[Message]:
    """One JSON object per line; a comma after the object is accepted (the Velostream engine's file sink
    writes ``{…},`` lines), and a line that is not an object is kept raw for the dead letters."""
    import orjson

    data = path.read_bytes()
    if data.lstrip().startswith(b"["):  # a JSON array of objects
        try:
            items = orjson.loads(data)
        except orjson.JSONDecodeError:
            items = None
        if isinstance(items, list):
            return [Message(value=v if isinstance(v, dict) else None, offset=i, topic=str(path),
                            raw=None if isinstance(v, dict) else orjson.dumps(v)) for i, v in enumerate(items)]
    out: list[Message] = []
    for line in data.splitlines():
        text = line.strip()
        if not text:
            continue
        if text.endswith(b","):
            text = text[:-1].rstrip()
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = None
        out.append(Message(value=value if isinstance(value, dict) else None, offset=len(out), topic=str(path),
                           raw=None if isinstance(value, dict) else line))
    return out
