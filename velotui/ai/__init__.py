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
    heading: str = ""  # which failure it explains: app / query / assertion and where (see heading_for)

    def document(self) -> str:
        """The explanation headed by the failure it explains (the TUI and `velotui explain` print this)."""
        if not self.heading:
            return self.markdown
        body = "\n".join("#" + line if line.startswith("# ") else line for line in self.markdown.splitlines())
        return f"{self.heading}\n\n{body}"


SOURCE_NAMES = {"anthropic": "Anthropic", "command": "ai.command hook", "offline": "offline explainer"}


def heading_for(app: str, query: str, result: object) -> str:
    """``# app / query / assertion`` and a line with where the assertion is and what it said."""
    kind = str(getattr(result, "type", "assertion"))
    desc = getattr(result, "description", None)
    title = f"# {app} / {query} / {kind}" + (f" — {desc}" if desc else "")
    line = getattr(result, "line", None)
    file = getattr(result, "file", None)
    where = f"`{file}:{line}`" if file and line else (f"`{file}`" if file else "")
    message = str(getattr(result, "message", "") or "")
    sub = " · ".join(p for p in (where, message[:300]) if p)
    return title + (f"\n\n{sub}" if sub else "")


def explain(ctx: FailureContext, *, config: AiConfig | None = None, use_ai: bool = True,
            client: AnthropicClient | None = None) -> Explanation:
    """Explain one failure. Falls back to the offline explainer (saying why) when AI is off or fails. The
    config's warnings (unknown ``[ai]`` settings) head the explanation: a setting not read is said there."""
    config = config or load_ai_config()
    explanation = _explain(ctx, config=config, use_ai=use_ai, client=client)
    if config.warnings:
        explanation.markdown = "\n>\n".join(f"> config: {w}" for w in config.warnings) + "\n\n" + explanation.markdown
    explanation.heading = heading_for(ctx.app, ctx.query, ctx.result)
    return explanation


def _explain(ctx: FailureContext, *, config: AiConfig | None, use_ai: bool,
             client: AnthropicClient | None) -> Explanation:
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


__all__ = ["SOURCE_NAMES", "AiConfig", "AiError", "AnthropicClient", "EvidencePack", "Explanation", "FailureContext",
           "build_evidence", "explain", "explain_offline", "heading_for", "load_ai_config"]
