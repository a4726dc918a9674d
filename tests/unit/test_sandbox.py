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


BIG = {"records": [{"x": i} for i in range(1000)]}


@pytest.mark.parametrize("attempt, words", [
    ("10 ** 10 ** 10", "integer too large: 10 ** 10000000000 has about"),
    ("(10 ** 1000) ** 1000", "integer too large"),  # each exponent small, the result not
    ("(2 ** 60000) * (2 ** 60000)", "integer too large: this product would have about"),
    ("'a' * 10 ** 9", "result too large (1,000,000,000 items"),
    ("[[0] * 10 ** 6 for a in records for b in records]", "expression built more than 10,000,000 items in total"),
    ("str([[0] * 10 ** 6] * 10 ** 6)", "str() of this value would be too large"),
    ("concat([0] * 400000, [0] * 400000)", "concat() of this value would be too large"),
    ("'%999999999d' % 1", "format width 999999999 is too large"),
    ("'%*d' % (10 ** 9, 1)", "'*' widths are not allowed"),
    ("'%s' % ([[0] * 10 ** 5] * 10 ** 5,)", "result too large"),
    ("round(5, -10 ** 9)", "round() to -1000000000 digits is too many"),
    ("sum([[1] * 1000] * 1000, [])", "sum() adds numbers"),
    ("sum(1 for a in records for b in records for c in records)", "expression exceeded its"),  # steps or time
    ("f'{records}'", "joinedstr"),
])
def test_budgets_cannot_be_bypassed(attempt: str, words: str) -> None:
    import time

    t0 = time.monotonic()
    with pytest.raises(SandboxError) as e:
        compile_expression(attempt, max_seconds=2.0).evaluate(BIG)
    assert words in str(e.value), str(e.value)
    assert time.monotonic() - t0 < 3  # refused before the work, not after it


def test_the_time_budget_is_per_evaluation() -> None:
    expr = compile_expression("sum(1 for a in records for b in records) > 0", max_seconds=0.05)
    with pytest.raises(SandboxError) as e:
        expr.evaluate(BIG)
    assert "time budget (0.05 s)" in str(e.value)
    assert compile_expression("len(records)", max_seconds=0.05).evaluate(BIG) == 1000  # a fresh budget each time


def test_the_query_deadline_stops_an_expression() -> None:
    from velotui.watchdog import Stopped, Watchdog

    expr = compile_expression("sum(1 for a in records for b in records for c in records)", max_seconds=60)
    with pytest.raises(Stopped), Watchdog(0.2):
        expr.evaluate(BIG)


def test_within_budget_still_works() -> None:
    assert evaluate("2 ** 99999 > 0", BIG)
    assert evaluate("len([x for x in [1] * 1000000])", BIG) == 1_000_000
    assert evaluate("'%5.2f|%-4s|%03d' % (3.14159, 'ab', 7)", BIG) == " 3.14|ab  |007"
    assert evaluate("round(2.567, 2)", BIG) == 2.57 and evaluate("sum([1.5, 2], 0.5)", BIG) == 4.0


@pytest.mark.parametrize("text", ["-" * 2000 + "1 == 1", "not " * 2000 + "True", "variables" + ".a" * 2000,
                                  "x" + "[0]" * 2000, "1+" * 3000 + "1"])
def test_an_expression_nested_too_deeply_is_a_clear_error(text: str) -> None:
    """Under the length limit, but deeper than anything walks safely: a SandboxError that says so (it was
    "internal error while loading: RecursionError")."""
    from velotui.sandbox import compile_expression

    with pytest.raises(SandboxError) as e:
        compile_expression(text)
    assert ("nested too deeply" in str(e.value) or "invalid expression" in str(e.value)) and len(str(e.value)) < 400
