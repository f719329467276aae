"""Per-force kernel density surfaces from an archive engine's grid counts.

The engine (:mod:`geodata.archive`) does the part that grows with the archive: binning tens
of millions of points into ``cell``-metre cells per force. What is left is small: one
quartic-kernel convolution per force, done here by :func:`sna.stats.kde.kde_surface` with each
occupied cell's centre as a point weighted by its count. :func:`~sna.stats.kde.kde_surface`
bins points to the same cells before convolving, so the surface equals the one computed from
the raw points (up to floating-point binning of points within 1e-9 m of a cell edge).

A force's points are mostly in its own area, but police.uk files carry a few far away
(crimes recorded by the force elsewhere). The surface covers the box holding all but
``trim`` of the points at each edge (default 0.1%), padded by the bandwidth, so a handful of
outliers cannot stretch a county's grid across England; if the box still has more than
``max_cells`` cells (the British Transport Police is national), the counts are merged into
cells ``k`` times larger until it fits, and the surface says so in its ``cell``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from sna.stats.kde import Surface, kde_surface

__all__ = ["force_surfaces", "iter_force_surfaces"]


def _weighted_quantile(v: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(v, kind="stable")
    cw = np.cumsum(w[order])
    return float(v[order][min(np.searchsorted(cw, q * cw[-1]), len(v) - 1)])


def force_surfaces(
    grid: pd.DataFrame,
    cell: float,
    *,
    bandwidth: float = 400.0,
    years: float = 1.0,
    trim: float = 0.001,
    max_cells: int = 4_000_000,
) -> dict[str, Surface]:
    """One density surface per force, in events per km² per year.

    Parameters
    ----------
    grid
        ``force, cx, cy, count`` from :attr:`geodata.archive.ArchiveResult.grid`: cell
        ``(cx, cy)`` spans x in ``[cx, cx + 1)`` and y in ``(cy - 1, cy]`` cells.
    cell
        The cell size the grid was binned at (metres).
    bandwidth, years
        As for :func:`sna.stats.kde.kde_surface` (``years``: months read / 12).
    trim
        Share of points (by count) left outside the box at each edge.
    max_cells
        Largest grid per force; beyond it cells are merged (``Surface.cell`` grows).
    """
    if not 0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), got {trim}")
    out: dict[str, Surface] = {}
    for force, g in grid.groupby("force", sort=True):
        cx = g["cx"].to_numpy(dtype=np.int64)
        cy = g["cy"].to_numpy(dtype=np.int64)
        w = g["count"].to_numpy(dtype=float)
        k = 1
        while True:
            size = cell * k
            x = (np.floor_divide(cx, k) + 0.5) * size
            y = (np.floor_divide(cy - 1, k) + 0.5) * size
            lo_x, hi_x = (_weighted_quantile(x, w, q) for q in (trim, 1 - trim))
            lo_y, hi_y = (_weighted_quantile(y, w, q) for q in (trim, 1 - trim))
            bounds = (
                lo_x - size / 2 - bandwidth,
                lo_y - size / 2 - bandwidth,
                hi_x + size / 2 + bandwidth,
                hi_y + size / 2 + bandwidth,
            )
            cells = math.ceil((bounds[2] - bounds[0]) / size) * math.ceil(
                (bounds[3] - bounds[1]) / size
            )
            if cells <= max_cells:
                break
            k *= 2
        h = max(bandwidth, size)
        surface = kde_surface(x, y, bounds=bounds, cell=size, bandwidth=h, weights=w, years=years)
        pad = math.ceil(h / size) * size
        xmin, ymin, xmax, ymax = surface.bounds
        inside = (x > xmin - pad) & (x < xmax + pad) & (y > ymin - pad) & (y < ymax + pad)
        # n_points/n_dropped count points (the cells' weights), not cells
        out[str(force)] = replace(
            surface, n_points=int(w[inside].sum()), n_dropped=int(w[~inside].sum())
        )
    return out


def iter_force_surfaces(result: Any, **kwargs: Any) -> Iterator[tuple[str, Surface]]:
    """``(force, surface)`` one force at a time from an :class:`~geodata.archive.ArchiveResult`.

    Each force's grid is read from the result's folder, convolved and handed over before the
    next is read, so memory holds one force's grid and surface whatever the archive's size.
    ``kwargs`` go to :func:`force_surfaces` (``years`` defaults to months read / 12).
    """
    kwargs.setdefault("years", len(result.months_read) / 12.0)
    for force in result.forces():
        yield from force_surfaces(result.force_grid(force), result.cell, **kwargs).items()
