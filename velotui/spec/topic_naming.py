"""``topic_naming`` (FORMATS.md §2): what a topic name may be made of, checked when the spec is loaded.

A topic name lands on a shared cluster, where anyone can list it; so it never carries a secret:

- the pattern uses only the documented placeholders, each plain (``{base}``, never ``{base.x}``,
  ``{base!r}`` or ``{base:>999}``), and must contain ``{base}``;
- ``user_from_env`` / ``branch_from_env`` may only name variables that hold a user name or a CI branch
  (:data:`USER_VARIABLES`, :data:`BRANCH_VARIABLES`), not any variable (an API key);
- the value read is sanitised (characters Kafka allows, at most :data:`MAX_VALUE` characters), and a
  value that looks like a secret (a token prefix, a long random-looking string) is refused.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter

PLACEHOLDERS = ("run_id", "base", "namespace", "branch", "user")
USER_VARIABLES = ("USER", "LOGNAME", "USERNAME", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_USER_ID",
                  "BUILDKITE_BUILD_CREATOR", "CIRCLE_USERNAME", "BITBUCKET_STEP_TRIGGERER_UUID", "DRONE_COMMIT_AUTHOR",
                  "BUILD_REQUESTEDFOR")
BRANCH_VARIABLES = ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "CI_COMMIT_BRANCH",
                    "CI_COMMIT_REF_SLUG", "BRANCH_NAME", "GIT_BRANCH", "BUILDKITE_BRANCH", "CIRCLE_BRANCH",
                    "TRAVIS_BRANCH", "BITBUCKET_BRANCH", "DRONE_BRANCH", "CHANGE_BRANCH", "BUILD_SOURCEBRANCHNAME")
MAX_VALUE = 64
_LEGAL = re.compile(r"[^A-Za-z0-9._-]")
_TOKEN_PREFIXES = ("sk-", "sk_", "pk_", "rk_", "ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "glpat-", "xoxb-",
                   "xoxp-", "xoxa-", "AKIA", "ASIA", "AIza", "eyJ", "ya29.", "npm_", "pypi-", "SG.")


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid topic naming pattern, or None."""
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as e:
        return f"pattern {pattern!r} is not valid: {e} (write a literal brace as {{{{ or }}}})"
    names = []
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            return (f"pattern {pattern!r} uses {{{field}}}, which is not a placeholder; use "
                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
        if spec or conversion:
            return f"pattern {pattern!r}: write {{{field}}} plainly, without a format or conversion"
        names.append(field)
    if "base" not in names:
        return f"pattern {pattern!r} has no {{base}}: every topic of a run would get the same name"
    return None


def variable_problem(name: str, kind: str) -> str | None:
    allowed = USER_VARIABLES if kind == "user" else BRANCH_VARIABLES
    if name in allowed:
        return None
    return (f"{kind}_from_env names {name!r}, which is not a {kind} variable: only "
            + ", ".join(allowed) + " are read (a topic name must never carry another variable, such as a key)")


def looks_like_secret(value: str) -> bool:
    """A token prefix, or a long string with the randomness of a key (not a branch or user name)."""
    if value.startswith(_TOKEN_PREFIXES):
        return True
    if len(value) < 20:
        return False
    counts = Counter(value)
    entropy = -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())
    if re.fullmatch(r"[0-9a-fA-F]{32,}", value) and entropy > 3.0 and re.search(r"[0-9]", value) \
            and re.search(r"[a-fA-F]", value):  # a hex key or digest (not "aaaa…" or "2024…")
        return True
    has_classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]")) == 3
    return entropy > 4.0 and has_classes and not re.search(r"[/_.-][a-z]{3,}", value)


def sanitise(value: str) -> str:
    return _LEGAL.sub("_", value).strip("_")[:MAX_VALUE]
