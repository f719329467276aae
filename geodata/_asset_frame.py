"""The one schema of every asset table, and the point geometry the asset readers attach."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ._io import BNG

__all__ = [
    "ASSET_COLUMNS",
    "SOURCE_PLACES_OF_WORSHIP",
    "SOURCE_LIBRARIES",
    "SOURCE_LIBRARY_BUILDINGS",
    "SOURCE_GIAS",
    "SOURCE_SERVICE_DIRECTORY",
    "DETAIL_COLUMNS",
    "asset_points",
]

#: Columns every asset table carries (readers add source-specific columns after these).
ASSET_COLUMNS = [
    "asset_id",
    "asset_type",
    "name",
    "subtype",
    "source",
    "easting",
    "northing",
    "geometry",
]
SOURCE_PLACES_OF_WORSHIP = "osm_places_of_worship"
SOURCE_LIBRARIES = "libraries_uk_schema"
SOURCE_LIBRARY_BUILDINGS = "os_library_buildings"
SOURCE_GIAS = "gias_schools"
SOURCE_SERVICE_DIRECTORY = "service_directory"

#: What a service directory says about a service and the open sources do not: carried by the
#: combined assets table for every row (missing for sources without them), so support nearby
#: can show them. See docs/service-directory.md.
DETAIL_COLUMNS = ["ages", "website", "phone", "opening_times"]


def asset_points(
    easting: np.ndarray, northing: np.ndarray, frame: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Attach easting/northing and point geometry (EPSG:27700) to ``frame``."""
    frame = frame.copy()
    frame["easting"] = np.asarray(easting, dtype="float64")
    frame["northing"] = np.asarray(northing, dtype="float64")
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["easting"], frame["northing"]), crs=BNG
    )
