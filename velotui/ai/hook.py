"""The command hook: teams that use another model configure ``ai.command``; velotui runs it with the
evidence as JSON on stdin and shows its stdout (Markdown)."""

from __future__ import annotations

import shlex
import subprocess

import orjson

from velotui.ai.client import AiError, scrub


def run_command_hook(command: str, payload: dict, *, timeout_s: float = 120.0) -> str:
    try:
        proc = subprocess.run(shlex.split(command), input=orjson.dumps(payload, default=str),
                              capture_output=True, timeout=timeout_s, check=False)
    except FileNotFoundError:
        raise AiError(f"ai.command not found: {command.split()[0]}", hint="fix [ai] command in the config") from None
    except subprocess.TimeoutExpired:
        raise AiError(f"ai.command did not answer within {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        raise AiError(f"ai.command exited {proc.returncode}: {scrub(proc.stderr.decode(errors='replace'))[:500]}")
    return proc.stdout.decode(errors="replace")
