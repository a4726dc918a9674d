"""The explain service: turns a finished run's failures into FailureContexts and asks velotui.ai."""

from __future__ import annotations

from typing import Any

from velotui import files
from velotui.ai import Explanation, FailureContext, explain


def failure_context(run: Any, app: str, query: str, result: Any) -> FailureContext | None:
    """The evidence of one failed assertion of ``run`` (a finished velotui.core.SuiteRun)."""
    rec = run.query_records.get((app, query))
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
        app=app, query=query, result=result,
        sql_text=files.read_text(loaded.sql_path, what="SQL file"), sql_path=loaded.sql_path, statement=rec.statement,
        spec_text=files.read_text(loaded.spec_path, what="test spec"), spec_path=loaded.spec_path,
        query_line=getattr(rec.query, "line", None), inputs=rec.inputs, input_times=rec.input_times,
        schemas=schemas, outputs=rec.outputs, lineage=rec.lineage)


def explain_failures(run: Any, *, use_ai: bool = True, query: str | None = None) -> list[tuple[str, str, Any,
                                                                                                 Explanation]]:
    """(app, query, assertion result, explanation) for every failed assertion of the run."""
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
