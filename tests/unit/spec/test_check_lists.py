"""Every list of checks the spec model allows reaches the evaluator (issue 12).

The lists are found by walking the pydantic models of the spec format (every field whose type holds an
assertion, at any depth), never from a hand-kept list: a list added to the format later is covered here
the day it is added, and fails this test until the runner evaluates it.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from velotui.core.run import RunOptions, SuiteRun
from velotui.spec import AssertionSpec, TestSpec
from velotui.spec.test_spec import ExpectedOutput

CHECK_TYPES = (AssertionSpec, ExpectedOutput)
REQUIRED = {"application": "app", "name": "o", "inputs": [{"source": "s", "records": 4}], "sink": "o",
            "queries": []}


def _types_in(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, dict):
        return [t for arg in typing.get_args(annotation) for t in _types_in(arg)]
    return [annotation]


def check_fields(model: type[BaseModel], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], type]]:
    """(path, check type) of every field under ``model`` that holds checks; ``[]`` marks a list step."""
    found = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        inner = _types_in(field.annotation)
        is_list = typing.get_origin(field.annotation) is list or any(
            typing.get_origin(a) is list for a in typing.get_args(field.annotation))
        step = (*path, key, "[]") if is_list else (*path, key)
        for t in inner:
            if isinstance(t, type) and issubclass(t, CHECK_TYPES):
                found.append(((*path, key), t))
                break
            if isinstance(t, type) and issubclass(t, BaseModel):
                found += check_fields(t, step)
    return found


def _spec_with_failing_check(path: tuple[str, ...], kind: type, label: str) -> dict[str, Any]:
    """A spec whose only check sits at ``path`` and cannot pass."""
    root: dict[str, Any] = {"application": "app", "queries": []}
    node: Any = root
    keys = list(path)
    models: list[type[BaseModel]] = [TestSpec]
    while keys:
        key = keys.pop(0)
        if not keys:
            node[key] = ({"records": [{"never": label}]} if kind is ExpectedOutput else
                         [{"type": "record_count", "equals": 999999, "description": label}])
            break
        model = models[-1]
        field = next(f for n, f in model.model_fields.items() if (f.alias or n) == key)
        child_model = next(t for t in _types_in(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel))
        child = {k: REQUIRED[k] for k, f in child_model.model_fields.items() if f.is_required()}
        if keys and keys[0] == "[]":
            keys.pop(0)
            node[key] = [child]
        else:
            node[key] = child
        node = child
        models.append(child_model)
    return root


def test_the_walk_finds_every_list_of_checks() -> None:
    found = {p for p, _ in check_fields(TestSpec)}
    # the known ones today; a new one is found by the walk and must then be evaluated (the next test)
    assert {("queries", "[]", "assertions"), ("queries", "[]", "metric_assertions"),
            ("queries", "[]", "outputs", "[]", "assertions"), ("queries", "[]", "expected_output")} <= found


def test_every_list_of_checks_is_evaluated(tmp_path: Path) -> None:
    (tmp_path / "app.sql").write_text("-- @data.a.type: integer\nCREATE STREAM o AS SELECT a FROM s;\n")
    for path, kind in check_fields(TestSpec):
        label = "/".join(path)
        spec = _spec_with_failing_check(path, kind, label)
        (tmp_path / "app.test.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        report = SuiteRun(tmp_path / "app.sql", RunOptions(seed=1, now_ms=1_700_000_000_000)).execute()
        assert report.apps[0].error is None, report.apps[0].error
        [q] = report.apps[0].queries
        failed = [a for a in q.assertions if a.status == "failed"]
        assert failed, f"the check at {label} was never evaluated"
        assert q.status == "failed" and report.exit_code == 1, label


def test_a_metric_check_that_cannot_pass_fails(tmp_path: Path) -> None:
    (tmp_path / "app.sql").write_text("-- @data.a.type: integer\n-- @metric: out_total\n-- @metric_type: counter\n"
                                      "CREATE STREAM o AS SELECT a FROM s;\n")
    spec = {"application": "app", "queries": [{"name": "o", "inputs": [{"source": "s", "records": 4}],
                                               "metric_assertions": [{"type": "metric_counter", "name": "out_total",
                                                                      "operator": "equals", "value": 999999}]}]}
    (tmp_path / "app.test.yaml").write_text(yaml.safe_dump(spec))
    report = SuiteRun(tmp_path / "app.sql", RunOptions(seed=1, now_ms=1_700_000_000_000)).execute()
    [a] = report.apps[0].queries[0].assertions
    assert (a.status, a.message) == ("failed", "out_total = 4, expected equals 999999")
    spec["queries"][0]["metric_assertions"][0]["value"] = 4
    (tmp_path / "app.test.yaml").write_text(yaml.safe_dump(spec))
    report = SuiteRun(tmp_path / "app.sql", RunOptions(seed=1, now_ms=1_700_000_000_000)).execute()
    assert report.exit_code == 0
