"""The one way velotui opens a file that a spec, schema, SQL or config file names.

Every reader of such a path calls :func:`resolve` (or :func:`read_bytes` / :func:`read_text`, which call
it): the path is joined to the folder of the file that names it, every symlink is resolved, and then

- while a run or a validation is confined to its suite (:func:`confined_to`), a real path outside the
  suite's folders is refused, before anything is opened;
- a FIFO, a device, a socket or a folder is refused (opening a FIFO would hang, a device never ends);
- text must be UTF-8: a byte that is not names the byte offset, line and column; a NUL byte (a binary
  file) is refused too;
- a document (spec, schema, config, SQL) larger than :data:`MAX_DOCUMENT_BYTES` is refused.

This module sits below every package (like ``velotui.sandbox``), so spec, datagen, assertions, bus and
engine all read through it. docs/SECURITY.md lists the routes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from velotui.errors import SpecError, VelotuiError

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # specs, schemas, configs, SQL, Avro/Protobuf schemas
MAX_DATA_BYTES = 2 * 1024 * 1024 * 1024  # data files (their rows are held in memory anyway)


@dataclass(frozen=True)
class SuiteFolders:
    """The folders a suite's files may name: the folder under test (widened to its shared schemas/ and
    data/), the run's temporary folder, and what ``--allow-outside`` adds."""

    roots: tuple[Path, ...]

    @classmethod
    def of(cls, root: Path, allowed: list[Path] | None = None) -> SuiteFolders:
        return cls(tuple(dict.fromkeys([Path(root).resolve(), *(Path(p).resolve() for p in (allowed or []))])))

    def allows(self, real: Path) -> bool:
        return any(real == r or r in real.parents for r in self.roots)

    def with_folder(self, folder: Path) -> SuiteFolders:
        return SuiteFolders((*self.roots, Path(folder).resolve()))


_ACTIVE: ContextVar[SuiteFolders | None] = ContextVar("velotui_suite_folders", default=None)


@contextmanager
def confined_to(folders: SuiteFolders | None) -> Iterator[None]:
    """While active (in this thread or task), every path resolved must stay inside ``folders``."""
    token = _ACTIVE.set(folders)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active_folders() -> SuiteFolders | None:
    return _ACTIVE.get()


