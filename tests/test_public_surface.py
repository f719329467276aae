"""The public surface: a light ``import sna``, and the names it promises."""

import ast
import subprocess
import sys
from pathlib import Path

import sna


def test_import_sna_does_not_load_web_or_map_stacks():
    code = (
        "import sys, sna; heavy = [m for m in ('fastapi', 'folium', 'uvicorn', 'matplotlib', "
        "'rio_tiler') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_resolve():
    for name in sna.__all__:
        assert callable(getattr(sna, name)) or isinstance(getattr(sna, name), type), name
    assert sna.__version__


#: What a notebook calls: the pipeline, a build and its public view (issue 24).
LIBRARY = (
    "prepare_region",
    "build_region",
    "open_build",
    "load_public_build",
    "Store",
    "priority_places",
    "evaluate_region",
    "audit_build",
)


def test_the_library_surface_is_the_functions_themselves():
    """Real signatures, no ``(*args, **kwargs)`` wrappers: ``sna.build_region`` is the
    pipeline's own function."""
    import importlib
    import inspect

    assert set(LIBRARY) <= set(sna.__all__)
    for name in LIBRARY:
        value = getattr(sna, name)
        home = importlib.import_module(value.__module__)
        assert getattr(home, name) is value, name
        kinds = {p.kind for p in inspect.signature(value).parameters.values()}
        assert not kinds & {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}
    assert str(inspect.signature(sna.build_region)).startswith("(region: 'str | Path | Regi")


def _surface_imported_elsewhere(folder: Path) -> list[str]:
    """``file: module.name`` for every library name imported from a module other than ``sna``."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "sna" and node.level == 0:
                found += [
                    f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name in LIBRARY
                ]
    return found


def test_the_cli_and_the_maps_call_the_library_through_import_sna():
    root = Path(__file__).resolve().parents[1]
    assert _surface_imported_elsewhere(root / "cli") == []
    assert _surface_imported_elsewhere(root / "maps") == []


def test_the_surface_check_would_catch_a_submodule_import(tmp_path):
    (tmp_path / "m.py").write_text(
        "from sna import build_region\ndef f():\n    from sna.prepare.store import Store\n"
    )
    assert _surface_imported_elsewhere(tmp_path) == ["m.py: sna.prepare.store.Store"]
