"""`velotui stress`: publish at a target rate (or as fast as possible), run, capture, and measure
throughput, latency percentiles and memory; SLO assertions of the spec pass or fail the run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp

from velotui.core import events as ev
from velotui.core.discovery import discover
from velotui.core.inputs import InputBuilder
from velotui.core.loading import load_app_under_test
from velotui.errors import SpecError
from velotui.stress import MemorySampler, StressResult

SLO_TYPES = ("throughput", "latency", "memory_usage", "execution_time")
BATCH = 50_000


@dataclass
class StressOptions:
    records: int | None = None
    duration_s: float | None = None
    rate: float | None = None  # records/s to publish at; None = as fast as possible
    seed: int = 1
    query: str | None = None
    spec_path: Path | None = None
    kafka: str = "embedded"
    brokers: int = 1  # with kafka local: the nodes of the cluster velotui starts


def _stateless(statement: Any) -> bool:
    q = statement.query
    from velotui.sql.analysis import find_aggregates

    return (not q.joins and q.window is None and not q.group_by and not q.distinct and not q.order_by
            and q.limit is None and not any(find_aggregates(i.expr) or i.expr.find(exp.Window) for i in q.items))


def stress_plan(loaded: Any, options: StressOptions) -> tuple[int | None, float | None, float | None, int | None]:
    """(records, seconds, rate, batch size) of a stress run: the command line, else the spec's
    ``stress_test`` block (velo-test's records / duration_seconds / rate_per_second / batch_size, or
    velotui's duration / rate), else 100,000 records as fast as possible. A spec whose block says
    ``enabled: false`` is not stress-tested: refused, never a silent pass."""
    defaults = loaded.spec.stress_test
    if defaults is not None and not defaults.enabled:
        doc = getattr(loaded.spec, "doc", None)
        where = (doc.value_loc((*defaults.doc_path, "enabled")) if doc is not None else None) or (defaults.line,
                                                                                                defaults.column)
        raise SpecError("this app's spec disables stress testing (stress_test.enabled: false)",
                        file=loaded.spec_path, line=where[0], column=where[1],
                        hint="set enabled: true (or remove the key) to stress-test it")
    total = options.records or (defaults.records if defaults else None)
    duration = options.duration_s or (defaults.target_seconds if defaults else None)
    rate = options.rate or (defaults.target_rate if defaults else None)
    if total is None and duration is None:
        total = 100_000
    return total, duration, rate, (defaults.batch_size if defaults else None)


def run_stress(sql_path: Path, options: StressOptions,
               on_event: Callable[[ev.Event], None] | None = None) -> tuple[StressResult, list[Any], Any]:
    """Return the measurements, the SLO assertion results, and the loaded app."""
    from velotui.assertions import AssertionContext, evaluate
    from velotui.bus import MemoryBus
    from velotui.engine import EngineOptions, run_app

    emit = on_event or (lambda e: None)
    suite = discover(sql_path)
    if not suite.apps:
        raise SpecError(f"no SQL app at {sql_path}")
    loaded = load_app_under_test(suite.apps[0], spec_override=options.spec_path)
    spec = loaded.spec
    query = next((q for q in spec.queries if q.name == options.query), None) if options.query else spec.queries[0]
    if query is None:
        raise SpecError(f"no query {options.query!r}", hint="queries: " + ", ".join(q.name for q in spec.queries))
    statement = loaded.statement_for(query.name)
    total, duration, rate, spec_batch = stress_plan(loaded, options)
    now = int(time.time() * 1000)
    streaming = _stateless(statement)
    batch = min(BATCH, total) if (streaming and total) else (total or BATCH)
    if spec_batch:
        batch = spec_batch
    if rate:
        batch = max(1, min(batch, int(rate / 10) or 1))
    latencies: list[float] = []
    state = {"published": 0, "out": 0, "batches": 0, "gen_s": 0.0, "run_s": 0.0, "chunk": 0}
    t_start = time.perf_counter()
    emit(ev.Progress(loaded.name, "stress", 0, total or 0))

    def more() -> bool:
        if total is not None and state["published"] >= total:
            return False
        return duration is None or time.perf_counter() - t_start < duration

    def produce() -> list[Any]:
        n = batch if total is None else min(batch, total - state["published"])
        g0 = time.perf_counter()
        builder = InputBuilder(loaded, seed=options.seed + state["chunk"], now_ms=now, records_override=n,
                               previous_outputs={})
        prepared = builder.prepare(query, statement)
        state["gen_s"] += time.perf_counter() - g0
        state["chunk"] += 1
        state["published"] += n
        return prepared

    def process(groups: list[list[Any]], first: int | None = None, n: int = 0) -> None:
        """Publish, run and capture a batch; ``first``/``n``: the batch's records, for per-record latency
        under ``--rate`` (record j is due at t_start + j / rate)."""
        bus = MemoryBus()
        t0 = time.perf_counter()
        count = 0
        for group in groups:
            for p in group:
                if p.topic is not None:
                    bus.create_topic(p.topic, p.partitions)
                    count += bus.publish(p.topic, p.messages)
        run_app(loaded.app, bus, EngineOptions(now_ms=now, base_dir=loaded.sql_path.parent,
                                               statements=[statement.name]))
        for sink in statement.sinks:
            if sink.kind == "kafka":
                state["out"] += len(bus.read_all(sink.topic or statement.name))
        t_capture = time.perf_counter()
        elapsed = t_capture - t0
        state["run_s"] += elapsed
        state["batches"] += 1
        if rate and first is not None and n:
            # from each record's due time (its input timestamp at the requested rate) to the capture of the
            # batch it went out in: the wait for the batch to fill plus the processing; sampled evenly
            step = max(1, n // 1000)
            latencies.extend(max(0.0, t_capture - (t_start + (j + 1) / rate)) * 1000.0
                             for j in range(first, first + n, step))
        else:  # as fast as possible: a batch's records are published together and captured together
            latencies.extend([elapsed * 1000.0] * min(count, 1000))
        emit(ev.Progress(loaded.name, "stress", state["published"], total or state["published"]))
        emit(ev.RecordsPublished(loaded.name, "stress", statement.name, count))

    with MemorySampler() as mem:
        if streaming:  # stateless: micro-batches, each published, run and captured in turn
            while more():
                first = state["published"]
                group = produce()
                n = state["published"] - first
                if rate:  # a batch goes out when its last record is due: pacing to the requested rate
                    wait = t_start + (first + n) / rate - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                process([group], first, n)
        else:  # stateful: one bounded run over all records, so windows and groups see everything
            groups = []
            while more():
                groups.append(produce())
            process(groups)
    published, out_count, batches = state["published"], state["out"], state["batches"]
    gen_s, run_s = state["gen_s"], state["run_s"]
    stress = StressResult(app=loaded.name, query=query.name, records=published, records_out=out_count,
                          seconds=run_s if not rate else max(run_s, time.perf_counter() - t_start - gen_s),
                          generate_seconds=gen_s, latencies_ms=latencies, memory_peak_bytes=mem.peak,
                          memory_growth_bytes=mem.growth, batches=batches)
    ctx = AssertionContext(records=[], inputs={}, outputs={}, query=query.name, records_in=stress.records,
                           duration_ms=stress.seconds * 1000, memory_peak_bytes=stress.memory_peak_bytes,
                           memory_growth_bytes=stress.memory_growth_bytes, latencies_ms=stress.latencies_ms,
                           base_dir=loaded.spec_path.parent)
    slo = [evaluate(a, ctx) for a in query.all_assertions if a.type in SLO_TYPES]
    return stress, slo, loaded


def compare_baseline(result: StressResult, baseline: dict[str, Any], tolerance_percent: float) -> tuple[bool, str]:
    base = float(baseline.get("records_per_s") or baseline.get("stress", {}).get("records_per_s", 0))
    if base <= 0:
        return True, "baseline has no throughput"
    floor = base * (1 - tolerance_percent / 100)
    ok = result.throughput >= floor
    return ok, (f"throughput {result.throughput:,.0f} records/s vs baseline {base:,.0f} "
                f"(minimum {floor:,.0f} with {tolerance_percent:g}% tolerance)")


def _produce_share(args: tuple[str, str | None, str | None, dict[str, str], str, int, int, int]) -> int:
    """A producer process: generate ``n`` records of the query's input and produce them to ``topic``."""
    sql_path, spec_path, query_name, client_config, topic, n, seed, now = args
    from confluent_kafka import Producer

    from velotui.bus.serde import JsonSerde, KeySerde

    suite = discover(Path(sql_path))
    loaded = load_app_under_test(suite.apps[0], spec_override=Path(spec_path) if spec_path else None)
    query = next(q for q in loaded.spec.queries if q.name == query_name)
    prepared = InputBuilder(loaded, seed=seed, now_ms=now, records_override=n,
                            previous_outputs={}).prepare(query, loaded.statement_for(query.name))
    producer = Producer({**client_config, "linger.ms": 20})
    values, keys = JsonSerde(), KeySerde()
    count = 0
    for p in prepared:
        if p.topic is None:
            continue
        for m in p.messages:
            while True:
                try:
                    producer.produce(topic, value=values.encode(m.value), key=keys.encode(m.key),
                                     timestamp=m.timestamp or None)
                    break
                except BufferError:
                    producer.poll(0.1)
            count += 1
    producer.flush(60)
    return count


def run_stress_on_kafka(sql_path: Path, options: StressOptions, workers: int = 1) -> tuple[StressResult, list[Any], Any]:
    """The stress run over a real Kafka cluster: ``workers`` producer processes publish, then the engine
    consumes the topic, produces the output, and the sink is captured up to its end offsets."""
    import multiprocessing

    from velotui.assertions import AssertionContext, evaluate
    from velotui.bus.kafka import KafkaBus
    from velotui.engine import EngineOptions, run_app
    from velotui.infra import open_cluster

    suite = discover(sql_path)
    loaded = load_app_under_test(suite.apps[0], spec_override=options.spec_path)
    query = next((q for q in loaded.spec.queries if q.name == options.query), None) if options.query \
        else loaded.spec.queries[0]
    if query is None:
        raise SpecError(f"no query {options.query!r}")
    statement = loaded.statement_for(query.name)
    sources = [s for s in statement.sources if s.kind == "kafka"]
    if len(sources) != 1:
        raise SpecError("stress on Kafka needs a statement that reads one Kafka source")
    total = stress_plan(loaded, options)[0] or options.records or 100_000
    now = int(time.time() * 1000)
    with open_cluster(options.kafka, brokers=options.brokers) as cluster, MemorySampler() as mem:
        bus = KafkaBus(cluster, run_id=f"stress{int(time.time())}")
        try:
            src_topic = bus.topic_name(sources[0].topic or sources[0].name)
            bus.create_topic(src_topic, max(1, workers))
            names = {sources[0].topic or sources[0].name: src_topic}
            for sink in statement.sinks:
                if sink.kind == "kafka":
                    names[sink.topic or statement.name] = bus.topic_name(sink.topic or statement.name)
                    bus.create_topic(names[sink.topic or statement.name])
            shares = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]
            jobs = [(str(sql_path), str(options.spec_path) if options.spec_path else None, query.name,
                     cluster.config(), src_topic, n, options.seed + i, now) for i, n in enumerate(shares) if n]
            t0 = time.perf_counter()
            if workers > 1:
                with multiprocessing.get_context("spawn").Pool(workers) as pool:
                    published = sum(pool.map(_produce_share, jobs))
            else:
                published = sum(_produce_share(j) for j in jobs)
            run_app(loaded.app, bus, EngineOptions(now_ms=now, base_dir=loaded.sql_path.parent, topic_names=names,
                                                   statements=[statement.name]))
            out = sum(len(bus.read_all(t)) for k, t in names.items() if k != (sources[0].topic or sources[0].name))
            elapsed = time.perf_counter() - t0
        finally:
            bus.close()
    result = StressResult(app=loaded.name, query=query.name, records=published, records_out=out, seconds=elapsed,
                          generate_seconds=0.0, latencies_ms=[elapsed * 1000.0] * min(published, 1000),
                          memory_peak_bytes=mem.peak, memory_growth_bytes=mem.growth, batches=1)
    ctx = AssertionContext(records=[], query=query.name, records_in=result.records, duration_ms=elapsed * 1000,
                           memory_peak_bytes=mem.peak, memory_growth_bytes=mem.growth,
                           latencies_ms=result.latencies_ms, base_dir=loaded.spec_path.parent)
    slo = [evaluate(a, ctx) for a in query.all_assertions if a.type in SLO_TYPES]
    return result, slo, loaded
