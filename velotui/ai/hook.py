"""The command hook: teams that use another model configure ``ai.command``; velotui runs it with the
evidence as JSON on stdin and shows its stdout (Markdown)."""

from __future__ import annotations

import shlex
import subprocess

import orjson

from velotui.ai.client import AiError, scrub


def run_command_hook(command: str, payload: dict, *, timeout_s: float = 120.0) -> str:
    try:
        argv = shlex.split(command)
    except ValueError as e:  # an unclosed quote
        raise AiError(f"ai.command cannot be read as a command line ({e}): {command}",
                      hint="fix [ai] command in the config") from None
    if not argv:
        raise AiError("ai.command is empty", hint="fix [ai] command in the config")
    try:
        proc = subprocess.run(argv, input=orjson.dumps(payload, default=str),
                              capture_output=True, timeout=timeout_s, check=False)
    except FileNotFoundError:
        raise AiError(f"ai.command not found: {argv[0]}", hint="fix [ai] command in the config") from None
    except subprocess.TimeoutExpired:
        raise AiError(f"ai.command did not answer within {timeout_s:.0f} s") from None
    except OSError as e:  # not executable, a folder, …
        raise AiError(f"ai.command cannot be started: {argv[0]}: {e.strerror or e}",
                      hint="fix [ai] command in the config") from None
    if proc.returncode != 0:
        raise AiError(f"ai.command exited {proc.returncode}: {scrub(proc.stderr.decode(errors='replace'))[:500]}")
    out = proc.stdout.decode(errors="replace")
    if not out.strip():
        raise AiError("ai.command printed nothing (it exited 0 with an empty standard output)",
                      hint="the hook must print its explanation as Markdown on stdout")
    return out
