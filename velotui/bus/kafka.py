"""Topics on a real Kafka cluster (confluent-kafka), with the same contract as the memory bus.

Every topic a run creates carries the run prefix (``test_{run_id}_{base}``, or the spec's
``topic_naming``); publishing outside the prefix is refused; ``read_all`` reads each partition from its
start up to the end offset taken when it is called (no waiting for "idle"); ``close`` deletes the run's
topics.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from typing import Any

from velotui.bus.base import TopicListener
from velotui.bus.serde import JsonSerde, KeySerde
from velotui.errors import InfraError, SpecError
from velotui.records import Message

DEFAULT_PATTERN = "test_{run_id}_{base}"
TOPIC_CONFIG = {"retention.ms": "-1", "retention.bytes": "-1"}
# what a running broker answers when a topic asks for more than the cluster allows: the spec's to change
_REFUSED_TOPIC = {"INVALID_PARTITIONS", "INVALID_REPLICATION_FACTOR", "POLICY_VIOLATION", "INVALID_CONFIG"}
_TOPIC_HINT = ("the source's or sink's topic.partitions and topic.replication_factor (its config file or the "
               "WITH clause): lower them to what the cluster allows (or bring its brokers back)")
_LEGAL = re.compile(r"[^A-Za-z0-9._-]")


def topic_name(base: str, run_id: str, naming: Any = None) -> str:
    """The run's name for a logical topic (FORMATS.md §2 topic_naming)."""
    from velotui.spec.topic_naming import pattern_problem

    pattern = getattr(naming, "pattern", None) or DEFAULT_PATTERN
    problem = pattern_problem(pattern)  # checked at load already; never str.format over anything else
    if problem:
        raise SpecError(f"topic_naming: {problem}")
    branch = getattr(naming, "branch", None) or _from_env(getattr(naming, "branch_from_env", None), "branch")
    user = getattr(naming, "user", None) or _from_env(getattr(naming, "user_from_env", None), "user")
    values = {"run_id": run_id, "base": base, "namespace": getattr(naming, "namespace", None) or "",
              "branch": branch or "", "user": user or _user()}
    from velotui.spec.topic_naming import looks_like_secret

    for part in ("base", "namespace", "branch", "user"):  # whatever route a value came by (a ${VAR} in a config)
        if values[part] and looks_like_secret(str(values[part])):
            raise SpecError(f"the topic name's {part} looks like a secret; it is not put on the cluster",
                            hint="name topics with plain words (a ${VAR} in a config may have brought in a key)")
    name = pattern.format(**{k: str(v) for k, v in values.items()})
    name = _LEGAL.sub("_", name).strip("_") or f"test_{run_id}"
    limit = getattr(naming, "max_topic_length", None) or 249
    if len(name) > limit and getattr(naming, "hash_long_names", True) is not False:
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        name = name[: limit - 11] + "_" + digest
    return name[:limit]


SLICE_S = 0.25  # every wait on Kafka is cut into slices this long, so a stopped query stops at once


def _result(future: Any, timeout_s: float) -> Any:
    """``future.result(timeout_s)`` waited in slices (velotui.watchdog can stop the query between them)."""
    import concurrent.futures
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return future.result(timeout=min(SLICE_S, max(0.01, deadline - time.monotonic())))
        except concurrent.futures.TimeoutError:
            if time.monotonic() >= deadline:
                raise


def _retry_timeouts(call: Any, timeout_s: float) -> Any:
    """``call(t)`` for a librdkafka call that takes a timeout, in slices until ``timeout_s`` has passed."""
    import time

    from confluent_kafka import KafkaError, KafkaException

    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        try:
            return call(max(0.05, min(1.0, left)))
        except KafkaException as e:
            timed_out = e.args and getattr(e.args[0], "code", lambda: None)() in (KafkaError._TIMED_OUT,
                                                                                  KafkaError._TRANSPORT)
            if not timed_out or time.monotonic() >= deadline:
                raise


