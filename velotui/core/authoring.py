"""Authoring: draft a data schema from SQL (and sample data), and a test spec fitted to a query's shape.

`velotui infer-schema SQL [--data FILE…]` and `velotui init SQL` write the first drafts that teams then
refine. The drafts are meant to run green as they are: schemas make the app's WHERE clauses and joins
fire, and specs only assert what the query's shape guarantees for any input.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from velotui.sql.model import App, SourceRef, Statement

TIME_NAME = re.compile(r"(^|_)(ts|time|timestamp|date|at)$|_time$|^event_time$", re.IGNORECASE)
INT_NAME = re.compile(r"(count|qty|quantity|volume|num|number|age|year|units|seq|rank)$", re.IGNORECASE)


@dataclass
class FieldGuess:
    name: str
    type: str = "string"
    literals: list[Any] = field(default_factory=list)  # compared with
    bounds: list[float] = field(default_factory=list)
    numeric: bool = False
    integer_hint: bool = False
    time: bool = False
    references: dict[str, str] | None = None
    pattern: str | None = None

    def to_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        cons: dict[str, Any] = {}
        if self.references:
            out["type"] = "string"
            cons["references"] = self.references
        elif self.time:
            out["type"] = "timestamp"
        elif self.numeric:
            out["type"] = "integer" if self.integer_hint else "float"
            lo, hi = (0.0, 1000.0)
            if self.bounds:
                b_lo, b_hi = min(self.bounds), max(self.bounds)
                span = max(b_hi - b_lo, abs(b_hi) or 10.0)
                lo, hi = max(0.0, b_lo - span), b_hi + span
            cons["range"] = {"min": int(lo) if self.integer_hint else round(lo, 2),
                             "max": int(hi) if self.integer_hint else round(hi, 2)}
        else:
            out["type"] = "string"
            strings = [x for x in self.literals if isinstance(x, str)]
            if strings:
                values = list(dict.fromkeys(strings))
                cons["enum_values"] = {"values": values + ["OTHER"]}
            elif self.pattern:
                cons["pattern"] = self.pattern
            else:
                cons["length"] = {"min": 3, "max": 10}
        if cons:
            out["constraints"] = cons
        return out


def _literal(node: exp.Expression) -> Any:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return str(node.this)
        try:
            return float(node.this)
        except ValueError:
            return None
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        v = _literal(node.this)
        return -v if isinstance(v, float) else None
    return None


class _Inference:
    def __init__(self, app: App) -> None:
        self.app = app
        self.fields: dict[str, dict[str, FieldGuess]] = {}  # source name -> field -> guess
        self.event_time: dict[str, str] = {}

    def guess(self, source: str, name: str) -> FieldGuess:
        fields = self.fields.setdefault(source, {})
        if name not in fields:
            fields[name] = FieldGuess(name=name, time=bool(TIME_NAME.search(name)),
                                      integer_hint=bool(INT_NAME.search(name)))
        return fields[name]

    def owner(self, st: Statement, col: exp.Column) -> str | None:
        srcs = [s for s in st.sources if s.kind != "stream"]
        if col.table:
            for s in st.sources:
                if col.table in (s.alias, s.name):
                    return s.name if s.kind != "stream" else None
            return None
        if len(st.sources) == 1:
            return srcs[0].name if srcs else None
        return None

    def run(self) -> None:
        for st in self.app.statements:
            q = st.query
            et = st.properties.get("event.time.field") or (q.window.time_column if q.window else None)
            for s in st.sources:
                if s.kind == "kafka":
                    self.fields.setdefault(s.name, {})
                    if et:
                        self.guess(s.name, et).time = True
                        self.event_time[s.name] = et
            nodes = [i.expr for i in q.items] + ([q.where] if q.where is not None else []) + list(q.group_by)
            nodes += [q.having] if q.having is not None else []
            nodes += [j.on for j in q.joins if j.on is not None]
            for node in nodes:
                for col in node.find_all(exp.Column):
                    owner = self.owner(st, col)
                    if owner is not None and not col.name.startswith("_"):
                        self.guess(owner, col.name)
                self._usage(st, node)
            self._joins(st)
            self._subqueries(st)

    def _usage(self, st: Statement, node: exp.Expression) -> None:
        for cmp in node.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
            for a, b in ((cmp.this, cmp.expression), (cmp.expression, cmp.this)):
                if isinstance(a, exp.Column) and (owner := self.owner(st, a)) and _literal(b) is not None:
                    g = self.guess(owner, a.name)
                    lit = _literal(b)
                    g.literals.append(lit)
                    if isinstance(lit, float):
                        g.numeric = True
                        g.bounds.append(lit)
        for b in node.find_all(exp.Between):
            if isinstance(b.this, exp.Column) and (owner := self.owner(st, b.this)):
                g = self.guess(owner, b.this.name)
                for k in ("low", "high"):
                    v = _literal(b.args[k])
                    if isinstance(v, float):
                        g.numeric = True
                        g.bounds.append(v)
        for i in node.find_all(exp.In):
            if isinstance(i.this, exp.Column) and (owner := self.owner(st, i.this)):
                g = self.guess(owner, i.this.name)
                for v in i.expressions:
                    lit = _literal(v)
                    if lit is not None:
                        g.literals.append(lit)
                        if isinstance(lit, float):
                            g.numeric = True
                            g.bounds.append(lit)
        for op in node.find_all(exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Sum, exp.Avg):
            for col in op.find_all(exp.Column):
                if (owner := self.owner(st, col)) and not self.guess(owner, col.name).literals:
                    self.guess(owner, col.name).numeric = True
        for c in node.find_all(exp.Cast):
            if isinstance(c.this, exp.Column) and (owner := self.owner(st, c.this)):
                to = c.args["to"].sql().upper()
                if any(t in to for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL")):
                    self.guess(owner, c.this.name).numeric = True

    def _subqueries(self, st: Statement) -> None:
        """``k IN (SELECT k2 FROM table …)`` and ``EXISTS (SELECT … FROM table t WHERE t.k2 = s.k …)``: the
        outer key draws from the table's keys, so the generated records find their rows."""
        tables = {t.alias or t.name: t for t in st.query.subquery_sources} | {t.name: t for t in
                                                                               st.query.subquery_sources}
        outer = {s.alias or s.name: s for s in st.sources} | {s.name: s for s in st.sources}
        tree = st.query.select
        if tree is None:
            return
        for node in tree.find_all(exp.In):
            query = node.args.get("query")
            sub = query.this if isinstance(query, exp.Subquery) else query
            if not isinstance(node.this, exp.Column) or not isinstance(sub, exp.Select) or not sub.expressions:
                continue
            sub_from = sub.args.get("from_") or sub.args.get("from")
            table = tables.get(sub_from.this.name) if sub_from is not None else None
            col = sub.expressions[0]
            src = outer.get(node.this.table) if node.this.table else (st.sources[0] if st.sources else None)
            if table is not None and src is not None and isinstance(col, exp.Column):
                self._link(src, node.this.name, table, col.name, st)
        for node in tree.find_all(exp.Exists):
            sub = node.this
            sub_from = sub.args.get("from_") or sub.args.get("from") if isinstance(sub, exp.Select) else None
            if sub_from is None:
                continue
            table = tables.get(sub_from.this.alias or sub_from.this.name)
            inner = {sub_from.this.alias or sub_from.this.name, sub_from.this.name}
            for eq in sub.find_all(exp.EQ):
                a, b = eq.this, eq.expression
                if not (isinstance(a, exp.Column) and isinstance(b, exp.Column)):
                    continue
                if b.table in inner and a.table not in inner:
                    a, b = b, a
                if a.table in inner and table is not None and (src := outer.get(b.table)) is not None:
                    self._link(src, b.name, table, a.name, st)

    def _joins(self, st: Statement) -> None:
        refs = {s.alias or s.name: s for s in st.sources}
        for j in st.query.joins:
            if j.on is None:
                continue
            for eq in j.on.find_all(exp.EQ):
                a, b = eq.this, eq.expression
                if not (isinstance(a, exp.Column) and isinstance(b, exp.Column)):
                    continue
                sa, sb = refs.get(a.table), refs.get(b.table)
                if sa is None or sb is None:
                    continue
                self._link(sa, a.name, sb, b.name, st)
                self._link(sb, b.name, sa, a.name, st)

    def _link(self, src: SourceRef, name: str, other: SourceRef, other_name: str, st: Statement) -> None:
        if src.kind != "kafka":
            return
        g = self.guess(src.name, name)
        g.numeric = False
        if other.kind == "file" and other.path:
            g.references = {"file": other.path, "field": other_name}
        elif other.kind == "kafka":
            g.pattern = "K[0-9]{2}"  # both sides draw from the same 100 keys, so pairs match


