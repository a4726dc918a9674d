"""Running a suite's apps in worker processes (``-j N``).

The parent keeps the run: it discovers the apps, starts the Kafka cluster (if any), emits RunStarted
and, at the end, orders the reports exactly as a one-process run would. Each worker is a process with
its own ``SuiteRun`` that shares the parent's run id, seed, frozen "now" and cluster, and runs the apps
the parent hands it one at a time over a pipe; its events come back over the same pipe and are emitted
by the parent, in the parent's thread. An app's topics carry the run id and the app's place in the run
(``{run_id}a{app}q{query}``), so workers never share a topic.

What a one-process run would do is the rule for everything else: with ``--fail-fast`` no app after the
first stopping one (in run order) is started and none is reported; Ctrl-C cancels every worker's query
through one shared event; an app whose worker dies is reported as an error, and the other apps go on.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import traceback
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from velotui.core import events as ev
from velotui.forkserver import context
from velotui.forkserver import start as start_fork_server
from velotui.forkserver import stop as stop_fork_server

TAIL_SAMPLE = 200  # RecordCaptured events cross the pipe with their last records only (the tail's view)


@dataclass
class RunIdentity:
    """What makes the workers' runs one run: the same id, seed, frozen "now" and run clock."""

    run_id: str
    seed: int
    now_ms: int
    wall_start_ms: int


@dataclass
class _WorkerSpec:
    path: Path
    options: Any  # RunOptions
    identity: RunIdentity
    cluster: Any  # velotui.infra.KafkaCluster or None
    apps: list[Any]  # AppFiles, in run order
    root: Path


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def _context(kafka: bool = False) -> Any:
    return context(kafka)


def prepare(kafka: bool = False) -> None:
    """Start the fork server now (velotui.forkserver; a no-op when the command line started it already) so
    that the workers are ready by the time the run has discovered its apps and started its cluster."""
    start_fork_server(kafka)


def run_in_workers(run: Any, apps: list[Any], root: Path, jobs: int) -> list[Any]:
    """Run ``apps`` in ``jobs`` worker processes; return their AppReports in run order (as the loop of
    a one-process run would have them: an app -k matched nothing in is left out)."""
    from velotui.report import AppReport

    ctx = _context(run._cluster is not None)
    spec = _WorkerSpec(path=run.path, options=run.options, identity=run.identity, cluster=run._cluster,
                       apps=list(apps), root=root)
    cancel = ctx.Event()
    run.cancel_event = cancel
    reports: dict[int, Any] = {}
    order = dispatch_order(apps, run.options)
    next_app = 0  # the place in ``order`` of the next app to hand out
    stop_after: int | None = None  # --fail-fast: the first stopping app, in run order
    workers: list[_Worker] = []
    try:
        workers.extend(_start_workers(ctx, spec, cancel, min(jobs, len(apps)), run))
        while True:
            for w in workers:  # hand out the next app to every idle worker
                if w.idle and w.alive:
                    idx = order[next_app] if next_app < len(order) else None
                    if idx is not None and not run.cancelled and (stop_after is None or idx < stop_after):
                        if w.give(idx, run.infra_down):
                            next_app += 1
                    else:
                        w.finish()
            if not any(w.alive for w in workers):
                break
            ready = wait([c for w in workers if w.alive for c in (w.conn, w.process.sentinel)], timeout=0.05)
            if run.cancelled and not cancel.is_set():
                cancel.set()
            for w in [w for w in workers if w.alive]:
                if w.conn in ready and _receive(w, run):
                    if w.done_app is not None:
                        idx, report = w.done_app
                        w.done_app = None
                        reports[idx] = report
                        if run.options.fail_fast and report is not None and run._stops_run(report):
                            stop_after = idx if stop_after is None else min(stop_after, idx)
                        _note_infra(run, report)
                elif w.conn in ready or w.process.sentinel in ready:  # its pipe closed: it has exited
                    w.process.join(timeout=10)
                    w.alive = False
                    if w.current is not None:  # it died under an app: that app is an error, the rest go on
                        idx, w.current = w.current, None
                        reports[idx] = AppReport(
                            name=apps[idx].sql_path.stem, file=str(apps[idx].sql_path), queries=[],
                            error=f"the worker process running this app died (exit code {w.process.exitcode})")
                    if not w.finished and next_app < len(order) and not run.cancelled:  # a new one takes over
                        workers.append(_Worker.start(ctx, spec, cancel))
    finally:
        run.cancel_event = None
        for w in workers:
            w.close(hurry=run.cancelled)
        if run.cancelled:
            _stop_fork_server()
    ordered = [reports[i] for i in sorted(reports)]
    out: list[Any] = []
    for r in ordered:
        if r is None:
            continue
        out.append(r)
        if run.options.fail_fast and run._stops_run(r):
            break
    return out


