"""Prepare step: support nearby (services, schools, places of worship, libraries) as assets."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geodata import assets, school_assets, services
from sna.config.region import RegionConfig
from sna.prepare.steps import TableWriter, source_file


def step_assets(ctx: dict, w: TableWriter) -> None:
    """Support nearby: places of worship, libraries, state schools and the VRU's directory."""
    config: RegionConfig = ctx["config"]
    s = config.sources
    frames, reports, used = [], [], []
    areas = ctx["lsoa21"]
    gias = ctx.get("gias")
    if s.places_of_worship:
        pw = assets.read_places_of_worship(
            source_file(ctx, "places_of_worship"), districts=config.region.districts
        )
        worship = pw.data
        if gias is not None:  # an OSM "place of worship" that is a GIAS school is a school
            worship, dropped = school_assets.drop_worship_at_schools(worship, gias)
            pw.report.reject("a GIAS school, not a place of worship", len(dropped))
            for r in dropped.itertuples():
                pw.report.notes.append(
                    f"{r.asset_id} {r.name!r} dropped: GIAS school {r.school_name!r} "
                    f"{r.distance_m} m away"
                )
            pw.report.rows_kept = len(worship)
        frames.append(worship)
        reports.append(pw.report)
        used.append("places_of_worship")
    if s.libraries:
        pcs = pd.DataFrame(ctx["postcodes"][["postcode", "easting", "northing"]])
        lib = assets.read_libraries(source_file(ctx, "libraries"), pcs)
        frames.append(lib.data)
        reports.append(lib.report)
        used.append("libraries")
    if s.library_buildings:
        bbox = tuple(areas.total_bounds)
        lb = assets.read_library_buildings(source_file(ctx, "library_buildings"), bbox=bbox)
        frames.append(lb.data)
        reports.append(lb.report)
        used.append("library_buildings")
    if gias is not None:
        sch = school_assets.school_assets(gias)
        frames.append(sch.data)
        reports.append(sch.report)
        used.append("schools")
    if config.services is not None:
        svc = read_services(ctx)
        frames.append(svc.data)
        reports.append(svc.report)
        used.append("services")
    if not frames:
        return
    combined = assets.combine_assets(*frames)
    joined = gpd.sjoin(
        combined, areas[["lsoa21_code", "geometry"]], how="inner", predicate="within"
    ).drop(columns="index_right")
    joined = joined[~joined.index.duplicated(keep="first")]  # a point on a shared edge
    w.write(
        "assets",
        joined.reset_index(drop=True),
        used,
        reports,
        description="Support nearby: the VRU's service directory, state schools (GIAS), "
        "places of worship (OSM) and libraries",
    )


def read_services(ctx: dict):
    """The region's service directory (``[services]``), read against its postcodes and
    checked to lie inside its LSOAs (:func:`geodata.services.read_service_directory`)."""
    config: RegionConfig = ctx["config"]
    table = pd.DataFrame(
        ctx["postcodes"][["postcode", "easting", "northing", "status", "date_terminated"]]
    )
    return services.read_service_directory(
        config.services_path(),
        table,
        region=ctx["lsoa21"][["geometry"]],
        region_name=config.region.name,
        on_error=config.services.on_error,
    )
