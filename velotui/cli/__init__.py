"""The command line: ``velotui PATH`` (TUI), ``velotui --headless PATH`` and the subcommands.

The headless path never imports Textual; only ``velotui PATH`` without ``--headless`` does.

velotui uses numpy for random numbers and column arithmetic, never for linear algebra, so the command runs
numpy's BLAS on one thread: the pool of a thread per core that numpy's import otherwise starts costs about
0.1 s of CPU per process (every ``-j`` worker's fork server included) and competes with the workers for the
cores. Set before anything imports numpy; a user's own ``OPENBLAS_NUM_THREADS`` wins.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from velotui.cli.exit import entry  # noqa: E402
from velotui.cli.main import main  # noqa: E402

__all__ = ["entry", "main"]
