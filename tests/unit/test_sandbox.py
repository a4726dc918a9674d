"""The sandbox: each rule proven with an attempted escape (docs/SECURITY.md)."""

from __future__ import annotations

import pytest

from velotui.errors import SandboxError
from velotui.sandbox import compile_expression, evaluate

ENV = {"records": [{"x": 1, "_secret": 2}, {"x": 2}], "r": {"x": 1, "_secret": 2}}


def test_allowed_expressions() -> None:
    assert evaluate("all(r.x > 0 for r in records) and len(records) == 2", ENV)
    assert evaluate("sum(r.x for r in records) == 3", ENV)
    assert evaluate("[r.x * 2 for r in records if r.x > 1]", ENV) == [4]
    assert evaluate("'a' if r.missing is None else 'b'", ENV) == "a"


@pytest.mark.parametrize("attempt, words", [
    ("().__class__.__bases__[0].__subclasses__()", "not allowed"),
    ("__import__('os')", "calling '__import__'"),
    ("__import__('os').system('id')", "not allowed"),
    ("open('/etc/passwd')", "calling 'open'"),
    ("open('/etc/passwd').read()", "not allowed"),
    ("r._secret", "'_secret'"),
    ("getattr(r, 'x')", "calling 'getattr'"),
    ("eval('1')", "calling 'eval'"),
    ("(lambda: 1)()", "lambda"),
    ("[x := 1]", "namedexpr"),
    ("records.pop()", "calling 'records.pop'"),
    ("r.x.__class__", "'__class__'"),
    ("type(r)", "calling 'type'"),
    ("[c for c in ().__class__.__mro__]", "'__mro__'"),
])
def test_escapes_are_refused(attempt: str, words: str) -> None:
    with pytest.raises(SandboxError) as e:
        evaluate(attempt, ENV)
    assert words in str(e.value)


@pytest.mark.parametrize("attempt", ["10 ** 10 ** 10", "'a' * 10 ** 9", "[1] * 10 ** 8",
                                     "sum(1 for a in records * 1000 for b in records * 1000 for c in records * 1000)"])
def test_unbounded_work_is_refused(attempt: str) -> None:
    with pytest.raises(SandboxError):
        compile_expression(attempt, max_seconds=1.0).evaluate(ENV)


def test_unknown_names_are_refused_when_names_are_given() -> None:
    with pytest.raises(SandboxError) as e:
        compile_expression("price * qty", names={"price"})
    assert "unknown name 'qty'" in str(e.value)


def test_too_long_is_refused() -> None:
    with pytest.raises(SandboxError):
        compile_expression("1 + " * 5000 + "1")
