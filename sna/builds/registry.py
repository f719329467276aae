"""Where a region's builds live, which is current, and what they are: cheap folder reads.

Kept apart from :mod:`sna.build.pipeline` (the scoring pipeline) so that the API, the maps and the
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
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sna.errors import BuildNotFound, SnaError
from sna.prepare.store import clean_staging, region_dir

if TYPE_CHECKING:
    from sna.answers.public_build import PublicBuild
    from sna.answers.reader import BuildReader

__all__ = [
    "region_id",
    "builds_dir",
    "new_build_id",
    "current_target",
    "current_build",
    "build_folders",
    "list_builds",
    "clean_leftovers",
    "prune_builds",
    "build_folder",
    "open_build",
    "load_public_build",
]


def region_id(region: str | Path) -> str:
    """The region id of ``region``: an id as given, or the id inside a region TOML path."""
    if str(region).endswith(".toml"):
        from sna.config.region import load_region

        return load_region(region).id
    return str(region)


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


def build_folders(region: str | Path, data_dir: Path | None = None) -> list[Path]:
    """Every build folder of the region (an id or a region TOML path) that has a manifest,
    oldest first."""
    root = builds_dir(region_id(region), data_dir)
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


def build_folder(
    region: str | Path, data_dir: Path | None = None, build: str | Path | None = None
) -> Path:
    """The folder of ``build`` (an id or a folder; default the current one) of ``region``.

    ``region`` may itself be a build folder (one with a ``manifest.json``).
    """
    if build is None and (Path(region) / "manifest.json").exists():
        return Path(region).resolve()
    rid = region_id(region)
    if build is None:
        return current_build(rid, data_dir)
    candidate = Path(build)
    if not (candidate / "manifest.json").exists():
        candidate = builds_dir(rid, data_dir) / str(build)
    if not (candidate / "manifest.json").exists():
        raise BuildNotFound(f"{candidate}: not a build folder (no manifest.json)")
    return candidate.resolve()


def open_build(
    region: str | Path,
    data_dir: Path | None = None,
    build: str | Path | None = None,
    *,
    national_postcodes: Iterable[str] | None = None,
    answers: bool = True,
) -> BuildReader:
    """Open a published build for reading: the one reader of the API, maps, report and
    priority lists (:class:`~sna.answers.reader.BuildReader`).

    Parameters
    ----------
    region
        A region id, a region TOML path, or a build folder (or the ``current`` link).
    data_dir
        The data directory (default ``$SNA_DATA_DIR`` or ``./data``).
    build
        A build id or folder of ``region``; default its current build.
    national_postcodes
        Every UK postcode, for the wording of a 404 ("outside the region"); by default the
        national index the build recorded, if present.
    answers
        Require ``answers.sqlite`` (what the server reads). ``False`` also opens a build made
        before it existed, for the tables only (:meth:`BuildReader.public`).

    Raises
    ------
    BuildNotFound
        No such build; :class:`~sna.errors.BuildLoadError` when it cannot be read.
    """
    from sna.answers.reader import BuildReader

    return BuildReader(
        build_folder(region, data_dir, build),
        national_postcodes=national_postcodes,
        answers=answers,
    )


def load_public_build(
    region: str | Path,
    data_dir: Path | None = None,
    build: str | Path | None = None,
) -> PublicBuild:
    """The public view of a build: :func:`sna.builds.registry.open_build` then
    :meth:`~sna.answers.reader.BuildReader.public` (the one reader; no answers needed).

    Raises
    ------
    BuildNotFound
        When the region has no published build or ``build`` is not a build folder.
    """
    return open_build(region, data_dir, build, answers=False).public(data_dir)
