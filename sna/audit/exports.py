"""The build's own tables and surfaces: ``exports/lsoa_indices.csv`` and ``.gpkg``,
``exports/postcode_indices.csv`` and ``surfaces/<layer>.tif``.

- LSOA exports: no partner count, unshrunk or exact rate column; every partner-derived column
  (score, band, contribution) constant within the layer's disclosure units; no unit holding 1
  to threshold - 1 records with a value, a driver or a sentence naming the layer;
- postcode export: no exact local partner density; a local band or a local contribution only
  where the kernel around the postcode reaches at least the threshold of records;
- surfaces: no pixel with a value where fewer than the threshold of records are in reach.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.audit.partner import PartnerLayer, n_records
from sna.audit.result import MAX_LISTED, AuditResult, Finding

__all__ = ["audit_exports", "LSOA_EXPORTS", "POSTCODE_EXPORT"]

LSOA_EXPORTS = ("exports/lsoa_indices.csv", "exports/lsoa_indices.gpkg")
POSTCODE_EXPORT = "exports/postcode_indices.csv"
_RESTRICTED = ("n_", "raw_", "v_", "denom_")
_DERIVED = ("s_", "c_", "band_", "nd_")


def _read_public_lsoa(folder: Path, result: AuditResult) -> dict[str, pd.DataFrame]:
    out = {}
    for name in LSOA_EXPORTS:
        path = folder / name
        if not path.exists():
            result.absent.append(name)
        elif name.endswith(".csv"):
            out[name] = pd.read_csv(path)
        else:
            import pyogrio

            out[name] = pd.DataFrame(pyogrio.read_dataframe(path, read_geometry=False))
    return out


def _title_in(text: Any, title: str) -> bool:
    return isinstance(text, str) and title in text.lower()


def _audit_lsoa_output(name: str, pub: pd.DataFrame, layer: PartnerLayer) -> list[Finding]:
    """One LSOA-level public table against one partner layer."""
    lid, thr = layer.id, layer.threshold
    found: list[Finding] = []
    codes = pub["lsoa21_code"].astype(str)
    unit = codes.map(layer.unit_of).fillna(codes)
    count = unit.map(layer.unit_count).fillna(0.0)
    small = (count > 0) & (count < thr)
    own = codes.map(layer.lsoa_count).fillna(0.0)  # restricted columns are per-LSOA values
    own_small = (own > 0) & (own < thr)
    for col in (f"{p}{lid}" for p in _RESTRICTED):
        if col in pub.columns:
            bad = codes[own_small & pub[col].notna()]
            found += [
                Finding(name, f"LSOA {c}", f"column {col} derived from {n_records(n)}", v)
                for c, n, v in zip(bad, own[bad.index], pub[col][bad.index], strict=True)
            ]
            if not len(bad):
                found.append(Finding(name, "all LSOAs", f"restricted column {col} is published"))
    for col in (f"{p}{lid}" for p in _DERIVED):
        if col not in pub.columns:
            continue
        vals = pub[col]
        bad = codes[small & vals.notna()]
        found += [
            Finding(name, f"LSOA {c}", f"{col} derived from {n_records(n)}", v)
            for c, n, v in zip(bad, count[bad.index], vals[bad.index], strict=True)
        ]
        key = vals.round(9) if pd.api.types.is_numeric_dtype(vals) else vals.astype(str)
        varies = key.groupby(unit).nunique(dropna=False)
        for u in varies.index[varies > 1]:
            shown = ", ".join(map(str, key[unit == u].unique()[:3]))
            found.append(
                Finding(name, f"unit {u}", f"{col} varies inside its disclosure unit", shown)
            )
    for col in ("drivers", "explanation"):
        if col not in pub.columns:
            continue
        text = pub[col]
        named = (
            text.astype(str).str.contains(f'"{lid}"', regex=False)
            if col == "drivers"
            else text.map(lambda t: _title_in(t, layer.title))
        )
        bad = codes[small & named]
        found += [
            Finding(name, f"LSOA {c}", f"{col} names {lid} ({n_records(n)})", t)
            for c, n, t in zip(bad, count[bad.index], text[bad.index], strict=True)
        ]
    return found


def _audit_surface(folder: Path, layer: PartnerLayer, result: AuditResult) -> None:
    name = f"surfaces/{layer.id}.tif"
    tif = folder / name
    if not layer.spec.surface:
        return
    if not tif.exists():
        result.absent.append(name)
        return
    grid, values, sup = layer.support_on(tif)
    shown = np.isfinite(values) & (values > 0) & (sup < layer.threshold)
    rr, cc = np.nonzero(shown)
    found = []
    for r, c in list(zip(rr.tolist(), cc.tolist(), strict=True))[:MAX_LISTED]:
        e = grid.transform.c + (c + 0.5) * grid.cell
        n = grid.transform.f - (r + 0.5) * grid.cell
        why = f"shown with {int(sup[r, c])} records in reach"
        found.append(Finding(name, f"pixel at E{e:.0f} N{n:.0f}", why, round(values[r, c], 4)))
    if len(rr) > MAX_LISTED:
        found.append(Finding(name, f"{len(rr) - MAX_LISTED} more pixels", "shown as well"))
    result.add(found, name, int(np.isfinite(values).sum()))


def _audit_postcodes(
    pcs: pd.DataFrame, lsoa: pd.DataFrame, layer: PartnerLayer, result: AuditResult
) -> None:
    lid, thr = layer.id, layer.threshold
    x = pcs["easting"].to_numpy(float)
    y = pcs["northing"].to_numpy(float)
    if layer.grid_support is None:
        return
    small = layer.support_at(x, y) < thr
    bad: list[tuple[str, str, Any]] = []
    if f"local_{lid}" in pcs.columns:
        bad += [
            (p, f"local_{lid} (exact density) published", v)
            for p, v in zip(pcs["postcode"][:1], pcs[f"local_{lid}"][:1], strict=True)
        ]
    if f"band_local_{lid}" in pcs.columns:
        hit = small & pcs[f"band_local_{lid}"].notna().to_numpy()
        bad += [
            (p, f"band_local_{lid} with fewer than {thr} records in reach", v)
            for p, v in zip(pcs["postcode"][hit], pcs[f"band_local_{lid}"][hit], strict=True)
        ]
    pc_col = f"pc_c_{lid}"
    if pc_col in pcs.columns and f"c_{lid}" in lsoa.columns:
        codes = lsoa["lsoa21_code"].astype(str)
        own = pcs["lsoa21_code"].map(pd.Series(lsoa[f"c_{lid}"].to_numpy(), index=codes))
        differs = ~np.isclose(pcs[pc_col].to_numpy(float), own.to_numpy(float), atol=1e-6)
        hit = small & differs & np.isfinite(x)
        bad += [
            (p, f"{pc_col} uses a local density with fewer than {thr} records in reach", v)
            for p, v in zip(pcs["postcode"][hit], pcs[pc_col][hit], strict=True)
        ]
    result.add([Finding(POSTCODE_EXPORT, f"postcode {p}", why, v) for p, why, v in bad])


def audit_exports(
    folder: Path, layers: list[PartnerLayer], lsoa: pd.DataFrame, result: AuditResult
) -> None:
    """The LSOA and postcode exports and the partner surfaces of one build folder."""
    public = _read_public_lsoa(folder, result)
    pc_path = folder / POSTCODE_EXPORT
    pcs = pd.read_csv(pc_path, low_memory=False) if pc_path.exists() else None
    if pcs is None:
        result.absent.append(POSTCODE_EXPORT)
    for layer in layers:
        for name, pub in public.items():
            result.add(_audit_lsoa_output(name, pub, layer), name, 0)
            result.checked[name] = len(pub)
        _audit_surface(folder, layer, result)
        if pcs is not None:
            _audit_postcodes(pcs, lsoa, layer, result)
            result.checked[POSTCODE_EXPORT] = len(pcs)
