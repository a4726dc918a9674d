"""The environment of the velotui processes a benchmark starts: as an installed velotui runs.

An installed package runs from compiled bytecode (``__pycache__``). A development shell may set
``PYTHONDONTWRITEBYTECODE=1`` (this project's does), and then every new process compiles velotui's ~400
modules from source again: about 0.6 s of CPU per process, which is no part of velotui's work. So the
children get a bytecode cache of their own under the system's temporary folder (``PYTHONPYCACHEPREFIX``:
nothing is written into the source tree) and ``warm()`` fills it once before anything is timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

PYCACHE = Path(tempfile.gettempdir()) / "velotui-bench-pycache"


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def velotui_bin() -> str:
    return str(Path(sys.executable).parent / "velotui")


def warm() -> None:
    """Compile every velotui module (and what they import) into the children's bytecode cache."""
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "velotui")], env=cli_env(),
                   capture_output=True, check=False)
    subprocess.run([velotui_bin(), "--headless", str(root / "demo"), "-q", "-j", "1", "--seed", "1"], env=cli_env(),
                   capture_output=True, check=False, cwd=root)
