"""100 m grid cells for the forward test: the grid, counts, densities and the cell methods."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sna.config.region import RegionConfig
from sna.needs.layers import layer_points
from sna.stats.kde import kde_surface, sample_surface
from sna.stats.metrics import coverage_metrics
from sna.stats.normalisation import normalise
from sna.violence.model import (
    predict_violence,
)

__all__ = [
    "CELL_METHODS",
]


def cell_grid(areas: gpd.GeoDataFrame, cell: float) -> pd.DataFrame:
    """Grid cells (aligned to multiples of ``cell``) whose centre lies in a region LSOA."""
    minx, miny, maxx, maxy = areas.total_bounds
    ix = np.arange(np.floor(minx / cell), np.ceil(maxx / cell)).astype(np.int64)
    iy = np.arange(np.floor(miny / cell), np.ceil(maxy / cell)).astype(np.int64)
    gx, gy = np.meshgrid(ix, iy)
    gx, gy = gx.ravel(), gy.ravel()
    cx, cy = (gx + 0.5) * cell, (gy + 0.5) * cell
    pts = gpd.points_from_xy(cx, cy)
    geoms = areas.geometry.reset_index(drop=True)
    pt_idx, poly_idx = geoms.sindex.query(pts, predicate="within")
    first = pd.Series(poly_idx, index=pt_idx).groupby(level=0).first()
    codes = areas["lsoa21_code"].to_numpy()
    return pd.DataFrame(
        {
            "ix": gx[first.index],
            "iy": gy[first.index],
            "x": cx[first.index],
            "y": cy[first.index],
            "lsoa21_code": codes[first.to_numpy()],
        }
    ).reset_index(drop=True)


def cell_counts(cells: pd.DataFrame, xy: np.ndarray, cell: float) -> tuple[np.ndarray, int]:
    """Points per grid cell, and how many points fell outside the kept cells."""
    if len(xy) == 0:
        return np.zeros(len(cells)), 0
    key = pd.MultiIndex.from_arrays(
        [np.floor(xy[:, 0] / cell).astype(np.int64), np.floor(xy[:, 1] / cell).astype(np.int64)]
    )
    counts = pd.Series(1, index=key).groupby(level=[0, 1]).sum()
    grid_key = pd.MultiIndex.from_arrays([cells["ix"].to_numpy(), cells["iy"].to_numpy()])
    got = counts.reindex(grid_key).fillna(0).to_numpy(float)
    return got, int(len(xy) - got.sum())


def kde_at(
    xy: np.ndarray,
    cells: pd.DataFrame,
    bounds: tuple[float, float, float, float],
    cell: float,
    bandwidth: float,
    years: float,
) -> np.ndarray:
    """Kernel density (events per km² per year) of ``xy`` at the cell centres."""
    if len(xy) == 0:
        return np.zeros(len(cells))
    surface = kde_surface(
        xy[:, 0], xy[:, 1], bounds=bounds, cell=cell, bandwidth=bandwidth, years=years
    )
    return np.nan_to_num(sample_surface(surface, cells["x"].to_numpy(), cells["y"].to_numpy()))


#: How violence risk reaches 100 m cells; chosen per run on training data (see below).
CELL_METHODS: tuple[str, ...] = ("lsoa_share", "kde")


def cell_risk(
    method: str,
    expected: np.ndarray,
    points: pd.DataFrame,
    window: tuple[str, str],
    grid: pd.DataFrame,
    codes: pd.Index,
    bounds: tuple[float, float, float, float],
    cell: float,
    bandwidth: float,
) -> np.ndarray:
    """Violence risk on cells, by one of ``CELL_METHODS``.

    ``lsoa_share``: each LSOA's expected count times the cell's share of the LSOA's kernel
    density of the window's points (an LSOA with no density shares equally), so cell values
    sum to the LSOA's expected count. ``kde``: the kernel density of the window's points
    alone (the local pattern, without the LSOA model).
    """
    window_pts = points[points["month"].astype(str).between(*window)]
    xy = window_pts[["easting", "northing"]].to_numpy(float)
    dens = np.zeros(len(grid))
    if len(xy):
        surface = kde_surface(xy[:, 0], xy[:, 1], bounds=bounds, cell=cell, bandwidth=bandwidth)
        dens = np.nan_to_num(sample_surface(surface, grid["x"].to_numpy(), grid["y"].to_numpy()))
    if method == "kde":
        return dens
    lsoa = grid["lsoa21_code"].to_numpy()
    total = pd.Series(dens).groupby(lsoa).transform("sum").to_numpy()
    n = pd.Series(1.0, index=grid.index).groupby(lsoa).transform("sum").to_numpy()
    share = np.where(total > 0, dens / np.where(total > 0, total, 1.0), 1.0 / n)
    e = pd.Series(expected, index=codes).reindex(lsoa).to_numpy()
    return e * share


def choose_cell_method(
    fit: Any,
    points: pd.DataFrame,
    codes: pd.Index,
    structural: pd.DataFrame,
    residents: np.ndarray,
    target_points: pd.DataFrame,
    cell_args: tuple,
) -> dict[str, Any]:
    """Pick the cell method on the fit's own inner split: training data only.

    Each candidate is built from the fit's feature months and scored by its hit rate at the
    top 10% of cells on the response months (the same split the coefficients were fitted on);
    ties go to ``lsoa_share``.
    """
    grid = cell_args[0]
    inner = predict_violence(fit, points, codes, structural, residents, fit.feature_window)
    resp = target_points[target_points["month"].astype(str).between(*fit.response_window)]
    observed, _ = cell_counts(grid, resp[["easting", "northing"]].to_numpy(float), cell_args[3])
    scores = {}
    for method in CELL_METHODS:
        score = cell_risk(method, inner.expected, target_points, fit.feature_window, *cell_args)
        t = coverage_metrics(score, observed, coverages=(0.10,))
        scores[method] = round(float(t["hit_rate"].iloc[0]), 4)
    best = max(CELL_METHODS, key=lambda m: (scores[m], m == "lsoa_share"))
    return {"method": best, "inner_hit_rate_10pct": scores}


def index_on_cells(
    cfg: RegionConfig,
    tables: Mapping[str, pd.DataFrame],
    models: list[Any],
    grid: pd.DataFrame,
    codes: pd.Index,
    bounds: tuple[float, float, float, float],
    train_years: float,
) -> dict[str, np.ndarray]:
    """The index variants on grid cells, as the build computes the postcode index.

    Each cell takes its LSOA's normalised layer scores; every layer on ``crime_points`` (and
    any other layer declared with ``surface = true``) is replaced by its kernel density at the
    cell centre, normalised across cells with the layer's method and direction. The
    contributions use the LSOA-level weights, centres and scales
    (:meth:`sna.needs.scoring.Scored.contributions_for`), so the cell index is on the LSOA scale.
    """
    sc = cfg.scoring
    scored, crime_w, with_protective = models
    pos = pd.Series(np.arange(len(codes)), index=codes).reindex(grid["lsoa21_code"]).to_numpy()
    frame = pd.DataFrame(scored.scores.to_numpy()[pos], columns=scored.scores.columns)
    method = "minmax" if scored.geometric else sc.normalisation
    for spec in cfg.layers:
        if not (spec.table == "crime_points" or spec.surface) or spec.table not in tables:
            continue
        xy = layer_points(tables, spec)
        years = train_years if spec.table == "crime_points" else 1.0
        dens = kde_at(xy, grid, bounds, sc.surface_cell_m, sc.surface_bandwidth_m, years)
        z = np.asarray(normalise(dens, method, direction=spec.direction), dtype=float)
        frame[spec.id] = np.where(np.isfinite(z), z, frame[spec.id])
    base = scored.contributions_for(frame)
    risk_ids = [s.id for s in cfg.layers if s.kind == "risk"]
    out = {
        "index": base.sum(axis=1).to_numpy(),
        "index_crime_weighted": crime_w.contributions_for(frame).sum(axis=1).to_numpy(),
    }
    if len(risk_ids) < len(cfg.layers):  # protective layers present
        if with_protective is not None:
            out["index_protective"] = with_protective.contributions_for(frame).sum(axis=1)
            out["index_protective"] = out["index_protective"].to_numpy()
        else:
            out["index_risk"] = base[risk_ids].sum(axis=1).to_numpy()
    return out
