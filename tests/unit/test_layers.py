"""The map's rules, checked on the import graph computed from the code with the ast module (every
``import`` and ``from … import`` of every module, those inside functions included):

- no cycle between velotui's packages (velotui.sql, velotui.engine, … and the top-level modules);
- nothing below velotui.core imports core, cli or tui; only velotui.tui imports Textual;
- nothing in sql, bus, datagen, assertions (nor spec, report, ai, infra, the bottom modules) imports the
  engine; core, cli and tui use only its public surface (velotui.engine, velotui.engine.api);
- the engine imports only what is below it.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "velotui"
FRONT = {"velotui.core", "velotui.cli", "velotui.tui", "velotui.__main__"}
ENGINE_PUBLIC = {"velotui.engine", "velotui.engine.api"}
NEVER_ENGINE = {"velotui.sql", "velotui.bus", "velotui.datagen", "velotui.assertions", "velotui.spec",
                "velotui.report", "velotui.ai", "velotui.infra", "velotui.records", "velotui.errors",
                "velotui.datafiles", "velotui.timefmt", "velotui.sandbox", "velotui.golden", "velotui.stress"}
ENGINE_MAY_IMPORT = {"velotui.engine", "velotui.sql", "velotui.bus", "velotui.spec", "velotui.records",
                     "velotui.errors", "velotui.datafiles", "velotui.timefmt",
                     "velotui.watchdog",  # imports nothing of velotui: the query's one clock
                     "velotui.gcpause",  # imports nothing of velotui: the collector's one pause
                     "velotui.numbers",  # imports nothing of velotui: adding numbers without an exception
                     "velotui.patterns"}  # imports nothing of velotui: users' regular expressions, under a budget


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, node.lineno))
            # `from velotui import engine` imports the sub-package velotui.engine
            out += [(f"{target}.{a.name}", node.lineno) for a in node.names if target == "velotui"]
    return out


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


@functools.cache
def graph() -> dict[str, list[tuple[str, str, int]]]:
    """module -> [(imported velotui module, file, line)]"""
    out: dict[str, list[tuple[str, str, int]]] = {}
    for p in sorted(PKG.rglob("*.py")):
        mod = module_name(p)
        out[mod] = [(t, str(p.relative_to(PKG.parent)), line) for t, line in imports_of(p)
                    if t == "velotui" or t.startswith("velotui.")]
    return out


def package_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for mod, targets in graph().items():
        src = package_of(mod)
        for t, _, _ in targets:
            dst = package_of(t)
            if dst != src and dst != "velotui":
                edges.setdefault(src, set()).add(dst)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def test_the_graph_is_read_from_the_code() -> None:
    g = graph()
    assert ("velotui.engine.plan.planner" in g and
            any(t == "velotui.sql.model" for t, _, _ in g["velotui.engine.plan.planner"]))
    assert "velotui.sql" in package_graph().get("velotui.engine", set())


def test_cycle_detection_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_cycle_between_packages() -> None:
    assert cycles(package_graph()) == []


def test_arrows_point_down_only() -> None:
    bad = [f"{f}:{line}: {t}" for mod, targets in graph().items() if package_of(mod) not in FRONT
           for t, f, line in targets if package_of(t) in FRONT]
    assert bad == []


def test_nothing_below_the_engine_imports_it() -> None:
    bad = [f"{f}:{line}: {t}" for mod, targets in graph().items() if package_of(mod) in NEVER_ENGINE
           for t, f, line in targets if package_of(t) == "velotui.engine"]
    assert bad == []


def test_the_front_doors_use_the_engines_public_surface_only() -> None:
    bad = [f"{f}:{line}: {t}" for mod, targets in graph().items() if package_of(mod) in FRONT
           for t, f, line in targets if package_of(t) == "velotui.engine" and t not in ENGINE_PUBLIC]
    assert bad == []


def test_the_engine_imports_only_what_is_below_it() -> None:
    bad = [f"{f}:{line}: {t}" for mod, targets in graph().items() if package_of(mod) == "velotui.engine"
           for t, f, line in targets if package_of(t) not in ENGINE_MAY_IMPORT]
    assert bad == []


def test_the_watchdog_sits_below_everything() -> None:
    assert "velotui.watchdog" in graph() and graph()["velotui.watchdog"] == []


def test_the_collector_pause_sits_below_everything() -> None:
    assert "velotui.gcpause" in graph() and graph()["velotui.gcpause"] == []


def test_the_number_rules_sit_below_everything() -> None:
    assert "velotui.numbers" in graph() and graph()["velotui.numbers"] == []


def test_the_users_patterns_sit_below_everything() -> None:
    assert "velotui.patterns" in graph() and graph()["velotui.patterns"] == []


def test_the_fork_server_starter_imports_nothing_of_velotui() -> None:
    """The command line starts the workers' fork server before its own imports: that costs nothing only
    while velotui.forkserver imports nothing of velotui (its preload list is names, imported in the server)."""
    assert "velotui.forkserver" in graph() and graph()["velotui.forkserver"] == []


def test_only_the_tui_imports_textual() -> None:
    bad = []
    for p in PKG.rglob("*.py"):
        if module_name(p).startswith("velotui.tui"):
            continue
        bad += [f"{p.relative_to(PKG.parent)}:{line}: {t}" for t, line in imports_of(p)
                if t == "textual" or t.startswith("textual.")]
    assert bad == []