def _kind(mode: int) -> str | None:
    """What a special file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolve(path: str | Path, *, base: str | Path | None = None, what: str = "file",
            named_in: str | Path | None = None, line: int | None = None, column: int | None = None,
            folders: SuiteFolders | None = None) -> Path:
    """The real path (symlinks resolved) of ``path`` relative to ``base``; refused if it leaves the suite.

    ``what`` says what names the path (``data_file``, ``file_row_count path``, ``config 'extends'``…) and
    ``named_in``/``line``/``column`` where, so the error points at the place to fix.
    """
    p = Path(path)
    if base is not None and not p.is_absolute():
        p = Path(base) / p
    try:
        real = p.resolve()
    except (OSError, RuntimeError) as e:  # a symlink loop
        raise SpecError(f"{what} {path}: cannot resolve the path ({e})", file=named_in, line=line, column=column,
                        hint="fix the path or the symlink it goes through") from None
    active = folders if folders is not None else _ACTIVE.get()
    if active is not None and not active.allows(real):
        lexical = Path(os.path.normpath(p.absolute()))
        shown = f"{path} (which resolves to {real})" if lexical != real else f"{path}"
        raise SpecError(f"{what} {shown} is outside the suite folder {active.roots[0]}", file=named_in, line=line,
                        column=column, hint="keep data, configs and sinks inside the folder under test, or pass "
                        f"--allow-outside {real.parent}")
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return real  # does not exist (yet): the reader says "not found" in its own words
    kind = _kind(mode)
    if kind is not None:
        raise SpecError(f"{what} {path} is {kind}, not a file", file=named_in, line=line, column=column,
                        hint="name a regular file")
    return real


def read_bytes(path: str | Path, *, base: str | Path | None = None, what: str = "file",
               named_in: str | Path | None = None, line: int | None = None, column: int | None = None,
               max_bytes: int = MAX_DOCUMENT_BYTES, error: type[VelotuiError] | None = None) -> bytes:
    """The bytes of a file a suite names, through :func:`resolve`; never blocks on a FIFO."""
    real = resolve(path, base=base, what=what, named_in=named_in, line=line, column=column)
    err = error or SpecError
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise err(f"{what} not found: {real}", file=named_in or real, line=line if named_in else None,
                  hint="paths are relative to the file that names them") from None
    except OSError as e:
        raise err(f"cannot read {what} {real}: {e.strerror}", file=named_in or real,
                  line=line if named_in else None) from None
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind is not None:  # swapped in after resolve(), or a folder
            raise err(f"{what} {path} is {kind}, not a file", file=named_in or real,
                      line=line if named_in else None, hint="name a regular file")
        if st.st_size > max_bytes:
            raise err(f"{what} {real} is {st.st_size:,} bytes, more than the {max_bytes:,} allowed",
                      file=named_in or real, line=line if named_in else None, hint="use a smaller file")
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise err(f"{what} {real} is more than the {max_bytes:,} bytes allowed", file=named_in or real,
                          hint="use a smaller file")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode_text(data: bytes, file: str | Path | None, *, error: type[VelotuiError] | None = None) -> str:
    """UTF-8 text (a leading BOM dropped); a byte that is not UTF-8, or a NUL, names offset, line, column."""
    err = error or SpecError
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line, col = _line_col(data, e.start)
        raise err(f"not UTF-8 text: byte 0x{data[e.start]:02x} at byte offset {e.start}", file=file, line=line,
                  column=col, hint="save the file as UTF-8") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        raise err(f"a NUL byte at byte offset {nul}: this is not a text file", file=file, line=line, column=col,
                  hint="name a text file (UTF-8); a binary file cannot be read here")
    return text


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, col


def read_text(path: str | Path, *, base: str | Path | None = None, what: str = "file",
              named_in: str | Path | None = None, line: int | None = None, column: int | None = None,
              max_bytes: int = MAX_DOCUMENT_BYTES, error: type[VelotuiError] | None = None) -> str:
    """The UTF-8 text of a file a suite names, through :func:`resolve`."""
    real = resolve(path, base=base, what=what, named_in=named_in, line=line, column=column)
    shown = Path(base) / path if base is not None and not Path(path).is_absolute() else Path(path)
    return decode_text(read_bytes(real, what=what, named_in=named_in, line=line, column=column,
                                  max_bytes=max_bytes, error=error), shown, error=error)


def exists(path: str | Path, *, base: str | Path | None = None, what: str = "file",
           named_in: str | Path | None = None, line: int | None = None) -> bool:
    """Whether a file a suite names exists; a path outside the suite is refused, not answered."""
    return resolve(path, base=base, what=what, named_in=named_in, line=line).exists()


def exists_inside(path: str | Path) -> bool:
    """Whether ``path`` exists inside the active suite's folders (False, not an error, outside them):
    for trying candidate places; the chosen one is then opened through :func:`read_bytes`."""
    real = Path(path).resolve()
    active = _ACTIVE.get()
    return (active is None or active.allows(real)) and real.exists()


def check_inside(path: str | Path, *, what: str = "folder") -> Path:
    """The real path of ``path`` (a folder velotui writes into, say), refused if it leaves the active
    suite's folders; unlike :func:`resolve` it does not ask for a regular file."""
    real = Path(path).resolve()
    active = _ACTIVE.get()
    if active is not None and not active.allows(real):
        raise SpecError(f"{what} {path} (which resolves to {real}) is outside the suite folder {active.roots[0]}",
                        hint="remove the symlink, or pass --allow-outside for the place it points to")
    return real
