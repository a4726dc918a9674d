"""YAML with locations: every mapping key and value knows its file, line and column (1-based)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from velotui.errors import SpecError

Loc = tuple[int, int]  # (line, column), 1-based
PathT = tuple[Any, ...]  # keys and list indexes from the document root


@dataclass
class YamlDocument:
    """A parsed YAML document: plain Python data plus the location of every node."""

    data: Any
    file: Path | None
    locations: dict[PathT, Loc]  # node path -> where its value starts
    key_locations: dict[PathT, Loc]  # node path -> where its key is written (mappings only)

    def loc(self, path: PathT) -> Loc | None:
        """The most precise location known for ``path`` (walking up to the nearest known parent)."""
        p = tuple(path)
        while True:
            if p in self.key_locations:
                return self.key_locations[p]
            if p in self.locations:
                return self.locations[p]
            if not p:
                return None
            p = p[:-1]

    def value_loc(self, path: PathT) -> Loc | None:
        """Where the value at ``path`` is written (for wrong values), else the nearest known place."""
        return self.locations.get(tuple(path)) or self.loc(path)

    def error(self, message: str, path: PathT, hint: str | None = None, *, at_value: bool = False) -> SpecError:
        where = self.value_loc(path) if at_value else self.loc(path)
        return SpecError(message, file=self.file, line=where[0] if where else None,
                         column=where[1] if where else None, hint=hint)


class _Loader(yaml.SafeLoader):
    pass


def _construct(node: yaml.Node, path: PathT, doc: YamlDocument, loader: _Loader) -> Any:
    doc.locations[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise SpecError("a mapping key must be a plain value", file=doc.file,
                                line=key_node.start_mark.line + 1, column=key_node.start_mark.column + 1)
            child = (*path, key)
            doc.key_locations[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _construct(value_node, child, doc, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), doc, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, file: str | Path | None = None) -> YamlDocument:
    """Parse one YAML document. Syntax errors are SpecError with the line and column of the problem."""
    path = Path(file) if file is not None else None
    doc = YamlDocument(data=None, file=path, locations={}, key_locations={})
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            doc.data = None
            return doc
        doc.data = _construct(node, (), doc, loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise SpecError(f"invalid YAML: {e.problem or e.context}", file=path,
                        line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
                        hint="check indentation and quoting around this place") from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {e}", file=path) from None
    finally:
        loader.dispose()
    return doc


def read_yaml(path: str | Path, *, what: str = "YAML file", named_in: str | Path | None = None,
              line: int | None = None) -> YamlDocument:
    """Read (through the suite's path resolver) and parse a YAML file."""
    from velotui import files

    p = Path(path)
    return parse_yaml(files.read_text(p, what=what, named_in=named_in, line=line), p)
