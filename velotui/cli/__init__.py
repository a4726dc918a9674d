"""The command line: ``velotui PATH`` (TUI), ``velotui --headless PATH`` and the subcommands.

The headless path never imports Textual; only ``velotui PATH`` without ``--headless`` does.
"""

from velotui.cli.exit import entry
from velotui.cli.main import main

__all__ = ["entry", "main"]
