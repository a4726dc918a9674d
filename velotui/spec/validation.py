"""Validate a located YAML document against a pydantic model.

Missing keys and wrong types are one SpecError listing every problem with file:line:column; unknown keys
are warnings with a "did you mean" hint (errors in strict mode). Models that want to know their own
line get it (``LocatedModel``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from velotui.errors import SpecError, VelotuiWarning
from velotui.spec.yaml_source import PathT, YamlDocument

M = TypeVar("M", bound=BaseModel)


class SpecModel(BaseModel):
    """Base of every format model: unknown keys are kept (and warned about), never silently dropped."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, arbitrary_types_allowed=True)


class LocatedModel(SpecModel):
    """A model that knows where it was written."""

    _file: str | None = PrivateAttr(default=None)
    _line: int | None = PrivateAttr(default=None)
    _column: int | None = PrivateAttr(default=None)
    _doc_path: tuple[Any, ...] = PrivateAttr(default=())  # where in its document it was written

    @property
    def doc_path(self) -> tuple[Any, ...]:
        return self._doc_path

    @property
    def file(self) -> str | None:
        return self._file

    @property
    def line(self) -> int | None:
        return self._line

    @property
    def column(self) -> int | None:
        return self._column


class DocumentModel(LocatedModel):
    """A whole file (a spec or a schema): where it was read from and the warnings loading it gave."""

    _path: Path | None = PrivateAttr(default=None)
    _warnings: list[Any] = PrivateAttr(default_factory=list)
    _doc: YamlDocument | None = PrivateAttr(default=None)  # the parsed file, with every key's location

    @property
    def doc(self) -> YamlDocument | None:
        return self._doc

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def warnings(self) -> list[Any]:
        return self._warnings


SpecWarning = VelotuiWarning  # the spec formats' warnings are the one warning type of velotui


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn ``a`` into ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def near_key(key: str, known: list[str]) -> str | None:
    """The known key ``key`` is one edit away from (or equal to but for case), else None: such a key is
    a typo, never a key meant for another tool."""
    text = str(key)
    best = [k for k in known if k != text and (k.lower() == text.lower() or edit_distance(text, k) <= 1)]
    return sorted(best, key=lambda k: (k.lower() != text.lower(), k))[0] if best else None


@dataclass
class KeyProblems:
    """Unknown keys of a document: typos (one edit from a known key: errors) and others (warnings)."""

    typos: list[SpecError]
    unknown: list[SpecWarning]


def judge_key(key: Any, known: list[str], where: tuple[int, int] | None, file: str | None,
              context: str = "") -> SpecError | SpecWarning:
    """One unknown key: an error when it is a typo of a known key, else a warning (with a hint)."""
    line, column = (where or (None, None))
    near = near_key(str(key), known)
    prefix = f"{context}: " if context else ""
    if near is not None:
        return SpecError(f"{prefix}unknown key '{key}'; did you mean '{near}'?", file=file, line=line, column=column,
                         hint=f"rename it to '{near}' (a key one edit from a known key is a typo)")
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    msg = f"{prefix}unknown key '{key}'" + (f"; did you mean '{close[0]}'?" if close else
                                           f" (known keys: {', '.join(sorted(set(known)))})")
    return SpecWarning(msg, file=file, line=line, column=column)


def _describe_error(err: dict[str, Any]) -> tuple[str, str | None]:
    kind = err["type"]
    loc = _loc_path(tuple(err["loc"]))
    name = str(loc[-1]) if loc else "value"
    if loc and isinstance(loc[-1], int):  # an item of a list: said with the list's name ('weights[1]')
        name = f"{loc[-2] if len(loc) > 1 else 'item'}[{loc[-1]}]"
    if kind == "missing":
        return f"missing required key '{name}'", f"add '{name}:' here"
    if kind in ("extra_forbidden",):
        return f"unknown key '{name}'", None
    inp = err.get("input")
    msg = err["msg"].removeprefix("Value error, ")
    text = f"'{name}': {msg[:1].lower() + msg[1:]}"
    if not isinstance(inp, (dict, list)):  # a structured value is named by its location instead
        text += f" (got {inp!r})"
    return text, None


def typo_for_missing(doc: YamlDocument, path: PathT) -> SpecError | None:
    """A required key is missing and the mapping has a key one edit from it: that key is the typo."""
    node: Any = doc.data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if not isinstance(node, dict):
        return None
    wanted = str(path[-1])
    for key in node:
        if near_key(str(key), [wanted]) == wanted:
            where = doc.key_locations.get((*path[:-1], key))
            return SpecError(f"unknown key '{key}'; did you mean '{wanted}'?", file=doc.file,
                             line=where[0] if where else None, column=where[1] if where else None,
                             hint=f"rename it to '{wanted}' (a key one edit from a known key is a typo)")
    return None


