"""Discovery of apps, specs, schemas and data folders in a folder tree (FORMATS.md §1)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis"}


@dataclass
class AppFiles:
    """One SQL app and the files that go with it."""

    sql_path: Path
    spec_path: Path | None
    schema_dirs: list[Path] = field(default_factory=list)  # nearest first
    data_dirs: list[Path] = field(default_factory=list)


@dataclass
class Suite:
    root: Path
    apps: list[AppFiles]


def _spec_for(sql: Path) -> Path | None:
    stem, here = sql.stem, sql.parent
    for cand in (here / f"{stem}.test.yaml", here / f"{stem}.spec.yaml", here.parent / "tests" / f"{stem}.test.yaml",
                 here.parent / "tests" / f"{stem}.spec.yaml"):
        if cand.is_file():
            return cand
    for cand in (here / "test_spec.yaml", here.parent / "test_spec.yaml"):
        if cand.is_file() and _names_app(cand, sql):
            return cand
    return None


def _names_app(spec: Path, sql: Path) -> bool:
    """A shared ``test_spec.yaml`` belongs to a SQL file when it is alone or the spec names its app."""
    siblings = [p for p in sql.parent.glob("*.sql") if not p.name.endswith(".annotated.sql")]
    if len(siblings) == 1:
        return True
    from velotui import files
    from velotui.errors import VelotuiError

    try:  # through the path resolver: a FIFO named *.sql is refused, never waited on
        text = files.read_text(spec, what="test spec")
        head = files.read_text(sql, what="SQL file")[:2000]
    except VelotuiError:
        return False
    for line in text.splitlines():
        if line.startswith("application:"):
            app = line.split(":", 1)[1].strip().strip("'\"")
            return app == sql.stem or f"@app: {app}" in head or f"@app:{app}" in head
    return False


def _upwards(start: Path, root: Path, names: tuple[str, ...]) -> list[Path]:
    """``names`` folders beside the SQL, then in its parent (always), then upwards to the root given."""
    out: list[Path] = []
    d = start
    level = 0
    while True:
        for n in names:
            if (d / n).is_dir():
                out.append(d / n)
        if level >= 1 and (d == root or root not in d.parents):
            break
        if d.parent == d:
            break
        d = d.parent
        level += 1
    return out


def app_files_for(sql: Path, root: Path | None = None) -> AppFiles:
    # lexical paths, symlinks not followed: a symlinked SQL file is the app where the link is (its spec
    # beside the link), and reading it goes through velotui.files, which refuses a link out of the suite
    sql = Path(os.path.abspath(sql))
    root = (root or sql.parent).resolve()
    sql_abs = sql
    return AppFiles(sql_path=sql, spec_path=_spec_for(sql_abs),
                    schema_dirs=_upwards(sql_abs.parent, root, ("schemas", "schema")),
                    data_dirs=_upwards(sql_abs.parent, root, ("data",)))


def discover(path: str | Path) -> Suite:
    """Every ``X.sql`` under ``path`` (or the one file) with its spec, schema and data folders, sorted."""
    p = Path(path)
    if p.is_file():
        root = p.parent
        return Suite(root=root, apps=[_relative(app_files_for(p.absolute(), root.resolve()), p)])
    root = p
    sqls: list[Path] = []
    for f in sorted(root.rglob("*.sql")):
        rel_parts = f.relative_to(root).parts
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel_parts[:-1]):
            continue
        if f.name.endswith(".annotated.sql"):
            continue
        sqls.append(f)
    apps = [_relative(app_files_for(f.absolute(), root.resolve()), f) for f in sqls]
    return Suite(root=root, apps=apps)


def _relative(files: AppFiles, given: Path) -> AppFiles:
    """Keep paths as the user wrote them (relative paths stay relative in reports)."""
    files.sql_path = given
    if files.spec_path is not None and not given.is_absolute():
        try:
            files.spec_path = Path(os.path.relpath(files.spec_path))
        except ValueError:
            pass
    return files


def find_schema(app: AppFiles, name: str) -> Path | None:
    """``<name>.schema.yaml`` (or ``.yaml``/``.yml``) in the app's schema folders, nearest first."""
    for d in app.schema_dirs:
        for cand in (d / f"{name}.schema.yaml", d / f"{name}.schema.yml", d / f"{name}.yaml", d / f"{name}.yml"):
            if cand.is_file():
                return cand
    return None


# -- what a run of the folder leaves out: said in every report (docs/CLI.md "Files not run") ----------------

SPEC_SUFFIXES = (".test.yaml", ".spec.yaml")  # X.sql's spec is X.test.yaml or X.spec.yaml (FORMATS.md §1)
NEAR_SPEC_SUFFIXES = (".test.yml", ".spec.yml", ".tests.yaml", ".yaml", ".yml", "_test.yaml", "_spec.yaml")
SHARED_SPECS = ("test_spec.yaml",)


