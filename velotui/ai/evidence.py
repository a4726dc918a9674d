"""The evidence pack sent to the model (and read by the offline explainer) for one failed assertion.

Built within a token budget; any truncation is announced in the pack itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from velotui.ai.rules import rules_for
from velotui.records import Message

CHARS_PER_TOKEN = 4


@dataclass
class FailureContext:
    """Everything known about a failed assertion: built by velotui.core, read here."""

    app: str
    query: str
    result: Any  # velotui.assertions.AssertionResult
    sql_text: str = ""
    sql_path: Path | None = None
    statement: Any = None  # velotui.sql.model.Statement
    spec_text: str = ""
    spec_path: Path | None = None
    query_line: int | None = None
    inputs: dict[str, list[dict]] = field(default_factory=dict)  # by source name
    input_times: dict[str, list[int]] = field(default_factory=dict)  # event times per input record
    schemas: dict[str, Any] = field(default_factory=dict)  # source name -> DataSchema
    outputs: list[Message] = field(default_factory=list)
    lineage: list[list[int]] | None = None  # per output: indexes into the statement's input records
    minimal_input: Any = None  # velotui.report.MinimalInput: --shrink's smallest input that fails the same way


def _json(v: Any) -> str:
    return orjson.dumps(v, default=str).decode()


def _schema_summary(schema: Any) -> list[str]:
    lines = []
    for f in getattr(schema, "fields", []) or []:
        cons = getattr(f, "constraints", None)
        parts = [f"{f.name}: {getattr(f, 'type', '?')}"]
        if cons is not None:
            dump = cons.model_dump(exclude_none=True, exclude_defaults=True) if hasattr(cons, "model_dump") else cons
            if dump:
                parts.append(_json(dump))
        if getattr(f, "nullable", False):
            parts.append("nullable")
        lines.append("  - " + " ".join(parts))
    return lines


def _spec_excerpt(ctx: FailureContext) -> str:
    if not ctx.spec_text:
        return ""
    lines = ctx.spec_text.splitlines()
    if ctx.query_line:
        start = max(0, ctx.query_line - 1)
        end = start + 1
        while end < len(lines) and not lines[end].lstrip().startswith("- name:"):
            end += 1
        return "\n".join(lines[start:end])
    return ctx.spec_text


@dataclass
class EvidencePack:
    sections: list[tuple[str, str]]
    truncated: list[str]

    def to_markdown(self) -> str:
        out = []
        for title, body in self.sections:
            out.append(f"## {title}\n\n{body}\n")
        if self.truncated:
            out.append("## Truncated\n\n" + "\n".join(f"- {t}" for t in self.truncated) + "\n")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {"sections": {t: b for t, b in self.sections}, "truncated": list(self.truncated)}


def _assertion_text(result: Any) -> str:
    loc = f"{result.file}:{result.line}" if getattr(result, "line", None) else str(getattr(result, "file", "") or "")
    lines = [f"- type: `{result.type}`"]
    if getattr(result, "description", None):
        lines.append(f"- description: {result.description}")
    lines += [f"- expected: `{result.expected}`", f"- actual: `{result.actual}`", f"- message: {result.message}"]
    if loc:
        lines.append(f"- defined at: `{loc}`")
    return "\n".join(lines)


def build_evidence(ctx: FailureContext, budget_tokens: int = 8000) -> EvidencePack:
    """Assemble the evidence, most important first, dropping or cutting what exceeds the budget."""
    budget = budget_tokens * CHARS_PER_TOKEN
    truncated: list[str] = []
    sections: list[tuple[str, str]] = [
        ("Failed assertion", _assertion_text(ctx.result)),
        ("SQL" + (f" ({ctx.sql_path.name})" if ctx.sql_path else ""), f"```sql\n{ctx.sql_text.strip()}\n```"),
    ]
    minimal = ctx.minimal_input
    if minimal is not None and getattr(minimal, "applies", False):
        sizes = ", ".join(f"{after} of {before} records of `{s}`" for s, (before, after) in minimal.sizes.items())
        body = [f"The failure persists with only these records ({sizes}; found by shrinking the inputs, each "
                "record needed, field values simplified where the failure stays):"]
        for source, rows in minimal.records.items():
            body += [f"- `{source}`: `{_json(r)}`" for r in rows[:20]]
        if minimal.command:
            body.append(f"\nReproduce: `{minimal.command}`")
        sections.insert(1, ("Minimal failing input", "\n".join(body)))  # the strongest evidence, kept first
    excerpt = _spec_excerpt(ctx)
    if excerpt:
        sections.append(("Test spec (query)", f"```yaml\n{excerpt}\n```"))
    schema_lines = []
    for source, schema in ctx.schemas.items():
        schema_lines.append(f"- source `{source}` (schema `{getattr(schema, 'name', source)}`):")
        schema_lines += _schema_summary(schema)
    if schema_lines:
        sections.append(("Input schemas", "\n".join(schema_lines)))
    counts = [f"- `{s}`: {len(rows)} records" for s, rows in ctx.inputs.items()]
    counts.append(f"- output of `{ctx.query}`: {len(ctx.outputs)} records")
    sections.append(("Record counts", "\n".join(counts)))

    samples = list(getattr(ctx.result, "samples", None) or [])[:10]
    if samples:
        sections.append(("Offending output records", "\n".join(f"- `{_json(s)}`" for s in samples)))
    elif ctx.outputs:
        shown = [m.value for m in ctx.outputs[:10]]
        if len(ctx.outputs) > 10:
            truncated.append(f"output sample: 10 of {len(ctx.outputs)} records shown")
        sections.append(("Output records (sample)", "\n".join(f"- `{_json(v)}`" for v in shown)))
    contributing = _contributing_inputs(ctx, truncated) if ctx.lineage else []
    if contributing:
        sections.append(("Input records that produced them", "\n".join(f"- `{_json(r)}`" for r in contributing)))
    for source, rows in ctx.inputs.items():  # records the query dropped matter as much as those it kept
        shown = rows[:20]
        if len(rows) > len(shown):
            truncated.append(f"input `{source}`: {len(shown)} of {len(rows)} records shown")
        if shown:
            sections.append((f"Input records of `{source}`" + (" (sample)" if len(rows) > 20 else ""),
                             "\n".join(f"- `{_json(r)}`" for r in shown)))
    rules = rules_for(ctx.statement)
    if rules:
        sections.append(("Relevant semantics", "\n".join(f"- {r}" for r in rules)))

    total = 0
    kept: list[tuple[str, str]] = []
    for title, body in sections:
        size = len(title) + len(body) + 8
        if total + size > budget:
            room = budget - total - len(title) - 40
            if room > 200:
                kept.append((title, body[:room] + "\n…"))
                truncated.append(f"section '{title}' cut to {room} of {len(body)} characters (token budget)")
                total = budget
            else:
                truncated.append(f"section '{title}' dropped (token budget {budget_tokens})")
            continue
        kept.append((title, body))
        total += size
    return EvidencePack(kept, truncated)


def _contributing_inputs(ctx: FailureContext, truncated: list[str], limit: int = 20) -> list[dict]:
    """Input records behind the offending outputs (from engine lineage), else a sample of the inputs."""
    all_inputs: list[dict] = [r for rows in ctx.inputs.values() for r in rows]
    if ctx.lineage and ctx.outputs:
        samples = list(getattr(ctx.result, "samples", None) or [])
        idx: list[int] = []
        for i, m in enumerate(ctx.outputs):
            if (not samples or m.value in samples) and i < len(ctx.lineage):
                idx.extend(ctx.lineage[i])
            if len(idx) >= limit:
                break
        rows = [all_inputs[i] for i in dict.fromkeys(idx) if 0 <= i < len(all_inputs)]
        if len(rows) > limit:
            truncated.append(f"contributing inputs: {limit} of {len(rows)} shown")
        return rows[:limit]
    if len(all_inputs) > limit:
        truncated.append(f"input sample: {limit} of {len(all_inputs)} records shown (no lineage)")
    return all_inputs[:limit]
