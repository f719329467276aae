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
