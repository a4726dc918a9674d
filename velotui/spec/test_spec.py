"""Test spec (``*.test.yaml``), velo-test compatible (FORMATS.md §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from velotui.spec.times import TimeText, check_order
from velotui.spec.validation import DocumentModel, LocatedModel, SpecModel, check_record_count


class TopicNaming(SpecModel):
    pattern: str = "test_{run_id}_{base}"
    namespace: str | None = None
    branch: str | None = None
    user: str | None = None
    branch_from_env: str | None = None
    user_from_env: str | None = None
    hash_long_names: bool = True
    max_topic_length: int = Field(249, ge=1, le=249)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: Any) -> Any:
        from velotui.spec.topic_naming import pattern_problem

        problem = pattern_problem(v) if isinstance(v, str) else None
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("user_from_env", "branch_from_env")
    @classmethod
    def _variable(cls, v: Any, info: Any) -> Any:
        from velotui.spec.topic_naming import variable_problem

        problem = variable_problem(v, info.field_name.split("_")[0]) if isinstance(v, str) else None
        if problem:
            raise ValueError(problem)
        return v


class TimeSimulation(SpecModel):
    start_time: TimeText | None = Field(None, description="relative (-3m, -1h, now, +1h) or ISO 8601")
    end_time: TimeText | None = None
    sequential: bool = True
    jitter_ms: int = Field(0, ge=0)
    time_scale: float = Field(1.0, gt=0)
    events_per_second: float | None = Field(None, gt=0)
    batch_size: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> TimeSimulation:
        check_order(self.start_time, self.end_time, "time_simulation")
        return self


class SourceType(SpecModel):
    type: Literal["kafka", "file"] = "kafka"
    topic: str | None = None
    path: str | None = None
    format: str | None = None
    watch: bool = False


TOPIC_FORMATS = ("json", "avro", "protobuf", "proto")
DATA_FILE_FORMATS = ("csv", "tsv", "jsonl", "jsonlines", "ndjson")


class InputSpec(LocatedModel):
    source: str = Field(description="the source name as the SQL uses it (FROM name)")
    source_type: SourceType | None = None
    schema_name: str | None = Field(None, alias="schema", description="data schema (default: the source name)")
    records: int | None = Field(None, ge=0)

    @field_validator("records")
    @classmethod
    def _records_fit(cls, v: Any) -> Any:
        return check_record_count(v)

    data_file: str | None = None
    from_previous: str | None = None
    key_field: str | None = None
    null_probability: float | None = Field(None, ge=0, le=1)
    time_simulation: TimeSimulation | None = None
    format: str | None = Field(None, description="velo-test: how the input's records are serialized on its topic "
                               "(json, avro, protobuf), or the format of its data_file (csv, jsonl …)")

    @field_validator("format")
    @classmethod
    def _known_format(cls, v: Any) -> Any:
        if v is None:
            return v
        text = str(v).lower()
        if text not in TOPIC_FORMATS and text not in DATA_FILE_FORMATS:
            raise ValueError(f"unknown format {v!r}: the topic's serialization is json, avro or protobuf; a data "
                             "file's format is csv, tsv or jsonl (also jsonlines, ndjson)")
        return text

    @property
    def topic_format(self) -> str | None:
        """The serialization of the input's topic when ``format`` names one (json, avro, protobuf)."""
        return {"proto": "protobuf"}.get(self.format or "", self.format) if self.format in TOPIC_FORMATS else None

    @property
    def file_format(self) -> str | None:
        """The format of the input's data file when ``format`` names a file format."""
        return self.format if self.format in DATA_FILE_FORMATS else None

    @field_validator("source_type", mode="before")
    @classmethod
    def _short_source_type(cls, v: Any) -> Any:
        return {"type": v} if isinstance(v, str) else v