def _from_env(variable: str | None, kind: str) -> str | None:
    """A user or branch name from one of the variables that hold one; sanitised, never a secret."""
    from velotui.spec.topic_naming import looks_like_secret, sanitise, variable_problem

    if not variable:
        return None
    problem = variable_problem(variable, kind)
    if problem:
        raise SpecError(f"topic_naming: {problem}")
    value = os.environ.get(variable)
    if not value:
        return None
    if looks_like_secret(value):
        raise SpecError(f"topic_naming: the value of {variable} looks like a secret, not a {kind} name; it is not "
                        "put in topic names", hint=f"set {variable} to a {kind} name, or write {kind}: in the spec")
    return sanitise(value)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "user"


class _Retry(Exception):
    """A cluster request to ask again (another broker may answer it)."""


class KafkaBus:
    keeps_values = False  # a reader gets what the serde decoded, not the objects published

    def __init__(self, cluster: Any, *, run_id: str | None = None, topic_naming: Any = None,
                 timeout_s: float = 30.0) -> None:
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient

        self.cluster = cluster
        self.run_id = run_id or secrets.token_hex(4)
        self.naming = topic_naming
        self.timeout_s = timeout_s
        self.prefix = topic_name("", self.run_id, topic_naming).rstrip("_")
        self._admin = AdminClient(cluster.config())
        # idempotent: a record whose acknowledgement was lost with a broker (and is sent again) is
        # written once, so counts stay exact when a broker of a cluster goes away mid-run
        self._producer = Producer(cluster.config(**{"linger.ms": 5, "enable.idempotence": True,
                                                     "message.timeout.ms": int(timeout_s * 1000)}))
        self._created: list[str] = []
        self._listeners: list[TopicListener] = []
        self._serdes: dict[str, Any] = {}
        self._keys = KeySerde()
        self._key_serdes: dict[str, Any] = {}  # per topic, from key.format; else text/JSON keys
        self.replication: dict[str, int] = {}  # per topic, from a config's topic.replication_factor

    # -- naming ------------------------------------------------------------------------------------
    def topic_name(self, base: str) -> str:
        return topic_name(base, self.run_id, self.naming)

    def _own(self, topic: str) -> bool:
        return topic in self._created or topic.startswith(self.prefix)

    def set_serde(self, topic: str, serde: Any, key_serde: Any = None) -> None:
        if hasattr(serde, "for_topic"):  # a registry serde registers under the topic's subject
            serde = serde.for_topic(topic)
        self._serdes[topic] = serde
        if key_serde is not None:
            self._key_serdes[topic] = key_serde.for_topic(topic) if hasattr(key_serde, "for_topic") else key_serde

    def _serde(self, topic: str) -> Any:
        return self._serdes.get(topic) or JsonSerde()

    # -- Bus protocol ------------------------------------------------------------------------------
    def create_topic(self, name: str, partitions: int = 1) -> None:
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.admin import AdminClient, NewTopic

        if name in self._created:
            return
        if not self._own(name):
            raise InfraError(f"refusing to create {name!r}: it is outside this run's prefix {self.prefix!r}")
        # Test records carry event-time timestamps, often days or years in the past: under the broker's
        # time-based retention a rolled segment of them is deleted at the next retention check, in the
        # middle of a run. A run's topics keep everything until the run deletes them.
        # replication: the config's topic.replication_factor, else the broker's default.replication.factor
        # (-1), so a cluster whose min.insync.replicas is 2 gets topics it accepts writes to
        rf = int(self.replication.get(name, -1))
        # on a cluster of several brokers a request that went to a broker that just died times out while
        # the others answer: ask again, through a new admin client (fresh metadata), until the timeout
        attempts = 3 if self._several_brokers() else 1
        for attempt in range(1, attempts + 1):
            try:
                futures = self._admin.create_topics(
                    [NewTopic(name, max(1, partitions), rf, config=dict(TOPIC_CONFIG))],
                    operation_timeout=self.timeout_s / attempts)
            except ValueError as e:  # out of the client's range (partitions above 100000): the spec's, said so
                raise SpecError(f"topic {name!r}: {e}", hint=_TOPIC_HINT) from None
            try:
                for f in futures.values():
                    try:
                        _result(f, self.timeout_s / attempts)
                    except KafkaException as e:
                        if e.args and e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                            continue
                        if attempt < attempts and e.args and e.args[0].retriable():
                            raise _Retry from None
                        if e.args and self._spec_asks_too_much(e.args[0].name(), rf):  # the broker runs
                            raise SpecError(f"the cluster {self.cluster.bootstrap} refuses topic {name!r} "
                                            f"({max(1, partitions)} partition(s), replication "
                                            f"{'the broker default' if rf < 0 else rf}): {e.args[0].str()}",
                                            hint=_TOPIC_HINT) from None
                        raise InfraError(f"cannot create topic {name!r} on {self.cluster.bootstrap}: {e}",
                                         hint="is the broker still running?") from None
                    except (InfraError, _Retry):
                        raise
                    except Exception as e:  # noqa: BLE001 - a timeout of the future
                        if attempt < attempts:
                            raise _Retry from None
                        raise InfraError(f"cannot create topic {name!r} on {self.cluster.bootstrap}: {e!r}",
                                         hint="is the broker still running?") from None
                break
            except _Retry:
                self._admin = AdminClient(self.cluster.config())
        self._wait_until_visible(name)
        self._created.append(name)

    def _spec_asks_too_much(self, code: str, rf: int) -> bool:
        """A refused topic that is the spec's to change. A replication the spec did not set (the broker's
        default) that cannot be reached is the cluster's state: a node of a cluster velotui started is
        gone (exit 3), as is a spec's one that such a cluster would have room for."""
        if code not in _REFUSED_TOPIC:
            return False
        if code == "INVALID_REPLICATION_FACTOR":
            return rf >= 0 and (self.cluster.mode != "local" or rf > int(getattr(self.cluster, "brokers", 1) or 1))
        return True

    def _several_brokers(self) -> bool:
        return int(getattr(self.cluster, "brokers", 1) or 1) > 1 or "," in str(self.cluster.bootstrap)

    def _wait_until_visible(self, name: str, *, gone: bool = False) -> None:
        """A created topic is used at once (published to, read back): wait until the broker's metadata
        shows it with a leader for every partition; a deleted one, until the metadata no longer lists it.
        CreateTopics/DeleteTopics return when the controller has done it, and a broker's metadata cache
        may lag behind: a capture reading the topic then would see no topic and return nothing, and a
        deleted topic would still be listed on a shared cluster after the run."""
        import time

        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                meta = self._admin.list_topics(timeout=max(0.05, min(1.0, deadline - time.monotonic())))
                t = meta.topics.get(name)
                if gone and t is None:
                    return
                if not gone and t is not None and t.error is None and t.partitions and all(
                        p.leader >= 0 and p.error is None for p in t.partitions.values()):
                    return
            except Exception:  # noqa: BLE001 - a slice of the wait timed out; the deadline decides
                pass
            if time.monotonic() >= deadline:
                state = "deleted but still shows" if gone else "created but does not show"
                raise InfraError(f"topic {name!r} was {state} in the metadata of {self.cluster.bootstrap} "
                                 f"after {self.timeout_s:g} s", hint="is the broker still running?")
            time.sleep(0.02)

    def publish(self, topic: str, messages: Iterable[Message]) -> int:
        if not self._own(topic):
            raise InfraError(f"refusing to write to {topic!r}: velotui only writes to this run's topics "
                             f"({self.prefix}…)")
        self.create_topic(topic)
        serde = self._serde(topic)
        keys = self._key_serdes.get(topic, self._keys)
        batch = list(messages)
        errors: list[str] = []

        def delivered(err: Any, msg: Any, m: Message) -> None:
            if err is not None:
                errors.append(str(err))
            else:
                m.partition, m.offset = msg.partition(), msg.offset()

        for m in batch:
            m.topic = topic
            kwargs: dict[str, Any] = {}
            if m.timestamp:
                kwargs["timestamp"] = int(m.timestamp)
            value = m.raw if m.value is None and m.raw is not None else serde.encode(m.value)
            while True:
                try:
                    self._producer.produce(topic, value=value, key=keys.encode(m.key),
                                           headers=[(k, str(v).encode()) for k, v in m.headers.items()] or None,
                                           on_delivery=lambda err, msg, m=m: delivered(err, msg, m), **kwargs)
                    break
                except BufferError:
                    self._producer.poll(0.1)
        import time

        deadline = time.monotonic() + self.timeout_s
        while True:  # in slices: a query stopped by its watchdog (or a dead broker) stops at once
            remaining = self._producer.flush(SLICE_S)
            if not remaining or time.monotonic() >= deadline:
                break
        if remaining or errors:
            raise InfraError(f"Kafka did not accept {remaining or len(errors)} record(s) for {topic!r}"
                             + (f": {errors[0]}" if errors else ""), hint="is the broker still running?")
        if batch:
            for listener in self._listeners:
                listener(topic, batch)
        return len(batch)

    def read_all(self, topic: str) -> list[Message]:
        from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

        try:
            meta = _retry_timeouts(lambda t: self._admin.list_topics(topic, timeout=t), self.timeout_s)
        except KafkaException as e:
            raise InfraError(f"cannot read {topic!r} from {self.cluster.bootstrap}: {e}",
                             hint="is the broker still running?") from None
        tmeta = meta.topics.get(topic)
        if tmeta is None or tmeta.error is not None:
            return []
        consumer = Consumer(self.cluster.config(**{"group.id": f"velotui-{self.run_id}-capture",
                                                   "enable.auto.commit": False, "auto.offset.reset": "earliest",
                                                   "enable.partition.eof": True}))
        serde = self._serde(topic)
        keys = self._key_serdes.get(topic, self._keys)
        out: list[Message] = []
        try:
            ends: dict[int, int] = {}
            assignment = []
            for pid in sorted(tmeta.partitions):
                lo, hi = _retry_timeouts(lambda t, pid=pid: consumer.get_watermark_offsets(TopicPartition(topic, pid),
                                                                                         timeout=t), self.timeout_s)
                if hi > lo:
                    ends[pid] = hi
                    assignment.append(TopicPartition(topic, pid, lo))
            if not assignment:
                return []
            consumer.assign(assignment)
            per_part: dict[int, list[Message]] = {p: [] for p in ends}
            import time

            deadline = time.monotonic() + self.timeout_s
            while ends and time.monotonic() < deadline:
                msg = consumer.poll(SLICE_S)
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise InfraError(f"error reading {topic!r}: {msg.error()}")
                pid, off = msg.partition(), msg.offset()
                if pid not in ends or off >= ends[pid]:
                    continue
                raw = msg.value()
                value = serde.decode(raw)
                ts_type, ts = msg.timestamp()
                per_part[pid].append(Message(
                    value=value if isinstance(value, dict) else None, key=keys.decode(msg.key()),
                    headers={k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v))
                             for k, v in (msg.headers() or [])},
                    timestamp=ts, partition=pid, offset=off, topic=topic, event_time=ts,
                    raw=None if isinstance(value, dict) else raw))
                if off + 1 >= ends[pid]:
                    del ends[pid]
            if ends:
                raise InfraError(f"timed out reading {topic!r} up to its end offsets",
                                 hint="is the broker still running?")
            for pid in sorted(per_part):
                out.extend(per_part[pid])
        except KafkaException as e:
            raise InfraError(f"cannot read {topic!r}: {e}", hint="is the broker still running?") from None
        finally:
            consumer.close()
        if out:
            for listener in self._listeners:
                listener(topic, out)
        return out

    def topics(self) -> list[str]:
        return list(self._created)

    def delete_topic(self, name: str) -> None:
        if not self._own(name):
            return
        try:
            futures = self._admin.delete_topics([name], operation_timeout=self.timeout_s)
            for f in futures.values():
                _result(f, self.timeout_s)
            self._wait_until_visible(name, gone=True)
        except Exception:  # noqa: BLE001 - best effort: the topic may be gone with the broker
            pass
        if name in self._created:
            self._created.remove(name)

    def add_listener(self, listener: TopicListener) -> None:
        self._listeners.append(listener)

    def close(self) -> None:
        """Delete every topic this run created (at once nothing, when the broker no longer answers)."""
        from velotui.infra.cluster import tcp_reachable

        if self._created and not tcp_reachable(self.cluster.bootstrap, timeout_s=1.0):
            self._created.clear()  # the broker is gone, and its topics with it (or they wait for its return)
            return
        for name in list(self._created):
            self.delete_topic(name)
