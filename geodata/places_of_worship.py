"""Places of worship from OpenStreetMap, as asset points (longitude/latitude to EPSG:27700)."""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ._asset_frame import ASSET_COLUMNS, SOURCE_PLACES_OF_WORSHIP, asset_points
from ._checks import check_rows
from ._io import BNG, check_codes, read_csv
from .report import Loaded, LoadReport

__all__ = ["read_places_of_worship"]

PathLike_ = str | PathLike[str]

_OSM_TYPES = {"node", "way", "relation"}

_POW_REQUIRED = ["area_code", "faith", "osm_type", "osm_id", "name", "denomination", "lon", "lat"]


def read_places_of_worship(path: PathLike_, districts: Iterable[str] | None = None) -> Loaded:
    """Read OpenStreetMap places of worship into EPSG:27700 points.

    Parameters
    ----------
    path
        CSV with ``area_code, faith, osm_type, osm_id, name, denomination, lon, lat`` (and
        optionally ``area_name``); ``area_code`` is the district the point lies in.
    districts
        Keep only places in these district codes.

    Returns
    -------
    Loaded
        ``data``: :data:`ASSET_COLUMNS` with ``asset_type = "place_of_worship"``,
        ``subtype`` = faith as published (``Christian``, ``Muslim`` ...), ``asset_id`` =
        ``osm:<type>/<id>`` (suffixed ``#<faith>`` when one OSM feature is listed under two
        faiths, e.g. a shared building), then ``faith``, ``denomination``, ``osm_type``,
        ``osm_id``, ``district_code``, ``district_name``. Rows without coordinates and exact
        repeats are rejected and counted.

    Raises
    ------
    MissingColumnsError
        A required column is absent.
    InvalidValueError
        A bad district code (in the file or in ``districts``), an unknown OSM type, a
        longitude/latitude that is not a number or out of range.

    Notes
    -----
    OSM is incomplete (about three quarters of mosques are mapped), so counts are a lower
    bound, more so for some faiths than others.
    """
    path = Path(path)
    report = LoadReport(source=str(path))
    frame = read_csv(path, required=_POW_REQUIRED)
    report.rows_read = len(frame)
    for col in ("area_code", "faith", "osm_type", "osm_id"):
        frame[col] = frame[col].str.strip()
    check_codes(frame["area_code"], path, "area_code")
    bad_type = ~frame["osm_type"].isin(list(_OSM_TYPES)).to_numpy()
    check_rows(
        bad_type,
        path,
        lambda row: f"OSM type {frame['osm_type'].iloc[row]!r} is not one of {sorted(_OSM_TYPES)}",
        column="osm_type",
    )
    bad_id = ~frame["osm_id"].str.fullmatch(r"\d+").fillna(False).to_numpy()
    check_rows(
        bad_id, path, lambda row: f"{frame['osm_id'].iloc[row]!r} is not an OSM id", column="osm_id"
    )
    missing_faith = frame["faith"].isna().to_numpy()
    check_rows(missing_faith, path, "missing faith", column="faith")
    coords = {}
    for col, limit in (("lon", 180.0), ("lat", 90.0)):
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = (frame[col].notna() & (values.isna() | (values.abs() > limit))).to_numpy()
        check_rows(
            bad,
            path,
            lambda row, col=col, limit=limit: (
                f"{frame[col].iloc[row]!r} is not a {'longitude' if col == 'lon' else 'latitude'}"
                f" in degrees (-{limit:g}..{limit:g})"
            ),
            column=col,
        )
        coords[col] = values.to_numpy()
    keep = np.ones(len(frame), dtype=bool)
    if districts is not None:
        wanted = pd.Series(list(dict.fromkeys(districts)), dtype="str")
        check_codes(wanted, "districts argument", "districts")
        keep = pd.Index(wanted).get_indexer(frame["area_code"].to_numpy()) >= 0
        report.reject("outside the requested districts", int((~keep).sum()))
        empty = sorted(set(wanted) - set(frame.loc[keep, "area_code"]))
        if empty:
            report.notes.append(f"no places of worship in district(s) {empty}")
    no_xy = np.isnan(coords["lon"]) | np.isnan(coords["lat"])
    report.reject("no coordinates", int((keep & no_xy).sum()))
    keep &= ~no_xy
    repeat = frame.duplicated(["osm_type", "osm_id", "faith"]).to_numpy()
    report.reject("repeated OSM feature and faith", int((keep & repeat).sum()))
    keep &= ~repeat

    kept = frame.loc[keep].reset_index(drop=True)
    lonlat = gpd.GeoSeries(
        gpd.points_from_xy(coords["lon"][keep], coords["lat"][keep]), crs="EPSG:4326"
    ).to_crs(BNG)
    base_id = "osm:" + kept["osm_type"] + "/" + kept["osm_id"]
    shared = base_id.duplicated(keep=False)
    report.flag(
        "OSM feature listed under more than one faith (kept once per faith)", int(shared.sum())
    )
    asset_id = base_id.where(~shared, base_id + "#" + kept["faith"].str.lower())
    out = pd.DataFrame(
        {
            "asset_id": asset_id.to_numpy(),
            "asset_type": "place_of_worship",
            "name": kept["name"].to_numpy(),
            "subtype": kept["faith"].to_numpy(),
            "source": SOURCE_PLACES_OF_WORSHIP,
            "faith": kept["faith"].to_numpy(),
            "denomination": kept["denomination"].to_numpy(),
            "osm_type": kept["osm_type"].to_numpy(),
            "osm_id": kept["osm_id"].to_numpy(),
            "district_code": kept["area_code"].to_numpy(),
            "district_name": (kept["area_name"].to_numpy() if "area_name" in kept else pd.NA),
        }
    )
    gdf = asset_points(lonlat.x.to_numpy(), lonlat.y.to_numpy(), out)
    gdf = gdf[ASSET_COLUMNS + [c for c in gdf.columns if c not in ASSET_COLUMNS]]
    gdf = gdf.sort_values("asset_id", ignore_index=True)
    report.rows_kept = len(gdf)
    report.notes.append("OpenStreetMap © OpenStreetMap contributors, ODbL 1.0")
    return Loaded(gdf, report)