def _stop_fork_server() -> None:
    stop_fork_server()


def _start_workers(ctx: Any, spec: _WorkerSpec, cancel: Any, n: int, run: Any) -> list[_Worker]:
    """Start ``n`` workers; Ctrl-C meanwhile returns at once with those started so far. The first start
    waits for the fork server's imports (a second or two; much longer on a busy machine), which Ctrl-C
    must not wait for: a worker that comes up after that is closed by the thread that started it."""
    lock = threading.Lock()
    started: list[_Worker] = []
    abandoned = threading.Event()
    failed: list[BaseException] = []

    def boot() -> None:
        for _ in range(n):
            if abandoned.is_set():
                return
            try:
                w = _Worker.start(ctx, spec, cancel)
            except (EOFError, OSError) as e:  # the fork server died under the start: Ctrl-C stopped it, or
                if not (abandoned.is_set() or run.cancelled):  # it crashed (then the run says so)
                    failed.append(e)
                return
            with lock:
                if abandoned.is_set():
                    w.close(hurry=True)
                    return
                started.append(w)

    thread = threading.Thread(target=boot, name="velotui-worker-start", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.05)
        if run.cancelled:
            break
    with lock:
        abandoned.set()
        if failed and not started and not run.cancelled:
            raise failed[0]
        return list(started)


_RECORDS = re.compile(rb"^\s*(?:-\s*)?(?:records|record_count|default_records)\s*:\s*(\d+)", re.M)


def dispatch_order(apps: list[Any], options: Any) -> list[int]:
    """The order the workers take the apps in: the biggest first (the records their specs generate, read off
    the spec's text), so that the last ones to finish are small and the workers end together; ties, and
    every app under --fail-fast (no app after the first one that stops is started), in run order. The
    report is in run order whatever the order of work."""
    if options.fail_fast:
        return list(range(len(apps)))

    def size(i: int) -> int:
        path = apps[i].spec_path or options.spec_path
        try:
            text = path.read_bytes()[:1_000_000] if path is not None else b""
        except OSError:
            text = b""
        return sum(min(int(n), 10**9) for n in _RECORDS.findall(text)) + 100 * text.count(b"- name:")

    sizes = {i: size(i) for i in range(len(apps))}
    return sorted(range(len(apps)), key=lambda i: (-sizes[i], i))


def _note_infra(run: Any, report: Any) -> None:
    """A worker's query met a dead cluster: the parent checks once, and later apps start as not run."""
    if report is not None and any(q.infra_error for q in report.queries):
        run.note_infra_failure()


def _receive(w: _Worker, run: Any) -> bool:
    """Handle one message of a worker; False when its pipe is closed (the worker has exited)."""
    try:
        msg = w.conn.recv()
    except (EOFError, OSError):
        return False
    kind = msg[0]
    if kind == "event":
        run._emit(msg[1])
    elif kind == "done":
        w.current = None
        w.idle = True
        w.done_app = (msg[1], msg[2])
    return True


