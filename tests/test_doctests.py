"""Every doctest in the code runs: the examples in the docstrings are part of the suite.

The modules are found by reading the sources for ``>>>``, so a new example is run without
anyone adding it to a list.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sna", "api", "geodata", "maps", "cli")


def _modules_with_examples() -> list[str]:
    out = []
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            if ">>> " in path.read_text(encoding="utf-8"):
                parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
                out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


MODULES = _modules_with_examples()


def test_the_examples_were_found():
    assert {
        "sna.stats.metrics",
        "sna.disclosure.control",
        "sna.answers.support",
        "geodata.hospital",
    } <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0, f"{name} has '>>> ' in its source but no doctest ran"
    assert failures == 0
