"""A VRU view's own sources, prepared on top of its slice of the national store.

A view inherits every source of its national config. The ones it declares itself, a partner
extract (hospital admissions, pupil exclusions) or its service directory, are its own: they
are read by the same loaders and prepare steps a region of its own uses, placed in the view's
LSOAs, and written over the sliced tables. Their checksums join the view's cache key, so a new
extract re-prepares the view (seconds) and never the national build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geodata import hospital, schools
from geodata._asset_frame import SOURCE_SERVICE_DIRECTORY
from geodata._io import sha256_file
from geodata.errors import MissingFileError
from sna.config.region import RegionConfig
from sna.prepare.assets import read_services
from sna.prepare.partner import prepare_partner_table
from sna.prepare.steps import TableWriter
from sna.prepare.store import read_table

__all__ = ["PARTNER_SOURCES", "own_sources", "own_checksums", "prepare_own_sources"]

#: partner source -> (store table, reader)
PARTNER_SOURCES: dict[str, tuple[str, Any]] = {
    "hospital_admissions": ("hospital_admissions", hospital.read_hospital_admissions),
    "pupil_exclusions": ("pupil_exclusions", schools.read_pupil_exclusions),
}

OwnFiles = dict[str, tuple[Any, list[Path]]]


def own_sources(config: RegionConfig, national: RegionConfig) -> OwnFiles:
    """The sources ``config`` declares that its national config does not: name -> (spec,
    files). Raises :class:`MissingFileError` for a declared file that is not there."""
    out: OwnFiles = {}
    for name in PARTNER_SOURCES:
        spec = getattr(config.sources, name)
        if spec is not None and spec != getattr(national.sources, name):
            out[name] = (spec, [config.source_path(p) for p in spec.paths])
    if config.services is not None and config.services != national.services:
        out["services"] = (config.services, [config.services_path()])
    for name, (_, paths) in out.items():
        for p in paths:
            if p is None or not Path(p).is_file():
                raise MissingFileError(p, f"the view's own source {name!r} not found")
    return out


def own_checksums(files: OwnFiles) -> dict[str, dict[str, str]]:
    """SHA-256 of each own source file (they join the view's cache key)."""
    return {n: {str(f): sha256_file(f) for f in paths} for n, (_, paths) in sorted(files.items())}


def prepare_own_sources(
    config: RegionConfig,
    files: OwnFiles,
    checksums: dict[str, dict[str, str]],
    tmp: Path,
    inherited: dict[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Read the view's own sources and write their tables over the sliced ones in ``tmp``.

    ``inherited`` holds the sliced tables' manifest entries; the entries of the tables
    written here are returned (an assets entry keeps the national sources it still holds).
    """
    if not files:
        return {}
    ctx: dict[str, Any] = {
        "config": config,
        "tmp": tmp,
        "metrics": {},
        "lsoa21": read_table(tmp / "lsoa21.parquet"),
        "postcodes": read_table(tmp / "postcodes.parquet"),
    }
    w = TableWriter(tmp, dict(files), checksums)
    for name, (table, reader) in PARTNER_SOURCES.items():
        if name in files:
            prepare_partner_table(
                ctx, w, source=name, table=table, reader=reader, make_synthetic=None
            )
    if "services" in files:
        _services(ctx, w, tmp, inherited.get("assets"))
    return w.tables


def _services(ctx: dict, w: TableWriter, tmp: Path, entry: dict[str, Any] | None) -> None:
    """The view's directory in place of any inherited one, beside the other assets."""
    areas = ctx["lsoa21"]
    svc = read_services(ctx)
    placed = gpd.sjoin(
        svc.data, areas[["lsoa21_code", "geometry"]], how="inner", predicate="within"
    ).drop(columns="index_right")
    placed = placed[~placed.index.duplicated(keep="first")]  # a point on a shared edge
    parts = [placed]
    path = tmp / "assets.parquet"
    if path.exists():
        rest = read_table(path)
        parts.insert(0, rest[rest["source"] != SOURCE_SERVICE_DIRECTORY])
    assets = pd.concat(parts, ignore_index=True)
    assets = gpd.GeoDataFrame(assets, geometry="geometry", crs=placed.crs)
    assets = assets.sort_values(["asset_type", "asset_id"], kind="stable").reset_index(drop=True)
    w.write(
        "assets",
        assets,
        ["services"],
        [svc.report],
        description="Support nearby: the view's own service directory, state schools "
        "(GIAS), places of worship (OSM) and libraries",
    )
    kept = [s for s in (entry or {}).get("sources", []) if s.get("source") != "services"]
    w.tables["assets"]["sources"] = kept + w.tables["assets"]["sources"]
