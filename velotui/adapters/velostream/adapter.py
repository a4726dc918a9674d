"""``--engine velostream``: run each query's app on the real ``velo-sql`` binary over the run's Kafka topics.

Per query: stage the app into a run folder (staging.py), publish closing records when windows would stay
open (closing.py), start ``velo-sql deploy-app`` in its own process group with a unique group id, watch
its log and the sinks until it is done (done.py), read the metrics endpoint when the spec checks metrics,
stop the whole group, read dead letters from the DLQ topic. core then captures the sinks as usual.
"""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path
from typing import Any

from velotui.adapters import EngineJob, EngineRun
from velotui.adapters.settings import VelostreamSettings
from velotui.adapters.velostream.binary import find_binary, version_line
from velotui.adapters.velostream.closing import closing_records, note_for
from velotui.adapters.velostream.done import DoneState, DoneWatcher, SourceExpectation
from velotui.adapters.velostream.enginelog import EngineLog
from velotui.adapters.velostream.process import EngineProcess, GroupCpu
from velotui.adapters.velostream.staging import StagedApp, stage_app
from velotui.engine.api import DeadLetter, EngineResult, MetricSample, StatementResult
from velotui.errors import EngineError, InfraError, RunCancelled, RunTimeout, VelotuiError
from velotui.watchdog import deadline_for, held

TICK_S = 0.1


class VelostreamAdapter:
    name = "velostream"
    needs_kafka = True

    def __init__(self, settings: VelostreamSettings | None = None) -> None:
        self.settings = settings or VelostreamSettings()

    def check(self) -> dict[str, Any]:
        try:
            binary = find_binary(self.settings.bin)
            return {"ok": True, "version": version_line(binary), "path": str(binary)}
        except InfraError as e:
            return {"ok": False, "error": e.message, "hint": e.hint or ""}

    def run(self, job: EngineJob) -> EngineRun:
        t0 = time.perf_counter()
        if job.cluster is None:
            raise InfraError("--engine velostream needs a Kafka cluster", hint="add --kafka local or --kafka HOST:PORT")
        if job.work_dir is None:
            raise VelotuiError("the velostream engine needs a run folder (a velotui bug)")
        binary = find_binary(self.settings.bin)
        bootstrap = job.cluster.bootstrap

        def dlq_topic(statement: str, written: str) -> str:
            topic = job.bus.topic_name(f"dlq_{statement}")
            job.bus.create_topic(topic)
            return str(topic)

        staged = stage_app(job.app, job.sql_path, job.statement, job.work_dir, topic_names=job.topic_names,
                           bootstrap=bootstrap, properties=job.properties, app_name=job.app_name, dlq_topic=dlq_topic)
        notes: list[str] = []  # what the report says velotui did; how it staged the app is in the run folder
        counts = {name: len(msgs) for name, msgs in job.published.items()}
        if self.settings.close_windows:
            closing, why = closing_records(job.app, staged.statements, job.published, job.properties)
            for rec in closing:
                src = next(s for s in job.app.external_sources if s.name == rec.source)
                job.bus.publish(job.topic_names[src.topic or src.name], [rec.message])
                counts[rec.source] = counts.get(rec.source, 0) + 1
                notes.append(note_for(rec))
            notes.extend(why)
        metric_decls = [m for m in job.app.metrics if m.statement in staged.statements]
        port = None
        argv = [str(binary), "deploy-app", "--file", str(staged.sql_file), "--brokers", bootstrap,
                "--group-id", f"velotui-{job.run_id}"]
        if job.wants_metrics and metric_decls:
            from velotui.adapters.velostream.metrics import free_port

            port = free_port()
            argv += [a.format(port=port) for a in shlex.split(self.settings.metrics_args)]
        argv += shlex.split(self.settings.extra_args)
        env = {**os.environ, "RUST_LOG": job_env_rust_log(self.settings)}
        (staged.folder / "command.txt").write_text(
            shlex.join(argv) + "\n" + "".join(f"# {n}\n" for n in [*staged.notes, *notes]))
        log_path = staged.folder / "engine.log"
        timings: dict[str, float] = {"stage": time.perf_counter() - t0}
        proc = EngineProcess(argv, cwd=staged.folder, env=env, log_path=log_path)
        log = EngineLog(log_path)
        watch = _SinkWatch(job, staged)
        metrics: list[MetricSample] = []
        t_start = time.perf_counter()
        try:
            proc.start()
            timings["start"] = time.perf_counter() - t_start
            (staged.folder / "engine.pid").write_text(f"{proc.pid}\n")  # also its process group
            job.log("info", f"{job.app_name} / {job.query_name}: velo-sql started, pid {proc.pid} (its own process "
                    f"group), log {log_path}")
            expected = [SourceExpectation(r.source, r.index, counts.get(r.source, 0)) for r in staged.readers]
            cpu = GroupCpu(proc.pid or 0)
            watcher = DoneWatcher(expected, log.consumed_from, watch.snapshot, self.settings.quiet_period_s,
                                  empty=watch.empty, busy=cpu.busy)
            started = time.monotonic()
            state = self._wait(job, proc, log, watcher, log_path)
            done = time.monotonic()
            timings["read"] = (watcher.read_all_at or done) - started  # the engine's own work
            timings["settle"] = done - (watcher.read_all_at or done)  # the quiet period, and the polls around it
            job.log("info", f"{job.app_name} / {job.query_name}: velo-sql done ({state.describe()})")
            if port is not None:
                from velotui.adapters.velostream.metrics import parse_prometheus, samples_for, scrape

                metrics = samples_for(metric_decls, parse_prometheus(scrape(port)))
        finally:
            with held():  # the group is stopped whole, even when the query's time is up meanwhile
                t_stop = time.perf_counter()
                proc.stop(self.settings.stop_grace_s)
                timings["stop"] = time.perf_counter() - t_stop
                watch.close()
                log.finish()
        statements = {name: StatementResult(name=name) for name in staged.statements}
        for reader in staged.readers:
            statements[reader.statement].records_in += log.consumed_from(reader.source, reader.index)
        for st_name, topic in staged.dlq_topics.items():
            statements[st_name].dead_letters.extend(_dead_letter(st_name, m) for m in job.bus.read_all(topic))
        timings["total"] = time.perf_counter() - t0
        timings["quiet_period"] = self.settings.quiet_period_s
        job.log("info", f"{job.app_name} / {job.query_name}: velo-sql took " + ", ".join(
            f"{k} {v:.2f} s" for k, v in timings.items()), {"timings": dict(timings)})
        unavailable: dict[str, str] = {}
        if job.statement not in staged.dlq_topics:
            unavailable["dead_letters"] = (f"velo-sql's dead letters reach velotui only through a DLQ topic, and "
                                           f"{job.statement} names none: add 'dlq.topic' = 'NAME' to its WITH (…)")
        if not metric_decls:
            unavailable["metrics"] = "the app declares no -- @metric for this statement, so velo-sql exposes none"
        return EngineRun(result=EngineResult(statements=statements, metrics=metrics), file_sinks=staged.file_sinks,
                         log_file=log_path, first_error=log.first_error, notes=notes, timings=timings,
                         metrics_measured=port is not None, unavailable=unavailable)

    def _wait(self, job: EngineJob, proc: EngineProcess, log: EngineLog, watcher: DoneWatcher,
              log_path: Path) -> DoneState:
        deadline = deadline_for(job.timeout_s)
        while True:
            log.poll()
            if job.should_stop():
                raise RunCancelled("interrupted: velo-sql was stopped")
            code = proc.exit_code
            if code is not None:
                log.finish()
                raise EngineError(f"velo-sql exited {code} before it was done" + _why(log),
                                  hint=f"velo-sql never exits by itself when it runs an app; its log: {log_path}")
            state = watcher.step()
            if state.phase == "done":
                return state
            if deadline is not None and time.monotonic() > deadline:
                what = ("the sinks were still changing" if state.phase == "settling" else state.describe())
                hint = f"its log: {log_path}; raise the query's timeout_ms or --timeout"
                if state.phase == "reading" and not log.consumed:
                    hint = (f"velo-sql logged no 'Read N records from reader' line, which it writes at INFO: "
                            f"RUST_LOG={job_env_rust_log(self.settings)!r} may hide it (velotui sets RUST_LOG=info "
                            f"unless RUST_LOG is set); {hint}")
                raise RunTimeout(f"velo-sql was not done within {job.timeout_s:g} s: {what}" + _why(log), hint=hint)
            proc.wait(TICK_S)


