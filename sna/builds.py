"""Where a region's builds live, which is current, and what they are: cheap folder reads.

Kept apart from :mod:`sna.build` (the scoring pipeline) so that the API, the maps and the
report can find builds without importing the pipeline. Layout::

    <data_dir>/<region>/builds/<build_id>/     one build (manifest.json, lsoa.parquet, ...)
    <data_dir>/<region>/builds/current         symlink to the published build

Build ids are UTC timestamps to the microsecond plus a random suffix
(``20261201T091500.123456Z-3fa9c1``): name order is time order, and two builds started in the
same instant still get different ids. Interrupted builds leave ``.build.tmp-<pid>-*``
folders, which the next build removes (:func:`clean_leftovers`); :func:`prune_builds` removes
old builds but never the current one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import BuildNotFound, SnaError
from .store import clean_staging, region_dir

__all__ = [
    "builds_dir",
    "new_build_id",
    "current_target",
    "current_build",
    "build_folders",
    "list_builds",
    "clean_leftovers",
    "prune_builds",
]


def new_build_id(now: datetime | None = None) -> str:
    """A build id that sorts by time and never repeats: ``YYYYmmddTHHMMSS.ffffffZ-xxxxxx``."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S.%fZ") + "-" + secrets.token_hex(3)


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


def clean_leftovers(region_id: str, data_dir: Path | None = None) -> list[str]:
    """Remove the staging folders and pointer links of builds that were killed.

    Those of a build running now (its process is alive) stay. Returns the names removed.
    """
    return clean_staging(builds_dir(region_id, data_dir), "build")


def prune_builds(region_id: str, data_dir: Path | None = None, *, keep: int = 5) -> list[str]:
    """Remove all but the ``keep`` newest builds; the current build is never removed.

    A build is first renamed to a hidden name (readers see it vanish at once) and then
    deleted. Returns the ids removed, oldest first.
    """
    if keep < 1:
        raise SnaError(f"keep must be at least 1, got {keep}")
    current = current_target(region_id, data_dir)
    folders = build_folders(region_id, data_dir)
    removed = []
    for folder in folders[: max(0, len(folders) - keep)]:
        if current is not None and folder.resolve() == current:
            continue
        doomed = folder.with_name(f".pruned-{folder.name}")
        os.rename(folder, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
        removed.append(folder.name)
    return removed
