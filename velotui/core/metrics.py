"""Engine metrics declared with ``-- @metric`` annotations, computed from what each statement emitted.

A counter counts the statement's output records (any field types); a gauge holds the last numeric value
of its field; a histogram observes every numeric value (``NAME`` is the number of observations,
``NAME_sum`` their sum). A value that is not a number is never a crash: it is skipped and one warning
names the metric, the field and a value seen.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from velotui.engine.api import MetricSample
from velotui.errors import VelotuiWarning


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float, Decimal)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def app_metrics(app: Any, outputs: dict[str, list[Any]]) -> tuple[list[MetricSample], list[VelotuiWarning]]:
    """Samples of every ``-- @metric`` of the app whose statement ran (``outputs``: statement name →
    its output messages), and the warnings computing them gave."""
    samples: list[MetricSample] = []
    warnings: list[VelotuiWarning] = []
    for decl in app.metrics:
        msgs = outputs.get(decl.statement or "")
        if msgs is None:
            continue
        groups: dict[tuple[tuple[str, str], ...], list[Any]] = {}
        for m in msgs:
            labels = tuple((lb, str((m.value or {}).get(lb))) for lb in decl.labels)
            groups.setdefault(labels, []).append(m)
        if not groups and decl.type == "counter" and not decl.labels:
            groups[()] = []
        if decl.type in ("gauge", "histogram") and not decl.field:
            warnings.append(VelotuiWarning(
                f"metric {decl.name!r} is a {decl.type} without -- @metric_field: it has no value",
                file=app.path, line=decl.line, hint="add `-- @metric_field: FIELD` under its -- @metric line, or make it a counter"))
            continue
        bad: list[Any] = []
        for labels, group in groups.items():
            if decl.type == "counter":
                samples.append(MetricSample(decl.name, "counter", float(len(group)), dict(labels)))
                continue
            raw = [(m.value or {}).get(decl.field or "") for m in group]
            nums = []
            for v in raw:
                n = _number(v)
                if n is None and v is not None:
                    bad.append(v)
                elif n is not None:
                    nums.append(n)
            if decl.type == "gauge":
                if nums:
                    samples.append(MetricSample(decl.name, "gauge", nums[-1], dict(labels)))
            else:
                samples.append(MetricSample(f"{decl.name}_sum", "histogram", float(sum(nums)), dict(labels)))
                samples.append(MetricSample(decl.name, "histogram", float(len(nums)), dict(labels)))
        if decl.type != "counter" and msgs and not any(decl.field in (m.value or {}) for m in msgs):
            seen = sorted({str(k) for m in msgs[:100] for k in (m.value or {})})
            warnings.append(VelotuiWarning(
                f"metric {decl.name!r} ({decl.type}): field {decl.field!r} is in none of the {len(msgs)} output "
                f"records of {decl.statement}", file=app.path, line=decl.line,
                hint="fields: " + ", ".join(seen)))
        if bad:
            warnings.append(VelotuiWarning(
                f"metric {decl.name!r} ({decl.type}): field {decl.field!r} has {len(bad)} value(s) that are not "
                f"numbers (e.g. {str(bad[0])[:40]!r}); they are not counted",
                file=app.path, line=decl.line, hint="point -- @metric_field at a numeric field, or use a counter (it counts records)"))
    return samples, warnings
