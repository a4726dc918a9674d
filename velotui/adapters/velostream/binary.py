"""Finding the ``velo-sql`` binary and its version line."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from velotui.errors import InfraError

BINARY = "velo-sql"
INSTALL_HINT = ("build it from the Velostream repository (cargo build --release --bin velo-sql) and put "
                "target/release on PATH, or pass --velostream-bin PATH (docs/ENGINES.md)")


def find_binary(explicit: str | None = None) -> Path:
    """``explicit`` (``--velostream-bin`` or the config's ``bin``), else ``velo-sql`` on PATH."""
    if explicit:
        p = Path(explicit).expanduser()
        if not p.exists():
            found = shutil.which(explicit)
            if found:
                return Path(found)
            raise InfraError(f"--velostream-bin {explicit}: no such file", hint=INSTALL_HINT)
        if p.is_dir() or not os.access(p, os.X_OK):
            raise InfraError(f"--velostream-bin {explicit}: not an executable file",
                             hint=f"chmod +x {p}, or point at the velo-sql binary itself")
        return p.resolve()
    found = shutil.which(BINARY)
    if not found:
        raise InfraError(f"{BINARY} is not on PATH", hint=INSTALL_HINT)
    return Path(found)


def version_line(binary: Path, timeout_s: float = 15) -> str:
    """The first line ``velo-sql --version`` prints."""
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=timeout_s,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise InfraError(f"{binary} --version did not answer within {timeout_s:g} s") from None
    except OSError as e:
        raise InfraError(f"cannot run {binary}: {e.strerror}", hint=INSTALL_HINT) from None
    text = (proc.stdout or "").strip() or (proc.stderr or "").strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if proc.returncode != 0 or not first:
        raise InfraError(f"{binary} --version exited {proc.returncode}" + (f": {first}" if first else ""),
                         hint="is it the Velostream velo-sql binary?")
    return first
