"""Rewriting an app's SQL text for another engine, from the dialect's own tokens (never a regex over text).

The statements and their ``WITH (…)`` property lists are found with the Velostream dialect's tokenizer,
which gives every token's exact character span; a rewrite replaces the spans of property values (or
inserts new properties before the closing parenthesis) and leaves every other character of the user's
file as it was: comments, annotations, layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot.tokens import TokenType

from velotui.errors import SqlError
from velotui.sql.model import App

HEADER_PREFIX = "SQL Application:"


@dataclass
class PropertySpan:
    """One ``'key' = 'value'`` of a WITH list: the key's text and the character span of its value."""

    key: str
    value: str
    value_start: int
    value_end: int  # inclusive


@dataclass
class StatementSpan:
    """Where one statement sits in the file's text."""

    name: str
    start: int  # first character of its chunk: just after the previous statement's ';' (its comments included)
    end: int  # last character of the chunk: its ';', or the end of the text (inclusive)
    properties: list[PropertySpan] = field(default_factory=list)
    with_close: int | None = None  # the ')' that ends its WITH list
    last_token_end: int = 0  # the statement's last token before ';' (where a WITH list is added)


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def statement_spans(text: str) -> list[StatementSpan]:
    """Every statement of ``text`` in order, with its WITH property list (SqlError if the text does not
    tokenize)."""
    from sqlglot.errors import TokenError

    from velotui.sql.dialect import Velostream

    try:
        tokens = Velostream().tokenize(text)
    except TokenError as e:
        raise SqlError(f"cannot read the SQL: {e}") from None
    groups: list[list] = [[]]
    for t in tokens:
        groups[-1].append(t)
        if t.token_type == TokenType.SEMICOLON:
            groups.append([])
    spans: list[StatementSpan] = []
    chunk_start = 0
    for group in groups:
        body = [t for t in group if t.token_type != TokenType.SEMICOLON]
        if not body:
            if group:
                chunk_start = group[-1].end + 1
            continue
        end = group[-1].end if group[-1].token_type == TokenType.SEMICOLON else len(text) - 1
        span = StatementSpan(name=_statement_name(body), start=chunk_start, end=end,
                             last_token_end=body[-1].end)
        _find_properties(body, span)
        spans.append(span)
        chunk_start = end + 1
    return spans


def _statement_name(body: list) -> str:
    # CREATE STREAM|TABLE name AS …
    if len(body) >= 3 and body[0].token_type == TokenType.CREATE:
        return body[2].text
    return ""


def _find_properties(body: list, span: StatementSpan) -> None:
    """The trailing ``WITH ( … )`` at parenthesis depth 0 (a WITH inside a subquery is deeper)."""
    depth = 0
    at = None
    for i, t in enumerate(body):
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        elif (t.token_type == TokenType.WITH and depth == 0 and i > 0 and i + 1 < len(body)
              and body[i + 1].token_type == TokenType.L_PAREN):
            at = i
    if at is None:
        return
    i = at + 2
    while i < len(body):
        t = body[i]
        if t.token_type == TokenType.R_PAREN:
            span.with_close = t.start
            return
        if i + 2 >= len(body) or body[i + 1].token_type != TokenType.EQ:
            raise SqlError(f"{span.name}: unexpected {t.text!r} in the WITH list")
        value = body[i + 2]
        span.properties.append(PropertySpan(key=t.text, value=value.text, value_start=value.start,
                                            value_end=value.end))
        i += 3
        if i < len(body) and body[i].token_type == TokenType.COMMA:
            i += 1
    raise SqlError(f"{span.name}: the WITH list has no closing parenthesis")


def rewrite_statement(text: str, span: StatementSpan, changes: dict[str, str]) -> str:
    """The statement's chunk of ``text`` with each key of ``changes`` set: an existing property's value is
    replaced where it stands, a new one is added at the end of the WITH list (a WITH list is added when
    the statement has none)."""
    edits: list[tuple[int, int, str]] = []  # (start, end inclusive, replacement); end = start - 1 inserts
    present = {p.key for p in span.properties}
    for p in span.properties:
        if p.key in changes:
            edits.append((p.value_start, p.value_end, quote(changes[p.key])))
    added = [(k, v) for k, v in changes.items() if k not in present]
    if added:
        lines = ",\n      ".join(f"{quote(k)} = {quote(v)}" for k, v in added)
        if span.with_close is not None:
            sep = ",\n      " if span.properties else ""
            edits.append((span.with_close, span.with_close - 1, f"{sep}{lines}"))
        else:
            at = span.last_token_end + 1
            edits.append((at, at - 1, f"\nWITH ({lines})"))
    chunk = text[span.start:span.end + 1]
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        a, b = start - span.start, end - span.start
        chunk = chunk[:a] + new + chunk[b + 1:]
    return chunk


def application_name(text: str) -> str | None:
    """NAME of a ``-- SQL Application: NAME`` comment, read from the tokenizer's comments."""
    from sqlglot.errors import TokenError

    from velotui.sql.dialect import Velostream

    try:
        tokens = Velostream().tokenize(text)
    except TokenError:
        return None
    for t in tokens:
        for c in t.comments or ():
            body = c.strip()
            if body.startswith(HEADER_PREFIX):
                return body[len(HEADER_PREFIX):].strip() or None
    return None


def needed_statements(app: App, name: str) -> list[str]:
    """``name`` and every statement it reads (FROM/JOIN a stream, a subquery over a table), in file order."""
    from sqlglot import exp

    by_name = {s.name: s for s in app.statements}
    keep: set[str] = set()

    def visit(n: str) -> None:
        if n in keep or n not in by_name:
            return
        keep.add(n)
        st = by_name[n]
        for src in st.sources:
            if src.kind == "stream":
                visit(src.name)
        if st.query.select is not None:
            for t in st.query.select.find_all(exp.Table):
                visit(t.name)

    visit(name)
    return [s.name for s in app.statements if s.name in keep]
