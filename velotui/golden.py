"""Golden outputs (approval testing): a query's captured output written once, then compared exactly.

A golden file is JSON Lines beside the app's spec: ``<spec folder>/<app>.golden/<query>.jsonl``. Line 1
is a header ``{"_golden": {...}}`` naming the app, the query, and the seed and frozen "now" the output
was recorded with (a later run without ``--seed``/``--now`` generates the same inputs from them); every
other line is one output record in canonical form (docs/FORMATS.md "Golden files"):

- fields sorted by name, nested maps too; one record per line;
- floats rounded to 12 significant digits and written in Python's shortest round-trip form (an
  integral float keeps its ``.0``: ``15025.0`` is a float, ``15025`` an integer); decimals are written
  as floats; NaN and infinities as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; timestamps
  and dates as ISO 8601 strings;
- the records in the order the sink received them when the query defines one (ORDER BY), otherwise
  sorted by their canonical text, so an engine that emits the same records in another order is no diff.

Comparison is exact on this canonical form; a difference is a row-level diff (added, removed, changed
fields). This module sits below every package (like ``sandbox`` and ``timefmt``): it imports nothing
from velotui but errors.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from velotui.errors import SpecError

GOLDEN_VERSION = 1
FLOAT_DIGITS = 12
HEADER_KEY = "_golden"
MAX_CHANGES = 1000  # row changes kept in a diff (the counts are always complete)
_PAIRING_BUDGET = 250_000  # removed x added comparisons spent on finding "changed" rows


# -- where ----------------------------------------------------------------------------------------
def golden_dir(spec_path: Path, app_stem: str) -> Path:
    """The folder of an app's golden files: beside its spec, named after the app's SQL file."""
    return spec_path.parent / f"{app_stem}.golden"


MAX_NAME = 200  # characters of a query name kept in its golden file's name (a file name holds 255 bytes)


def golden_path(spec_path: Path, app_stem: str, query: str) -> Path:
    """``APP.golden/QUERY.jsonl``, the name made of ``[A-Za-z0-9_.-]``; a name longer than :data:`MAX_NAME`
    is cut there and ends with a hash of the whole name, so that every query name has a file name."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", query).strip(".") or "query"
    if len(safe) > MAX_NAME:
        import hashlib

        safe = f"{safe[:MAX_NAME - 17]}-{hashlib.sha256(query.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"
    return golden_dir(spec_path, app_stem) / f"{safe}.jsonl"


def golden_warnings(spec_path: Path, app_stem: str, queries: list[str]) -> list[Any]:
    """A warning for every entry of the app's golden folder that no query is compared with: a golden file of
    a query renamed or removed (``out_s_old.jsonl``), one with another extension (``out_s.json``), a folder
    where a file belongs — with the golden file name the user may have meant."""
    import difflib

    from velotui.errors import VelotuiWarning

    folder = golden_dir(spec_path, app_stem)
    if not folder.is_dir():
        return []
    known = {golden_path(spec_path, app_stem, q).name: q for q in queries}
    listing = ", ".join(sorted(known)) or "(none)"
    out: list[Any] = []
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name.startswith("."):  # .gitkeep and the like
            continue
        if name in known:
            if not entry.is_file():
                out.append(VelotuiWarning(f"golden file of query {known[name]!r} is not a regular file: not compared",
                                          file=entry, hint="remove it, and record the query with --update-golden"))
            continue
        stem = name.split(".", 1)[0] if "." in name else name
        same_stem = next((k for k in known if k.removesuffix(".jsonl") == stem), None)
        if same_stem is not None:
            out.append(VelotuiWarning(
                "not a golden file name (golden files are QUERY.jsonl): not compared", file=entry,
                hint=f"did you mean {same_stem}? rename it to {folder / same_stem}"))
            continue
        close = difflib.get_close_matches(stem, [k.removesuffix(".jsonl") for k in known], n=1, cutoff=0.5)
        guess = (f"did you mean {close[0]}.jsonl (a query renamed)? rename it and record again with "
                 f"--update-golden, or delete it; " if close else "delete it, or rename it after its query; ")
        out.append(VelotuiWarning(f"golden file of no query of {app_stem}.sql: not compared", file=entry,
                                  hint=guess + f"golden files of this spec's queries: {listing}"))
    return out


