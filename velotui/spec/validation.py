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

from velotui.errors import SpecError
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

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def warnings(self) -> list[Any]:
        return self._warnings


@dataclass
class SpecWarning:
    file: str | None
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        return f"{where}: {self.message}" if where else self.message


def _describe_error(err: dict[str, Any]) -> tuple[str, str | None]:
    kind = err["type"]
    loc = err["loc"]
    name = str(loc[-1]) if loc else "value"
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


def _loc_path(loc: tuple[Any, ...]) -> PathT:
    # pydantic locations may contain union branch tags and function-after names: drop those
    out = []
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and not part.startswith(("function-", "tagged-union"))
                                     and "[" not in part):
            out.append(part)
    return tuple(out)


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
    return instance


def _locate(obj: Any, doc: YamlDocument, path: PathT) -> None:
    if isinstance(obj, LocatedModel):
        where = doc.key_locations.get(path) or doc.locations.get(path)
        if isinstance(path[-1:] and path[-1], int) or not path:
            where = doc.locations.get(path) or where
        obj._file = str(doc.file) if doc.file else None
        if where:
            obj._line, obj._column = where
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


def unknown_keys(obj: Any, doc: YamlDocument, path: PathT = ()) -> list[SpecWarning]:
    """Warnings for keys no model declares, each with a did-you-mean hint."""
    out: list[SpecWarning] = []
    if isinstance(obj, BaseModel):
        fields = type(obj).model_fields
        known = [f.alias or n for n, f in fields.items()] + list(fields)
        for key in (obj.model_extra or {}):
            if getattr(type(obj), "__accepts_any_keys__", False):
                continue
            where = doc.key_locations.get((*path, key))
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            msg = f"unknown key '{key}'" + (f"; did you mean '{close[0]}'?" if close else
                                            f" (known keys: {', '.join(sorted(set(known)))})")
            out.append(SpecWarning(str(doc.file) if doc.file else None, where[0] if where else None,
                                   where[1] if where else None, msg))
        for name, field in fields.items():
            out.extend(unknown_keys(getattr(obj, name), doc, (*path, field.alias or name)))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            out.extend(unknown_keys(item, doc, (*path, i)))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(unknown_keys(v, doc, (*path, k)))
    return out


def check_unknown(obj: Any, doc: YamlDocument, *, strict: bool) -> list[SpecWarning]:
    warnings = unknown_keys(obj, doc)
    if strict and warnings:
        w = warnings[0]
        extra = "".join(f"\n  also: {x}" for x in warnings[1:])
        raise SpecError(w.message + extra, file=w.file, line=w.line, column=w.column,
                        hint="remove the key or fix its spelling (unknown keys are errors under --strict)")
    return warnings


def as_path(p: str | Path) -> Path:
    return p if isinstance(p, Path) else Path(p)


MAX_RECORDS = 10_000_000  # records generated for one input, all held in memory


def check_record_count(v: Any) -> Any:
    """A generated-record count a run can hold in memory (a field validator for counts of records)."""
    if isinstance(v, int) and v > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS:,} records are generated for one input (they are held in "
                         f"memory), not {v:,}; for load tests use velotui stress, which streams batches")
    return v
