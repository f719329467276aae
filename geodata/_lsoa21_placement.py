"""The vectorised pieces of LSOA21 placement: checked polygons, point-in-polygon, lookup views.

Shared by :func:`geodata.lsoa21.assign_lsoa21`, :func:`geodata.lsoa21.placement_agreement`
and :func:`geodata.lsoa21_carry.carry_to_lsoa21`; kept apart so those modules do not import
each other.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from ._io import require_columns
from .errors import CRSError, InvalidValueError
from .lsoa_lookup import CHANGE_CODES
from .report import Loaded


def _frame(obj: pd.DataFrame | Loaded) -> pd.DataFrame:
    return obj.data if isinstance(obj, Loaded) else obj


def _polygons(lsoa21_polygons: gpd.GeoDataFrame) -> tuple[pd.Index, np.ndarray]:
    """Codes and (prepared) geometries of the LSOA21 polygons, checked for CRS."""
    name = "lsoa21_polygons"
    if not isinstance(lsoa21_polygons, gpd.GeoDataFrame):
        raise TypeError(
            f"lsoa21_polygons must be a GeoDataFrame, got {type(lsoa21_polygons).__name__}"
        )
    require_columns(lsoa21_polygons.columns, ["lsoa21_code"], name)
    crs = lsoa21_polygons.crs
    if crs is None or crs.to_epsg() != 27700:
        raise CRSError(
            name, f"polygons are in {crs.to_string() if crs else 'no CRS'}; expected EPSG:27700"
        )
    codes = pd.Index(lsoa21_polygons["lsoa21_code"].astype(str).to_numpy())
    if codes.has_duplicates:
        dup = codes[codes.duplicated()][0]
        raise InvalidValueError(name, f"{dup} appears more than once", column="lsoa21_code")
    geoms = np.asarray(lsoa21_polygons.geometry.array, dtype=object)
    shapely.prepare(geoms)
    return codes, geoms


def _xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    x = pd.to_numeric(frame["easting"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y = pd.to_numeric(frame["northing"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return x, y


def _first_container(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Plain point-in-polygon: the first polygon (frame order) containing each point.

    The tree is built on the points and queried with the (prepared) polygons, which is about
    three times faster than querying a polygon tree point by point. Returns the polygon
    position (-1 when none) and the number of polygons containing each point.
    """
    hit = np.full(len(x), -1, dtype=np.int64)
    n_hits = np.zeros(len(x), dtype=np.int64)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(ok) == 0 or len(geoms) == 0:
        return hit, n_hits
    tree = shapely.STRtree(shapely.points(x[ok], y[ok]))
    g_idx, p_idx = tree.query(geoms, predicate="contains")
    order = np.lexsort((g_idx, p_idx))
    p_idx, g_idx = p_idx[order], g_idx[order]
    first = np.r_[True, p_idx[1:] != p_idx[:-1]] if len(p_idx) else np.zeros(0, bool)
    hit[ok[p_idx[first]]] = g_idx[first]
    np.add.at(n_hits, ok[p_idx], 1)
    return hit, n_hits


def _positions(lk: pd.DataFrame) -> tuple[pd.Index, np.ndarray, pd.Index, np.ndarray, np.ndarray]:
    """Integer views of the lookup, so millions of postcodes never become Python strings.

    Returns the parent index (LSOA11 codes), each parent's change-code position in
    :data:`CHANGE_CODES`, the sorted child index (LSOA21 codes, so position order is code
    order), each parent's first child position, and the (parent, child) positions of every
    lookup row.
    """
    first = lk.drop_duplicates("lsoa11_code")
    parents = pd.Index(first["lsoa11_code"].astype(str).to_numpy())
    change = pd.Index(CHANGE_CODES).get_indexer(first["change_code"].astype(str).to_numpy())
    children = pd.Index(np.sort(lk["lsoa21_code"].astype(str).unique()))
    first_child = children.get_indexer(first["lsoa21_code"].astype(str).to_numpy())
    pairs = np.column_stack(
        [
            parents.get_indexer(lk["lsoa11_code"].astype(str).to_numpy()),
            children.get_indexer(lk["lsoa21_code"].astype(str).to_numpy()),
        ]
    )
    return parents, change, children, first_child, pairs


def _labels(values: np.ndarray, positions: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[positions]`` as a pandas string array, ``<NA>`` where the position is -1."""
    taken = pa.array(np.asarray(values, dtype=object)).take(pa.array(positions, mask=positions < 0))
    return taken.to_pandas().array


def _pick_max(counts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """For each ``by`` group, the child ``c`` with the largest ``n`` (ties: lowest code)."""
    ranked = counts.sort_values(by + ["n", "c"], ascending=[True] * len(by) + [False, True])
    return ranked.drop_duplicates(by)[by + ["c"]]
