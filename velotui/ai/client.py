"""The Anthropic client: one request per explanation, retried with backoff on 429/5xx by the SDK,
rate-limited, cached per session. The API key never appears in output or errors."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from typing import Any

from velotui.ai.config import AiConfig
from velotui.errors import VelotuiError

SYSTEM_PROMPT = (
    "You are an expert in streaming SQL (the Velostream dialect) helping a developer understand why a "
    "test of their streaming SQL app failed. You get an evidence pack: the SQL, the test spec's query, the "
    "failed assertion with expected and actual values, the input schemas, offending output records, the "
    "input records that produced them, and the engine's semantics rules. Answer in Markdown with two "
    "sections: '## Cause' (the specific reason, citing the clause, window, record or rule involved) and "
    "'## Fix' (a concrete change to the SQL or to the spec, as a code block). Be brief and exact; do not "
    "speculate beyond the evidence."
)


class AiError(VelotuiError):
    """The model could not be asked (network, rate limit exhausted, server error)."""


def scrub(text: str) -> str:
    """Remove the API key from any text (errors of the SDK or the transport)."""
    key = os.environ.get("ANTHROPIC_API_KEY")
    return text.replace(key, "***") if key else text


class AnthropicClient:
    def __init__(self, config: AiConfig, *, http_client: Any = None) -> None:
        import anthropic

        if not config.api_key:
            raise AiError("ANTHROPIC_API_KEY is not set", hint="export ANTHROPIC_API_KEY, or use --no-ai")
        kwargs: dict[str, Any] = dict(api_key=config.api_key, max_retries=config.max_retries,
                                      timeout=config.timeout_s)
        if config.base_url:
            kwargs["base_url"] = config.base_url
        if http_client is not None:
            kwargs["http_client"] = http_client
        self._anthropic = anthropic
        self._client = anthropic.Anthropic(**kwargs)
        self.config = config
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()
        self._last_call = 0.0

    def ask(self, prompt: str, *, system: str = SYSTEM_PROMPT) -> str:
        key = hashlib.sha256((self.config.model + system + prompt).encode()).hexdigest()
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            wait = self.config.min_interval_s - (time.monotonic() - self._last_call)
            if wait > 0:
                time.sleep(wait)  # a rate limit the user configured, not a wait for a condition
            self._last_call = time.monotonic()
        try:
            response = self._client.messages.create(
                model=self.config.model, max_tokens=self.config.max_tokens, system=system,
                messages=[{"role": "user", "content": prompt}])
        except self._anthropic.APIStatusError as e:
            raise AiError(f"the Anthropic API answered {e.status_code}: {scrub(_status_detail(e))}",
                          hint="retry later, check the model name in [ai] of the config, or use --no-ai") from None
        except self._anthropic.APITimeoutError:
            raise AiError(f"the Anthropic API did not answer within {self.config.timeout_s:g} s",
                          hint="raise timeout_s in [ai] of the config, or use --no-ai") from None
        except self._anthropic.APIConnectionError as e:
            raise AiError(f"cannot reach the Anthropic API: {scrub(str(e))}",
                          hint="check the network or use --no-ai for the offline explanation") from None
        except self._anthropic.APIError as e:  # an answer the SDK could not read as a message
            raise AiError(f"the Anthropic API's answer could not be read: {scrub(str(e))[:300]}",
                          hint="check base_url in [ai] of the config (a proxy's page is not an answer)") from None
        text = _answer_text(response, self.config.max_tokens)
        with self._lock:
            self._cache[key] = text
        return text


def _status_detail(e: Any) -> str:
    """An error answer as the API says it (``rate_limit_error: slow down``), not the SDK's repr of the body."""
    body = getattr(e, "body", None)
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("message"):
        return f"{err.get('type') or 'error'}: {err['message']}"
    return str(getattr(e, "message", "") or e)


def _answer_text(response: Any, max_tokens: int) -> str:
    """The text of a Messages API answer. What is not one (a proxy's HTML page, JSON of another shape: the
    SDK hands those back as they are) and an answer without text are errors: never an empty explanation.
    An answer cut at max_tokens says so."""
    blocks = getattr(response, "content", None)
    if not isinstance(blocks, list):
        shown = scrub(response)[:200] if isinstance(response, str) else f"{type(response).__name__} without content"
        raise AiError(f"the Anthropic API answered something that is not a message: {shown!r}",
                      hint="check base_url in [ai] of the config (a proxy's page is not an answer)")
    text = "".join(t for b in blocks if isinstance(t := getattr(b, "text", None), str))
    stop = getattr(response, "stop_reason", None)
    if not text.strip():
        raise AiError(f"the Anthropic API answered without any text (stop_reason {stop or 'none'})",
                      hint="retry, or raise max_tokens in [ai] of the config")
    if stop == "max_tokens":
        text += (f"\n\n_The answer was cut: it reached max_tokens = {max_tokens} (raise max_tokens in [ai] of the "
                 "config for the rest)._")
    return text
