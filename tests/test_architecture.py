"""Data flows one way: geodata -> sna -> api / maps, with the CLI on top (issue 14).

The engine (``sna/``) imports none of ``api``, ``maps`` or ``cli``, not even lazily inside a
function: the imports are read from the source with ``ast``, so a hidden cycle cannot pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS_ABOVE = {"sna": {"api", "maps", "cli"}, "geodata": {"sna", "api", "maps", "cli"}}


def _imports(path: Path) -> set[str]:
    """Top-level package names a module imports (absolute imports, anywhere in the file)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(LAYERS_ABOVE))
def test_lower_layers_never_import_the_layers_above(package):
    bad = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & LAYERS_ABOVE[package])
        for p in sorted((ROOT / package).rglob("*.py"))
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_check_would_catch_a_lazy_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from maps import write_maps\n    import api.app\n")
    assert _imports(module) == {"maps", "api"}


def test_the_cli_is_the_composition_root():
    used = set().union(*(_imports(p) for p in sorted((ROOT / "cli").glob("*.py"))))
    assert {"sna", "api", "maps"} <= used


#: The most lines a module of ours may have: past it, a module does more than one job.
MAX_MODULE_LINES = 500


def _too_long(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): n
        for p in sorted(folder.rglob("*.py"))
        if ".venv" not in p.parts
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }


def test_no_module_is_over_500_lines():
    long = {}
    for package in ("sna", "api", "geodata", "maps", "cli", "bench"):
        long.update(_too_long(ROOT / package))
    assert long == {}, f"split these by job: {long}"


def test_the_length_check_would_catch_a_long_module(tmp_path):
    (tmp_path / "big.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (tmp_path / "small.py").write_text("x = 1\n" * MAX_MODULE_LINES)
    assert _too_long(tmp_path) == {"big.py": MAX_MODULE_LINES + 1}


# ------------------------------------------------------------------ cycles and private names

#: The packages whose import graph is checked: every module of ours that the product runs.
CHECKED = ("sna", "api", "maps", "cli", "geodata")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for package in CHECKED:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _package(module: str, path: Path) -> str:
    """The package a module belongs to (a package's ``__init__`` belongs to itself)."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _runtime_nodes(tree: ast.AST):
    """Every node that runs: the bodies of ``if TYPE_CHECKING:`` are left out."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test).endswith("TYPE_CHECKING"):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _import_edges(modules: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """``module -> modules it imports`` (at module level or inside a function), and every
    underscored name imported from another module that is not its own package's private
    (underscored) helper module, as ``"importer: module.name"``."""
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private = []
    for module, path in modules.items():
        here = _package(module, path).split(".")
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges[module] |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                source = ".".join([*base, node.module] if node.module else base)
                for alias in node.names:
                    target = f"{source}.{alias.name}"
                    target = target if target in modules else source
                    if target not in modules:
                        continue
                    edges[module].add(target)
                    own_helper = _package(target, modules[target]) == ".".join(here) and (
                        target.rpartition(".")[2].startswith("_")
                    )
                    name = alias.name
                    if name.startswith("_") and not name.startswith("__") and not own_helper:
                        private.append(f"{module}: {target}.{name}")
    return edges, private


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), or a module
    that imports itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    """Module-level and lazy imports alike: a cycle hidden in a function is still a cycle."""
    edges, _ = _import_edges(_modules())
    assert _cycles(edges) == []


def test_no_private_name_is_imported_from_another_module():
    """An underscored name is its module's own; what a sibling needs gets a public name (a
    package may keep shared private helpers in an underscored module, ``api.models._common``)."""
    _, private = _import_edges(_modules())
    assert private == []


def test_the_graph_checks_would_catch_a_lazy_cycle_and_a_private_import(tmp_path):
    pkg = tmp_path / "sna"
    (pkg / "inner").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "inner" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from sna.inner.b import helper\n")
    (pkg / "inner" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sna.c\n"
        "def helper():\n    from sna.a import _secret\n"
    )
    (pkg / "c.py").write_text("import sna.inner.b\n")
    edges, private = _import_edges(_modules(tmp_path))
    assert _cycles(edges) == [["sna.a", "sna.inner.b"]]  # not sna.c: a TYPE_CHECKING import
    assert private == ["sna.inner.b: sna.a._secret"]


#: sna's packages from the bottom up: a module imports sna packages of its own rank or below
#: only, so the maths stays apart from the pipeline (stats <- needs/violence <- build). The
#: modules directly in ``sna/`` (errors, settings, fingerprint, wording, theme) are below all.
SNA_LAYERS: tuple[tuple[str, ...], ...] = (
    ("stats", "tiles"),  # the statistics and the tile geometry
    ("disclosure",),  # the one rule, and the public form of partner data
    ("config",),  # region files
    ("needs",),  # layers, scoring, drivers, the at-risk population, trends
    ("prepare",),  # the geodata store
    ("violence",),  # the violence-risk model
    ("evaluation", "outcomes"),  # forward tests; the Home Office success measures
    ("answers",),  # a build's public answers: written once, read by key
    ("builds",),  # which builds exist, which is current, the watcher
    ("priority", "audit"),  # priority places; the disclosure audit of a build
    ("build",),  # the pipeline that makes a build: it may use everything above
)


def _sna_rank(module: str, modules: dict[str, Path]) -> int | None:
    """A module's rank in :data:`SNA_LAYERS`; -1 for the modules directly in ``sna/``; None
    for the package ``sna`` itself (the library surface, which imports lazily) and the rest."""
    parts = module.split(".")
    if parts[0] != "sna" or module == "sna":
        return None
    if len(parts) == 2 and modules[module].name != "__init__.py":
        return -1
    return next(i for i, layer in enumerate(SNA_LAYERS) if parts[1] in layer)


def test_sna_packages_import_downwards_only():
    modules = _modules()
    edges, _ = _import_edges(modules)
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in edges.items()
        for target in targets
        if (here := _sna_rank(module, modules)) is not None
        and (there := _sna_rank(target, modules)) is not None
        and there > here
    )
    assert upward == []


def test_every_sna_package_has_a_layer():
    packages = {p.parent.name for p in (ROOT / "sna").glob("*/__init__.py")}
    assert packages == {name for layer in SNA_LAYERS for name in layer}


def test_the_architecture_page_names_every_package():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.parent.name for p in (ROOT / "sna").glob("*/__init__.py"))
    assert [p for p in packages if f"`sna.{p}`" not in text] == []


def test_every_import_from_sna_in_bench_and_notebooks_resolves():
    """The benchmarks and notebooks are not imported by the suite: an import of a name that
    moved (``from sna.builds import open_build``) would only fail when someone runs them."""
    import importlib
    import json

    root = Path(__file__).resolve().parents[1]
    sources = [(p, p.read_text()) for p in sorted((root / "bench").rglob("*.py"))]
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        lines = [x for x in code.splitlines() if not x.lstrip().startswith(("%", "!"))]
        sources.append((nb, "\n".join(lines)))
    missing = []
    for path, text in sources:
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if node.module != "sna" and not node.module.startswith("sna."):
                continue
            module = importlib.import_module(node.module)
            for alias in node.names:
                if alias.name == "*" or hasattr(module, alias.name):
                    continue
                try:
                    importlib.import_module(f"{node.module}.{alias.name}")
                except ImportError:
                    missing.append(
                        f"{path.relative_to(root)}:{node.lineno} {node.module}.{alias.name}"
                    )
    assert not missing, missing
