"""The checks a test spec may hold are defined by velotui.assertions (each type's parameters); spec
validation asks them through this registry, which velotui.assertions fills when it is imported. So
velotui.assertions imports velotui.spec, never the other way round (the import graph has no cycle).
Loading a test spec before velotui.assertions is imported is a programming error, said loudly
(velotui.core imports it, so every front door has it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_validate: Callable[..., list[Any]] | None = None
_types: Callable[[], list[str]] | None = None


def register(validate: Callable[..., list[Any]], types: Callable[[], list[str]]) -> None:
    """``validate(assertion_spec, doc, strict=…)`` raises a SpecError or returns warnings; ``types()`` the
    assertion type names."""
    global _validate, _types
    _validate, _types = validate, types


def _need() -> None:
    if _validate is None or _types is None:
        raise RuntimeError("velotui.assertions is not loaded: import it before loading test specs "
                           "(velotui.core does)")


def validate_check(spec: Any, doc: Any, *, strict: bool) -> list[Any]:
    _need()
    assert _validate is not None
    return _validate(spec, doc, strict=strict)


def assertion_types() -> list[str]:
    _need()
    assert _types is not None
    return _types()