def renamed_key(name: str, missing_here: int, keys: list[str], known: list[str] | set[str],
                where: tuple[int, int] | None, file: str | None, context: str = "",
                see: str | None = None) -> SpecError | None:
    """A required key ``name`` is missing from a mapping that has exactly one key nobody knows, and it is the
    only key missing there: that key is most likely ``name`` under another name (`metric:` for `name:`,
    `from:` for `source:`), whatever its spelling. The error names both, at the unknown key."""
    unknown = [k for k in keys if k not in known]
    if missing_here != 1 or len(unknown) != 1:
        return None
    other = unknown[0]
    prefix = f"{context}: " if context else ""
    line, column = where or (None, None)
    return SpecError(f"{prefix}missing required key '{name}'; is '{other}' meant as '{name}'? ('{other}' is no "
                     f"key{' of ' + context if context else ' here'})", file=file, line=line, column=column,
                     hint=f"rename '{other}' to '{name}'" + (f" (see {see})" if see else ""))


def _model_at(model: type[BaseModel], path: PathT) -> type[BaseModel] | None:
    """The model that validates the mapping at ``path`` inside ``model`` (None where a union makes it
    ambiguous)."""
    import typing

    current: Any = model
    for part in path:
        if isinstance(part, int):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0] if len(args) == 1 else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            current = field.annotation if field is not None else None
        else:
            return None
        while current is not None and not (isinstance(current, type) and issubclass(current, BaseModel)):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            if typing.get_origin(current) in (list, tuple) or len(args) != 1:
                break
            current = args[0]  # Optional[X] -> X
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _loc_path(loc: tuple[Any, ...]) -> PathT:
    # pydantic locations may contain union branch tags and function-after names: drop those
    out = []
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and not part.startswith(("function-", "tagged-union"))
                                     and "[" not in part):
            out.append(part)
    return tuple(out)


def _renamed_in_doc(model: type[BaseModel], doc: YamlDocument, base: PathT, path: PathT,
                    errors: list[Any]) -> SpecError | None:
    node: Any = doc.data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    sub = _model_at(model, path[len(base):-1])
    if not isinstance(node, dict) or sub is None or getattr(sub, "__accepts_any_keys__", False):
        return None
    here = sum(1 for x in errors if x["type"] == "missing" and (*base, *_loc_path(x["loc"]))[:-1] == path[:-1])
    keys = [str(k) for k in node]
    known = model_keys(sub)
    unknown = [k for k in keys if k not in known]
    where = doc.key_locations.get((*path[:-1], unknown[0])) if len(unknown) == 1 else None
    return renamed_key(str(path[-1]), here, keys, known, where, str(doc.file) if doc.file else None)


def validate(model: type[M], doc: YamlDocument, *, base: PathT = (), data: Any = None) -> M:
    """Validate ``doc`` (or ``data`` at ``base``) into ``model``; every problem becomes one SpecError."""
    payload = doc.data if data is None else data
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise doc.error(f"expected a mapping of keys, got {type(payload).__name__}", base,
                        hint="the file must start with 'key: value' lines")
    try:
        instance = model.model_validate(payload)
    except ValidationError as e:
        problems = []
        first: SpecError | None = None
        for err in e.errors():
            path = (*base, *_loc_path(err["loc"]))
            message, hint = _describe_error(err)
            typo = typo_for_missing(doc, path) if err["type"] == "missing" else None
            if typo is not None:  # `input:` written for `inputs:` reads as both; say the typo
                first = first or typo
                problems.append(str(typo))
                continue
            renamed = _renamed_in_doc(model, doc, base, path, e.errors()) if err["type"] == "missing" else None
            if renamed is not None:
                first = first or renamed
                problems.append(str(renamed))
                continue
            if err["type"] == "missing":
                # point at the mapping that lacks the key
                spec_err = doc.error(message, path[:-1], hint=hint)
            else:
                spec_err = doc.error(message, path, hint=hint, at_value=True)
            first = first or spec_err
            problems.append(str(spec_err))
        assert first is not None
        if len(problems) > 1:
            first = SpecError(first.message + "".join(f"\n  also: {p}" for p in problems[1:]), file=first.file,
                              line=first.line, column=first.column, hint=first.hint)
        raise first from None
    _locate(instance, doc, base)
    if isinstance(instance, DocumentModel):
        instance._doc = doc
    return instance


