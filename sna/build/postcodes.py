"""A build's postcode outputs: kernel-density surfaces, each postcode's need (its LSOA's,
adjusted by the surfaces at its point) and its violence risk with a local factor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sna.config.region import RegionConfig
from sna.disclosure.control import band_values, mask_small_support
from sna.needs.layers import layer_points, layer_records
from sna.needs.scoring import Scored
from sna.stats.kde import kde_surface, sample_surface, write_geotiff
from sna.stats.ranking import bands, deciles

__all__ = ["write_surfaces", "postcode_index", "postcode_violence"]


# --- postcode index -----------------------------------------------------------------------


def write_surfaces(
    config: RegionConfig,
    tables: dict[str, pd.DataFrame],
    areas: gpd.GeoDataFrame,
    folder: Path,
) -> dict[str, Any]:
    """Kernel-density surfaces of every layer declared with ``surface = true``."""
    sc = config.scoring
    minx, miny, maxx, maxy = areas.total_bounds
    pad = sc.surface_bandwidth_m
    bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    mask = areas.geometry.union_all()
    out = {}
    for spec in config.layers:
        if not spec.surface or spec.table not in tables:
            continue
        records = layer_records(tables, spec)
        pts = layer_points(tables, spec, records)
        surface = kde_surface(
            pts[:, 0],
            pts[:, 1],
            bounds=bounds,
            cell=sc.surface_cell_m,
            bandwidth=sc.surface_bandwidth_m,
            years=span_years(records) if spec.measure == "count" else 1.0,
            exact=spec.partner,
        )
        if spec.partner:  # transparent wherever fewer than the threshold are in reach
            surface, _ = mask_small_support(surface, pts[:, 0], pts[:, 1], sc.disclosure_threshold)
        write_geotiff(surface, folder / f"{spec.id}.tif", mask=mask)
        out[spec.id] = surface
    return out


def postcode_index(
    postcodes: pd.DataFrame,
    lsoa: pd.DataFrame,
    scored: Scored,
    surfaces: dict[str, Any],
    config: RegionConfig,
) -> pd.DataFrame:
    """Each postcode: its LSOA's layer scores, with surface layers replaced by local values.

    For a layer with a surface, the kernel density sampled at the postcode is normalised
    across the region's postcodes (same method and direction as the LSOA layer) and used in
    place of the LSOA score; other layers keep their LSOA score. Contributions use the
    LSOA-level weights, centres and scales (:meth:`Scored.contributions_for`), so the postcode
    need index is on the LSOA scale and its contributions sum to it exactly. Postcodes
    without coordinates (most terminated ones) keep their LSOA's values.
    """
    from sna.stats.normalisation import normalise

    specs = {s.id: s for s in config.layers}
    pc = postcodes.copy()
    pos = pd.Series(np.arange(len(lsoa)), index=lsoa["lsoa21_code"].to_numpy())
    rows = pos.reindex(pc["lsoa21_code"].to_numpy()).to_numpy()
    frame = pd.DataFrame(
        scored.scores.to_numpy()[rows], columns=scored.scores.columns, index=pc.index
    )
    has_xy = pc["easting"].notna().to_numpy()
    method = "minmax" if scored.geometric else config.scoring.normalisation
    for lid, surface in surfaces.items():
        local = np.full(len(pc), np.nan)
        local[has_xy] = sample_surface(
            surface, pc.loc[has_xy, "easting"].to_numpy(), pc.loc[has_xy, "northing"].to_numpy()
        )
        pc[f"local_{lid}"] = local
        if (
            specs[lid].partner and method != "rank_normal"
        ):  # as sna.needs.scoring: classes, not rates
            local = band_values(local, config.scoring.partner_bands)
        z = np.asarray(normalise(local, method, direction=specs[lid].direction), dtype=float)
        frame[lid] = np.where(np.isfinite(z), z, frame[lid])
    contrib = scored.contributions_for(frame)
    pc["pc_need"] = contrib.sum(axis=1)
    for lid in contrib.columns:
        pc[f"pc_c_{lid}"] = contrib[lid]
    return pc


def postcode_violence(
    pcs: pd.DataFrame, lsoa: pd.DataFrame, tables: dict[str, pd.DataFrame], config: RegionConfig
) -> pd.DataFrame:
    """Violence risk at each postcode: its LSOA's expected count times a local factor.

    Where the region has street-level points, the factor is the kernel density of the last
    12 months' target points at the postcode divided by the mean density over the LSOA's
    located postcodes (1 on average within each LSOA); elsewhere it is 1.
    """
    spec, sc = config.violence_risk, config.scoring
    e = pd.Series(lsoa["violence_risk"].to_numpy(), index=lsoa["lsoa21_code"].to_numpy())
    base = e.reindex(pcs["lsoa21_code"].to_numpy()).to_numpy()
    factor = np.ones(len(pcs))
    pts = tables.get("crime_points")
    has_xy = pcs["easting"].notna().to_numpy()
    if pts is not None and has_xy.any():
        tgt = pts[(pts["crime_type"] == spec.target) & pts["easting"].notna()]
        last = sorted(set(tgt["month"].astype(str)))[-12:]
        tgt = tgt[tgt["month"].astype(str).isin(last)]
        if len(tgt):
            minx, miny, maxx, maxy = lsoa.total_bounds
            pad = sc.surface_bandwidth_m
            surface = kde_surface(
                tgt["easting"].to_numpy(float),
                tgt["northing"].to_numpy(float),
                bounds=(minx - pad, miny - pad, maxx + pad, maxy + pad),
                cell=sc.surface_cell_m,
                bandwidth=sc.surface_bandwidth_m,
            )
            dens = np.full(len(pcs), np.nan)
            dens[has_xy] = sample_surface(
                surface,
                pcs.loc[has_xy, "easting"].to_numpy(),
                pcs.loc[has_xy, "northing"].to_numpy(),
            )
            mean = pd.Series(dens).groupby(pcs["lsoa21_code"].to_numpy()).transform("mean")
            mean = mean.to_numpy()
            ok = np.isfinite(dens) & (mean > 0)
            factor[ok] = dens[ok] / mean[ok]
    out = pcs.copy()
    out["pc_violence_local_factor"] = factor
    out["pc_violence_risk"] = base * factor
    out["pc_violence_risk_decile"] = deciles(out["pc_violence_risk"].to_numpy())
    out["pc_violence_risk_band"] = bands(out["pc_violence_risk"].to_numpy())
    return out


def span_years(frame: pd.DataFrame) -> float:
    """Years of data in a record table, so surfaces are events per km² per year."""
    if "month" in frame.columns and frame["month"].notna().any():
        return max(frame["month"].nunique() / 12.0, 1 / 12)
    for col in ("admission_date", "date"):
        if col in frame.columns:
            d = pd.to_datetime(frame[col], errors="coerce").dropna()
            if len(d):
                return max((d.max() - d.min()).days / 365.25, 1 / 12)
    return 1.0
