"""Data coverage of a query's run: the engine's counts (velotui.engine.api.CoveredItem) as the report's
QueryCoverage, each uncovered item with a hint (velotui.core.coverage_hints), and the ``coverage``
assertion a spec's ``coverage: {required: true}`` asks for."""

from __future__ import annotations

from typing import Any

from velotui.report.coverage import ItemCoverage, OutcomeCount, QueryCoverage


def wanted(spec: Any, query: Any) -> Any:
    """The ``coverage:`` that applies to a query: its own, else its app's (None: neither says)."""
    own = getattr(query, "coverage", None)
    return own if own is not None else getattr(spec, "coverage", None)


def query_coverage(statement: Any, covered: list[Any] | None, *, file: str | None, inputs: list[Any],
                   input_specs: dict[str, Any] | None = None, times: dict[str, list[int]] | None = None,
                   required: bool = False, app: Any = None) -> QueryCoverage:
    """The report's coverage of ``statement`` from the engine's items (``covered``), with hints for the
    items the inputs did not cover, read from the inputs' schemas and records."""
    from velotui.core.coverage_hints import Facts, hint

    cov = QueryCoverage(statement=statement.name, file=file, required=required)
    if covered is None:
        cov.measured = False
        cov.note = "the engine did not count coverage"
        return cov
    facts = Facts(statement, inputs, input_specs, times, app)
    for item in covered:
        out = ItemCoverage(id=item.id, kind=item.kind, clause=item.clause, sql=item.sql, line=item.line,
                           column=item.column, file=file, unreachable=item.unreachable,
                           outcomes=[OutcomeCount(o.name, o.count, o.needed) for o in item.outcomes])
        if out.missing:
            out.hint = hint(item, facts, covered)
        cov.items.append(out)
    return cov


def not_measured(statement: str, file: str | None, engine: str, required: bool) -> QueryCoverage:
    return QueryCoverage(statement=statement, file=file, measured=False, required=required,
                         note=f"the {engine} engine cannot count it; coverage is measured on the embedded engine")


def coverage_assertion(cov: QueryCoverage, spec: Any) -> Any:
    """The ``coverage`` assertion of ``coverage: {required: true}``: failed while an item is uncovered (the
    message names them), an error when coverage could not be measured."""
    from velotui.assertions import AssertionResult

    where = {"file": getattr(spec, "file", None), "line": getattr(spec, "line", None)}
    if not cov.measured:
        return AssertionResult(type="coverage", description="coverage: required", status="error",
                               message=f"cannot check: {cov.note}", **where)
    missing = cov.uncovered
    if not missing:
        return AssertionResult(type="coverage", description="coverage: required", status="passed",
                               message=f"every coverage item covered ({len(cov.counted)} items)", **where)
    names = "; ".join(f"{i.id} `{' '.join(i.sql.split())}` {i.gap()} (line {i.line})" for i in missing[:10]) + \
        (f"; … {len(missing) - 10} more" if len(missing) > 10 else "")
    return AssertionResult(type="coverage", description="coverage: required", status="failed",
                           message=f"{len(missing)} of {len(cov.counted)} coverage items not covered: {names}",
                           expected="every item covered", actual=f"{cov.covered_count} of {len(cov.counted)} covered",
                           samples=[{"item": i.id, "sql": i.sql, "gap": i.gap(), "where": i.place,
                                     **({"hint": i.hint} if i.hint else {})} for i in missing[:10]], **where)


__all__ = ["coverage_assertion", "not_measured", "query_coverage", "wanted"]
