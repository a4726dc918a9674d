"""`--ai` for infer-schema and init: the model refines the rule-based draft. Its YAML is validated against
the formats; on errors it gets one retry with the errors; then velotui gives up with a clear message."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from velotui.errors import VelotuiError

SYSTEM = ("You write test data schemas and test specs for velotui, a test harness for streaming SQL (the "
          "Velostream dialect). Answer with one YAML document only, in a ```yaml code block, no prose.")


class AuthoringError(VelotuiError):
    exit_code = 3


def _client() -> Any:
    from velotui.ai import AnthropicClient, load_ai_config
    from velotui.ai.client import AiError

    config = load_ai_config()
    if not config.api_key:
        raise AuthoringError("--ai needs ANTHROPIC_API_KEY", hint="export it, or drop --ai to keep the draft")
    try:
        return AnthropicClient(config)
    except AiError as e:
        raise AuthoringError(e.message, hint=e.hint) from None


def _yaml_of(answer: str) -> str:
    m = re.search(r"```(?:yaml)?\s*\n(.*?)```", answer, re.DOTALL)
    return m.group(1) if m else answer


def _ask_validated(prompt: str, validate: Any, what: str) -> Any:
    from velotui.ai.client import AiError

    client = _client()
    errors = ""
    for _attempt in range(2):
        text = prompt if not errors else (prompt + "\n\nYour previous answer did not validate:\n" + errors
                                          + "\nAnswer again with the errors fixed.")
        try:
            answer = client.ask(text, system=SYSTEM)
        except AiError as e:
            raise AuthoringError(f"the model could not be asked: {e.message}", hint=e.hint) from None
        body = _yaml_of(answer)
        try:
            return validate(body)
        except VelotuiError as e:
            errors = str(e)
        except yaml.YAMLError as e:
            errors = f"invalid YAML: {e}"
    raise AuthoringError(f"the model's {what} did not validate after a retry: {errors.splitlines()[0]}",
                         hint="run without --ai to keep velotui's own draft")


def refine_schemas(app: Any, drafts: dict[str, dict[str, Any]], sql_path: Path) -> dict[str, dict[str, Any]]:
    from velotui.spec import parse_data_schema

    out = {}
    for name, draft in drafts.items():
        prompt = (f"SQL app {sql_path.name}:\n```sql\n{sql_path.read_text()}\n```\n\nDraft data schema for source "
                  f"`{name}`:\n```yaml\n{yaml.safe_dump(draft, sort_keys=False)}```\n\nImprove the draft so the "
                  "generated data is realistic and makes every WHERE clause and join of the SQL fire. Keep the "
                  "schema name and the field names the SQL uses.")

        def check(body: str, name: str = name) -> dict[str, Any]:
            parse_data_schema(body, f"{name}.schema.yaml")
            return yaml.safe_load(body)

        out[name] = _ask_validated(prompt, check, f"schema for {name}")
    return out


def refine_spec(app: Any, draft: dict[str, Any], sql_path: Path) -> dict[str, Any]:
    from velotui.spec import parse_test_spec

    prompt = (f"SQL app {sql_path.name}:\n```sql\n{sql_path.read_text()}\n```\n\nDraft test spec:\n```yaml\n"
              f"{yaml.safe_dump(draft, sort_keys=False)}```\n\nAdd assertions that test what each query does "
              "(exact counts tied to {{inputs.X.count}}, templates over inputs and outputs, window boundaries, "
              "join coverage) and that hold for any generated data. Keep query names and inputs.")

    def check(body: str) -> dict[str, Any]:
        parse_test_spec(body, "draft.test.yaml")
        return yaml.safe_load(body)

    return _ask_validated(prompt, check, "test spec")
