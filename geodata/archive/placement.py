"""LSOA 2021 for archive rows: from the file's own LSOA code where it decides, else by point.

police.uk files carry the LSOA of each point's snap location, on 2011 boundaries in older
months and 2021 boundaries in newer ones. A row's LSOA21 is:

``file_lsoa21``
    the file's code, when it is an LSOA 2021 code (every unchanged 2011 code is one);
``lookup_merged``
    the single 2021 LSOA a merged (``M``) 2011 code became;
``pip_split``
    for a split or irregular (``S``/``X``) 2011 code, the 2021 child of that 2011 LSOA whose
    polygon contains the point;
``nearest_same_parent``
    the same, when no child's (generalised) polygon contains it: the nearest child;
``pip_all``
    no usable code but coordinates: the first LSOA21 polygon containing the point.

Rows left without an LSOA21 (no coordinates and no usable code, or a point outside every
polygon) keep ``<NA>`` and are counted by reason. Only the ``S``/``X``/no-code rows, a few
per cent, reach the geometry; everything else is one join on the code table, which is what
lets an engine place tens of millions of rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..boundaries import read_boundaries
from ..lsoa_lookup import read_lsoa11_lsoa21_lookup

__all__ = ["METHODS", "UNPLACED", "PlacementSpec", "Placement", "load_placement"]

METHODS = ("file_lsoa21", "lookup_merged", "pip_split", "nearest_same_parent", "pip_all")
#: Reasons a row has no LSOA21 (``lsoa21_method`` holds the reason).
UNPLACED = (
    "no coordinates and no LSOA code",
    "split LSOA11 code and no coordinates",
    "unknown LSOA code and no coordinates",
    "outside all LSOA21 polygons",
)


@dataclass(frozen=True)
class PlacementSpec:
    """Where the lookup and polygons are: small enough to send to every Dask worker."""

    lookup: str
    polygons: str


class Placement:
    """The code table and the polygons needed to place rows in LSOA 2021."""

    spec: PlacementSpec | None = None
    """The files it was read from, when made by :func:`load_placement` (Dask needs them)."""

    def __init__(self, lookup: pd.DataFrame, polygons: gpd.GeoDataFrame) -> None:
        polys = polygons.rename(columns={"code": "lsoa21_code"})
        self.codes21 = pd.Index(polys["lsoa21_code"].astype(str).to_numpy())
        self.geoms = np.asarray(polys.geometry.array, dtype=object)
        shapely.prepare(self.geoms)
        self._tree = shapely.STRtree(self.geoms)
        lk = lookup[["lsoa11_code", "lsoa21_code", "change_code"]].astype(str)
        known21 = pd.Index(sorted(set(self.codes21) | set(lk["lsoa21_code"])))
        merged = lk.loc[lk["change_code"] == "M"].drop_duplicates("lsoa11_code")
        self.table = pd.concat(
            [
                pd.DataFrame({"code": known21, "lsoa21": known21, "method": "file_lsoa21"}),
                pd.DataFrame(
                    {
                        "code": merged["lsoa11_code"].to_numpy(),
                        "lsoa21": merged["lsoa21_code"].to_numpy(),
                        "method": "lookup_merged",
                    }
                ),
            ],
            ignore_index=True,
        )
        """``code`` -> ``lsoa21``, ``method``: every code the lookup decides alone."""
        self._code_index = pd.Index(self.table["code"].to_numpy(dtype=object))
        self._lsoa = self.table["lsoa21"].to_numpy(dtype=object)
        self._method = self.table["method"].to_numpy(dtype=object)
        sx = lk.loc[lk["change_code"].isin(["S", "X"])]
        self.children = sx.groupby("lsoa11_code")["lsoa21_code"].apply(sorted).to_dict()
        """Split/irregular 2011 code -> its 2021 children (sorted), placed by point."""

    def place(
        self, code: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """LSOA21 and method (or unplaced reason) of each row; codes may be None."""
        code = pd.Series(code, dtype="object")
        idx = self._code_index.get_indexer(code.fillna("").to_numpy())
        lsoa = np.where(idx >= 0, self._lsoa[idx], None).astype(object)
        meth = np.where(idx >= 0, self._method[idx], None).astype(object)
        rest = np.flatnonzero(idx < 0)
        if len(rest):
            lr, mr = self.place_by_point(code.to_numpy()[rest], x[rest], y[rest])
            lsoa[rest], meth[rest] = lr, mr
        return lsoa, meth

    def place_by_point(
        self, code: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows whose code the table does not decide: split parents, no code, unknown code."""
        n = len(code)
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        lsoa = np.full(n, None, dtype=object)
        meth = np.full(n, None, dtype=object)
        has_xy = np.isfinite(x) & np.isfinite(y)
        code = pd.Series(code, dtype="object")
        is_split = code.isin(self.children.keys()).to_numpy()
        no_code = code.isna().to_numpy() | (code.fillna("") == "").to_numpy()
        meth[~has_xy & is_split] = UNPLACED[1]
        meth[~has_xy & no_code] = UNPLACED[0]
        meth[~has_xy & ~is_split & ~no_code] = UNPLACED[2]

        rows = np.flatnonzero(has_xy & is_split)
        if len(rows):
            pairs = pd.DataFrame({"i": rows, "p": code.to_numpy()[rows]})
            pairs["c"] = pairs["p"].map(self.children)
            pairs = pairs.explode("c", ignore_index=True)
            pairs["g"] = self.codes21.get_indexer(pairs["c"].to_numpy())
            pairs = pairs.loc[pairs["g"] >= 0].reset_index(drop=True)
            i, g = pairs["i"].to_numpy(dtype=np.int64), pairs["g"].to_numpy(dtype=np.int64)
            inside = shapely.contains_xy(self.geoms[g], x[i], y[i])
            hit = pairs.loc[inside].sort_values(["i", "c"]).drop_duplicates("i")
            lsoa[hit["i"].to_numpy()] = hit["c"].to_numpy()
            meth[hit["i"].to_numpy()] = "pip_split"
            todo = pairs.loc[~pairs["i"].isin(hit["i"])].copy()
            if len(todo):
                ti, tg = todo["i"].to_numpy(dtype=np.int64), todo["g"].to_numpy(dtype=np.int64)
                todo["d"] = shapely.distance(self.geoms[tg], shapely.points(x[ti], y[ti]))
                near = todo.sort_values(["i", "d", "c"]).drop_duplicates("i")
                lsoa[near["i"].to_numpy()] = near["c"].to_numpy()
                meth[near["i"].to_numpy()] = "nearest_same_parent"

        rows = np.flatnonzero(has_xy & ~is_split)
        if len(rows):
            p_idx, g_idx = self._tree.query(shapely.points(x[rows], y[rows]), predicate="within")
            first = pd.DataFrame({"p": p_idx, "g": g_idx}).sort_values(["p", "g"])
            first = first.drop_duplicates("p")
            got = rows[first["p"].to_numpy()]
            lsoa[got] = self.codes21.to_numpy()[first["g"].to_numpy()]
            meth[got] = "pip_all"
            miss = np.setdiff1d(rows, got)
            meth[miss] = UNPLACED[3]
        return lsoa, meth


def load_placement(lookup: str | Path, polygons: str | Path) -> Placement:
    """Read the ONS LSOA11→LSOA21 lookup and the LSOA21 polygons (checked, EPSG:27700)."""
    return _cached(str(lookup), str(polygons))


@functools.lru_cache(maxsize=2)
def _cached(lookup: str, polygons: str) -> Placement:
    """One :class:`Placement` per process (a Dask worker builds it once, not per task)."""
    lk = read_lsoa11_lsoa21_lookup(lookup).data
    polys = read_boundaries(polygons, code_col="lsoa21_code", name_col="lsoa21_name").data
    placement = Placement(lk, polys)
    placement.spec = PlacementSpec(lookup, polygons)
    return placement
