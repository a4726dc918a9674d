"""AI: explain a failed assertion (Anthropic, a command hook, or the offline explainer)."""

from __future__ import annotations

from dataclasses import dataclass

from velotui.ai.client import AiError, AnthropicClient, scrub
from velotui.ai.config import AiConfig, load_ai_config
from velotui.ai.evidence import EvidencePack, FailureContext, build_evidence
from velotui.ai.hook import run_command_hook
from velotui.ai.offline import explain_offline


@dataclass
class Explanation:
    markdown: str
    source: str  # "anthropic" | "command" | "offline"
    truncated: list[str]
    note: str = ""  # e.g. why the offline explainer was used


def explain(ctx: FailureContext, *, config: AiConfig | None = None, use_ai: bool = True,
            client: AnthropicClient | None = None) -> Explanation:
    """Explain one failure. Falls back to the offline explainer (saying why) when AI is off or fails."""
    config = config or load_ai_config()
    pack = build_evidence(ctx, config.budget_tokens)
    prompt = "Explain this failed streaming SQL test.\n\n" + pack.to_markdown()
    note = ""
    if use_ai and config.enabled and config.command:
        try:
            md = run_command_hook(config.command, {"prompt": prompt, "evidence": pack.to_dict(),
                                                   "app": ctx.app, "query": ctx.query})
            return Explanation(md, "command", pack.truncated)
        except AiError as e:
            note = f"the ai.command hook failed ({e.message}); offline explanation shown"
    elif use_ai and config.enabled and (config.api_key or client is not None):
        try:
            client = client or AnthropicClient(config)
            md = client.ask(prompt)
            if pack.truncated:
                md += "\n\n_Evidence was truncated: " + "; ".join(pack.truncated) + "._"
            return Explanation(md, "anthropic", pack.truncated)
        except AiError as e:
            note = f"the Anthropic API failed ({scrub(e.message)}); offline explanation shown"
    elif use_ai and config.enabled:
        note = "ANTHROPIC_API_KEY is not set; offline explanation shown"
    md = explain_offline(ctx)
    if note:
        md = f"> {note}\n\n" + md
    return Explanation(md, "offline", pack.truncated, note)


__all__ = ["AiConfig", "AiError", "AnthropicClient", "EvidencePack", "Explanation", "FailureContext",
           "build_evidence", "explain", "explain_offline", "load_ai_config"]
