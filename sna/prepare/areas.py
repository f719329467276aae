"""Prepare step: the region's LSOA21 polygons with population, its wards and its districts."""

from __future__ import annotations

import time

import geopandas as gpd
import pandas as pd

from geodata import boundaries, population
from geodata.errors import MissingFileError
from geodata.report import Loaded
from sna.config.region import RegionConfig
from sna.needs.at_risk import METHOD
from sna.needs.national_at_risk import national_at_risk
from sna.prepare.steps import TableWriter, postcode_source_path, source_file


def step_areas(ctx: dict, w: TableWriter) -> None:
    """LSOA21 polygons with population and the at-risk count, wards and districts."""
    config: RegionConfig = ctx["config"]
    districts = config.region.districts
    lk = boundaries.read_lsoa21_lookup(source_file(ctx, "lsoa21_lookup"))
    region = boundaries.region_lsoa21(lk.data, districts)
    polys = boundaries.read_boundaries(
        source_file(ctx, "lsoa21_boundaries"),
        code_col="lsoa21_code",
        name_col="lsoa21_name",
        codes=region["lsoa21_code"].tolist(),
    )
    pop = population.read_census_population(
        source_file(ctx, "population"), lsoa21_codes=region["lsoa21_code"].tolist()
    )
    areas = region.merge(
        polys.data[["code", "geometry"]].rename(columns={"code": "lsoa21_code"}),
        on="lsoa21_code",
        how="left",
    ).merge(pop.data.drop(columns=["lsoa21_name"], errors="ignore"), on="lsoa21_code", how="left")
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=polys.data.crs)
    missing = areas.geometry.isna()
    if missing.any():
        raise MissingFileError(
            source_file(ctx, "lsoa21_boundaries"),
            f"{int(missing.sum())} region LSOA21s have no polygon, e.g. "
            f"{areas.loc[missing, 'lsoa21_code'].head(3).tolist()}",
        )
    areas["area_km2"] = areas.geometry.area / 1e6
    at_risk_sources = _with_at_risk(ctx, areas)
    ctx["lsoa21"] = areas
    w.write(
        "lsoa21",
        areas,
        ["lsoa21_lookup", "lsoa21_boundaries", "population", *at_risk_sources],
        [lk.report, polys.report, pop.report],
        description="LSOA 2021 polygons with ward, district, MSOA name, Census 2021 population "
        "and the estimated at-risk population (sna.needs.at_risk)",
    )
    w.write(
        "population",
        pd.DataFrame(pop.data),
        ["population"],
        [pop.report],
        description="Census 2021 usual residents by LSOA21 and age band",
    )

    wards = boundaries.read_boundaries(
        source_file(ctx, "wards"),
        code_col="ward22_code",
        name_col="ward22_name",
        codes=sorted(areas["ward_code"].unique()),
    )
    wards_gdf = wards.data.rename(columns={"code": "ward_code", "name": "ward_name"})
    ward_district = areas.drop_duplicates("ward_code")[["ward_code", "district_code"]]
    wards_gdf = wards_gdf.merge(ward_district, on="ward_code", how="left")
    w.write("wards", wards_gdf, ["wards"], [wards.report], description="Electoral wards")
    dist = boundaries.read_boundaries(
        source_file(ctx, "districts"),
        code_col="ltla24_code",
        name_col="ltla24_name",
        codes=districts,
        allow_missing=True,
    )
    w.write(
        "districts",
        with_dissolved_districts(dist, areas),
        ["districts"],
        [dist.report],
        description="Local authority districts",
    )


def _with_at_risk(ctx: dict, areas: gpd.GeoDataFrame) -> list[str]:
    """Add the estimated at-risk population (:mod:`sna.needs.at_risk`) to ``areas``, in place.

    It is estimated nationally and sliced here (an MSOA's inflow is shared among all its
    LSOAs). Without the workplace and MSOA-name sources the at-risk population is the
    residents, and the manifest says so. Returns the sources it read.
    """
    config: RegionConfig = ctx["config"]
    if config.sources.workplace_population is None or config.sources.msoa_names is None:
        areas["at_risk_pop"] = areas["pop_total"].astype(float)
        ctx["metrics"]["at_risk"] = {
            "method": "residents only (sources.workplace_population or msoa_names absent)"
        }
        return []
    t0 = time.perf_counter()
    table = national_at_risk(config, ctx["shared_dir"], postcode_source_path(config))
    seconds = round(time.perf_counter() - t0, 3)
    cols = ["msoa21_code", "large_user_postcodes", "pupils", "workday_inflow", "at_risk_pop"]
    extra = table.set_index("lsoa21_code")[cols].reindex(areas["lsoa21_code"])
    for c in cols:
        areas[c] = extra[c].to_numpy()
    missing = areas["at_risk_pop"].isna()
    if missing.any():
        raise MissingFileError(
            source_file(ctx, "population"),
            f"{int(missing.sum())} region LSOA21s have no at-risk estimate, e.g. "
            f"{areas.loc[missing, 'lsoa21_code'].head(3).tolist()}",
        )
    ctx["metrics"]["at_risk"] = {
        "method": METHOD,
        "seconds": seconds,
        "residents": round(float(areas["pop_total"].sum())),
        "at_risk": round(float(areas["at_risk_pop"].sum())),
        "max_ratio_to_residents": round(
            float((areas["at_risk_pop"] / areas["pop_total"].clip(lower=1)).max()), 2
        ),
    }
    return ["workplace_population", "msoa_names", "postcodes", "lsoa11_lsoa21_lookup", "schools"]


def with_dissolved_districts(dist: Loaded, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """District polygons: the boundary file's, and for districts it lacks, their LSOAs' union.

    The LSOA lookup and the boundary file can be of different vintages (LAD 2022 against
    LTLA 2024: the Cumbria, North Yorkshire and Somerset districts were merged in 2023), so
    a district named by the lookup may be absent from the file. Its LSOAs are exactly the
    area every district figure is summed over, so their union is the right outline.
    """
    out = dist.data.rename(columns={"code": "district_code", "name": "district_name"})
    missing = sorted(set(areas["district_code"]) - set(out["district_code"]))
    if not missing:
        return out
    sub = areas.loc[
        areas["district_code"].isin(missing), ["district_code", "district_name", "geometry"]
    ]
    dissolved = sub.dissolve(by=["district_code", "district_name"], as_index=False)
    dist.report.notes.append(
        f"{len(missing)} district(s) dissolved from their LSOA21s (not in the boundary file)"
    )
    merged = pd.concat([out, dissolved[out.columns]], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=out.crs).sort_values(
        "district_code", ignore_index=True
    )
