"""The import rules of docs/ARCHITECTURE.md, read from the source with `ast`: every import in
assets/, scoring/, warehouse/ and dashboards/, at module level or inside a function (a lazy import
is still a dependency), and no cycle among the imports that run when a module is imported."""

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assets", "scoring", "warehouse", "dashboards", "validation")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    path: str  # its file, relative to the repository root
    line: int
    target: str  # the imported module, dotted (an internal one resolved to its file's module)
    at_import: bool  # runs when the importing module is imported (not in a function or under TYPE_CHECKING)

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _internal(name: str) -> str:
    """``name`` as the internal module whose file it is in (``warehouse.db.writer`` -> ``warehouse.db``)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path, source: str) -> list[Import]:
    tree = ast.parse(source, filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, at_import: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: resolved against the importing module's package
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from package import submodule` imports the submodule
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                           for alias in child.names]
            else:
                nested = at_import and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                visit(child, nested and not (isinstance(child, ast.If) and _is_type_checking(child)))
                continue
            rel = str(path.relative_to(ROOT))
            for target in dict.fromkeys(targets):
                internal = target.split(".")[0] in PACKAGES
                found.append(Import(module, rel, child.lineno, _internal(target) if internal else target, at_import))

    visit(tree, True)
    return found


IMPORTS = [i for module, path in MODULES.items() for i in _imports(module, path, path.read_text(encoding="utf-8"))]


def _top(name: str) -> str:
    return name.split(".")[0]


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# (rule, who it binds, what they may not import)
RULES = [
    ("scoring imports no assets, warehouse, dashboards, Dagster, DuckDB or Streamlit",
     lambda i: _in(i.source, "scoring"),
     lambda i: _top(i.target) in {"assets", "warehouse", "dashboards", "dagster", "duckdb", "streamlit"}),
    ("warehouse imports no assets, dashboards or scoring",
     lambda i: _in(i.source, "warehouse"),
     lambda i: _top(i.target) in {"assets", "dashboards", "scoring"}),
    ("nothing in assets/ outside the CLI wing imports assets.cli",
     lambda i: _in(i.source, "assets") and not _in(i.source, "assets.cli"),
     lambda i: _in(i.target, "assets.cli")),
    ("the CLI imports of assets only definitions, instance and resources (a stage's work is in scoring)",
     lambda i: _in(i.source, "assets.cli"),
     lambda i: _in(i.target, "assets") and not _in(i.target, "assets.cli")
     and i.target not in {"assets", "assets.definitions", "assets.instance", "assets.resources"}),
    ("nothing of the product imports the validation laboratory (validation/: its data and builders)",
     lambda i: _top(i.source) != "validation",
     lambda i: _top(i.target) == "validation"),
    ("dashboards import no assets, and of scoring only the config file's reader",
     lambda i: _in(i.source, "dashboards"),
     lambda i: _top(i.target) == "assets" or (_top(i.target) == "scoring" and i.target != "scoring.config_file")),
]


def test_every_package_is_read():
    # a rule over no files passes whatever the code does
    assert {_top(m) for m in MODULES} == set(PACKAGES)
    assert len(IMPORTS) > 100 and any(not i.at_import for i in IMPORTS)


@pytest.mark.parametrize(("rule", "binds", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_layer_rule(rule, binds, forbidden):
    offending = [str(i) for i in IMPORTS if binds(i) and forbidden(i)]
    assert not offending, f"{rule}; broken by:\n" + "\n".join(offending)


def test_no_import_cycle():
    graph = nx.DiGraph()
    for i in IMPORTS:
        if i.at_import and i.target in MODULES and i.target != i.source:
            graph.add_edge(i.source, i.target, imports=graph.get_edge_data(i.source, i.target, {}).get("imports", [])
                           + [str(i)])
    described = []
    for cycle in nx.simple_cycles(graph):
        edges = zip(cycle, [*cycle[1:], cycle[0]], strict=True)
        described.append(" -> ".join([*cycle, cycle[0]]) + "\n  " + "\n  ".join(
            line for a, b in edges for line in graph.edges[a, b]["imports"]))
    assert not described, f"{len(described)} import cycle(s):\n" + "\n".join(sorted(described))


def test_the_rules_see_what_they_must(monkeypatch):
    """The parser finds relative imports, `from package import submodule`, a lazy import and one
    under TYPE_CHECKING as the rules need them (a parser that missed them would pass any tree)."""
    path = ROOT / "scoring" / "replay" / "probe.py"
    monkeypatch.setitem(MODULES, "scoring.replay.sibling", path)
    source = ("from . import sibling\nfrom .sibling import thing\nfrom assets import cli\nimport warehouse.db.x\n"
              "def later():\n    from scoring.config import load_config\n"
              "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import duckdb\n")
    found = [(i.target, i.line, i.at_import) for i in _imports("scoring.replay.probe", path, source)]
    assert found == [("scoring.replay.sibling", 1, True), ("scoring.replay.sibling", 2, True),
                     ("assets.cli", 3, True), ("warehouse.db", 4, True), ("scoring.config", 6, False),
                     ("typing", 7, True), ("duckdb", 9, False)]
    assert str(_imports("scoring.replay.probe", path, "import duckdb\n")[0]) == "scoring/replay/probe.py:1 imports duckdb"