def infer_schemas(app: App, data: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, dict[str, Any]]:
    """One schema (as a YAML-ready dict) per external Kafka source of the app."""
    inf = _Inference(app)
    inf.run()
    out: dict[str, dict[str, Any]] = {}
    for source, guesses in inf.fields.items():
        sample = (data or {}).get(source)
        if sample:
            fields = [_from_data(name, [r.get(name) for r in sample]) for name in _columns(sample)]
            known = {f["name"] for f in fields}
            fields += [g.to_yaml() for g in guesses.values() if g.name not in known]
        else:
            fields = [g.to_yaml() for g in guesses.values()]
        if not fields:
            fields = [{"name": "id", "type": "uuid"}, {"name": "value", "type": "float",
                                                         "constraints": {"range": {"min": 0, "max": 1000}}}]
        out[source] = {"name": source, "description": f"inferred by velotui for {app.name}",
                       "record_count": 100, "fields": fields}
    return out


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols


def _shape(s: str) -> str:
    out = []
    for ch in s:
        out.append("[A-Z]" if ch.isupper() else "[a-z]" if ch.islower() else "[0-9]" if ch.isdigit() else re.escape(ch))
    pattern, i = "", 0
    while i < len(out):  # run-length: [0-9][0-9][0-9] -> [0-9]{3}
        j = i
        while j < len(out) and out[j] == out[i]:
            j += 1
        pattern += out[i] + (f"{{{j - i}}}" if j - i > 1 else "")
        i = j
    return pattern


