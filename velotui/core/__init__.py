"""The core service layer: discovery, loading, run orchestration and events.

Front doors (velotui.cli, velotui.tui) call these services and render the events they emit.
"""

from __future__ import annotations

import velotui.assertions  # noqa: F401  (registers the assertion types that test-spec validation reads)
import velotui.datagen  # noqa: F401  (registers the sample every data schema is drawn when it loads)
from velotui.core.run import RunOptions, SuiteRun
from velotui.core.validation import ValidationResult, validate_suite

__all__ = ["RunOptions", "SuiteRun", "ValidationResult", "validate_suite"]
