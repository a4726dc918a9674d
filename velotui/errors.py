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


class VelotuiWarning:
    """A problem worth telling the user that does not stop the run (an error under ``--strict``).

    It travels as a value: loading collects them, the report model carries them, and every report format
    and the TUI show them. ``query`` names the spec query it belongs to (None: the whole app/file)."""

    __slots__ = ("column", "file", "hint", "line", "message", "query")

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None,
                 column: int | None = None, hint: str | None = None, query: str | None = None) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.hint = hint
        self.query = query

    @property
    def location(self) -> str:
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return text + (f" ({self.hint})" if self.hint else "")

    def __repr__(self) -> str:
        return f"VelotuiWarning({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VelotuiWarning) and str(self) == str(other) and self.query == other.query

    def __hash__(self) -> int:
        return hash((str(self), self.query))

    def as_error(self, hint: str = "warnings are errors under --strict") -> VelotuiError:
        from_hint = f"{self.hint}; {hint}" if self.hint else hint
        return SpecError(self.message, file=self.file, line=self.line, column=self.column, hint=from_hint)
