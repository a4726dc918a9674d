"""The rest of the toolbox: scaffold a test project, check the environment's health, annotate SQL with
data hints from a schema, and quickstart (validate, draft what is missing, run) in one command."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from velotui.errors import SpecError

SAMPLE_SQL = """-- @app: orders_filter
-- @description: Orders of at least 100, enriched with a size class.
CREATE STREAM big_orders AS
SELECT order_id,
       amount,
       CASE WHEN amount >= 500 THEN 'LARGE' ELSE 'MEDIUM' END AS size_class
FROM orders
WHERE amount >= 100
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'big_orders.type' = 'kafka_sink', 'big_orders.topic.name' = 'big_orders');
"""
SAMPLE_SCHEMA = """name: orders
description: Orders with an amount between 1 and 1000.
record_count: 200
key_field: order_id
fields:
  - name: order_id
    type: uuid
  - name: amount
    type: float
    constraints:
      range: {min: 1, max: 1000}
  - name: status
    type: string
    constraints:
      enum_values: {values: [NEW, PAID, SHIPPED], weights: [0.5, 0.3, 0.2]}
"""
SAMPLE_SPEC = """application: orders_filter
description: The filter keeps exactly the orders of at least 100.
queries:
  - name: big_orders
    inputs:
      - source: orders
        schema: orders
        records: 200
    assertions:
      - type: template
        description: exactly the inputs with amount >= 100
        expression: "len(records) == count(1 for r in inputs.orders.records if r.amount >= 100)"
      - type: field_in_set
        field: size_class
        values: [LARGE, MEDIUM]
      - type: no_nulls
        fields: [order_id, amount]
"""
SAMPLE_CONFIG = """bootstrap.servers: ${KAFKA_BOOTSTRAP_SERVERS:localhost:9092}
value.format: json
topic:
  name: orders
  partitions: 1
"""
README = """# {name}

Streaming SQL tests run with [velotui](https://pypi.org/project/velotui/).

    velotui {name}/                                  # the terminal UI
    velotui --headless {name}/ --junit out.xml       # in CI
    velotui validate {name}/                         # check every file

- `apps/` - SQL apps (`X.sql`) with their test specs (`X.test.yaml`)
- `schemas/` - data schemas the inputs are generated from
- `configs/` - source/sink configs referenced from the SQL
- `data/` - reference tables and fixed inputs
"""
CI = """# CI snippet: run the tests on every push (GitHub Actions style)
name: streaming-sql-tests
on: [push, pull_request]
jobs:
  velotui:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{python-version: "3.11"}}
      - run: pip install velotui
      - run: velotui --headless {name}/ --junit velotui-report.xml
"""


def scaffold(target: Path) -> list[Path]:
    """Create a new test project in ``target`` (which must not hold one already)."""
    if target.exists() and any(target.iterdir()):
        raise SpecError(f"{target} is not empty", hint="scaffold into a new folder")
    files = {
        "apps/orders_filter.sql": SAMPLE_SQL,
        "apps/orders_filter.test.yaml": SAMPLE_SPEC,
        "schemas/orders.schema.yaml": SAMPLE_SCHEMA,
        "configs/orders_source.yaml": SAMPLE_CONFIG,
        "data/.gitkeep": "",
        "README.md": README.format(name=target.name),
        "ci/velotui.yml": CI.format(name=target.name),
    }
    written = []
    for rel, text in files.items():
        p = target / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        written.append(p)
    return written


def health(kafka: str | None = None, velostream_bin: str | None = None) -> dict[str, Any]:
    """Java, Maven, Docker, the velo-sql binary and (when an address is given or set) Kafka reachability,
    topics and lag."""
    import os

    out: dict[str, Any] = {}
    java = shutil.which("java")
    if java:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
        out["java"] = {"ok": proc.returncode == 0, "version": (proc.stderr or proc.stdout).splitlines()[0]}
    else:
        out["java"] = {"ok": False, "hint": "install a JDK 17+ for --kafka local"}
    mvn = shutil.which("mvn")
    if mvn:
        proc = subprocess.run([mvn, "-v"], capture_output=True, text=True, timeout=60)
        first = next((ln for ln in proc.stdout.splitlines() if ln.strip()), "")
        out["maven"] = {"ok": proc.returncode == 0, "version": first.replace("\x1b[1m", "").replace("\x1b[m", "")}
    else:
        out["maven"] = {"ok": False, "hint": "install Maven so --kafka local can fetch the broker jars"}
    docker = shutil.which("docker")
    if docker:
        proc = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                              timeout=30)
        if proc.returncode == 0 and proc.stdout.strip():
            out["docker"] = {"ok": True, "version": f"engine {proc.stdout.strip()}"}
        else:
            out["docker"] = {"ok": False, "hint": "the Docker client is here, no engine answers (only needed for "
                             "--kafka testcontainers; scripts/docker-engine starts one)"}
    else:
        out["docker"] = {"ok": False, "hint": "not installed (only needed for --kafka testcontainers)"}
    out["velostream"] = _velostream_health(velostream_bin)
    address = kafka or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if address:
        out["kafka"] = _kafka_health(address)
    return out


def _velostream_health(explicit: str | None) -> dict[str, Any]:
    """The velo-sql binary (--velostream-bin, the config file's [velostream] bin, else PATH) and its version."""
    from velotui.adapters.settings import load_engine_settings
    from velotui.adapters.velostream import VelostreamAdapter

    settings = load_engine_settings().velostream
    if explicit:
        settings.bin = explicit
    state = VelostreamAdapter(settings).check()
    if not state["ok"] and not explicit and not settings.bin:
        state["hint"] = "only needed for --engine velostream: " + state.get("hint", "")
    return state


def _kafka_health(address: str) -> dict[str, Any]:
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    from velotui.errors import InfraError
    from velotui.infra import KafkaCluster, check_reachable

    cluster = KafkaCluster(bootstrap=address)
    try:
        check_reachable(cluster, timeout_s=5)
    except InfraError as e:
        return {"ok": False, "address": address, "error": e.message}
    admin = AdminClient(cluster.config())
    topics = sorted(t for t in admin.list_topics(timeout=10).topics if not t.startswith("__"))
    groups: dict[str, int] = {}
    try:
        listed = admin.list_consumer_groups(request_timeout=10).result(timeout=10)
        for g in listed.valid:
            offsets = admin.list_consumer_group_offsets([_group_request(g.group_id)])
            tps = list(offsets.values())[0].result(timeout=10).topic_partitions
            consumer = Consumer(cluster.config(**{"group.id": "velotui-health"}))
            lag = 0
            for tp in tps:
                _, hi = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=5)
                lag += max(0, hi - tp.offset) if tp.offset >= 0 else hi
            consumer.close()
            groups[g.group_id] = lag
    except Exception as e:  # noqa: BLE001 - lag is best effort; topics and reachability already answered
        groups = {"error": str(e)}  # type: ignore[dict-item]
    return {"ok": True, "address": address, "topics": topics, "consumer_lag": groups}