# -- canonical form -------------------------------------------------------------------------------
def canonical(value: Any) -> Any:
    """The value as it is written to (and compared in) a golden file."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        f = float(value)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        f = float(f"{f:.{FLOAT_DIGITS}g}")
        return 0.0 if f == 0 else f  # -0.0 is 0.0
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    return str(value)


def record_line(record: Any) -> str:
    """One record as its golden line (canonical JSON, fields sorted)."""
    return json.dumps(canonical(record), sort_keys=True, ensure_ascii=False, separators=(", ", ": "),
                      allow_nan=False)


@dataclass(frozen=True)
class GoldenRows:
    """Output records in golden order: their lines and, for each, its index in the captured output."""

    lines: list[str]
    indexes: list[int]


def golden_rows(records: list[Any], *, ordered: bool) -> GoldenRows:
    pairs = [(record_line(r), i) for i, r in enumerate(records)]
    if not ordered:
        pairs.sort(key=lambda p: p[0])
    return GoldenRows([p[0] for p in pairs], [p[1] for p in pairs])


# -- the file -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GoldenHeader:
    app: str
    query: str
    seed: int
    now_ms: int
    order: Literal["arrival", "sorted"]
    records: int
    version: int = GOLDEN_VERSION

    def to_line(self) -> str:
        body = {"app": self.app, "now_ms": self.now_ms, "order": self.order, "query": self.query,
                "records": self.records, "seed": self.seed, "version": self.version}
        return json.dumps({HEADER_KEY: body}, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


@dataclass(frozen=True)
class GoldenFile:
    path: Path
    header: GoldenHeader
    lines: list[str]  # canonical record lines, in file order
    line_numbers: list[int]  # the file line of each record (1-based; the header is line 1)


def _hint(path: Path) -> str:
    return f"re-record it: velotui --headless {path.parent.parent} --update-golden (or fix the line by hand)"


def read_header(path: Path) -> GoldenHeader:
    """The header of a golden file (raises SpecError naming file:line when it is not one)."""
    from velotui import files

    data = files.read_bytes(path, what="golden file", max_bytes=files.MAX_DATA_BYTES)  # inside the suite, a file
    return _parse_header(path, data.split(b"\n", 1)[0])


def _parse_header(path: Path, raw: bytes) -> GoldenHeader:
    try:
        data = json.loads(raw.decode("utf-8"))
        body = data[HEADER_KEY]
        header = GoldenHeader(app=str(body["app"]), query=str(body["query"]), seed=int(body["seed"]),
                              now_ms=int(body["now_ms"]), order=body["order"], records=int(body["records"]),
                              version=int(body.get("version", GOLDEN_VERSION)))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, OverflowError):  # OverflowError: a seed of 1e400
        raise SpecError(f'not a velotui golden file: line 1 should be the {{"{HEADER_KEY}": {{...}}}} header',
                        file=path, line=1, column=1, hint=_hint(path)) from None
    if header.order not in ("arrival", "sorted"):
        raise SpecError(f"golden header: order must be 'arrival' or 'sorted', not {header.order!r}", file=path,
                        line=1, hint=_hint(path))
    if header.version > GOLDEN_VERSION:
        raise SpecError(f"golden file version {header.version} is newer than this velotui understands "
                        f"({GOLDEN_VERSION})", file=path, line=1, hint="upgrade velotui")
    return header


def read_golden(path: Path) -> GoldenFile:
    """A golden file, every record re-written in canonical form (a hand edit with other spacing is no diff).
    Raises SpecError naming file, line and column for anything that is not a golden file."""
    from velotui import files

    raw_lines = files.read_bytes(path, what="golden file", max_bytes=files.MAX_DATA_BYTES).splitlines()
    if not raw_lines:
        raise SpecError("golden file is empty", file=path, line=1, hint=_hint(path))
    header = _parse_header(path, raw_lines[0])
    lines: list[str] = []
    numbers: list[int] = []
    for n, raw in enumerate(raw_lines[1:], start=2):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SpecError("golden file is not UTF-8", file=path, line=n, column=e.start + 1,
                            hint=_hint(path)) from None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError(f"golden record is not JSON: {e.msg}", file=path, line=n, column=e.colno,
                            hint=_hint(path)) from None
        if not isinstance(value, dict):
            raise SpecError(f"golden record must be a JSON object, not {type(value).__name__}", file=path, line=n,
                            column=1, hint=_hint(path))
        lines.append(record_line(value))
        numbers.append(n)
    return GoldenFile(path, header, lines, numbers)


def write_golden(path: Path, header: GoldenHeader, lines: list[str]) -> Path:
    """Write a golden file (parents created; written whole, then moved into place)."""
    from velotui import files

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    files.check_inside(path.parent, what="golden folder")  # a symlinked golden folder or file cannot make
    for p in (path, tmp):  # velotui write outside the suite
        if p.is_symlink() or p.exists():
            files.resolve(p, what="golden file")
    tmp.write_text("\n".join([header.to_line(), *lines]) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


# -- the diff -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowChange:
    kind: Literal["added", "removed", "changed"]
    golden_line: int | None  # the record's line in the golden file (removed, changed)
    output_index: int | None  # the record's index in the captured output, 0-based (added, changed)
    expected: dict[str, Any] | None  # the golden record (removed, changed)
    actual: dict[str, Any] | None  # the output record (added, changed)
    fields: tuple[str, ...] = ()  # changed: the fields whose values differ

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "golden_line": self.golden_line, "output_index": self.output_index,
                "expected": self.expected, "actual": self.actual, "fields": list(self.fields)}

    def text(self, file_name: str) -> str:
        """One line of the diff as the text and JUnit reports print it."""
        if self.kind == "added":
            return f"+ output #{self.output_index}: {record_line(self.actual)}"
        if self.kind == "removed":
            return f"- {file_name}:{self.golden_line}: {record_line(self.expected)}"
        exp, act = self.expected or {}, self.actual or {}
        parts = [f"{f}: {_show(exp, f)} → {_show(act, f)}" for f in self.fields]
        return f"~ {file_name}:{self.golden_line} (output #{self.output_index}): " + ", ".join(parts)


def _show(record: dict[str, Any], name: str) -> str:
    return json.dumps(record[name], ensure_ascii=False) if name in record else "(missing)"


@dataclass(frozen=True)
class GoldenDiff:
    file: str
    expected_count: int
    actual_count: int
    added: int
    removed: int
    changed: int
    changes: tuple[RowChange, ...] = ()
    omitted: int = 0  # changes not kept (beyond MAX_CHANGES)
    note: str = ""  # e.g. the run's seed differs from the one the file was recorded with

    @property
    def equal(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self) -> str:
        parts = [f"{n} {what}" for n, what in ((self.changed, "changed"), (self.added, "added"),
                                                (self.removed, "removed")) if n]
        return ", ".join(parts) or "no change"

    def text_lines(self, limit: int = 20) -> list[str]:
        name = Path(self.file).name
        out = [c.text(name) for c in self.changes[:limit]]
        more = len(self.changes) - limit + self.omitted
        if more > 0:
            out.append(f"… {more} more row change(s)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "expected_records": self.expected_count, "actual_records": self.actual_count,
                "added": self.added, "removed": self.removed, "changed": self.changed,
                "changes": [c.to_dict() for c in self.changes], "omitted": self.omitted, "note": self.note}


def _similarity(a: dict[str, Any], b: dict[str, Any]) -> float:
    keys = set(a) | set(b)
    if not keys:
        return 1.0
    same = sum(1 for k in keys if k in a and k in b and a[k] == b[k] and type(a[k]) is type(b[k]))
    return same / len(keys)


def _differing(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(a) | set(b)
                        if k not in a or k not in b or a[k] != b[k] or type(a[k]) is not type(b[k])))


def _pair(removed: list[tuple[int, str]], added: list[tuple[int, str]]) -> tuple[list[tuple[int, int]], set[int],
                                                                                 set[int]]:
    """Pair removed and added rows that are the same record with some fields changed (at least half
    of their fields equal), greedily, best match first, within a bounded number of comparisons."""
    pairs: list[tuple[int, int]] = []
    used_r: set[int] = set()
    used_a: set[int] = set()
    budget = _PAIRING_BUDGET
    parsed_a = [json.loads(line) for _, line in added]
    for ri, (_, rline) in enumerate(removed):
        if budget <= 0:
            break
        r = json.loads(rline)
        best, best_score = None, 0.5
        for ai, a in enumerate(parsed_a):
            if ai in used_a:
                continue
            budget -= 1
            score = _similarity(r, a)
            if score >= best_score and (best is None or score > best_score):
                best, best_score = ai, score
        if best is not None:
            pairs.append((ri, best))
            used_r.add(ri)
            used_a.add(best)
    return pairs, used_r, used_a


def diff_rows(golden: GoldenFile, actual: GoldenRows, *, ordered: bool) -> GoldenDiff:
    """Row-level diff of the golden records against the output's (both in canonical form)."""
    removed: list[tuple[int, str]] = []  # (golden position, line)
    added: list[tuple[int, str]] = []  # (golden-order position in actual, line)
    if ordered:
        matcher = difflib.SequenceMatcher(None, golden.lines, actual.lines, autojunk=False)
        blocks = matcher.get_opcodes()
    else:
        left = Counter(golden.lines) - Counter(actual.lines)
        right = Counter(actual.lines) - Counter(golden.lines)
        blocks = []
        for i, line in enumerate(golden.lines):
            if left[line] > 0:
                left[line] -= 1
                removed.append((i, line))
        for j, line in enumerate(actual.lines):
            if right[line] > 0:
                right[line] -= 1
                added.append((j, line))
    changes: list[tuple[tuple[int, int, int], RowChange]] = []  # (sort key, change): in golden-file order

    def emit(rs: list[tuple[int, str]], adds: list[tuple[int, str]], insert_at: int) -> None:
        pairs, used_r, used_a = _pair(rs, adds)
        for ri, ai in pairs:
            (gi, gl), (aj, al) = rs[ri], adds[ai]
            e, a = json.loads(gl), json.loads(al)
            changes.append(((gi, 0, 0), RowChange("changed", golden.line_numbers[gi], actual.indexes[aj], e, a,
                                          _differing(e, a))))
        for ri, (gi, gl) in enumerate(rs):
            if ri not in used_r:
                changes.append(((gi, 0, 0), RowChange("removed", golden.line_numbers[gi], None, json.loads(gl), None)))
        for ai, (aj, al) in enumerate(adds):
            if ai not in used_a:
                changes.append(((insert_at, 1, aj), RowChange("added", None, actual.indexes[aj], None,
                                                                  json.loads(al))))

    if ordered:
        for tag, i1, i2, j1, j2 in blocks:
            if tag == "equal":
                continue
            emit([(i, golden.lines[i]) for i in range(i1, i2)], [(j, actual.lines[j]) for j in range(j1, j2)],
                 i2)
    else:
        emit(removed, added, len(golden.lines))
    changes.sort(key=lambda c: c[0])
    counts = Counter(c.kind for _, c in changes)
    kept = tuple(c for _, c in changes[:MAX_CHANGES])
    return GoldenDiff(file=str(golden.path), expected_count=len(golden.lines), actual_count=len(actual.lines),
                      added=counts["added"], removed=counts["removed"], changed=counts["changed"], changes=kept,
                      omitted=max(0, len(changes) - MAX_CHANGES))


@dataclass
class GoldenPins:
    """The seed and "now" an app's golden files were recorded with (used when the run fixes neither)."""

    seed: int | None = None
    now_ms: int | None = None
    sources: list[Path] = field(default_factory=list)


def pins_of(paths: list[Path]) -> GoldenPins:
    """The recording seed/now of the first readable golden file among ``paths`` (unreadable ones are
    reported when compared, not here)."""
    for p in paths:
        if not p.is_file():
            continue
        try:
            h = read_header(p)
        except SpecError:
            continue
        return GoldenPins(h.seed, h.now_ms, [p])
    return GoldenPins()