class AssertionSpec(LocatedModel):
    """One assertion as written: its ``type`` and every other key in ``params``."""

    type: str = Field(description="assertion type (record_count, field_values, template, …)")
    description: str | None = None
    severity: Literal["error", "warning"] = "error"
    params: dict[str, Any] = Field(default_factory=dict, description="the assertion's own keys")

    __accepts_any_keys__ = True  # its keys depend on its type: velotui.assertions checks them
    __flattens__ = "params"  # keys written under `params:` are the assertion's own keys

    @model_validator(mode="before")
    @classmethod
    def _collect_params(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("an assertion is a mapping with a 'type' key")
        own = {"type", "description", "severity", "params"}
        params = dict(data.get("params") or {})
        params.update({k: v for k, v in data.items() if k not in own})
        return {**{k: v for k, v in data.items() if k in own}, "params": params}


class SinkType(SpecModel):
    type: Literal["kafka", "file"] = "kafka"
    topic: str | None = None
    path: str | None = None
    format: str | None = None


class OutputSpec(SpecModel):
    sink_type: SinkType | None = None


class SinkOutput(LocatedModel):
    sink: str
    assertions: list[AssertionSpec] = Field(default_factory=list)


class ExpectedOutput(SpecModel):
    records: list[dict[str, Any]] | None = None
    file: str | None = None
    order: Literal["exact", "per_key", "any"] = "any"
    columns: Literal["all", "partial"] = "partial"
    key_fields: list[str] = Field(default_factory=list)


class CoverageSpec(LocatedModel):
    """``coverage:`` of an app or of one query (the query's wins): what data coverage the run asks for."""

    required: bool = Field(False, description="true: a `coverage` assertion fails the query while any of its "
                           "coverage items is not covered (and coverage is counted for it, with or without "
                           "--coverage)")

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"coverage is a mapping, not {data!r}: write coverage: {{required: true}}")
        return data


class QueryTest(LocatedModel):
    name: str = Field(description="the CREATE STREAM/TABLE statement whose sink is captured")
    description: str | None = None
    skip: bool = False
    dependencies: list[str] = Field(default_factory=list)
    inputs: list[InputSpec] = Field(description="inputs published before the query runs")
    output: OutputSpec | None = None
    outputs: list[SinkOutput] = Field(default_factory=list)
    assertions: list[AssertionSpec] = Field(default_factory=list)
    metric_assertions: list[AssertionSpec] = Field(default_factory=list)
    timeout_ms: int | None = Field(None, gt=0)
    capture_format: Literal["json", "avro", "protobuf"] = "json"
    capture_schema: str | None = None
    expected_output: str | list[dict[str, Any]] | ExpectedOutput | None = None
    accepted_divergences: list[str] = Field(
        default_factory=list, description="divergence ids (D1 … D19) this query knowingly depends on: still "
        "shown, never an error under --strict")
    coverage: CoverageSpec | None = Field(None, description="data coverage for this query (overrides the app's)")

    @property
    def all_assertions(self) -> list[AssertionSpec]:
        """Every check of the query, from every list that holds checks (``check_lists``)."""
        return [a for cl in self.check_lists() for a in cl.checks]

    def check_lists(self) -> list[CheckList]:
        """Every list of checks this query holds, found by walking the model (never a hand-kept list of
        field names): a field holding assertions checks the query's captured output; a list of entries
        with a ``sink`` holds checks of that sink; ``expected_output`` is one expected_output check."""
        found: list[CheckList] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "expected_output":
                if value is not None:
                    found.append(CheckList(name, None, [self._expected_output_check()]))
            elif _holds_checks(value):
                found.append(CheckList(name, None, list(value)))
            elif isinstance(value, list) and value and all(isinstance(v, SpecModel) and "sink" in type(v).model_fields
                                                           for v in value):
                for i, entry in enumerate(value):
                    for sub in type(entry).model_fields:
                        inner = getattr(entry, sub)
                        if _holds_checks(inner):
                            found.append(CheckList(f"{name}[{i}].{sub}", entry.sink, list(inner), entry))
        return found

    def _expected_output_check(self) -> AssertionSpec:
        """``expected_output`` as an ``expected_output`` assertion (FORMATS.md §2), located at the key."""
        eo = self.expected_output
        if isinstance(eo, str):
            params: dict[str, Any] = {"file": eo}
        elif isinstance(eo, list):
            params = {"records": eo}
        else:
            assert isinstance(eo, ExpectedOutput)
            params = eo.model_dump(exclude_none=True)
        spec = AssertionSpec.model_validate({"type": "expected_output", "description": "expected_output", **params})
        spec._file, spec._line, spec._column = self.file, self.line, self.column
        spec._doc_path = (*self.doc_path, "expected_output")
        return spec


@dataclass
class CheckList:
    """One list of checks of a query: where the spec holds it, and whose records it checks (``sink``: one
    sink's, by name or topic; None: the query's captured output)."""

    field: str
    sink: str | None
    checks: list[AssertionSpec]
    entry: Any = None  # the spec entry holding it (a SinkOutput), for its location


def _holds_checks(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, AssertionSpec) for v in value) and bool(value)


class FaultKind(SpecModel):
    enabled: bool = False
    rate: float = Field(0.0, ge=0, le=1)


MalformedKind = Literal["missing_field", "wrong_type", "invalid_json", "overflow", "empty_record", "unexpected_null",
                        "invalid_encoding", "truncated"]
MALFORMED_KINDS: tuple[str, ...] = MalformedKind.__args__  # type: ignore[attr-defined]


class MalformedRecords(FaultKind):
    types: list[MalformedKind] = Field(default_factory=list)


