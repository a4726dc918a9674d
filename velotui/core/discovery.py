"""Discovery of apps, specs, schemas and data folders in a folder tree (FORMATS.md §1)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

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
