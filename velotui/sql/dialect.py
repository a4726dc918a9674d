"""The Velostream dialect of streaming SQL, as a sqlglot ``Dialect`` subclass.

Extensions over standard SQL: ``CREATE STREAM|TABLE name AS SELECT …``, ``PRIMARY KEY`` after a select
item, ``WINDOW TUMBLING|SLIDING|SESSION (…)``, ``EMIT CHANGES|FINAL``, a trailing ``WITH ('k' = 'v', …)``
property list, ``ROWS WINDOW BUFFER n ROWS`` (and ``EMIT …``/``EXPIRE AFTER …``) inside OVER, durations
like ``1m``, and ``"…"`` as a string literal.
"""

from __future__ import annotations

import math
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError
from sqlglot.generator import Generator
from sqlglot.parser import Parser
from sqlglot.tokens import Token, Tokenizer, TokenType

from velotui.sql.analysis import ARGS_META, NAME_META

MAX_DURATION_MS = 100 * 365 * 86_400_000  # a duration in SQL (window size, gap, lateness) of at most 100 years
DURATION_UNITS_MS = {
    "us": 0.001, "ms": 1, "s": 1000, "sec": 1000, "second": 1000, "seconds": 1000, "m": 60_000, "min": 60_000,
    "minute": 60_000, "minutes": 60_000, "h": 3_600_000, "hour": 3_600_000, "hours": 3_600_000,
    "d": 86_400_000, "day": 86_400_000, "days": 86_400_000, "w": 604_800_000, "week": 604_800_000,
    "weeks": 604_800_000, "millisecond": 1, "milliseconds": 1, "microsecond": 0.001, "microseconds": 0.001,
}


class StreamWindow(exp.Expression):
    """``WINDOW KIND(…)``: the kind as written (lower case) and its arguments in order: durations in ms
    (``kinds`` says ``duration``) and column names (``column``). ``columns``: the column arguments as the
    Column nodes written (qualifier and position kept), so a walk of the statement's tree meets them as it
    meets every other column."""

    arg_types = {"kind": True, "arguments": False, "kinds": False, "columns": False}


class Emit(exp.Expression):
    arg_types = {"this": True}  # "changes" | "final"


class PrimaryKey(exp.Expression):
    """A select item marked ``PRIMARY KEY``."""

    arg_types = {"this": True}


class VeloWindow(exp.Window):
    """OVER (…) with Velostream's frame options."""

    arg_types = {**exp.Window.arg_types, "buffer_rows": False, "emit_mode": False, "expire_after_ms": False}


class CreateStream(exp.Expression):
    """``CREATE STREAM|TABLE name AS SELECT … [WITH (…)]``."""

    arg_types = {"this": True, "kind": True, "expression": True, "properties": False}


class VelostreamTokenizer(Tokenizer):
    QUOTES = ["'", '"']  # both are string literals; there are no quoted identifiers
    IDENTIFIERS = ["`"]
    KEYWORDS = {**Tokenizer.KEYWORDS}


def _keeping_the_call(name: str, builder: Any) -> Any:
    """A sqlglot function builder that records the call as written (name and every argument, extra ones
    included) and never fails on a wrong argument count: the engine's function registry checks calls, with
    one message for every function (``SPLIT_PART takes 3 arguments …``), at planning."""

    def build(args: list[Any], dialect: Any = None) -> Any:
        try:
            node = builder(args) if dialect is None else builder(args, dialect=dialect)
        except TypeError:
            if dialect is None:
                raise  # sqlglot calls again with the dialect (builders that need it)
            node = exp.Anonymous(this=name, expressions=list(args))
        except Exception:  # noqa: BLE001 - sqlglot could not build its node from these arguments
            node = exp.Anonymous(this=name, expressions=list(args))
        node.meta[NAME_META] = name
        node.meta[ARGS_META] = list(args)
        return node

    return build