class Duplicates(FaultKind):
    max_duplicates: int = 1
    delay_ms: int = 0


class OutOfOrder(FaultKind):
    max_delay_ms: int = 0
    window_size: int | None = None


class SlowProcessing(FaultKind):
    min_delay_ms: int = 0
    max_delay_ms: int = 0


class FieldCorruption(FaultKind):
    fields: list[str] = Field(default_factory=list)
    target_fields: list[str] = Field(default_factory=list)
    # a kind of malformed_records; another name (velo-test's own) corrupts as wrong_type
    corruption_types: list[str] = Field(default_factory=list)

    @field_validator("corruption_types")
    @classmethod
    def _no_misspelt_kind(cls, v: list[str]) -> list[str]:
        """A name one edit from a known kind is a typo (it would corrupt as wrong_type without a word)."""
        import difflib

        for name in v:
            close = difflib.get_close_matches(str(name), MALFORMED_KINDS, n=1, cutoff=0.8)
            if name not in MALFORMED_KINDS and close:
                raise ValueError(f"unknown corruption type {name!r}; did you mean {close[0]!r}? (kinds: "
                                 f"{', '.join(MALFORMED_KINDS)})")
        return v


class FaultInjection(SpecModel):
    seed: int | None = None
    enable_dlq: bool = True
    dlq_max_size: int | None = None
    malformed_records: MalformedRecords | None = None
    duplicates: Duplicates | None = None
    out_of_order: OutOfOrder | None = None
    slow_processing: SlowProcessing | None = None
    field_corruption: FieldCorruption | None = None


class StressDefaults(LocatedModel):
    """``stress_test``: what ``velotui stress`` does on this app when its command line does not say.
    velo-test's keys (``enabled``, ``records``, ``rate_per_second``, ``duration_seconds``, ``batch_size``)
    and velotui's shorter ``duration`` (``30s``, ``2m``) and ``rate``."""

    enabled: bool = Field(True, description="false: this app is not stress-tested (velotui stress refuses)")
    records: int | None = Field(None, ge=1, description="records to publish")
    rate_per_second: float | None = Field(None, gt=0, description="publish rate (records/s)")
    duration_seconds: float | None = Field(None, gt=0, description="publish for this long instead of a count")
    batch_size: int | None = Field(None, ge=1, description="records per published batch")
    duration: str | None = Field(None, description="velotui spelling of duration_seconds: 30s, 2m")
    rate: float | None = Field(None, gt=0, description="velotui spelling of rate_per_second")

    @field_validator("duration")
    @classmethod
    def _duration_text(cls, v: Any) -> Any:
        if v is not None and _duration_seconds(str(v)) is None:
            raise ValueError("a duration is a number with a unit: 500ms, 30s, 5m, 1h")
        return v

    @property
    def target_rate(self) -> float | None:
        return self.rate_per_second or self.rate

    @property
    def target_seconds(self) -> float | None:
        if self.duration_seconds is not None:
            return self.duration_seconds
        return _duration_seconds(self.duration) if self.duration else None


_DURATION_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def _duration_seconds(text: str) -> float | None:
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|sec|min|hr|s|m|h|d)?\s*", text, re.IGNORECASE)
    return float(m.group(1)) * _DURATION_UNITS[(m.group(2) or "s").lower()] if m else None


class TestSpec(DocumentModel):
    __test__ = False  # not a pytest test class

    application: str = Field(description="app name (matches -- @app: in the SQL when present)")
    description: str | None = None
    default_timeout_ms: int = Field(30000, gt=0)
    default_records: int = Field(1000, ge=0)

    @field_validator("default_records")
    @classmethod
    def _default_records_fit(cls, v: Any) -> Any:
        return check_record_count(v)

    topic_naming: TopicNaming | None = None
    engine: Literal["embedded", "external", "velostream"] | None = Field(
        None, description="the engine this app runs on unless --engine or --compare says (docs/ENGINES.md)")
    config: dict[str, Any] = Field(default_factory=dict, description="overrides of the app's WITH properties")
    seed: int | None = None
    variables: dict[str, Any] = Field(default_factory=dict, description="values for {{variables.X}}")
    fault_injection: FaultInjection | None = None
    debug: dict[str, Any] | None = None
    stress_test: StressDefaults | None = None
    coverage: CoverageSpec | None = Field(None, description="data coverage for every query of the app "
                                          "(`required: true`: each must cover every item)")
    queries: list[QueryTest] = Field(description="one entry per output stream/table under test")

    @field_validator("config", mode="before")
    @classmethod
    def _config_text(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): (str(x).lower() if isinstance(x, bool) else x) for k, x in v.items()}
        return v
