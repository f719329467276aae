"""The map's bearings from our own boundary files: district and ward outlines, area names.

The build's LSOA table carries each LSOA's ward and district; the prepared store holds the
ward and district polygons themselves (``wards.parquet``, ``districts.parquet``). Where the
store is missing (a build copied without it), each ward and district is the union of its
LSOAs, which is the same shape up to the boundary files' generalisation.

Close up, the map names places, not LSOAs: an LSOA's ONS name ("Birmingham 138A") means
nothing to a resident, while its MSOA's House of Commons Library name ("Central") is the
name the area's panel already leads with (:func:`sna.answers.areas.place`).
:func:`place_labels` gives one name point per MSOA.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sna.prepare.store import read_table
from sna.tiles.render import OutlineTiles, outline_tiles

__all__ = ["PLACE_LABEL_ZOOM", "load_outlines", "outline_sources", "place_labels"]

_CRS = "EPSG:27700"

#: The zoom from which the map page names places (an MSOA is about 2 km across in a town).
PLACE_LABEL_ZOOM = 14


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


def place_labels(lsoa: gpd.GeoDataFrame, place_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One name point per MSOA of ``lsoa`` (``msoa21_code``, ``msoa21_name``, geometry):
    ``code``, ``name`` (``place_names``' House of Commons Library name, else the ONS MSOA
    name), ``lon`` and ``lat``, sorted by code; none when the table has no MSOA codes.

    The point is that of the MSOA's LSOA nearest the area-weighted middle of its LSOAs' points,
    so it always lies inside the place, with no polygon union (England has 7,264 MSOAs).
    """
    if "msoa21_code" not in lsoa.columns or lsoa.empty:
        return []
    frame = lsoa.to_crs(_CRS) if lsoa.crs is not None else lsoa
    frame = frame[frame["msoa21_code"].notna()]
    points = shapely.point_on_surface(shapely.make_valid(np.asarray(frame.geometry, dtype=object)))
    area = shapely.area(np.asarray(frame.geometry, dtype=object))
    table = pd.DataFrame(
        {
            "code": frame["msoa21_code"].astype(str).to_numpy(),
            "ons": frame.get("msoa21_name", pd.Series("", index=frame.index)).to_numpy(),
            "x": shapely.get_x(points),
            "y": shapely.get_y(points),
            "w": np.where(area > 0, area, 1.0),
        }
    )
    weighted = table.assign(wx=table["x"] * table["w"], wy=table["y"] * table["w"])
    sums = weighted.groupby("code")[["wx", "wy", "w"]].transform("sum")
    table["d"] = np.hypot(table["x"] - sums["wx"] / sums["w"], table["y"] - sums["wy"] / sums["w"])
    chosen = table.loc[table.groupby("code")["d"].idxmin()].sort_values("code")
    lonlat = gpd.GeoSeries(gpd.points_from_xy(chosen["x"], chosen["y"]), crs=_CRS).to_crs(
        "EPSG:4326"
    )
    return [
        {
            "code": code,
            "name": place_names.get(code) or ("" if pd.isna(ons) else str(ons)),
            "lon": round(float(p.x), 6),
            "lat": round(float(p.y), 6),
        }
        for code, ons, p in zip(chosen["code"], chosen["ons"], lonlat, strict=True)
    ]