def conjuncts(node: exp.Expression) -> list[exp.Expression]:
    """The parts of an AND (``a AND (b AND c)`` → a, b, c), parentheses looked through."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def node_position(node: exp.Expression | None) -> tuple[int | None, int | None]:
    """Line and column (1-based) where ``node`` starts in the SQL text: the earliest of the tokens in it that
    the parser located (identifiers, literals, and the keywords velotui marks: CASE, CAST, NOT, unary minus).
    sqlglot records a token's last column; its start is that minus the token's length."""
    if node is None:
        return None, None
    best: tuple[int, int] | None = None
    for n in node.walk():
        meta = getattr(n, "meta", None) or {}
        if "line" not in meta or meta.get("col") is None:
            continue
        col = meta["col"]
        if "start" in meta and "end" in meta:
            col = max(1, col - (meta["end"] - meta["start"]))
        if best is None or (meta["line"], col) < best:
            best = (meta["line"], col)
    return best if best is not None else (None, None)


def _at(node: exp.Expression | None, token: Token | None) -> exp.Expression | None:
    """Remember where ``token`` (a keyword or operator sqlglot keeps no position for) starts ``node``."""
    if node is not None and token is not None:
        node.meta.update(line=token.line, col=token.col, start=token.start, end=token.end)
    return node


def _unary_minus(self: Parser) -> exp.Expression:
    token = self._prev
    return _at(self.expression(exp.Neg(this=self._parse_unary())), token)  # type: ignore[return-value]


def _prefix_not(self: Parser) -> exp.Expression:
    """``NOT x …``: the node remembers that NOT was written first (``x NOT IN …`` gives the same tree), so the
    reference-behaviour checks can tell ``NOT v > 5`` from ``v NOT IN (…)`` by structure."""
    token = self._prev
    node = self.expression(exp.Not(this=self._parse_equality()))
    node.meta["prefix_not"] = True
    if token is not None:
        node.meta.update(line=token.line, col=token.col, start=token.start, end=token.end)
    return node


class VelostreamParser(Parser):
    FUNCTIONS = {name: _keeping_the_call(name, builder) for name, builder in Parser.FUNCTIONS.items()}
    UNARY_PARSERS = {**Parser.UNARY_PARSERS, TokenType.NOT: _prefix_not, TokenType.DASH: _unary_minus}

    def _parse_case(self) -> Any:
        token = self._prev
        return _at(super()._parse_case(), token)

    def _parse_cast(self, strict: bool, safe: bool | None = None) -> Any:
        name = self._tokens[self._index - 2] if self._index >= 2 else None
        return _at(super()._parse_cast(strict, safe), name if name is not None and "CAST" in name.text.upper()
                   else None)
    STATEMENT_PARSERS = {**Parser.STATEMENT_PARSERS, TokenType.CREATE: lambda self: self._parse_velo_create()}
    QUERY_MODIFIER_PARSERS = {
        **Parser.QUERY_MODIFIER_PARSERS,
        TokenType.WINDOW: lambda self: self._parse_stream_window_modifier(),
    }

    def _parse_csv(self, parse_method: Any, sep: TokenType = TokenType.COMMA) -> list[Any]:
        """sqlglot lets ``SELECT a, FROM t`` through as ``SELECT a FROM t``; Velostream does not, and an app
        that passes here must not fail there: a separator must be followed by an item."""
        parse_result = parse_method()
        items = [parse_result] if parse_result is not None else []
        while self._match(sep):
            if isinstance(parse_result, exp.Expression):
                self._add_comments(parse_result)
            comma = self._prev
            parse_result = parse_method()
            if parse_result is None:
                after = self._curr.text if self._curr is not None else "the end"
                self.raise_error(f"'{comma.text}' followed by {after!r}: an item is missing (or the "
                                 f"'{comma.text}' is one too many)", comma)
            items.append(parse_result)
        return items

    # -- positions: sqlglot locates identifiers and literals; functions (CASE included), JOIN, WINDOW, OVER
    # and EMIT get the span of their first token too, so mutation reports can point at them -------------
    def _parse_function(self, *args: Any, **kwargs: Any) -> Any:
        token = self._curr
        return _located(super()._parse_function(*args, **kwargs), token)

    def _parse_join(self, *args: Any, **kwargs: Any) -> Any:
        token = self._curr
        return _located(super()._parse_join(*args, **kwargs), token)

    # -- CREATE STREAM|TABLE ------------------------------------------------------------------------
    def _parse_velo_create(self) -> exp.Expression | None:
        start = self._index
        kind_tok = self._curr
        if kind_tok is None or kind_tok.text.upper() not in ("STREAM", "TABLE"):
            self._retreat(start)
            self.raise_error("expected CREATE STREAM name AS SELECT … or CREATE TABLE name AS SELECT …")
            return None
        self._advance()
        name = self._parse_table_parts()
        if not self._match(TokenType.ALIAS):
            self.raise_error("expected AS after the stream name (CREATE STREAM name AS SELECT …)")
        query = self._parse_select()
        if query is None:
            self.raise_error("expected a SELECT after AS")
        query = self._parse_set_operations(query)
        props = None
        if self._match(TokenType.WITH):
            props = self._parse_velo_properties()
        return self.expression(CreateStream(this=name, kind=kind_tok.text.upper(), expression=query,
                                            properties=props))

    def _parse_velo_properties(self) -> exp.Expression:
        if not self._match(TokenType.L_PAREN):
            self.raise_error("expected ( after WITH: WITH ('key' = 'value', …)")
        props: list[exp.Expression] = []
        while not self._match(TokenType.R_PAREN):
            key = self._parse_primary() or self._parse_id_var()
            if key is None:
                self.raise_error("expected a property key such as 'src.type'")
            if not self._match(TokenType.EQ):
                self.raise_error("expected = after a property key")
            value = self._parse_primary() or self._parse_id_var()
            if value is None:
                self.raise_error("expected a property value")
            props.append(exp.Property(this=key, value=value))
            if not self._match(TokenType.COMMA):
                if not self._match(TokenType.R_PAREN):
                    self.raise_error("expected , or ) in the WITH property list")
                break
        return exp.Properties(expressions=props)

    def _is_emit(self) -> bool:
        return bool(self._curr and self._curr.text.upper() == "EMIT" and self._next
                    and self._next.text.upper() in ("CHANGES", "FINAL"))

    def _parse_table_alias(self, alias_tokens: Any = None) -> Any:
        if self._is_emit():  # FROM orders EMIT CHANGES: EMIT is not an alias
            return None
        return super()._parse_table_alias(alias_tokens)

    def validate_expression(self, expression: Any, args: list | None = None) -> Any:
        meta = expression.meta if isinstance(expression, exp.Expression) else {}
        if ARGS_META in meta or (isinstance(expression, exp.Func) and args is not None):
            meta.setdefault(ARGS_META, list(args or []))
            return expression  # a call: its arguments are checked by the engine's function registry
        if (isinstance(expression, exp.Func) and not isinstance(expression, (exp.Cast, exp.Case, exp.Extract))
                and expression.error_messages()):
            # a call with its own syntax (TRIM(), POSITION(x)) missing an argument: the registry says which
            meta[ARGS_META] = [v for v in expression.args.values() if isinstance(v, exp.Expression)]
            return expression
        return super().validate_expression(expression, args)

    def _parse_function_call(self, functions: Any = None, anonymous: bool = False, optional_parens: bool = True,
                             any_token: bool = False) -> Any:
        token = self._curr
        result = super()._parse_function_call(functions, anonymous, optional_parens, any_token)
        call = result.this if isinstance(result, exp.Window) else result
        if token is not None and isinstance(call, exp.Func) and not isinstance(call, exp.Anonymous):
            call.meta.setdefault(NAME_META, token.text.upper())  # calls with their own syntax (POSITION(a IN b))
        return result

    def _parse_table_hints(self) -> Any:
        return None  # `FROM s WITH (…)` is the statement's property list, never a table hint

    # -- PRIMARY KEY after a select item ------------------------------------------------------------
    def _parse_alias(self, this: Any, explicit: bool = False) -> Any:
        this = super()._parse_alias(this, explicit)
        if self._match(TokenType.PRIMARY_KEY):
            return self.expression(PrimaryKey(this=this))
        return this

    # -- EMIT CHANGES | FINAL, anywhere among the query modifiers ---------------------------------
    def _parse_query_modifiers(self, this: Any) -> Any:
        this = super()._parse_query_modifiers(this)
        while isinstance(this, exp.Select) and self._curr and self._curr.text.upper() == "EMIT":
            nxt = self._next.text.upper() if self._next else ""
            if nxt not in ("CHANGES", "FINAL"):
                self.raise_error("expected EMIT CHANGES or EMIT FINAL")
            if this.args.get("emit"):
                self.raise_error("found multiple EMIT clauses")
            token = self._curr
            self._advance(2)
            this.set("emit", _located(Emit(this=nxt.lower()), token))
            this = super()._parse_query_modifiers(this)
        return this

    # -- WINDOW TUMBLING | SLIDING | SESSION (…) ------------------------------------------------------
    def _parse_stream_window_modifier(self) -> tuple[str, Any]:
        """``WINDOW KIND(arg, …)``: any kind name followed by ``(`` is a streaming window; its arguments are
        durations and columns, read here; what they mean (and which kinds exist) is the engine's
        (velotui/engine/windows/). ``WINDOW w AS (…)`` stays the standard named window."""
        word, nxt = self._next, self._index + 2 < len(self._tokens) and self._tokens[self._index + 2]
        if word is None or not nxt or nxt.token_type != TokenType.L_PAREN or word.token_type == TokenType.ALIAS:
            return Parser.QUERY_MODIFIER_PARSERS[TokenType.WINDOW](self)
        token = self._curr
        self._advance(2)
        kind = word.text.lower()
        self._match(TokenType.L_PAREN)
        args: list[tuple[str, Any]] = []
        columns: list[exp.Expression] = []
        if not self._match(TokenType.R_PAREN):
            while True:
                args.append(self._parse_window_arg(columns))
                if self._match(TokenType.COMMA):
                    continue
                if not self._match(TokenType.R_PAREN):
                    self.raise_error(f"expected , or ) in WINDOW {kind.upper()}(…)")
                break
        node = _located(StreamWindow(kind=kind, arguments=[v for _, v in args], kinds=[t for t, _ in args],
                                     columns=columns), token)
        node.meta["line"], node.meta["col"] = word.line, word.col - len(word.text) + 1
        return "stream_window", node

    def _parse_window_arg(self, columns: list[exp.Expression]) -> tuple[str, Any]:
        tok = self._curr
        if tok is None:
            self.raise_error("unexpected end of WINDOW clause")
        if tok.token_type == TokenType.DASH and self._next is not None and self._next.token_type == TokenType.NUMBER:
            self._advance()
            kind, value = self._parse_window_arg(columns)
            return kind, -value
        if tok.token_type == TokenType.INTERVAL:
            return "duration", self._parse_interval_ms()
        if tok.token_type == TokenType.NUMBER:
            return "duration", self._parse_duration_ms()
        if tok.token_type == TokenType.STRING:
            self._advance()
            return "duration", duration_text_ms(tok.text, self, tok)
        col = self._parse_column()
        if col is None:
            self.raise_error("expected a duration (1m, 30s, INTERVAL '5' MINUTE) or a column")
        columns.append(col)
        # a column by its name; anything else (a CAST, a function, a nested field) is kept as the expression
        # it is, which the engine refuses as a window's time column (velotui/engine/windows/base.py)
        return ("column", col.name) if isinstance(col, exp.Column) and not col.args.get("db") else ("expression",
                                                                                                    col.sql())

    def _parse_duration_ms(self) -> int:
        num = self._curr
        self._advance()
        unit = "s"
        if self._curr and self._curr.token_type not in (TokenType.COMMA, TokenType.R_PAREN) and \
                self._curr.text.lower() in DURATION_UNITS_MS and self._curr.start == num.end + 1:
            unit = self._curr.text.lower()
            self._advance()
        return duration_text_ms(f"{num.text}{unit}", self, num)

    def _parse_interval_ms(self) -> int:
        self._advance()  # INTERVAL
        tok = self._curr
        if tok is None or tok.token_type not in (TokenType.STRING, TokenType.NUMBER):
            self.raise_error("expected INTERVAL 'n' UNIT")
        self._advance()
        unit_tok = self._curr
        text = tok.text.strip()
        if unit_tok is not None and unit_tok.text.lower().rstrip("s") + "s" in {u + "s" for u in DURATION_UNITS_MS} \
                and unit_tok.token_type not in (TokenType.COMMA, TokenType.R_PAREN):
            self._advance()
            return duration_text_ms(f"{text} {unit_tok.text}", self, tok)
        return duration_text_ms(text, self, tok)

    # -- OVER (ROWS WINDOW BUFFER n ROWS PARTITION BY … ORDER BY … …) --------------------------------
    def _parse_window(self, this: Any, alias: bool = False) -> Any:
        if alias or not (self._curr and self._curr.token_type == TokenType.OVER and self._next
                         and self._next.token_type == TokenType.L_PAREN):
            return super()._parse_window(this, alias)
        token = self._curr
        self._advance(2)
        node = _located(VeloWindow(this=this, over="OVER"), token)
        while not self._match(TokenType.R_PAREN):
            if self._curr is None:
                self.raise_error("unterminated OVER (…)")
            word = self._curr.text.upper()
            if self._curr.token_type == TokenType.ROWS and self._next and self._next.token_type == TokenType.WINDOW:
                self._advance(2)
                if not self._match_text_seq("BUFFER"):
                    self.raise_error("expected ROWS WINDOW BUFFER n ROWS")
                n = self._curr
                if n is None or n.token_type != TokenType.NUMBER:
                    self.raise_error("expected the buffer size: ROWS WINDOW BUFFER n ROWS")
                self._advance()
                self._match(TokenType.ROWS)
                node.set("buffer_rows", int(n.text))
            elif self._curr.token_type == TokenType.PARTITION_BY:
                self._advance()
                node.set("partition_by", self._parse_csv(self._parse_assignment))
            elif self._curr.token_type == TokenType.ORDER_BY:
                node.set("order", self._parse_order())
            elif self._curr.token_type in (TokenType.ROWS, TokenType.RANGE):
                frame_token = self._curr
                kind = self._curr.text.upper()
                self._advance()
                self._match(TokenType.BETWEEN)
                start = self._parse_frame_bound()
                end = self._parse_frame_bound() if self._match(TokenType.AND) else {"value": "CURRENT ROW",
                                                                                     "side": None}
                # located at ROWS/RANGE: the planner's frame refusals point there (velotui.engine.plan.planner)
                node.set("spec", _at(exp.WindowSpec(kind=kind, start=start["value"], start_side=start["side"],
                                                    end=end["value"], end_side=end["side"]), frame_token))
            elif word == "EMIT":
                self._advance()
                if self._match_text_seq("EVERY", "RECORD"):
                    node.set("emit_mode", "every_record")
                elif self._match_text_seq("ON", "BUFFER", "FULL"):
                    node.set("emit_mode", "buffer_full")
                else:
                    self.raise_error("expected EMIT EVERY RECORD or EMIT ON BUFFER FULL")
            elif word == "EXPIRE":
                self._advance()
                if not self._match_text_seq("AFTER"):
                    self.raise_error("expected EXPIRE AFTER NEVER | INTERVAL 'n' unit INACTIVITY")
                if self._match_text_seq("NEVER"):
                    node.set("expire_after_ms", None)
                else:
                    if not (self._curr and self._curr.token_type == TokenType.INTERVAL):
                        self.raise_error("expected EXPIRE AFTER INTERVAL 'n' unit INACTIVITY")
                    node.set("expire_after_ms", self._parse_interval_ms())
                    self._match_text_seq("INACTIVITY")
            else:
                self.raise_error(f"unexpected {self._curr.text!r} in OVER (…)")
        return node

    def _parse_frame_bound(self) -> dict[str, Any]:
        if self._match_text_seq("UNBOUNDED"):
            side = self._curr.text.upper() if self._curr else None
            self._advance()
            return {"value": "UNBOUNDED", "side": side}
        if self._match_text_seq("CURRENT", "ROW"):
            return {"value": "CURRENT ROW", "side": None}
        if self._curr and self._curr.token_type == TokenType.INTERVAL:
            ms = self._parse_interval_ms()
            side = self._curr.text.upper() if self._curr else None
            self._advance()
            # an INTERVAL stays an interval (a bare number would read as a count of rows)
            return {"value": exp.Interval(this=exp.Literal.string(str(ms)), unit=exp.Var(this="MILLISECOND")),
                    "side": side}
        value = self._parse_primary()
        side = self._curr.text.upper() if self._curr else None
        self._advance()
        return {"value": value, "side": side}


def _located(node: Any, token: Token | None) -> Any:
    """Give ``node`` the character span of ``token`` (``meta`` start/end, as sqlglot gives identifiers) unless it
    has one. No line/col: error messages keep pointing at the first identifier or literal of a clause."""
    if isinstance(node, exp.Expression) and token is not None and "start" not in node.meta:
        node.meta.update(start=token.start, end=token.end)
    return node


def duration_text_ms(text: str, parser: Any = None, token: Token | None = None) -> int:
    """``'5' MINUTE``, ``5m``, ``30 seconds``, ``500ms`` → milliseconds."""
    import re

    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not m or (m.group(2) and m.group(2).lower() not in DURATION_UNITS_MS):
        if parser is not None:
            parser.raise_error(f"invalid duration {text[:40]!r}: use 500ms, 30s, 1m, 1h, 1d or INTERVAL '5' MINUTE",
                               token)
        raise ValueError(text)
    unit = (m.group(2) or "s").lower()
    value = float(m.group(1)) * DURATION_UNITS_MS[unit] if len(m.group(1)) <= 30 else math.inf
    if not math.isfinite(value) or abs(value) > MAX_DURATION_MS:
        if parser is not None:
            parser.raise_error(f"duration {text[:40]!r} is out of range (at most {MAX_DURATION_MS // 86_400_000} "
                               "days)", token)
        raise ValueError(text)
    return int(value)


def duration_sql(ms: int) -> str:
    """Milliseconds as the shortest duration the parser reads back exactly: 1m, 90s, 2h, 1d, 500ms."""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _stream_window_sql(gen: Any, e: StreamWindow) -> str:
    kind = e.args["kind"].upper()
    parts = [duration_sql(int(v)) if k == "duration" else str(v) for k, v in zip(e.args.get("kinds") or [],
                                                                                  e.args.get("arguments") or [])]
    return f"WINDOW {kind}({', '.join(parts)})"


def _velo_window_sql(gen: Any, e: VeloWindow) -> str:
    """OVER (…) with the Velostream frame options, in the order the parser reads them back."""
    parts = []
    if e.args.get("buffer_rows") is not None:
        parts.append(f"ROWS WINDOW BUFFER {int(e.args['buffer_rows'])} ROWS")
    partition = gen.partition_by_sql(e)
    if partition:
        parts.append(partition)
    if e.args.get("order"):
        parts.append(gen.order_sql(e.args["order"], flat=True))
    if e.args.get("spec"):
        parts.append(gen.sql(e, "spec"))
    mode = e.args.get("emit_mode")
    if mode:
        parts.append({"every_record": "EMIT EVERY RECORD", "buffer_full": "EMIT ON BUFFER FULL"}[mode])
    if e.args.get("expire_after_ms") is not None:
        parts.append(f"EXPIRE AFTER INTERVAL '{int(e.args['expire_after_ms'])}' MILLISECONDS INACTIVITY")
    return f"{gen.sql(e, 'this')} OVER ({' '.join(parts)})"


def _create_stream_sql(gen: Any, e: CreateStream) -> str:
    sql = f"CREATE {e.args['kind']} {gen.sql(e, 'this')} AS {gen.sql(e, 'expression')}"
    props = e.args.get("properties")
    if props is not None and props.expressions:
        items = [f"{gen.sql(p, 'this')} = {gen.sql(p, 'value')}" for p in props.expressions]
        sql += f"{gen.sep()}WITH ({', '.join(items)})"
    return sql


class VelostreamGenerator(Generator):
    """Writes the dialect back as text that ``VelostreamParser`` reads into the same tree (mutation testing
    renders its mutants with it; tests/unit/sql/test_roundtrip.py holds it to that)."""

    TRANSFORMS = {
        **Generator.TRANSFORMS,
        PrimaryKey: lambda self, e: f"{self.sql(e, 'this')} PRIMARY KEY",
        Emit: lambda self, e: f"EMIT {e.this.upper()}",
        StreamWindow: _stream_window_sql,
        VeloWindow: _velo_window_sql,
        exp.StrPosition: lambda self, e: f"POSITION({self.sql(e, 'substr')} IN {self.sql(e, 'this')})"
        if e.args.get("position") is None else f"POSITION({self.sql(e, 'substr')}, {self.sql(e, 'this')}, "
        f"{self.sql(e, 'position')})",
        CreateStream: _create_stream_sql,
    }

    def select_sql(self, expression: exp.Select) -> str:
        sql = super().select_sql(expression)
        extra = [self.sql(expression, k) for k in ("stream_window", "emit") if expression.args.get(k) is not None]
        return self.sep().join([sql, *extra])  # one clause a line when pretty


class Velostream(Dialect):
    """sqlglot dialect for Velostream's streaming SQL."""

    NORMALIZE_FUNCTIONS = "upper"
    Tokenizer = VelostreamTokenizer
    Parser = VelostreamParser
    Generator = VelostreamGenerator


def parse_statements(sql: str) -> list[exp.Expression]:
    """Parse a SQL file's text into statements (raises sqlglot ParseError with line/col)."""
    dialect = Velostream()
    tokens = dialect.tokenize(sql)
    parser = dialect.parser(error_level=None)
    return [s for s in parser.parse(tokens, sql) if s is not None]


__all__ = ["CreateStream", "Emit", "ParseError", "PrimaryKey", "StreamWindow", "VeloWindow", "Velostream",
           "conjuncts", "duration_sql", "duration_text_ms", "node_position", "parse_statements"]
