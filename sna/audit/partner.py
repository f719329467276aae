"""The audit's own view of each partner layer: records recounted from the store, the
disclosure unit of every LSOA, ward and district, and the kernel support of every pixel.

Every check of :mod:`sna.audit` asks the same two questions of a public value: which
disclosure unit it belongs to (is that unit's count 1 to threshold - 1?), and, for a value
taken from a kernel density (a local band, a surface pixel), how many records are in reach.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from sna.config.region import LayerSpec
from sna.disclosure.control import PARTNER_TABLES, support_counts
from sna.needs.layers import layer_points, layer_records

__all__ = ["PartnerLayer", "partner_specs", "store_tables", "partner_layers", "n_records"]


def n_records(n: float) -> str:
    """``'1 record'``, ``'5 records'``."""
    return f"{int(n)} record" + ("" if int(n) == 1 else "s")


def partner_specs(manifest: dict[str, Any]) -> list[LayerSpec]:
    """Layers on a partner table (whatever their ``partner`` flag says) that count records."""
    fields = set(LayerSpec.model_fields)
    specs = [
        LayerSpec.model_validate({k: v for k, v in d.items() if k in fields})
        for d in manifest.get("layers", [])
    ]
    return [s for s in specs if (s.partner or s.table in PARTNER_TABLES) and s.measure == "count"]


def store_tables(store, folder: Path, manifest: dict[str, Any]):
    """A ``name -> DataFrame`` reader over the build's store (None for a missing table)."""
    from sna.prepare.store import Store, read_table

    if store is not None and isinstance(store, Store):
        path = store.path
    else:
        path = Path(store) if store is not None else Path(manifest.get("store", {}).get("path", ""))
        if not (path / "manifest.json").exists():
            path = (folder.parent.parent / "store").resolve()
    cache: dict[str, pd.DataFrame | None] = {}

    def get(name: str) -> pd.DataFrame | None:
        if name not in cache:
            f = path / f"{name}.parquet"
            cache[name] = read_table(f) if f.exists() else None
        return cache[name]

    return get


@dataclass
class PartnerLayer:
    """One partner layer as the audit sees it (``lsoa`` is the build's LSOA table)."""

    spec: LayerSpec
    threshold: int
    lsoa_count: pd.Series  # LSOA code -> the layer's records there (restricted)
    unit_of: pd.Series  # LSOA code -> its disclosure unit
    unit_count: pd.Series  # unit -> records
    points: np.ndarray  # record positions (easting, northing) for the kernel support
    bandwidth: float
    areas: dict[str, set[str]] = field(default_factory=dict)  # ward/district -> its units
    grid_support: tuple[SimpleNamespace, np.ndarray] | None = None  # on the surface's grid

    @property
    def id(self) -> str:
        """The layer id."""
        return self.spec.id

    @property
    def title(self) -> str:
        """The layer title, lower case (what sentences name it by)."""
        return self.spec.title.lower()

    @cached_property
    def small_units(self) -> dict[str, float]:
        """Units holding 1 to threshold - 1 records, with their counts."""
        c = self.unit_count
        return {str(k): float(v) for k, v in c[(c > 0) & (c < self.threshold)].items()}

    @cached_property
    def _unit_of(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.unit_of.items()}

    def small(self, code: str) -> tuple[str, float] | None:
        """``(unit, records)`` when the LSOA, ward or district ``code`` draws on a unit of 1
        to threshold - 1 records (the first such unit), else None."""
        if not self.small_units:
            return None
        units = self.areas.get(code)
        if units is None:
            units = {self._unit_of.get(code, code)}
        for u in sorted(units):
            if u in self.small_units:
                return u, self.small_units[u]
        return None

    def unit(self, code: str) -> str | None:
        """The one disclosure unit an LSOA, ward or district lies in (None if it spans more)."""
        if code in self.areas:
            units = self.areas[code]
            return next(iter(units)) if len(units) == 1 else None
        return self._unit_of.get(code)

    def support_on(self, tif: Path) -> tuple[SimpleNamespace, np.ndarray, np.ndarray]:
        """``(grid, values, support)`` on a surface GeoTIFF's grid (EPSG:27700)."""
        import rasterio

        with rasterio.open(tif) as src:
            values = src.read(1, masked=True).astype(float).filled(np.nan)
            grid = SimpleNamespace(
                cell=float(src.transform.a),
                bandwidth=self.bandwidth,
                shape=values.shape,
                transform=src.transform,
            )
        sup = support_counts(self.points[:, 0], self.points[:, 1], grid)
        return grid, values, sup

    def support_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Records in reach of each point (0 where the surface grid does not reach)."""
        if self.grid_support is None:
            return np.zeros(len(x))
        grid, sup = self.grid_support
        col = np.floor((np.asarray(x, float) - grid.transform.c) / grid.cell)
        row = np.floor((grid.transform.f - np.asarray(y, float)) / grid.cell)
        rows, cols = grid.shape
        ok = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < cols) & (row >= 0)
        ok &= row < rows
        out = np.zeros(len(col))
        out[ok] = sup[row[ok].astype(int), col[ok].astype(int)]
        return out


def partner_layers(folder: Path, manifest: dict[str, Any], tables, lsoa: pd.DataFrame, thr: int):
    """``(layers, problems)``: a :class:`PartnerLayer` per partner layer whose records the
    store holds, and the ids of those it cannot read (each a finding for the caller)."""
    scoring = manifest.get("config", {}).get("scoring", {})
    bandwidth = float(scoring.get("surface_bandwidth_m", 400.0))
    codes = lsoa["lsoa21_code"].astype(str)
    out, missing = [], []
    for spec in partner_specs(manifest):
        frame = tables(spec.table)
        if frame is None:
            missing.append(spec)
            continue
        records = layer_records({spec.table: frame}, spec)
        if spec.column and spec.column in records.columns:
            per = records.groupby("lsoa21_code")[spec.column].sum()
        else:
            per = records.groupby("lsoa21_code").size()
        per = per.reindex(codes.to_numpy()).fillna(0).astype(float)
        unit_col = f"unit_{spec.id}"
        unit = lsoa[unit_col].astype(str) if unit_col in lsoa.columns else codes
        unit_of = pd.Series(unit.to_numpy(), index=codes.to_numpy())
        unit_count = pd.Series(per.to_numpy(), index=unit.to_numpy()).groupby(level=0).sum()
        areas: dict[str, set[str]] = {}
        for col in ("ward_code", "district_code"):
            if col in lsoa.columns:
                for code, us in pd.Series(unit.to_numpy()).groupby(
                    lsoa[col].astype(str).to_numpy()
                ):
                    areas[code] = set(us)
        try:
            pts = np.asarray(layer_points({spec.table: frame}, spec, records), float)
        except Exception:  # no positions: only the unit checks apply
            pts = np.empty((0, 2))
        layer = PartnerLayer(spec, thr, per, unit_of, unit_count, pts, bandwidth, areas)
        tif = folder / "surfaces" / f"{spec.id}.tif"
        if tif.exists() and len(pts):
            grid, _, sup = layer.support_on(tif)
            layer.grid_support = (grid, sup)
        out.append(layer)
    return out, missing


def manifest_of(folder: Path) -> dict[str, Any]:
    """A build folder's manifest."""
    return json.loads((Path(folder) / "manifest.json").read_text())
