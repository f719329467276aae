"""One code fingerprint: what the caches (store, build) compare to know the code changed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from sna import __version__
from sna.settings import PROJECT_ROOT

__all__ = ["code_fingerprint", "package_sources"]


def package_sources(*packages: str, patterns: tuple[str, ...] = ("*.py", "*.toml")) -> list[Path]:
    """The source files of ``packages`` (folders under the project root), in a fixed order."""
    return [
        f
        for pkg in packages
        for pattern in patterns
        for f in sorted((PROJECT_ROOT / pkg).rglob(pattern))
    ]


def code_fingerprint(files: Iterable[Path] | None = None) -> str:
    """sha256 over the package version and ``files`` (default: every sna and geodata source).

    The store passes only the loaders and the prepare step, so a change to the scoring code
    does not invalidate a prepared store; the build passes everything.
    """
    h = hashlib.sha256(__version__.encode())
    for f in package_sources("sna", "geodata") if files is None else files:
        h.update(f.read_bytes())
    return h.hexdigest()
