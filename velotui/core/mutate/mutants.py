"""Mutants of an app: every change every operator proposes, each rendered back to a whole SQL file.

The SQL file is parsed with the Velostream dialect; for each statement, each node of its tree is offered
to each operator; a change is applied to a copy of the tree, and the statement is written back by the
dialect's generator (which round-trips: tests/unit/sql/test_roundtrip.py) in place of the original
statement's text. Comments and annotations outside the statement stay as they are. The order of mutants
(statement, node in tree order, operator in registry order) is fixed, so their ids are stable.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.tokens import TokenType

from velotui.core.mutate.operators import OPERATORS, Boundary, Change, MutationContext, MutationOperator
from velotui.sql.dialect import Velostream, parse_statements


@dataclass
class Mutant:
    """One mutant of an app: a whole SQL file that differs from the original in one change."""

    id: str  # "M1", "M2", … in generation order
    statement: str  # the statement the change is in
    operator: str
    before: str  # the original SQL of what changed
    after: str  # what the mutant has instead
    line: int | None  # position of the change in the original file
    column: int | None
    text: str  # the mutant's whole SQL file
    diff: str  # the statement, original vs mutant, as a unified diff of the generator's pretty form
    note: str = ""  # e.g. "dropped from WHERE", when ``after`` is not the whole story
    boundary: Boundary | None = None  # the input values at which original and mutant differ

    @property
    def title(self) -> str:
        """``amount > 100`` → ``amount >= 100``, or ``value > 500`` dropped from WHERE."""
        return f"`{self.before}` {self.note}" if self.note else f"`{self.before}` → `{self.after}`"


def statement_spans(text: str) -> list[tuple[int, int]]:
    """(first char, last char) of each statement of a SQL file, from its tokens (comments are not tokens)."""
    spans: list[list[int]] = []
    at_start = True
    for t in Velostream().tokenize(text):
        if t.token_type == TokenType.SEMICOLON:
            at_start = True
            continue
        if at_start:
            spans.append([t.start, t.end])
            at_start = False
        else:
            spans[-1][1] = t.end
    return [(a, b) for a, b in spans]


def _start(node: exp.Expression) -> int | None:
    """The first character of a node in the file: its own token, else the first located node inside it."""
    starts = [n.meta["start"] for n in node.walk() if isinstance(n.meta, dict) and "start" in n.meta]
    own = node.meta.get("start") if "start" in node.meta else None
    if own is not None:
        return own
    return min(starts) if starts else None


def line_col(text: str, offset: int | None) -> tuple[int | None, int | None]:
    if offset is None:
        return None, None
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _render(tree: exp.Expression, pretty: bool = False) -> str:
    return tree.sql(dialect=Velostream, comments=False, pretty=pretty)


def _diff(original: exp.Expression, mutant: exp.Expression) -> str:
    lines = difflib.unified_diff(_render(original, True).splitlines(), _render(mutant, True).splitlines(),
                                 "original", "mutant", n=1, lineterm="")
    return "\n".join(list(lines)[2:])  # without the ---/+++ header


def source_columns(loaded: Any, statement: Any) -> dict[str, list[str]]:
    """Known columns per qualifier (alias or name) of a statement's sources: from the data schemas, the
    header of a file source, and every column the statement itself names with that qualifier."""
    out: dict[str, list[str]] = {}
    schemas = getattr(loaded, "schemas", {}) or {}
    spec_inputs = {i.source: i for q in getattr(loaded.spec, "queries", []) for i in q.inputs} \
        if getattr(loaded, "spec", None) is not None else {}
    for src in statement.sources:
        cols: list[str] = []
        inp = spec_inputs.get(src.name)
        schema = schemas.get(getattr(inp, "schema_name", None) or src.name) if schemas else None
        if schema is not None:
            cols += [f.name for f in schema.fields]
        if src.kind == "file" and src.path and loaded.sql_path is not None:
            cols += _file_header(loaded.sql_path.parent / src.path)
        out.setdefault(src.ref_name, [])
        out[src.ref_name] += [c for c in cols if c not in out[src.ref_name]]
    if statement.query.select is not None:
        for col in statement.query.select.find_all(exp.Column):
            if col.table in out and col.name not in out[col.table]:
                out[col.table].append(col.name)
    return out


def _file_header(path: Path) -> list[str]:
    try:
        with path.open(errors="replace") as fh:
            first = fh.readline().strip()
    except OSError:
        return []
    if path.suffix == ".csv":
        return [c.strip() for c in first.split(",") if c.strip()]
    if first.startswith("{"):
        import orjson

        try:
            return [k for k in orjson.loads(first) if not k.startswith("$")]
        except orjson.JSONDecodeError:
            return []
    return []


def generate_mutants(loaded: Any, operators: list[str] | None = None, text: str | None = None) -> list[Mutant]:
    """Every mutant of an app (``loaded``: a velotui.core.loading.LoadedApp), in a fixed order."""
    text = loaded.sql_path.read_text() if text is None else text
    trees = parse_statements(text)
    spans = statement_spans(text)
    chosen: list[MutationOperator] = [OPERATORS[n] for n in (operators or list(OPERATORS))]
    mutants: list[Mutant] = []
    for k, (tree, statement) in enumerate(zip(trees, loaded.app.statements)):
        ctx = MutationContext(columns=source_columns(loaded, statement))
        original = _render(tree)
        seen = {original}
        nodes = list(tree.walk())
        for i, node in enumerate(nodes):
            if isinstance(node, exp.Properties) or _in_properties(node):
                continue
            for op in chosen:
                for change in op.changes(node, ctx):
                    mutated = _apply(tree, i, change)
                    rendered = _render(mutated)
                    if rendered in seen:  # a no-op, or the same mutant as an earlier change
                        continue
                    seen.add(rendered)
                    start, end = spans[k]
                    line, col = line_col(text, _start(change.focus))
                    mutants.append(Mutant(
                        id=f"M{len(mutants) + 1}", statement=statement.name, operator=op.name,
                        before=change.before, after=change.after, line=line, column=col,
                        text=text[:start] + rendered + text[end + 1:], diff=_diff(tree, mutated),
                        note=change.note, boundary=change.boundary))
    return mutants


def identity_text(loaded: Any, text: str | None = None) -> str:
    """The app's SQL file with every statement written back by the generator, unchanged: what every
    mutant is made of. Mutation testing runs it once to prove the writing back changes nothing."""
    text = loaded.sql_path.read_text() if text is None else text
    out = text
    for (start, end), tree in reversed(list(zip(statement_spans(text), parse_statements(text)))):
        out = out[:start] + _render(tree) + out[end + 1:]
    return out


def _in_properties(node: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Properties):
            return True
        parent = parent.parent
    return False


def _apply(tree: exp.Expression, index: int, change: Change) -> exp.Expression:
    mutated = tree.copy()
    target = list(mutated.walk())[index]
    if change.replacement is None:
        target.pop()
    else:
        target.replace(change.replacement.copy())
    return mutated
