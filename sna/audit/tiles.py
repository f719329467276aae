"""Raster tiles: ``tiles/<layer>.tif``, the Web Mercator copy every PNG tile is cut from.

The copy is warped from the masked surface with bilinear resampling, so a pixel is drawn
from the (at most four) surface pixels around its centre. A shown pixel leaks when none of
them has the threshold of records in its kernel: its value then comes from fewer records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sna.audit.partner import PartnerLayer
from sna.audit.result import MAX_LISTED, AuditResult, Finding

__all__ = ["audit_raster_tiles"]


def _reach(layer: PartnerLayer, e: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The most records in reach among the surface pixels around each point."""
    grid, sup = layer.grid_support
    fc = (e - grid.transform.c) / grid.cell - 0.5
    fr = (grid.transform.f - n) / grid.cell - 0.5
    rows, cols = grid.shape
    best = np.zeros(len(e))
    for dr in (0, 1):
        for dc in (0, 1):
            r = np.floor(fr).astype(int) + dr
            c = np.floor(fc).astype(int) + dc
            ok = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
            got = np.zeros(len(e))
            got[ok] = sup[r[ok], c[ok]]
            best = np.maximum(best, got)
    return best


def audit_raster_tiles(folder: Path, layers: list[PartnerLayer], thr: int, result: AuditResult):
    """Each partner layer's ``tiles/<id>.tif``: no shown pixel without the records behind it."""
    import rasterio
    from pyproj import Transformer

    to_bng = Transformer.from_crs("EPSG:3857", "EPSG:27700", always_xy=True)
    for layer in layers:
        name = f"tiles/{layer.id}.tif"
        tif = Path(folder) / name
        if not tif.exists():
            if layer.spec.surface:
                result.absent.append(name)
            continue
        with rasterio.open(tif) as src:
            values = src.read(1, masked=True).astype(float).filled(np.nan)
            t = src.transform
        shown = np.isfinite(values) & (values > 0)
        rr, cc = np.nonzero(shown)
        if layer.grid_support is None:
            result.add(
                [Finding(name, "all pixels", "no surface to recount the records in reach")],
                name,
                int(shown.sum()),
            )
            continue
        mx = t.c + (cc + 0.5) * t.a
        my = t.f + (rr + 0.5) * t.e
        e, n = to_bng.transform(mx, my)
        reach = _reach(layer, np.asarray(e), np.asarray(n))
        bad = np.nonzero(reach < thr)[0]
        found = [
            Finding(
                name,
                f"pixel at E{e[i]:.0f} N{n[i]:.0f}",
                f"shown with {int(reach[i])} records in reach",
                round(float(values[rr[i], cc[i]]), 4),
            )
            for i in bad[:MAX_LISTED]
        ]
        if len(bad) > MAX_LISTED:
            found.append(Finding(name, f"{len(bad) - MAX_LISTED} more pixels", "shown as well"))
        result.add(found, name, int(shown.sum()))
