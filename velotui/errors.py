"""Errors users see. Every one says what went wrong, where (file:line:column) and how to fix it."""

from __future__ import annotations

from pathlib import Path


class VelotuiError(Exception):
    """Base of every user-facing error. ``exit_code`` is what the headless CLI exits with."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.hint = hint

    @property
    def location(self) -> str:
        """``file:line:column`` (as much of it as is known), or an empty string."""
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SpecError(VelotuiError):
    """A test spec, data schema or config file is invalid."""


class SqlError(VelotuiError):
    """A SQL file does not parse, or uses something the engine refuses."""


class DataError(VelotuiError):
    """Input data (data_file, generated from a schema) cannot be produced."""


class InfraError(VelotuiError):
    """Kafka, Java or Docker is unavailable."""

    exit_code = 3


class EngineError(VelotuiError):
    """The engine under test failed: an external engine's deploy command exited non-zero."""


class RunTimeout(VelotuiError):
    """A query did not finish within its timeout."""

    exit_code = 4


class SandboxError(VelotuiError):
    """An expression in a spec or schema tried something the sandbox forbids."""


class RunCancelled(VelotuiError):
    """The user interrupted the run (Ctrl-C)."""

    exit_code = 130