def _from_data(name: str, values: list[Any]) -> dict[str, Any]:
    """A field from sample values: type, range, enum with weights, null rate, length or pattern."""
    present = [v for v in values if v is not None and v != ""]
    f: dict[str, Any] = {"name": name}
    nulls = len(values) - len(present)
    if nulls:
        f["nullable"] = True
        f["null_probability"] = round(nulls / len(values), 3)
    if not present:
        f["type"] = "string"
        return f
    if all(isinstance(v, bool) for v in present):
        f["type"] = "boolean"
        return f
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        is_int = all(isinstance(v, int) for v in present)
        if TIME_NAME.search(name) and is_int and min(present) > 10**11:
            f["type"] = "timestamp"
            return f
        f["type"] = "integer" if is_int else "float"
        distinct = set(present)
        if is_int and len(distinct) <= 12 and len(present) >= 2 * len(distinct):
            counts = Counter(present)
            f["constraints"] = {"enum_values": {"values": sorted(counts), "weights": [
                round(counts[v] / len(present), 4) for v in sorted(counts)]}}
        else:
            f["constraints"] = {"range": {"min": min(present), "max": max(present)}}
        return f
    texts = [str(v) for v in present]
    f["type"] = "timestamp" if TIME_NAME.search(name) and all(re.match(r"\d{4}-\d{2}-\d{2}", t) for t in texts) \
        else "string"
    if f["type"] == "timestamp":
        return f
    counts = Counter(texts)
    if len(counts) <= 12 and len(texts) >= 2 * len(counts):
        vals = sorted(counts)
        f["constraints"] = {"enum_values": {"values": vals, "weights": [round(counts[v] / len(texts), 4)
                                                                        for v in vals]}}
        return f
    shapes = {_shape(t) for t in texts}
    if len(shapes) == 1:
        f["constraints"] = {"pattern": shapes.pop()}
    else:
        lengths = [len(t) for t in texts]
        f["constraints"] = {"length": {"min": min(lengths), "max": max(lengths)}}
    return f


