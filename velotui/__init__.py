"""velotui: test streaming SQL applications (Velostream dialect) from a terminal UI or headless in CI."""

__version__ = "0.1.0"
