"""What the explainer does when the model's side goes wrong: an answer that is not a message (a proxy's
page, JSON of another shape), an answer without text, one cut at max_tokens, a rate limit, a timeout, a hook
that cannot start or prints nothing, a config it cannot read. Never a crash, never an empty explanation: the
offline explanation, headed by what went wrong. The real SDK over a local fake transport."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx2
import pytest

from tests.unit.ai.test_explain import KEY, _ctx, _fake, _ok
from velotui.ai import AiConfig, AnthropicClient, explain, load_ai_config
from velotui.errors import SpecError


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("VELOTUI_CONFIG", "/nonexistent/velotui.toml")


def _explain_with(*responses: httpx2.Response, **config: object):  # type: ignore[no-untyped-def]
    client = AnthropicClient(AiConfig(base_url="http://fake.local", max_retries=0, **config),  # type: ignore[arg-type]
                             http_client=_fake(list(responses), []))
    return explain(_ctx(), client=client)


def _message(content: object, stop_reason: str = "end_turn") -> httpx2.Response:
    return httpx2.Response(200, json={"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
                                      "stop_reason": stop_reason, "stop_sequence": None, "content": content,
                                      "usage": {"input_tokens": 1, "output_tokens": 1}})


def test_a_proxy_page_instead_of_an_answer_is_said_and_explained_offline() -> None:
    result = _explain_with(httpx2.Response(200, text="<html>corporate proxy login</html>",
                                           headers={"content-type": "text/html"}))
    assert result.source == "offline"
    assert "not a message" in result.note and "corporate proxy login" in result.note
    assert "exactly 100" in result.markdown  # the offline explainer's finding is still there


def test_json_of_another_shape_is_said_and_explained_offline() -> None:
    result = _explain_with(httpx2.Response(200, json={"id": "x", "status": "queued"}))
    assert result.source == "offline" and "not a message" in result.note


def test_an_answer_without_text_is_not_an_empty_explanation() -> None:
    result = _explain_with(_message([]))
    assert result.source == "offline" and "without any text" in result.note
    assert result.markdown.strip()


def test_an_answer_cut_at_max_tokens_says_so() -> None:
    result = _explain_with(_message([{"type": "text", "text": "## Cause\nThe WHERE cl"}], "max_tokens"),
                           max_tokens=64)
    assert result.source == "anthropic"
    assert result.markdown.startswith("## Cause\nThe WHERE cl")
    assert "cut" in result.markdown and "max_tokens = 64" in result.markdown


def test_a_rate_limit_reads_as_the_api_says_it() -> None:
    result = _explain_with(httpx2.Response(429, json={"type": "error", "error": {
        "type": "rate_limit_error", "message": "slow down"}}))
    assert result.source == "offline"
    assert "answered 429: rate_limit_error: slow down" in result.note
    assert "{'type'" not in result.note  # not the SDK's repr of the body


def test_a_timeout_names_the_setting() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    client = AnthropicClient(AiConfig(base_url="http://fake.local", max_retries=0, timeout_s=7),
                             http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    result = explain(_ctx(), client=client)
    assert result.source == "offline" and "did not answer within 7 s" in result.note


def test_a_good_answer_after_all_that_is_still_used() -> None:
    assert _explain_with(_ok("## Cause\nfine")).source == "anthropic"


@pytest.mark.parametrize(("command", "said"), [
    ("python -c 'print(1)", "cannot be read as a command line"),  # an unclosed quote
    (str(Path(__file__).parent), "cannot be started"),  # a folder
    (f"{sys.executable} -c pass", "printed nothing"),
])
def test_a_hook_that_cannot_answer_is_said_and_explained_offline(command: str, said: str) -> None:
    result = explain(_ctx(), config=AiConfig(command=command))
    assert result.source == "offline" and said in result.note and "ai.command" in result.note


@pytest.mark.parametrize(("line", "said"), [
    ('enabled = "false"', "[ai] enabled must be true or false, not 'false'"),
    ('max_tokens = "lots"', "[ai] max_tokens must be a whole number"),
    ("timeout_s = -1", "[ai] timeout_s must not be negative"),
    ("max_tokens = true", "[ai] max_tokens must be a whole number"),
])
def test_a_setting_of_the_wrong_type_is_an_error_naming_the_file_and_key(tmp_path: Path, line: str,
                                                                        said: str) -> None:
    cfg = tmp_path / "velotui.toml"
    cfg.write_text(f"[ai]\n{line}\n")
    with pytest.raises(SpecError) as e:
        load_ai_config(cfg)
    assert said in str(e.value) and str(cfg) in str(e.value)


def test_a_config_that_is_not_toml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "velotui.toml"
    cfg.write_text("[ai\nmodel = 1\n")
    with pytest.raises(SpecError) as e:
        load_ai_config(cfg)
    assert "not valid TOML" in str(e.value) and str(cfg) in str(e.value)


def test_settings_of_the_right_type_are_read(tmp_path: Path) -> None:
    cfg = tmp_path / "velotui.toml"
    cfg.write_text('[ai]\nenabled = false\nmax_tokens = 99\ntimeout_s = 5\nmodel = "m"\n')
    got = load_ai_config(cfg)
    assert (got.enabled, got.max_tokens, got.timeout_s, got.model) == (False, 99, 5.0, "m")


@pytest.mark.parametrize(("key", "meant"), [("modle", "model"), ("max_token", "max_tokens"), ("enable", "enabled"),
                                            ("Command", "command")])
def test_a_setting_one_edit_from_a_known_one_is_an_error_with_did_you_mean(tmp_path: Path, key: str,
                                                                            meant: str) -> None:
    """`modle = "…"` was ignored: the default model ran and nobody was told."""
    cfg = tmp_path / "velotui.toml"
    cfg.write_text(f'[tui]\ntheme = "dark"\n\n[ai]\nmax_retries = 1\n{key} = "x"\n')
    with pytest.raises(SpecError) as e:
        load_ai_config(cfg)
    said = str(e.value)
    assert e.value.file == str(cfg) and e.value.line == 6
    assert f"[ai] unknown setting {key!r}; did you mean {meant!r}?" in said and str(cfg) in said


def test_another_unknown_setting_is_a_warning_said_in_the_explanation(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "velotui.toml"
    cfg.write_text('[ai]\nmodel = "m"\ntemperature = 0.2\napi_key = "sk-not-read"\n')
    got = load_ai_config(cfg)
    assert got.model == "m"
    assert got.warnings[0].startswith(f"{cfg}:3: [ai] unknown setting 'temperature' is not read")
    assert got.warnings[1].startswith(f"{cfg}:4: [ai] api_key is not read: the API key is read from ANTHROPIC_API_KEY")
    assert "sk-not-read" not in "".join(got.warnings)
    monkeypatch.setenv("VELOTUI_CONFIG", str(cfg))
    md = explain(_ctx(), use_ai=False).markdown
    assert f"> config: {cfg}:3: [ai] unknown setting 'temperature'" in md
