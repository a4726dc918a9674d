"""YAML with locations: every mapping key and value knows its file, line and column (1-based)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    # node path -> the text of a plain scalar YAML read as something other than text (NO as false, 010 as 8)
    written: dict[PathT, str] = field(default_factory=dict)

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


MAX_DEPTH = 64  # nesting of mappings and lists in one document
MAX_NODES = 100_000  # values aliases may expand a document to (beyond twice its size as written: a bomb)


def _at(mark: Any) -> dict[str, int]:
    return {"line": mark.line + 1, "column": mark.column + 1}


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded: nesting depth while composing, and where each alias is used."""

    def __init__(self, stream: str, file: Path | None) -> None:
        super().__init__(stream)
        self.file = file
        self.depth = 0
        self.alias_uses: list[tuple[str, Any, Any]] = []  # (anchor, mark of the *alias, the node it stands for)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)
            self.alias_uses.append((event.anchor, event.start_mark, node))
            return node
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise SpecError(f"YAML nests more than {MAX_DEPTH} levels deep", file=self.file, **_at(mark),
                            hint="flatten the structure; specs and schemas never need this depth")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _expanded_size(root: yaml.Node) -> dict[int, int]:
    """Values under each node once aliases are expanded (memoised: cheap however large the expansion)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = [c for kv in node.value for c in kv] if isinstance(node, yaml.MappingNode) else list(node.value)
        if done:
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 1) for c in children)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes


def _check_aliases(root: yaml.Node, loader: _Loader) -> None:
    if not loader.alias_uses:
        return
    sizes = _expanded_size(root)
    total = sizes.get(id(root), 1)
    if total <= max(MAX_NODES, 2 * len(sizes)):  # a large document as written is not a bomb
        return
    worst = max(loader.alias_uses, key=lambda u: sizes.get(id(u[2]), 1))
    grows = sizes.get(id(worst[2]), 1)
    raise SpecError(f"YAML aliases expand this document to {total:,} values (limit {MAX_NODES:,}); "
                    f"*{worst[0]} alone stands for {grows:,}", file=loader.file, **_at(worst[1]),
                    hint="an alias bomb? write the values out, or nest fewer aliases")


def _check_duplicate_keys(node: yaml.MappingNode, loader: _Loader, file: Path | None) -> None:
    """A key written twice in one mapping is an error (the last one silently winning hides mistakes);
    a key that overrides one merged in with ``<<:`` is fine."""
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:
            continue
        if first is not None:
            raise SpecError(f"duplicate key {key!r} (first written at line {first.line + 1})", file=file,
                            **_at(key_node.start_mark), hint="remove one of them, or merge their values")
        seen[key] = key_node.start_mark


def _construct(node: yaml.Node, path: PathT, doc: YamlDocument, loader: _Loader) -> Any:
    doc.locations[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        _check_duplicate_keys(node, loader, doc.file)
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
    try:
        value = loader.construct_object(node, deep=True)
        if not isinstance(value, str) and isinstance(node, yaml.ScalarNode) and not node.style:
            doc.written[path] = node.value
        return value
    except ValueError as e:  # an integer of thousands of digits, a date out of range
        raise SpecError(f"value {str(node.value)[:40]}{'…' if len(str(node.value)) > 40 else ''} cannot be read: "
                        f"{str(e).split(';')[0]}", file=doc.file, **_at(node.start_mark),
                        hint="quote it to keep it as text") from None


def parse_yaml(text: str, file: str | Path | None = None) -> YamlDocument:
    """Parse one YAML document. Syntax errors are SpecError with the line and column of the problem."""
    path = Path(file) if file is not None else None
    doc = YamlDocument(data=None, file=path, locations={}, key_locations={})
    loader = _Loader(text, path)
    try:
        node = loader.get_single_node()
        if node is None:
            doc.data = None
            return doc
        _check_aliases(node, loader)
        doc.data = _construct(node, (), doc, loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise SpecError(f"invalid YAML: {e.problem or e.context}", file=path,
                        line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
                        hint="check indentation and quoting around this place") from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {e}", file=path) from None
    except RecursionError:  # a bound above should make this impossible; never a traceback
        raise SpecError(f"YAML nests too deeply (limit {MAX_DEPTH} levels)", file=path) from None
    finally:
        loader.dispose()
    return doc


def read_yaml(path: str | Path, *, what: str = "YAML file", named_in: str | Path | None = None,
              line: int | None = None) -> YamlDocument:
    """Read (through the suite's path resolver) and parse a YAML file."""
    from velotui import files

    p = Path(path)
    return parse_yaml(files.read_text(p, what=what, named_in=named_in, line=line), p)