def job_env_rust_log(settings: VelostreamSettings) -> str:
    """The RUST_LOG the engine runs with: the user's, else the setting (INFO shows the consumption lines)."""
    return os.environ.get("RUST_LOG") or settings.rust_log


def _why(log: EngineLog) -> str:
    if log.first_error:
        return f"\n  velo-sql's first error: {log.first_error}"
    tail = log.tail(3)
    return ("\n  its last lines:\n    " + "\n    ".join(tail)) if tail else ""


def _dead_letter(statement: str, m: Any) -> DeadLetter:
    v = m.value if isinstance(m.value, dict) else {}
    error_type = v.get("error_type") or v.get("error_kind") or v.get("type") or "engine_error"
    message = v.get("error") or v.get("message") or v.get("reason") or (m.raw.decode(errors="replace")
                                                                        if m.raw else str(v))
    return DeadLetter(statement=statement, error_type=str(error_type), message=str(message),
                      source=v.get("source"), offset=m.offset, record=v.get("record", v or None))


class _SinkWatch:
    """End offsets of the deployed sinks and sizes of the file sinks: what "still writing" looks like."""

    def __init__(self, job: EngineJob, staged: StagedApp) -> None:
        from confluent_kafka import Consumer

        self.files = list(staged.file_sinks.values())
        self.topics = [*staged.sink_topics, *staged.dlq_topics.values()]
        self.consumer = Consumer(job.cluster.config(**{"group.id": f"velotui-{job.run_id}-watch",
                                                       "enable.auto.commit": False}))
        self.partitions: dict[str, list[int]] = {}
        meta = self.consumer.list_topics(timeout=10)
        for t in self.topics:
            tm = meta.topics.get(t)
            self.partitions[t] = sorted(tm.partitions) if tm is not None and not tm.error else [0]

    def snapshot(self) -> tuple:
        from confluent_kafka import KafkaException, TopicPartition

        offsets = []
        for t in self.topics:
            for p in self.partitions[t]:
                try:
                    _, hi = self.consumer.get_watermark_offsets(TopicPartition(t, p), timeout=5, cached=False)
                except KafkaException as e:
                    raise InfraError(f"cannot read the end offsets of {t!r}: {e}",
                                     hint="is the broker still running?") from None
                offsets.append(hi)
        sizes = [f.stat().st_size if f.exists() else 0 for f in self.files]
        return (tuple(offsets), tuple(sizes))

    @staticmethod
    def empty(snap: tuple) -> bool:
        return not any(snap[0]) and not any(snap[1])

    def close(self) -> None:
        self.consumer.close()


__all__ = ["VelostreamAdapter", "version_line"]
