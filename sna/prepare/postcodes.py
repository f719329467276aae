"""Prepare step: live and terminated postcodes, each placed in its exact LSOA21."""

from __future__ import annotations

import geopandas as gpd

from geodata import lsoa21
from geodata import postcodes as pc
from sna.config.region import RegionConfig
from sna.prepare.steps import TableWriter, postcode_source_path, source_file


def step_postcodes(ctx: dict, w: TableWriter) -> None:
    """Postcodes placed in their exact LSOA21."""
    config: RegionConfig = ctx["config"]
    areas = ctx["lsoa21"]
    src = postcode_source_path(config)
    if config.sources.postcodes.kind == "onspd":
        loaded = pc.read_onspd(src, districts=config.region.districts)
    else:
        loaded = pc.read_geocode_wheel(src, districts=config.region.districts)
    lookup = lsoa21.read_lsoa11_lsoa21_lookup(source_file(ctx, "lsoa11_lsoa21_lookup"))
    ctx["lsoa11_lookup"] = lookup.data
    placed = lsoa21.assign_lsoa21(loaded.data, lookup.data, areas[["lsoa21_code", "geometry"]])
    frame = placed.data
    outside = ~frame["lsoa21_code"].isin(areas["lsoa21_code"])
    placed.report.reject("LSOA21 outside the region", int(outside.sum()))
    frame = frame.loc[~outside].copy()
    frame = frame.merge(
        areas[["lsoa21_code", "ward_code", "district_code"]], on="lsoa21_code", how="left"
    )
    geom = gpd.points_from_xy(frame["easting"], frame["northing"])
    frame = gpd.GeoDataFrame(frame, geometry=geom, crs="EPSG:27700")
    frame.loc[frame["easting"].isna(), "geometry"] = None
    ctx["postcodes"] = frame
    ctx["metrics"]["postcodes"] = {
        "total": int(len(frame)),
        "live": int((frame["status"] == "live").sum()),
        "terminated": int((frame["status"] == "terminated").sum()),
        "methods": frame["lsoa21_method"].value_counts().to_dict(),
        **{k: v for k, v in getattr(placed, "metrics", {}).items()},
    }
    agreement = lsoa21.placement_agreement(frame, lookup.data, areas[["lsoa21_code", "geometry"]])
    ctx["metrics"]["postcode_placement"] = agreement
    w.write(
        "postcodes",
        frame,
        ["postcodes", "lsoa11_lsoa21_lookup", "lsoa21_boundaries"],
        [loaded.report, lookup.report, placed.report],
        description="Live and terminated postcodes with coordinates and exact LSOA21",
    )
