"""Prepare step: police.uk street-level crime points, kept when they fall in the region."""

from __future__ import annotations

import geopandas as gpd

from geodata import crime
from sna.config.region import RegionConfig
from sna.prepare.steps import TableWriter


def step_crime(ctx: dict, w: TableWriter) -> None:
    """police.uk street-level crime points, each in its LSOA21."""
    config: RegionConfig = ctx["config"]
    areas = ctx["lsoa21"]
    for name, table in (("police_uk", "crime_points"), ("police_uk_legacy", "crime_points_legacy")):
        spec = getattr(config.sources, name)
        if spec is None:
            continue
        loaded = crime.read_police_uk([config.source_path(p) for p in spec.paths])
        pts = loaded.data
        placed = _points_in_lsoa21(pts, areas)
        # in the region by our point-in-polygon, or by police.uk's own LSOA code (a snapped
        # point can fall just over the boundary of the LSOA the file names)
        own = placed["lsoa_code_file"].isin(set(areas["lsoa21_code"]))
        inside = placed["lsoa21_code"].notna() | own | ~placed["has_coordinates"]
        loaded.report.reject("outside the region", int((~inside).sum()))
        placed = placed.loc[inside].reset_index(drop=True)
        w.write(
            table,
            placed,
            [name],
            [loaded.report],
            description="police.uk street-level crime points (public, location-anonymised)",
        )


def _points_in_lsoa21(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``lsoa21_code`` by point-in-polygon (NaN for points outside or without coordinates)."""
    joined = gpd.sjoin(points, areas[["lsoa21_code", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined.drop(columns="index_right")