def _kind(p: Path) -> str | None:
    """What is at ``p`` without opening it: None (nothing), "file", "folder", or the other kind."""
    import stat

    try:
        st = p.stat()
    except OSError:
        return "broken link" if p.is_symlink() else None
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    if stat.S_ISFIFO(st.st_mode):
        return "FIFO"
    return "device or socket"


def _spec_like(name: str) -> bool:
    low = name.lower()
    return (low.endswith((*SPEC_SUFFIXES, ".test.yml", ".spec.yml")) or low in (*SHARED_SPECS, "test_spec.yml")) \
        and not low.endswith(".schema.yaml")


def _near_misses(sql: Path) -> list[tuple[Path, str]]:
    """The files a user may have meant as ``sql``'s spec, and why each is not read: a spec name that is not
    a regular file, or another spelling (``.test.yml``, a case) of a spec name."""
    stem, out = sql.stem, []
    places = [sql.parent, sql.parent.parent / "tests"]
    for d in places:
        for suffix in SPEC_SUFFIXES:
            kind = _kind(d / f"{stem}{suffix}")
            if kind not in (None, "file"):
                out.append((d / f"{stem}{suffix}", kind))
        try:
            entries = sorted(os.listdir(d))
        except OSError:
            continue
        wanted = {f"{stem}{s}" for s in SPEC_SUFFIXES}
        for name in entries:
            if name in wanted:
                continue
            low = name.lower()
            if any(low == f"{stem}{s}".lower() for s in (*SPEC_SUFFIXES, *NEAR_SPEC_SUFFIXES)) \
                    and not low.endswith(".schema.yaml"):
                out.append((d / name, "spelling"))
    return out


def suite_warnings(suite: Suite, pattern_matches: Any = None, *, orphans: bool = True) -> list[Any]:
    """A warning for every file a run of the folder leaves out, naming the file and the fix: each SQL file
    whose spec is not found (with the near miss: ``X.test.yml``, a folder or FIFO named ``X.test.yaml``) and
    each spec that belongs to no SQL file (``h.test.yaml`` after ``h.sql`` was renamed).
    ``pattern_matches(path, stem)`` (-k) keeps only the files it selects."""
    import difflib

    from velotui.errors import VelotuiWarning

    keep = pattern_matches or (lambda path, stem: True)
    warnings: list[Any] = []
    explained: set[str] = set()
    for app in suite.apps:
        if app.spec_path is not None or not keep(str(app.sql_path), app.sql_path.stem):
            continue
        misses = _near_misses(app.sql_path)
        explained |= {os.path.abspath(p) for p, _ in misses}
        stem = app.sql_path.stem
        if misses:
            p, why = misses[0]
            rule = f"velotui reads {stem}.test.yaml or {stem}.spec.yaml beside {app.sql_path.name}, as velo-test does"
            hint = (f"did you mean {p}? {rule}: rename it to {p.parent / (stem + '.test.yaml')}" if why == "spelling"
                    else f"{p} is a {why}, not a file; {rule}")
        else:
            hint = f"create {stem}.test.yaml beside it (`velotui init {app.sql_path}` drafts one)"
        warnings.append(VelotuiWarning("no test spec found: not run", file=app.sql_path, hint=hint))
    used = {os.path.abspath(a.spec_path) for a in suite.apps if a.spec_path is not None}
    stems = sorted({a.sql_path.stem for a in suite.apps})
    root = suite.root
    if not orphans or not root.is_dir():  # a run of one SQL file: the other files beside it are not the run's
        return warnings
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("."))
        for name in sorted([*names, *(x for x in dirs if _spec_like(x))]):
            if not _spec_like(name):
                continue
            p = Path(d) / name
            if os.path.abspath(p) in used or os.path.abspath(p) in explained:
                continue
            low = name.lower()
            stem = next((name[: -len(s)] for s in (*SPEC_SUFFIXES, ".test.yml", ".spec.yml") if low.endswith(s)), "")
            if not keep(str(p), stem or name):
                continue
            if name in SHARED_SPECS or low == "test_spec.yml":
                hint = ("a shared test_spec.yaml is read for the only SQL file beside it (or its parent's), or for "
                        "the one its `application:` names")
            else:
                close = difflib.get_close_matches(stem, stems, n=1, cutoff=0.5)
                hint = (f"did you mean {close[0]}.sql? rename the spec to {close[0]}.test.yaml; " if close else "") \
                    + f"put {stem}.sql beside it, or delete the spec"
            warnings.append(VelotuiWarning(f"test spec of no SQL file (no {stem or 'app'}.sql reads it): not run",
                                           file=p, hint=hint))
    return warnings