class _Worker:
    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.alive = True
        self.idle = True
        self.current: int | None = None
        self.done_app: tuple[int, Any] | None = None
        self.finished = False

    @classmethod
    def start(cls, ctx: Any, spec: _WorkerSpec, cancel: Any) -> _Worker:
        parent, child = ctx.Pipe(duplex=True)
        process = ctx.Process(target=worker_main, args=(spec, child, cancel), daemon=True,
                              name="velotui-worker")
        process.start()
        child.close()
        return cls(process, parent)

    def give(self, idx: int, infra_down: str | None) -> bool:
        """Hand it an app; False when its pipe is closed (it died between apps: its sentinel says so)."""
        try:
            self.conn.send(("run", idx, infra_down))
        except OSError:
            self.idle = False
            return False
        self.idle = False
        self.current = idx
        return True

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.idle = False
            try:
                self.conn.send(("stop",))
            except OSError:
                pass

    def close(self, hurry: bool = False) -> None:
        """Stop the process: at once when it is still running an app (Ctrl-C twice, an error in the
        parent), or when the run was cancelled and it holds no app (a worker still starting on a busy
        machine would otherwise keep Ctrl-C waiting until it has booted); SIGTERM lets its query clean
        up its topics."""
        if self.process.is_alive() and (not self.finished or (hurry and self.current is None)):
            self.process.terminate()
        self.process.join(timeout=15)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


# -- the worker side ----------------------------------------------------------------------------------

def worker_main(spec: _WorkerSpec, conn: Connection, cancel: Any) -> None:
    """A worker: runs the apps it is handed, one at a time, and sends back their events and reports."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the parent, which sets ``cancel``

    def terminated(signum: int, frame: Any) -> None:
        raise SystemExit(143)  # unwinds the query: its finally blocks delete its topics

    signal.signal(signal.SIGTERM, terminated)
    from velotui.core.run import SuiteRun

    def forward(event: ev.Event) -> None:
        if isinstance(event, ev.RecordCaptured) and len(event.messages) > TAIL_SAMPLE:
            event = ev.RecordCaptured(event.app, event.topic, event.messages[-TAIL_SAMPLE:])
        conn.send(("event", event))

    run = SuiteRun(spec.path, spec.options, on_event=forward, identity=spec.identity)
    run.cancel_event = cancel
    # Ctrl-C in the parent sets ``cancel``: the query this worker runs is stopped through its watchdog at
    # once, whatever it is doing (a loop that never looks at ``run.cancelled`` too), as in a one-process run.
    # Polled with is_set(), never waited on: a process that ends while waiting on a multiprocessing Event
    # leaves a sleeper behind, and the parent's cancel.set() would then block for ever.
    import threading
    import time

    def watch_cancel() -> None:
        while not cancel.is_set():
            time.sleep(0.05)
        run.cancel()

    threading.Thread(target=watch_cancel, name="velotui-cancel", daemon=True).start()
    # the parent's cluster; a broker this worker has to start itself (an engine of one app's spec needs
    # Kafka) is stopped when the worker ends, and the run's artifact folders are tidied as a run does
    with ExitStack() as stack:
        run._cluster_stack = stack
        run._cluster = spec.cluster
        if spec.cluster is not None:  # a broker dying mid-run stops this worker's query at once, as in the parent
            from velotui.infra.cluster import BrokerMonitor

            stack.enter_context(BrokerMonitor(spec.cluster, run._cluster_down))
        try:
            _serve(run, spec, conn, forward)
        finally:
            run._cluster = None
            run._cluster_stack = None
    run.artifacts.clean()


def _serve(run: Any, spec: _WorkerSpec, conn: Connection, forward: Any) -> None:
    from velotui.report import AppReport

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] != "run":
            return
        _, idx, infra_down = msg
        if infra_down and not run.infra_down:
            run.infra_down = infra_down
        app = spec.apps[idx]
        try:  # an error of one app is that app's report (SuiteRun._run_app); the cluster's ends the run
            report = run._run_app(app, spec.root, idx)
        except Exception as e:  # noqa: BLE001 - the worker itself goes on: the parent decides
            report = AppReport(name=app.sql_path.stem, file=str(app.sql_path), queries=[], error=str(e))
            forward(ev.Log("error", f"{app.sql_path}: {e}", app=app.sql_path.stem,
                           extra={"traceback": traceback.format_exc()}))
        conn.send(("done", idx, report))