def _locate(obj: Any, doc: YamlDocument, path: PathT) -> None:
    if isinstance(obj, LocatedModel):
        where = doc.key_locations.get(path) or doc.locations.get(path)
        if isinstance(path[-1:] and path[-1], int) or not path:
            where = doc.locations.get(path) or where
        obj._file = str(doc.file) if doc.file else None
        obj._doc_path = tuple(path)
        if where:
            obj._line, obj._column = where
        flatten = getattr(type(obj), "__flattens__", None)
        if flatten:  # keys the model lifts out of a sub-mapping are located as if written at its level
            n = len(path)
            for loc_path, loc in list(doc.key_locations.items()):
                if len(loc_path) == n + 2 and loc_path[:n] == tuple(path) and loc_path[n] == flatten:
                    key = loc_path[-1]
                    doc.key_locations.setdefault((*path, key), loc)
                    if loc_path in doc.locations:
                        doc.locations.setdefault((*path, key), doc.locations[loc_path])
    if isinstance(obj, BaseModel):
        for name, field in type(obj).model_fields.items():
            key = field.alias or name
            _locate(getattr(obj, name), doc, (*path, key))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            _locate(item, doc, (*path, i))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _locate(v, doc, (*path, k))


def model_keys(model: type[BaseModel]) -> list[str]:
    """Every key a model accepts: field names and their aliases."""
    fields = model.model_fields
    return sorted({f.alias or n for n, f in fields.items()} | set(fields))


def unknown_keys(obj: Any, doc: YamlDocument, path: PathT = ()) -> KeyProblems:
    """Keys no model declares, at every level: typos (errors) and far keys (warnings with a hint)."""
    out = KeyProblems([], [])
    file = str(doc.file) if doc.file else None
    if isinstance(obj, BaseModel):
        fields = type(obj).model_fields
        if not getattr(type(obj), "__accepts_any_keys__", False):
            known = model_keys(type(obj))
            misplaced = type(obj).misplaced_keys() if hasattr(type(obj), "misplaced_keys") else {}
            for key in (obj.model_extra or {}):
                where = doc.key_locations.get((*path, key))
                if str(key) in misplaced and near_key(str(key), known) is None:  # a known key, at the wrong place
                    line, column = where or (None, None)
                    out.typos.append(SpecError(f"'{key}' does nothing here: {misplaced[str(key)]}", file=file,
                                               line=line, column=column, hint="move it there"))
                    continue
                found = judge_key(key, known, where, file)
                (out.typos if isinstance(found, SpecError) else out.unknown).append(found)  # type: ignore[arg-type]
        for name, field in fields.items():
            inner = unknown_keys(getattr(obj, name), doc, (*path, field.alias or name))
            out.typos += inner.typos
            out.unknown += inner.unknown
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            inner = unknown_keys(item, doc, (*path, i))
            out.typos += inner.typos
            out.unknown += inner.unknown
    elif isinstance(obj, dict):
        for k, v in obj.items():
            inner = unknown_keys(v, doc, (*path, k))
            out.typos += inner.typos
            out.unknown += inner.unknown
    return out


def raise_all(errors: list[SpecError]) -> None:
    """Raise the first error with every other one listed under it (nothing if the list is empty)."""
    if not errors:
        return
    first = errors[0]
    if len(errors) == 1:
        raise first
    raise SpecError(first.message + "".join(f"\n  also: {e.location}: {e.message}" for e in errors[1:]),
                    file=first.file, line=first.line, column=first.column, hint=first.hint)


def check_unknown(obj: Any, doc: YamlDocument, *, strict: bool) -> list[SpecWarning]:
    """Typos of known keys are errors; other unknown keys are warnings (errors under --strict)."""
    found = unknown_keys(obj, doc)
    errors = list(found.typos)
    if strict:
        errors += [w.as_error("remove the key or fix its spelling (unknown keys are errors under --strict)")
                   for w in found.unknown]
        errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    raise_all(errors)
    return found.unknown


def as_path(p: str | Path) -> Path:
    return p if isinstance(p, Path) else Path(p)


MAX_RECORDS = 10_000_000  # records generated for one input (held in memory when a query needs them all at once)


def check_record_count(v: Any) -> Any:
    """A generated-record count a run can make (a field validator for counts of records)."""
    if isinstance(v, int) and v > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS:,} records are generated for one input (a query that needs "
                         f"every record at once holds them in memory), not {v:,}; for load tests use velotui "
                         "stress, which streams batches")
    return v
