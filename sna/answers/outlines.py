"""The map's bearings from our own boundary files: district and ward outlines, area names.

The build's LSOA table carries each LSOA's ward and district; the prepared store holds the
ward and district polygons themselves (``wards.parquet``, ``districts.parquet``). Where the
store is missing (a build copied without it), each ward and district is the union of its
LSOAs, which is the same shape up to the boundary files' generalisation.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from sna.prepare.store import read_table
from sna.tiles.render import OutlineTiles, outline_tiles

__all__ = ["load_outlines", "outline_sources"]

_CRS = "EPSG:27700"


def _level(
    lsoa: gpd.GeoDataFrame, store_path: Path | None, level: str
) -> tuple[list, list[str], list[str]]:
    """(geometries, codes, names) of the wards or districts holding ``lsoa``."""
    code, name = f"{level}_code", f"{level}_name"
    wanted = set(lsoa[code].dropna().astype(str))
    table = None
    if store_path is not None:
        path = Path(store_path) / f"{level}s.parquet"
        if path.exists():
            table = read_table(path)
    if isinstance(table, gpd.GeoDataFrame) and code in table.columns:
        frame = table.to_crs(_CRS) if table.crs is not None else table
        frame = frame[frame[code].astype(str).isin(wanted)]
        if name not in frame.columns:
            names = lsoa.drop_duplicates(code).set_index(code)[name]
            frame = frame.assign(**{name: frame[code].map(names)})
    else:
        frame = lsoa[[code, name, "geometry"]].dissolve(by=code, as_index=False)
    frame = frame.sort_values(code)
    return (
        list(frame.geometry),
        frame[code].astype(str).tolist(),
        frame[name].where(pd.notna(frame[name]), "").astype(str).tolist(),
    )


def outline_sources(
    lsoa: gpd.GeoDataFrame, store_path: Path | None
) -> dict[str, tuple[list, list[str], list[str]]]:
    """``(geometries, codes, names)`` of the districts, wards and LSOAs of a build, in
    EPSG:27700 (``lsoa`` with ``lsoa21_code``, ``lsoa21_name``, ``ward_code``,
    ``ward_name``, ``district_code``, ``district_name``), the ward and district shapes read
    from ``store_path``. The build stores them (``answers.sqlite``), so the server draws the
    outlines from the build alone."""
    lsoa = lsoa.to_crs(_CRS) if lsoa.crs is not None else lsoa
    missing = {
        "lsoa21_code",
        "lsoa21_name",
        "ward_code",
        "ward_name",
        "district_code",
        "district_name",
    } - set(lsoa.columns)
    if missing:
        raise ValueError(f"LSOA table: no {', '.join(sorted(missing))} column for the outlines")
    return {
        "district": _level(lsoa, store_path, "district"),
        "ward": _level(lsoa, store_path, "ward"),
        "lsoa": (
            list(lsoa.geometry),
            lsoa["lsoa21_code"].astype(str).tolist(),
            lsoa["lsoa21_name"].where(pd.notna(lsoa["lsoa21_name"]), "").astype(str).tolist(),
        ),
    }


def load_outlines(lsoa: gpd.GeoDataFrame, store_path: Path | None) -> OutlineTiles:
    """Outline and name layers for the LSOAs of a build (see :func:`outline_sources`)."""
    got = outline_sources(lsoa, store_path)
    return outline_tiles(got["district"], got["ward"], got["lsoa"])
