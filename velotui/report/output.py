"""Report files are written whole or not at all.

A report is written to a new file beside its destination and then renamed over it (one step on every
file system velotui runs on), so a reader never sees half of one. When the write fails (a full disk, a
file size limit, a folder removed during the run), the half-written file is removed, and so is the
destination: what is left is no report, never a truncated one (JSON that does not parse, XML a CI parser
rejects) nor an earlier run's, and the writer's error is raised for the caller to say.
"""

from __future__ import annotations

import os
import secrets
import xml.etree.ElementTree as ET
from pathlib import Path


def write_report_file(path: str | Path, data: bytes) -> None:
    """``data`` as the file ``path``, whole or not at all (see the module's docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.parent / f".velotui-{secrets.token_hex(6)}.partial"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the permissions the umask gives
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise


def xml_bytes(root: ET.Element) -> bytes:
    """A JUnit document as the bytes of its file: indented, UTF-8, with the XML declaration."""
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
