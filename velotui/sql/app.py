"""SQL text → app model (velotui.sql.model): statements, sources, sinks, windows, names, annotations."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from velotui.errors import SpecError, SqlError, VelotuiError
from velotui.sql.dialect import CreateStream, PrimaryKey, StreamWindow, Velostream, node_position
from velotui.sql.model import (
    App,
    JoinClause,
    MetricDecl,
    OrderItem,
    Query,
    SelectItem,
    SinkRef,
    SourceRef,
    Statement,
    WindowArgument,
    WindowSpec,
)

SYSTEM_COLUMNS = frozenset({"_timestamp", "_event_time", "_partition", "_offset", "_key", "_window_start",
                            "_window_end"})
FILE_SOURCE_TYPES = {"file_source", "file_source_mmap", "file", "csv_source", "jsonl_source", "table_source",
                     "file_table"}
FILE_FORMATS = {"csv": "csv", "tsv": "tsv", "json": "jsonl", "jsonl": "jsonl", "jsonlines": "jsonl", "ndjson": "jsonl"}
TOPIC_FORMATS = {"json", "jsonl", "jsonlines", "avro", "protobuf", "proto"}


def _file_format(kind: str, name: str, given: Any, path: Any, where: Path | None, line: int) -> str:
    """The format a file source or sink is read/written in: a known name (JSON lines under any of its names),
    never a silent guess — an unknown name is an error."""
    text = str(given or (Path(str(path)).suffix.lstrip(".") if path else "") or ("csv" if kind == "source" else "jsonl"))
    fmt = FILE_FORMATS.get(text.lower())
    if fmt is None:
        raise _err(f"file {kind} {name!r}: unknown format {text!r}", where, line,
                   hint=f"set '{name}.format' to one of csv, tsv, jsonl (also jsonlines, ndjson, json: JSON lines)")
    return fmt
TABLE_SOURCE_TYPES = {"kafka_table", "table", "compacted_topic"}
MAX_SQL_NESTING = 64  # parentheses, CASE … END and NOT/minus chains, nested (the parser recurses per level)
_ANNOTATION = re.compile(r"^\s*--\s*@([A-Za-z_][\w.\-]*)\s*:?\s*(.*?)\s*$")


# sqlglot's parser recurses about twenty frames per nesting level: allow MAX_SQL_NESTING levels (set once,
# when the module loads; the limit is only ever raised, never lowered under another thread's feet)
_RECURSION_NEEDED = 40 * MAX_SQL_NESTING + 2000
if sys.getrecursionlimit() < _RECURSION_NEEDED:
    sys.setrecursionlimit(_RECURSION_NEEDED)


def _err(message: str, path: Path | None, line: int | None = None, col: int | None = None,
         hint: str | None = None) -> SqlError:
    return SqlError(message, file=path, line=line, column=col, hint=hint)


def _node_pos(node: exp.Expression | None) -> tuple[int | None, int | None]:
    """Line and column of a node, from the identifier or literal tokens sqlglot annotated."""
    return node_position(node)


def _annotations(text: str) -> list[tuple[int, str, str]]:
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        m = _ANNOTATION.match(line)
        if m:
            out.append((i, m.group(1), m.group(2).strip().strip('"').strip("'") if m.group(1) != "metric_help"
                        else m.group(2).strip().strip('"')))
    return out


def _statement_lines(tokens: list[Any]) -> list[tuple[int, int, int, int]]:
    """(line, column, first char, last char) of each statement."""
    starts: list[list[int]] = []
    at_start = True
    for t in tokens:
        if t.token_type == TokenType.SEMICOLON:
            at_start = True
            continue
        if at_start:
            starts.append([t.line, max(1, t.col - len(t.text) + 1), t.start, t.end])
            at_start = False
        elif starts:
            starts[-1][3] = t.end
    return [tuple(s) for s in starts]  # type: ignore[misc]


def _text(value: exp.Expression) -> str:
    if isinstance(value, exp.Literal):
        return str(value.this)
    if isinstance(value, exp.Boolean):
        return "true" if value.this else "false"
    if isinstance(value, (exp.Column, exp.Identifier)):
        return value.name
    return value.sql()


def _config_get(cfg: dict[str, Any], dotted: str) -> Any:
    from velotui.spec.config import config_get

    return config_get(cfg, dotted)


def output_name(node: exp.Expression, position: int) -> str:
    """The output field name of an unaliased select item (SQL_SEMANTICS.md §2)."""
    if isinstance(node, exp.Column):
        name = node.name
        return name.upper() if name.lower() in SYSTEM_COLUMNS else name
    if isinstance(node, exp.Window):
        return output_name(node.this, position)
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    if isinstance(node, exp.Case):
        return "case"
    if isinstance(node, exp.Cast):
        return "cast"
    return f"expr_{position}"


_OPERATORS = {"Mul": "*", "Div": "/", "Add": "+", "Sub": "-", "Mod": "%", "EQ": "=", "NEQ": "<>", "GT": ">",
              "GTE": ">=", "LT": "<", "LTE": "<=", "And": "AND", "Or": "OR", "Like": "LIKE", "In": "IN",
              "Between": "BETWEEN", "Is": "IS", "DPipe": "||"}


def _plain_parse_error(desc: str) -> str:
    """sqlglot's "Required keyword: 'expression' missing for <class '…Mul'>" in the user's words."""
    m = re.match(r"Required keyword: '(\w+)' missing for <class '[\w.]*\.(\w+)'>", desc)
    if not m:
        return desc
    keyword, node = m.groups()
    if node in _OPERATORS:
        side = "right-hand" if keyword == "expression" else "left-hand"
        return f"'{_OPERATORS[node]}' has no {side} side"
    if keyword == "this":
        return f"{node.upper()} has nothing after it"
    return f"{node.upper()} is incomplete: its {keyword} is missing"


class _Builder:
    def __init__(self, text: str, path: Path | None) -> None:
        self.text = text
        self.path = path
        self.base = path.parent if path else Path.cwd()

    def build(self) -> App:
        dialect = Velostream()
        try:
            tokens = dialect.tokenize(self.text)
            self._check_nesting(tokens)
            trees = [t for t in dialect.parser().parse(tokens, self.text) if t is not None]
        except ParseError as e:
            info = e.errors[0] if e.errors else {}
            desc = str(info.get("description") or e).split("\n")[0]
            desc = re.sub(r"<Token token_type: TokenType\.SENTINEL[^>]*>", "the end of the statement", desc)
            desc = re.sub(r"<Token token_type: TokenType\.\w+, text: ([^,]*),[^>]*>", r"'\1'", desc)
            desc = _plain_parse_error(desc)
            raise _err(f"syntax error: {desc}", self.path, info.get("line"), info.get("col"),
                       hint="check the statement near this place against docs/SQL.md") from None
        except TokenError as e:
            raise _err(f"cannot read the SQL: {e}", self.path, hint="an unterminated string or comment?") from None
        except RecursionError:  # a shape the nesting check does not count: still a message, never a crash
            raise _err(f"the SQL nests too deeply to parse (at most {MAX_SQL_NESTING} levels)", self.path,
                       hint="simplify the expression, or compute part of it in an earlier statement") from None
        starts = _statement_lines(tokens)
        notes = _annotations(self.text)
        app_name = next((v for _, k, v in notes if k == "app"), None) or (self.path.stem if self.path else "app")
        app = App(name=app_name, path=self.path, statements=[],
                  description=next((v for _, k, v in notes if k == "description"), ""))
        for _, key, value in notes:
            if key.startswith("data."):
                _, field, hint = (key.split(".", 2) + [""])[:3]
                app.data_hints.setdefault(field, {})[hint or "value"] = value
            elif not key.startswith("metric"):
                app.annotations.setdefault(key, value)
        produced: dict[str, Statement] = {}
        prev_line = 0
        for i, tree in enumerate(trees):
            line, col, first, last = starts[i] if i < len(starts) else (None, None, 0, -1)
            if not isinstance(tree, CreateStream):
                raise _err(f"only CREATE STREAM … AS SELECT and CREATE TABLE … AS SELECT are supported, "
                           f"not {tree.key.upper()}", self.path, line, col,
                           hint="wrap the query: CREATE STREAM name AS SELECT …")
            earlier = produced.get(tree.this.name)
            if earlier is not None:  # both would run and write the sink; a reader of the name reads one
                at_line, at_col = _node_pos(tree.this)
                raise _err(f"statement name {tree.this.name!r} is used twice: the statement at line "
                           f"{earlier.line} has it already", self.path, at_line or line, at_col or col,
                           hint="give this statement its own name (and its own sink), or delete the copy")
            st = self._statement(tree, line or 1, col or 1, produced)
            st.text = self.text[first:last + 1]
            st.annotations = {k: v for ln, k, v in notes if prev_line < ln < (line or 0) and not k.startswith("data.")}
            app.metrics.extend(self._metrics([(ln, k, v) for ln, k, v in notes if prev_line < ln < (line or 0)],
                                             st.name))
            prev_line = line or prev_line
            app.statements.append(st)
            produced[st.name] = st
        if not app.statements:
            raise _err("no statements: the file holds no CREATE STREAM/TABLE … AS SELECT", self.path, 1, 1)
        return app

    def _check_nesting(self, tokens: list[Any]) -> None:
        """Parentheses, CASE … END and chains of NOT / unary minus nest the parse; past MAX_SQL_NESTING
        levels the statement is refused where the limit is crossed (the parser recurses per level)."""
        depth = 0
        prefix_run = 0
        opened: list[Any] = []
        for tok in tokens:
            tt = tok.token_type
            if tt in (TokenType.L_PAREN, TokenType.CASE):
                depth += 1
                opened.append(tok)
            elif tt in (TokenType.R_PAREN, TokenType.END) and opened:
                depth -= 1
                opened.pop()
            elif tt == TokenType.SEMICOLON:
                depth, opened = 0, []
            prefix_run = prefix_run + 1 if tt in (TokenType.NOT, TokenType.DASH, TokenType.PLUS, TokenType.TILDE) \
                else 0
            if depth + prefix_run > MAX_SQL_NESTING:
                raise _err(f"the SQL nests more than {MAX_SQL_NESTING} levels deep here", self.path, tok.line,
                           max(1, tok.col - len(tok.text) + 1),
                           hint="simplify the expression, or compute part of it in an earlier statement")

    def _metrics(self, notes: list[tuple[int, str, str]], statement: str) -> list[MetricDecl]:
        out: list[MetricDecl] = []
        for line, key, value in notes:
            if key == "metric":
                out.append(MetricDecl(name=value, statement=statement, line=line))
            elif out and key == "metric_type":
                out[-1].type = value.lower()  # type: ignore[assignment]
            elif out and key == "metric_help":
                out[-1].help = value
            elif out and key == "metric_field":
                out[-1].field = value
            elif out and key == "metric_labels":
                out[-1].labels = [x.strip() for x in value.split(",") if x.strip()]
        return out

    def _statement(self, tree: CreateStream, line: int, col: int, produced: dict[str, Statement]) -> Statement:
        name = tree.this.name
        kind = "table" if tree.args["kind"] == "TABLE" else "stream"
        props: dict[str, str] = {}
        for p in (tree.args.get("properties").expressions if tree.args.get("properties") else []):
            props[_text(p.this)] = _text(p.args["value"])
        select = tree.args["expression"]
        if not isinstance(select, exp.Select):
            raise _err(f"{name}: only a plain SELECT is supported here (not {select.key.upper()})", self.path,
                       line, col)
        query = self._query(select, props, produced, name, line)
        sinks = self._sinks(name, props, line)
        return Statement(name=name, kind=kind, query=query, sinks=sinks, properties=props, line=line, column=col)

    # -- sources and sinks ----------------------------------------------------------------------
    def _load_config(self, ref: str, line: int) -> dict[str, Any]:
        from velotui.spec.config import load_config_file

        try:
            return load_config_file(self.base / ref)
        except VelotuiError as e:
            if e.file is None or "not found" in e.message:
                raise _err(f"config file {ref!r}: {e.message}", self.path, line,
                           hint="config_file paths are relative to the SQL file") from None
            raise

    def _source(self, table: exp.Table, props: dict[str, str], produced: dict[str, Statement],
                line: int) -> SourceRef:
        name = table.name
        alias = table.alias or None
        pos = _node_pos(table)
        ref = SourceRef(name=name, alias=alias, line=pos[0] or line, column=pos[1])
        if name in produced:
            ref.kind = "stream"
            ref.is_table = produced[name].kind == "table"
            ref.topic = None
            return ref
        cfg: dict[str, Any] = {}
        cfg_file = props.get(f"{name}.config_file")
        if cfg_file:
            cfg = self._load_config(cfg_file, line)
        for k, v in props.items():
            if k.startswith(name + ".") and k != f"{name}.config_file":
                cfg[k[len(name) + 1:]] = v
        ref.config = cfg
        stype = str(_config_get(cfg, "type") or "kafka_source").lower()
        path = _config_get(cfg, "path") or _config_get(cfg, "file.path")
        if stype in FILE_SOURCE_TYPES or (path and stype != "kafka_source"):
            ref.kind = "file"
            ref.is_table = True
            ref.path = str(path) if path else None
            if path:
                ref.format = _file_format("source", name, _config_get(cfg, "format"), path, self.path, line)
                written = _config_get(cfg, "format")
                ref.format_written = str(written).lower() if written is not None else None
            if not path:
                raise _err(f"file source {name!r} has no path", self.path, line,
                           hint=f"add '{name}.path' = 'data/{name}.csv' to WITH (…)")
        else:
            ref.kind = "kafka"
            ref.topic = str(_config_get(cfg, "topic.name") or _config_get(cfg, "topic") or name)
            if isinstance(_config_get(cfg, "topic"), dict):
                ref.topic = str(_config_get(cfg, "topic.name") or name)
            ref.format = str(_config_get(cfg, "value.format") or _config_get(cfg, "format") or "json").lower()
            if ref.format not in TOPIC_FORMATS:
                raise _err(f"source {name!r}: unknown format {ref.format!r}", self.path, line,
                           hint="a Kafka source's value.format is json (also jsonl, jsonlines), avro or protobuf")
            ref.format = "json" if ref.format in ("jsonl", "jsonlines") else ref.format
            ref.is_table = stype in TABLE_SOURCE_TYPES or str(_config_get(cfg, "table") or "").lower() == "true"
        return ref

    def _sinks(self, statement: str, props: dict[str, str], line: int) -> list[SinkRef]:
        names = []
        for k, v in props.items():
            if k.endswith(".type") and str(v).lower() in ("kafka_sink", "file_sink", "sink"):
                names.append((k[: -len(".type")], str(v).lower()))
        if not names:
            return [SinkRef(name=statement, kind="kafka", topic=statement)]
        out = []
        for sink, stype in names:
            cfg: dict[str, Any] = {}
            if props.get(f"{sink}.config_file"):
                cfg = self._load_config(props[f"{sink}.config_file"], line)
            for k, v in props.items():
                if k.startswith(sink + ".") and k != f"{sink}.config_file":
                    cfg[k[len(sink) + 1:]] = v
            path = _config_get(cfg, "path") or _config_get(cfg, "file.path")
            if stype == "file_sink" or (path and stype != "kafka_sink"):
                if not path:
                    raise _err(f"file sink {sink!r} has no path", self.path, line,
                               hint=f"add '{sink}.path' = 'output/{sink}.jsonl' to WITH (…)")
                fmt = _file_format("sink", sink, _config_get(cfg, "format"), path, self.path, line)
                out.append(SinkRef(name=sink, kind="file", path=str(path), format=fmt, config=cfg))
            else:
                topic = _config_get(cfg, "topic.name") or _config_get(cfg, "topic")
                if isinstance(topic, dict):
                    topic = topic.get("name")
                out.append(SinkRef(name=sink, kind="kafka", topic=str(topic or sink),
                                   format=str(_config_get(cfg, "value.format") or "json"), config=cfg))
        return out

    # -- the query ----------------------------------------------------------------------------------
    def _query(self, select: exp.Select, props: dict[str, str], produced: dict[str, Statement], name: str,
               line: int) -> Query:
        from_ = select.args.get("from_") or select.args.get("from")
        if from_ is None or not isinstance(from_.this, exp.Table):
            where = _node_pos(select)
            raise _err(f"{name}: the query needs FROM <source>", self.path, where[0] or line, where[1],
                       hint="subqueries in FROM are not supported; chain statements instead")
        source = self._source(from_.this, props, produced, line)
        joins = []
        for j in select.args.get("joins") or []:
            if not isinstance(j.this, exp.Table):
                raise _err(f"{name}: JOIN needs a named source", self.path, _node_pos(j)[0] or line)
            side = (j.side or "").lower()
            kind = side if side in ("left", "right", "full") else "inner"
            if (j.kind or "").upper() == "CROSS":
                raise _err(f"{name}: CROSS JOIN is not supported", self.path, _node_pos(j)[0] or line,
                           hint="use JOIN … ON a.k = b.k")
            on = j.args.get("on")
            if on is None and j.args.get("using"):
                raise _err(f"{name}: JOIN … USING is not supported", self.path, _node_pos(j)[0] or line,
                           hint="write JOIN … ON a.k = b.k")
            joins.append(JoinClause(kind=kind, source=self._source(j.this, props, produced, line), on=on))
        items: list[SelectItem] = []
        star = False
        seen: dict[str, int] = {}
        for pos, node in enumerate(select.expressions, start=1):
            pk = False
            if isinstance(node, PrimaryKey):
                pk = True
                node = node.this
            if isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star)):
                star = True
                continue
            if isinstance(node, exp.Alias):
                out = node.alias
                expr_node = node.this
            else:
                out = output_name(node, pos)
                expr_node = node
            if out in seen:
                seen[out] += 1
                out = f"{out}_{seen[out]}"
            else:
                seen[out] = 1
            items.append(SelectItem(expr=expr_node, name=out, primary_key=pk))
        window = None
        sw = select.args.get("stream_window")
        if isinstance(sw, StreamWindow):
            window = WindowSpec(kind=sw.args["kind"], arguments=[
                WindowArgument(kind=k, value=v) for k, v in zip(sw.args.get("kinds") or [],
                                                                sw.args.get("arguments") or [])],
                line=sw.meta.get("line"), column=sw.meta.get("col"))
        emit = select.args.get("emit")
        order = []
        if select.args.get("order"):
            for o in select.args["order"].expressions:
                order.append(OrderItem(expr=o.this, descending=bool(o.args.get("desc")),
                                       nulls_first=bool(o.args.get("nulls_first")) and
                                       o.args.get("nulls_first") is not None and False))
        limit = None
        if select.args.get("limit"):
            lim = select.args["limit"].expression
            try:
                limit = int(lim.this)
            except (TypeError, ValueError, AttributeError):
                raise _err(f"{name}: LIMIT needs a number", self.path, line) from None
        group = select.args.get("group")
        subquery_sources = []
        for sub in select.find_all(exp.Select):
            sub_from = sub.args.get("from_") or sub.args.get("from")
            if sub is select or sub_from is None or not isinstance(sub_from.this, exp.Table):
                continue
            try:
                subquery_sources.append(self._source(sub_from.this, props, produced, line))
            except SqlError:
                continue  # validation says what is wrong with a subquery's source
        return Query(
            items=items, star=star, source=source, joins=joins,
            where=select.args["where"].this if select.args.get("where") else None,
            group_by=list(group.expressions) if group else [],
            having=select.args["having"].this if select.args.get("having") else None,
            window=window, order_by=order, limit=limit, distinct=bool(select.args.get("distinct")),
            emit=emit.this if emit is not None else None, select=select, subquery_sources=subquery_sources)


def parse_app(text: str, path: str | Path | None = None) -> App:
    """Parse a SQL file's text into the app model; errors are SqlError with file, line and column."""
    p = Path(path) if path is not None else None
    try:
        return _Builder(text, p).build()
    except SpecError as e:  # a config file problem is reported as such
        raise e


def load_app(path: str | Path) -> App:
    from velotui import files

    p = Path(path)
    return parse_app(files.read_text(p, what="SQL file", error=SqlError), p)