def _group_request(group_id: str) -> Any:
    from confluent_kafka import ConsumerGroupTopicPartitions

    return ConsumerGroupTopicPartitions(group_id)


def annotate(sql_text: str, app_name: str, schema: Any | None) -> str:
    """Add ``@app``, ``@description`` and ``@data.<field>.<hint>`` lines derived from a schema."""
    lines = sql_text.splitlines()
    header: list[str] = []
    if not any(line.strip().startswith("-- @app") for line in lines):
        header.append(f"-- @app: {app_name}")
    if not any(line.strip().startswith("-- @description") for line in lines):
        header.append(f"-- @description: {getattr(schema, 'description', None) or app_name}")
    for f in (getattr(schema, "fields", None) or []):
        header.append(f"-- @data.{f.name}.type: {f.kind}")
        c = f.constraints
        if c.range is not None:
            header.append(f"-- @data.{f.name}.range: {c.range.min:g}..{c.range.max:g}")
        if c.enum_values is not None:
            header.append(f"-- @data.{f.name}.enum: {', '.join(str(v) for v in c.enum_values.values)}")
        if c.pattern:
            header.append(f"-- @data.{f.name}.pattern: {c.pattern}")
        if f.nullable:
            header.append(f"-- @data.{f.name}.nullable: true")
    return "\n".join(header + lines) + "\n"


def schema_from_hints(name: str, hints: dict[str, dict[str, str]]) -> Any:
    """A data schema built from ``-- @data.<field>.<hint>`` annotations (used when no schema file exists)."""
    from velotui.spec.schema import DataSchema

    fields = []
    for field_name, h in hints.items():
        f: dict[str, Any] = {"name": field_name, "type": h.get("type", "string")}
        cons: dict[str, Any] = {}
        if "range" in h:
            import re

            m = re.fullmatch(r"\s*(-?[\d.]+)\s*(?:\.\.|,|\s-\s|-)\s*(-?[\d.]+)\s*", h["range"])
            if m is None:
                raise SpecError(f"@data.{field_name}.range: expected MIN..MAX, got {h['range']!r}")
            cons["range"] = {"min": float(m.group(1)), "max": float(m.group(2))}
            if f["type"] == "string":
                f["type"] = "float"
        if "enum" in h:
            cons["enum_values"] = {"values": [v.strip() for v in h["enum"].split(",")]}
        if "pattern" in h:
            cons["pattern"] = h["pattern"]
        if h.get("nullable") == "true":
            f["nullable"] = True
        if cons:
            f["constraints"] = cons
        fields.append(f)
    return DataSchema.model_validate({"name": name, "fields": fields})


def health_text(report: dict[str, Any]) -> str:
    """One line per check: ok/FAIL, the name, its version (or what is wrong and what to do)."""
    lines = []
    width = max((len(k) for k in report), default=0)
    for k, v in report.items():
        mark = "ok  " if v.get("ok") else "FAIL"
        extra = {x: y for x, y in v.items() if x not in ("ok", "version", "hint")}
        parts = [str(v["version"])] if v.get("version") else []
        parts += [f"{x}: {json.dumps(y) if isinstance(y, (dict, list)) else y}" for x, y in extra.items()]
        if v.get("hint"):
            parts.append(f"— {v['hint']}")
        lines.append(f"{mark} {k.ljust(width)}  {'  '.join(parts)}".rstrip())
    return "\n".join(lines)
