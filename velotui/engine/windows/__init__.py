"""Window kinds (``WINDOW KIND(…)``): one interface (base.py), one module per kind. A new kind is one new
module here that defines a ``WindowKind`` subclass decorated with ``@register``."""

from __future__ import annotations

import importlib
import pkgutil

from velotui.engine.windows.base import KINDS, MAX_WINDOWS_PER_RECORD, WindowKind, window_for

_loaded = False


def load_kinds() -> None:
    """Import every module of this package once (each registers its kind)."""
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


__all__ = ["KINDS", "MAX_WINDOWS_PER_RECORD", "WindowKind", "load_kinds", "window_for"]
