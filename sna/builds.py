"""Where a region's builds live, which is current, and what they are: cheap folder reads.

Kept apart from :mod:`sna.build` (the scoring pipeline) so that the API, the maps and the
report can find builds without importing the pipeline. Layout::

    <data_dir>/<region>/builds/<build_id>/     one build (manifest.json, lsoa.parquet, ...)
    <data_dir>/<region>/builds/current         symlink to the published build

Build ids are UTC timestamps, so name order is time order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import BuildNotFound
from .store import region_dir

__all__ = ["builds_dir", "current_target", "current_build", "build_folders", "list_builds"]


def builds_dir(region_id: str, data_dir: Path | None = None) -> Path:
    """``<data_dir>/<region>/builds``."""
    return region_dir(region_id, data_dir) / "builds"


def current_target(region_id: str, data_dir: Path | None = None) -> Path | None:
    """The folder the region's ``current`` pointer names, or None when there is none.

    Cheap (one ``readlink``): the API's build watcher calls it every few seconds.
    """
    link = builds_dir(region_id, data_dir) / "current"
    try:
        target = os.readlink(link)
    except OSError:
        return link.resolve() if (link / "manifest.json").exists() else None
    return (link.parent / target).resolve()


def current_build(region_id: str, data_dir: Path | None = None) -> Path:
    """The published build folder (:class:`~sna.errors.BuildNotFound` when there is none)."""
    link = builds_dir(region_id, data_dir) / "current"
    if not (link / "manifest.json").exists():
        raise BuildNotFound(
            f"no published build for {region_id!r} at {link}; run: sna build --region {region_id}"
        )
    return link.resolve()


def build_folders(region_id: str, data_dir: Path | None = None) -> list[Path]:
    """Every build folder of the region that has a manifest, oldest first."""
    root = builds_dir(region_id, data_dir)
    if not root.exists():
        return []
    return sorted(
        d
        for d in root.iterdir()
        if not d.is_symlink() and not d.name.startswith(".") and (d / "manifest.json").exists()
    )


def list_builds(region_id: str, data_dir: Path | None = None) -> list[dict[str, Any]]:
    """Every build of the region, newest first: id, created, current, code version, synthetic
    layers. No filesystem paths, so the list can be published as it is.
    """
    current = current_target(region_id, data_dir)
    out = []
    for d in reversed(build_folders(region_id, data_dir)):
        try:
            m = json.loads((d / "manifest.json").read_text())
        except (OSError, ValueError):
            continue
        out.append(
            {
                "build_id": m.get("build_id", d.name),
                "created": m.get("created"),
                "current": d.resolve() == current,
                "code_version": m.get("code_version"),
                "synthetic_layers": m.get("synthetic_layers", []),
            }
        )
    return out