# -- init: a spec fitted to the query's shape -------------------------------------------------------------
def _py_predicate(node: exp.Expression, var: str = "r") -> str | None:
    """A NULL-safe Python (sandbox) rendering of a simple SQL predicate, or None when it is not simple."""
    if isinstance(node, exp.Paren):
        inner = _py_predicate(node.this, var)
        return f"({inner})" if inner else None
    if isinstance(node, (exp.And, exp.Or)):
        a, b = _py_predicate(node.this, var), _py_predicate(node.expression, var)
        if a is None or b is None:
            return None
        return f"({a} {'and' if isinstance(node, exp.And) else 'or'} {b})"
    if isinstance(node, exp.Not):
        inner = _py_predicate(node.this, var)
        if inner is None:
            return None
        if isinstance(node.this, exp.Is):
            return inner.replace(" is None", " is not None")
        return f"(not {inner})"
    ops = {exp.EQ: "==", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
    for cls, op in ops.items():
        if isinstance(node, cls) and isinstance(node.this, exp.Column) and _literal(node.expression) is not None:
            lit = _literal(node.expression)
            field_ref = f"{var}.{node.this.name}"
            return f"({field_ref} is not None and {field_ref} {op} {lit!r})" if op not in ("==", "!=") \
                else f"({field_ref} {op} {lit!r})"
    if isinstance(node, exp.Between) and isinstance(node.this, exp.Column):
        lo, hi = _literal(node.args["low"]), _literal(node.args["high"])
        if lo is None or hi is None:
            return None
        f = f"{var}.{node.this.name}"
        return f"({f} is not None and {lo!r} <= {f} <= {hi!r})"
    if isinstance(node, exp.In) and isinstance(node.this, exp.Column) and not node.args.get("query"):
        lits = [_literal(v) for v in node.expressions]
        if any(v is None for v in lits):
            return None
        return f"({var}.{node.this.name} in {lits!r})"
    if isinstance(node, exp.Is) and isinstance(node.this, exp.Column) and isinstance(node.expression, exp.Null):
        return f"({var}.{node.this.name} is None)"
    return None


def init_spec(app: App, schemas: dict[str, str] | None = None, records: int = 100) -> dict[str, Any]:
    """A test spec (YAML-ready dict) with one query per statement and assertions fitted to its shape."""
    from velotui.sql.analysis import find_aggregates

    queries = []
    for st in app.statements:
        q = st.query
        ext = [s for s in st.sources if s.kind == "kafka"]
        deps = [s.name for s in st.sources if s.kind == "stream"]
        root = _root_sources(app, st)
        inputs = []
        for s in root:
            inp: dict[str, Any] = {"source": s.name, "schema": (schemas or {}).get(s.name, s.name),
                                   "records": records}
            et = _event_time(app, s.name)
            if et:
                inp["time_simulation"] = {"start_time": "-10m", "end_time": "now", "sequential": True}
            inputs.append(inp)
        asserts: list[dict[str, Any]] = []
        main = (root[0].name if root else (ext[0].name if ext else None))
        has_agg = bool(q.group_by) or any(find_aggregates(i.expr) for i in q.items)
        has_over = any(i.expr.find(exp.Window) is not None for i in q.items)
        names = [i.name for i in q.items]
        if names:
            asserts.append({"type": "schema_contains", "fields": names})
        stateless = not has_agg and not has_over and not q.joins and not deps and not q.distinct \
            and q.limit is None
        if stateless and main:
            if q.where is None:
                asserts.append({"type": "record_count", "description": "one output per input",
                                "expression": f"== {{{{inputs.{main}.count}}}}"})
            else:
                pred = _py_predicate(q.where)
                if pred is not None and not any(c.name.startswith("_") for c in q.where.find_all(exp.Column)):
                    asserts.append({"type": "template", "description": "exactly the inputs that pass WHERE",
                                    "expression": f"len(records) == count(1 for r in inputs.{main}.records "
                                                  f"if {pred})"})
                else:
                    asserts.append({"type": "record_count", "expression": f"<= {{{{inputs.{main}.count}}}}"})
        elif has_agg and q.window is None and main and not q.joins:
            if q.where is None and q.having is None:
                asserts.append({"type": "record_count", "description": "EMIT CHANGES: one update per input",
                                "expression": f"== {{{{inputs.{main}.count}}}}"})
            else:
                asserts.append({"type": "record_count", "expression": f"<= {{{{inputs.{main}.count}}}}"})
        elif has_agg and q.window is not None and main:
            from velotui.engine import window_for

            kind = window_for(q.window)  # what the kind is (fixed size, aligned, a record in one window)
            ws = [i.name for i in q.items if isinstance(i.expr, exp.Column) and i.expr.name.lower() == "_window_start"]
            we = [i.name for i in q.items if isinstance(i.expr, exp.Column) and i.expr.name.lower() == "_window_end"]
            if ws and we and not kind.merging:
                asserts.append({"type": "window_boundary", "window_start_field": ws[0], "window_end_field": we[0],
                                "window_size_ms": q.window.size_ms, "verify_alignment": kind.aligned})
            counts = [i.name for i in q.items if isinstance(i.expr, exp.Count) and isinstance(i.expr.this, exp.Star)]
            if counts and kind.one_per_record and q.where is None and q.having is None:
                asserts.append({"type": "template", "description": "windows never count more than the inputs",
                                "expression": f"sum(r.{counts[0]} for r in records) <= inputs.{main}.count"})
        elif has_over and main:
            asserts.append({"type": "record_count", "description": "one output per input",
                            "expression": f"== {{{{inputs.{main}.count}}}}" if q.where is None
                            else f"<= {{{{inputs.{main}.count}}}}"})
            for item in q.items:
                w = item.expr if isinstance(item.expr, exp.Window) else None
                if w is not None and type(w.this).__name__ in ("RowNumber", "Rank", "DenseRank"):
                    asserts.append({"type": "no_nulls", "fields": [item.name]})
        elif q.joins and main:
            left = any(j.kind in ("left", "full") for j in q.joins)
            if left and not deps:
                asserts.append({"type": "record_count", "description": "a LEFT join keeps every stream record",
                                "expression": f">= {{{{inputs.{main}.count}}}}"})
            else:
                asserts.append({"type": "join_coverage", "left_source": main, "min_match_rate": 0.0})
        queries.append({"name": st.name, "inputs": inputs, "assertions": asserts,
                        **({"dependencies": deps} if deps else {})})
    return {"application": app.name, "description": f"drafted by velotui init for {app.name}",
            "queries": queries}


def _root_sources(app: App, st: Statement) -> list[SourceRef]:
    """The external Kafka sources a statement reads, directly or through earlier statements."""
    out: list[SourceRef] = []
    seen: set[str] = set()

    def visit(s: Statement) -> None:
        if s.name in seen:
            return
        seen.add(s.name)
        for src in s.sources:
            if src.kind == "stream" and app.statement(src.name):
                visit(app.statement(src.name))  # type: ignore[arg-type]
            elif src.kind == "kafka" and all(o.name != src.name for o in out):
                out.append(src)

    visit(st)
    return out


def _event_time(app: App, source: str) -> str | None:
    for st in app.statements:
        if any(s.name == source for s in st.sources):
            et = st.properties.get("event.time.field") or (st.query.window.time_column if st.query.window else None)
            if et:
                return et
    return None


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def load_samples(paths: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """Sample files by source name (the file's stem: ``orders.csv`` samples source ``orders``)."""
    from velotui.datagen import load_data_file

    return {p.stem: load_data_file(p) for p in paths}
