"""Installs: dependencies declared exactly as imported, a lock that make uses, .env ignored."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sna", "api", "maps", "geodata", "cli")
# declared, but used without an import statement of their own
USED_WITHOUT_IMPORT = {
    "pyogrio": "geopandas I/O engine (engine='pyogrio')",
}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _imports(folders) -> set[str]:
    mods: set[str] = set()
    for folder in folders:
        for f in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    mods |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    mods.add(node.module.split(".")[0])
    local = {p.name for p in ROOT.iterdir() if p.is_dir()} | {"conftest"}
    local |= {f.stem for f in (ROOT / "tests").glob("*.py")}
    return {m for m in mods if m not in sys.stdlib_module_names and m not in local}


def _distributions(modules: set[str]) -> dict[str, str]:
    owners = md.packages_distributions()
    out = {}
    for m in modules:
        dists = owners.get(m)
        assert dists, f"{m} is imported but no installed distribution provides it"
        out[m] = canonicalize_name(dists[0])
    return out


def _names(reqs: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in reqs}


def test_dependencies_are_declared_exactly_as_imported():
    project = _pyproject()["project"]
    declared = _names(project["dependencies"])
    imported = _distributions(_imports(PACKAGES))
    undeclared = {m: d for m, d in imported.items() if d not in declared}
    assert not undeclared, f"imported but not declared in [project].dependencies: {undeclared}"
    unused = declared - set(imported.values()) - set(USED_WITHOUT_IMPORT)
    assert not unused, f"declared but never imported by {PACKAGES}: {sorted(unused)}"


def test_test_and_bench_imports_are_declared():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    declared = _names(project["dependencies"]) | _names(extras["test"]) | _names(extras["bench"])
    # test tools that come with a declared one (hypothesis with schemathesis, packaging
    # with pytest, typer's CliRunner with typer)
    bundled = {"hypothesis", "packaging"}
    imported = _distributions(_imports(["tests", "bench"]) - {"titiler"})
    missing = {m: d for m, d in imported.items() if d not in declared and d not in bundled}
    assert not missing, f"imported by tests/bench but not declared: {missing}"


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def test_lock_pins_every_declared_dependency_within_its_range():
    project = _pyproject()["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    pins = _lock()
    for text in reqs:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside {req.specifier}: run `make lock`"
        )
    assert not {"scikit-learn", "psutil"} & _names(project["dependencies"])


def test_installed_versions_are_the_locked_ones():
    pins = _lock()
    project = _pyproject()["project"]
    for name in _names(project["dependencies"]) | _names(project["optional-dependencies"]["test"]):
        assert md.version(name) == pins.get(name), (
            f"{name}: installed {md.version(name)}, locked {pins.get(name)}: run `make lock`"
        )


def test_make_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK := requirements.lock" in makefile
    install = [x for x in makefile.splitlines() if "pip install" in x and '".[test' in x]
    assert install and all("-c $(LOCK)" in x for x in install)
    assert re.search(r"^\$\(VENV\)/\.installed: pyproject\.toml \$\(LOCK\)", makefile, re.M)


def test_env_file_is_git_ignored():
    out = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, capture_output=True, check=False
    )
    assert out.returncode == 0, ".env (read by the API settings) must be git-ignored"
