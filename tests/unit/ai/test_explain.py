"""velotui.ai against the real anthropic SDK with a local fake transport (httpx2.MockTransport)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from velotui.ai import AiConfig, AnthropicClient, FailureContext, build_evidence, explain
from velotui.ai.offline import explain_offline
from velotui.assertions import AssertionResult
from velotui.records import Message
from velotui.sql import parse_app

KEY = "sk-ant-test-SECRET-0123456789"

FILTER_SQL = """\
CREATE STREAM big_orders AS
SELECT order_id, amount FROM orders
WHERE amount > 100
EMIT CHANGES;
"""


def _result(**kw: object) -> AssertionResult:
    base = dict(type="record_count", description=None, status="failed", message="expected 3 records, got 2",
                expected={"equals": 3}, actual=2, samples=[{"order_id": "A", "amount": 150}],
                file="spec.test.yaml", line=12)
    base.update(kw)
    return AssertionResult(**base)  # type: ignore[arg-type]


def _ctx(sql: str = FILTER_SQL, **kw: object) -> FailureContext:
    app = parse_app(sql)
    inputs = [{"order_id": "A", "amount": 150}, {"order_id": "B", "amount": 100}, {"order_id": "C", "amount": 101},
              {"order_id": "D", "amount": 20}]
    base = dict(app="orders", query=app.statements[0].name, result=_result(), sql_text=sql,
                statement=app.statements[0], inputs={"orders": inputs},
                outputs=[Message(value=r) for r in inputs if r["amount"] > 100])
    base.update(kw)
    return FailureContext(**base)  # type: ignore[arg-type]


def _fake(responses: list[httpx2.Response], seen: list[dict]) -> httpx2.Client:
    def handler(request: httpx2.Request) -> httpx2.Response:
        auth = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
        seen.append({"api_key": auth, "body": json.loads(request.content)})
        return responses.pop(0)

    return httpx2.Client(transport=httpx2.MockTransport(handler))


def _ok(text: str) -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m", "stop_reason": "end_turn",
        "stop_sequence": None, "content": [{"type": "text", "text": text}],
        "usage": {"input_tokens": 10, "output_tokens": 5}})


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")
    return KEY


def test_request_carries_the_evidence(api_key: str) -> None:
    seen: list[dict] = []
    client = AnthropicClient(AiConfig(base_url="http://fake.local", max_retries=0),
                             http_client=_fake([_ok("## Cause\nboundary")], seen))
    result = explain(_ctx(), config=AiConfig(), client=client)
    assert result.source == "anthropic" and "boundary" in result.markdown
    body = seen[0]["body"]
    prompt = body["messages"][0]["content"]
    assert "WHERE amount > 100" in prompt  # the SQL
    assert "record_count" in prompt and "expected" in prompt  # the assertion
    assert '"order_id":"A"' in prompt  # offending records
    assert '"order_id":"B"' in prompt  # inputs
    assert seen[0]["api_key"] == KEY


def test_429_then_success_is_retried(api_key: str) -> None:
    seen: list[dict] = []
    responses = [httpx2.Response(429, headers={"retry-after": "0"},
                                 json={"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}),
                 _ok("fine")]
    client = AnthropicClient(AiConfig(base_url="http://fake.local", max_retries=2),
                             http_client=_fake(responses, seen))
    assert explain(_ctx(), client=client).markdown.startswith("fine")
    assert len(seen) == 2


def test_500_gives_a_clear_error_and_falls_back_offline(api_key: str) -> None:
    seen: list[dict] = []
    responses = [httpx2.Response(500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}})]
    client = AnthropicClient(AiConfig(base_url="http://fake.local", max_retries=0),
                             http_client=_fake(responses, seen))
    result = explain(_ctx(), client=client)
    assert result.source == "offline"
    assert "500" in result.note and "offline" in result.note
    assert KEY not in result.markdown


def test_no_key_falls_back_to_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")
    result = explain(_ctx())
    assert result.source == "offline"
    assert "ANTHROPIC_API_KEY is not set" in result.markdown


def test_identical_requests_are_cached(api_key: str) -> None:
    seen: list[dict] = []
    client = AnthropicClient(AiConfig(base_url="http://fake.local", max_retries=0),
                             http_client=_fake([_ok("once")], seen))
    explain(_ctx(), client=client)
    explain(_ctx(), client=client)
    assert len(seen) == 1


def test_offline_filter_boundary() -> None:
    md = explain_offline(_ctx())
    assert "exactly 100" in md and "amount >= 100" in md


def test_offline_filter_can_never_hold() -> None:
    from velotui.spec import parse_data_schema

    schema = parse_data_schema(
        "name: orders\nfields:\n  - name: order_id\n    type: string\n  - name: amount\n    type: float\n"
        "    constraints:\n      range: {min: 0.01, max: 50}\n", Path("orders.schema.yaml"))
    ctx = _ctx(schemas={"orders": schema}, result=_result(expected={"greater_than": 0}, actual=0))
    md = explain_offline(ctx)
    assert "can never hold" in md and "0.01–50" in md


def test_offline_join_key_never_matches() -> None:
    sql = ("CREATE STREAM enriched AS SELECT o.order_id, c.name FROM orders o "
           "JOIN customers c ON o.customer_id = c.name EMIT CHANGES;")
    inputs = {"orders": [{"order_id": "1", "customer_id": "C1"}, {"order_id": "2", "customer_id": "C2"}],
              "customers": [{"customer_id": "C1", "name": "Ann"}, {"customer_id": "C2", "name": "Bob"}]}
    ctx = _ctx(sql=sql, inputs=inputs, outputs=[],
               result=_result(type="join_coverage", expected={"min_match_rate": 0.9}, actual=0.0, samples=[]))
    md = explain_offline(ctx)
    assert "never matches" in md and "c.customer_id" in md


def test_evidence_budget_truncation_is_announced() -> None:
    big = [{"order_id": str(i), "amount": 200, "pad": "x" * 200} for i in range(500)]
    ctx = _ctx(inputs={"orders": big}, outputs=[Message(value=r) for r in big])
    pack = build_evidence(ctx, budget_tokens=600)
    assert pack.truncated
    assert "Truncated" in pack.to_markdown()


def test_command_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "hook.py"
    script.write_text("import sys, json\nd = json.load(sys.stdin)\nprint('# from hook: ' + d['query'])\n")
    import sys

    result = explain(_ctx(), config=AiConfig(command=f"{sys.executable} {script}"))
    assert result.source == "command" and "from hook: big_orders" in result.markdown
