"""The explain service: turns a finished run's failures into FailureContexts and asks velotui.ai."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from velotui import files
from velotui.ai import Explanation, FailureContext, explain


def failure_context(run: Any, app: str, query: str, result: Any) -> FailureContext | None:
    """The evidence of one failed assertion of ``run`` (a finished velotui.core.SuiteRun); ``app`` is the
    app's SQL file (velotui.core.run.app_key: two apps may share a name), the context names it as the
    reports do."""
    rec = run.record(app, query)
    if rec is None:
        return None
    loaded = rec.loaded
    schemas: dict[str, Any] = {}
    for inp in rec.query.inputs:
        name = getattr(inp, "schema_name", None) or inp.source
        if isinstance(name, str) and name in loaded.schemas:
            schemas[inp.source] = loaded.schemas[name]
    for src in rec.inputs:
        if src not in schemas and src in loaded.schemas:
            schemas[src] = loaded.schemas[src]
    return FailureContext(
        app=run.app_label(app, loaded.name), query=query, result=result,
        # the texts the run read: the files may have been edited (or removed) since
        sql_text=loaded.sql_text or files.read_text(loaded.sql_path, what="SQL file"), sql_path=loaded.sql_path,
        statement=rec.statement,
        spec_text=loaded.spec_text or files.read_text(loaded.spec_path, what="test spec"), spec_path=loaded.spec_path,
        query_line=getattr(rec.query, "line", None), inputs=rec.inputs, input_times=rec.input_times,
        schemas=schemas, outputs=rec.outputs, lineage=rec.lineage, minimal_input=_minimal_for(run, app, query, result))


def _minimal_for(run: Any, app: str, query: str, result: Any) -> Any:
    """--shrink's result for this query, when it was about this assertion."""
    from velotui.core.shrink import describes

    found = getattr(run, "minimal_inputs", {}).get((app, query))
    return found if found is not None and describes(found, result) else None


def explain_failures(run: Any, *, use_ai: bool = True, query: str | None = None) -> list[tuple[str, str, Any,
                                                                                                 Explanation]]:
    """(app, query, assertion result, explanation) for every failed assertion of the run; ``app`` is the
    app's SQL file (velotui.core.run.app_key, AppReport.file), the explanation names it by its label."""
    out = []
    for (app, q), rec in run.query_records.items():
        if query and q != query:
            continue
        for r in rec.results:
            if r.status not in ("failed", "error"):
                continue
            ctx = failure_context(run, app, q, r)
            if ctx is not None:
                out.append((app, q, r, explain(ctx, use_ai=use_ai)))
    return out


# -- the failure at a glance (the TUI's detail view) ------------------------------------------------
@dataclass
class InputRecord:
    source: str
    index: int  # position among that source's input records
    record: dict[str, Any]


@dataclass
class FailureDetail:
    """One failed assertion with what a reader needs to see it whole: where it is written, the records it
    objected to (and the fields it looked at), and the input records behind them."""

    app: str
    query: str
    result: Any  # velotui.assertions.AssertionResult
    spec_file: str | None
    spec_line: int | None  # the assertion's line (golden: the query's line in the spec)
    checked_fields: list[str]
    offending: list[dict[str, Any]]
    inputs: list[InputRecord]
    inputs_note: str  # how the inputs were chosen (lineage, or a sample)
    divergence: list[str] = field(default_factory=list)  # divergence flags the report carries, if any
    label: str = ""  # how the reports name the app (``app`` is its SQL file: two apps may share a name)

    @property
    def app_label(self) -> str:
        return self.label or self.app


_FIELD_KEYS = re.compile(r"^(field|.*_field|fields|.*_fields|.*_in)$")


def checked_fields(params: Any) -> list[str]:
    """Record fields an assertion's parameters name (``field``, ``key_fields``, ``no_nulls_in``, nested
    ``numeric_ranges[].field`` …; a template's ``r.x``)."""
    out: list[str] = []

    def walk(v: Any, key: str = "") -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, str(k))
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, str) and _FIELD_KEYS.match(key):
                    out.append(x)
                else:
                    walk(x, key)
        elif isinstance(v, str):
            if _FIELD_KEYS.match(key):
                out.append(v)
            elif key == "expression":
                out.extend(re.findall(r"\br\.([A-Za-z_][A-Za-z0-9_]*)", v))

    walk(params)
    return list(dict.fromkeys(out))


def _spec_assertion(rec: Any, result: Any) -> Any:
    for a in [*getattr(rec.query, "all_assertions", []), *[x for o in getattr(rec.query, "outputs", None) or []
                                                          for x in o.assertions]]:
        if getattr(a, "line", None) == getattr(result, "line", None) and a.type == result.type:
            return a
    return None


def failure_detail(run: Any, app: str, query: str, result: Any, *, limit: int = 50) -> FailureDetail:
    """The detail of one failed assertion of ``run`` (a finished SuiteRun; None when the run is gone);
    ``app`` is the app's SQL file (velotui.core.run.app_key)."""
    rec = run.record(app, query) if run is not None else None
    spec_file, spec_line = result.file, result.line
    fields: list[str] = []
    if getattr(result, "diff", None) is not None:  # golden: the fields that changed; the spec line of the query
        fields = list(dict.fromkeys(f for c in result.diff.changes for f in c.fields))
        if rec is not None:
            spec_file, spec_line = str(rec.loaded.spec_path), getattr(rec.query, "line", None)
    elif rec is not None:
        spec = _spec_assertion(rec, result)
        if spec is not None:
            fields = checked_fields(spec.params)
    offending = [s for s in (result.samples or []) if isinstance(s, dict)]
    if rec is None:
        return FailureDetail(app, query, result, spec_file, spec_line, fields, offending, [],
                             "the run that produced this result is gone; re-run to see its inputs")
    inputs, note = _inputs_behind(rec, offending, limit)
    return FailureDetail(app, query, result, spec_file, spec_line, fields, offending, inputs, note,
                         label=run.app_label(app, rec.loaded.name))


def _inputs_behind(rec: Any, offending: list[dict[str, Any]], limit: int) -> tuple[list[InputRecord], str]:
    flat: list[InputRecord] = [InputRecord(src, i, r) for src, rows in rec.inputs.items() for i, r in enumerate(rows)]
    if rec.lineage and rec.outputs:
        idx: list[int] = []
        for i, m in enumerate(rec.outputs):
            if (not offending or m.value in offending) and i < len(rec.lineage):
                idx.extend(rec.lineage[i])
            if len(idx) >= limit:
                break
        rows = [flat[i] for i in dict.fromkeys(idx) if 0 <= i < len(flat)]
        return rows[:limit], (f"the {len(rows[:limit])} input records the engine's lineage ties to "
                              + ("the offending records" if offending else "the output"))
    shown = flat[:limit]
    return shown, f"a sample of the inputs ({len(shown)} of {len(flat)}; the engine kept no lineage for this query)"


def first_failure(run_report: Any, app: str | None = None, query: str | None = None) -> tuple[str, str, Any] | None:
    """(app, query, result) of the first failed assertion of a report, within an app or query if given."""
    for a in getattr(run_report, "apps", []) or []:
        if app is not None and a.name != app:
            continue
        for q in a.queries:
            if query is not None and q.name != query:
                continue
            for r in q.failed_assertions:
                return a.name, q.name, r
    return None
