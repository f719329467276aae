"""Area outlines as GeoJSON geometry bytes (EPSG:4326), per level, for the GeoJSON download.

LSOAs come from the build; wards and districts from the prepared store's polygons when it
has them, else dissolved from their LSOAs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import shapely

if TYPE_CHECKING:
    from sna.answers.context import BuildContext

__all__ = ["geometry_json"]


def geometry_json(ctx: BuildContext, level: str) -> dict[str, bytes]:
    """GeoJSON geometry bytes per area code of ``level``, coordinates to 1e-6 degrees."""
    lsoa = ctx.lsoa_raw
    if level == "lsoa":
        frame = gpd.GeoDataFrame(
            lsoa[["lsoa21_code"]].rename(columns={"lsoa21_code": "code"}),
            geometry=lsoa.geometry,
            crs=lsoa.crs,
        )
    else:
        table = ctx.store_table("wards" if level == "ward" else "districts")
        key = f"{level}_code"
        if isinstance(table, gpd.GeoDataFrame) and key in table.columns:
            frame = table[[key, "geometry"]].rename(columns={key: "code"})
        else:
            frame = lsoa[[key, "geometry"]].dissolve(by=key, as_index=False)
            frame = frame.rename(columns={key: "code"})
    frame = frame.to_crs("EPSG:4326")
    geoms = shapely.set_precision(frame.geometry.to_numpy(), 1e-6)
    return {
        str(c): shapely.to_geojson(g).encode()
        for c, g in zip(frame["code"], geoms, strict=True)
        if g is not None
    }
