"""The disclosure audit: check a build's public outputs against the one rule.

**No public value is derived from fewer than the disclosure threshold (8) of partner
records** (docs/disclosure-control.md). :func:`audit_build` reads a build folder (the staging
folder, before ``current`` moves, or a published one) and the partner records in its store,
recounts every partner layer itself (it does not trust the build's own counts), and checks:

- **LSOA exports** (``exports/lsoa_indices.csv`` and ``.gpkg``, the table behind the API's
  area answers and the vector tiles): no partner count, unshrunk or exact rate column; every
  partner-derived column (score, band, contribution) constant within the layer's disclosure
  units; no unit holding 1 to threshold-1 records with a value, a driver or a sentence naming
  the layer;
- **postcode export** (``exports/postcode_indices.csv``, behind the postcode answers): no
  exact local partner density; a local band or a local contribution only where the kernel
  around the postcode reaches at least the threshold of records;
- **surfaces** (``surfaces/<layer>.tif``, behind the PNG tiles): no pixel with a value where
  fewer than the threshold of records are in reach.

Layers on a partner table (:data:`sna.disclosure.PARTNER_TABLES`) are audited whatever their
``partner`` flag says, so a config that declares partner data open is caught here. The build
calls the audit just before it publishes; ``sna audit --region R`` runs it on the current
build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from .config import LayerSpec
from .disclosure import PARTNER_TABLES, support_counts
from .errors import DisclosureError
from .layers import layer_points, layer_records

__all__ = ["Finding", "AuditResult", "audit_build", "audit_region"]

_RESTRICTED = ("n_", "raw_", "v_", "denom_")
_DERIVED = ("s_", "c_", "band_", "nd_")
_MAX_LISTED = 10


@dataclass(frozen=True)
class Finding:
    """One leak: which public output, which unit (LSOA, postcode, pixel), and why."""

    output: str
    unit: str
    reason: str

    def __str__(self) -> str:
        return f"{self.output}: {self.unit}: {self.reason}"


@dataclass
class AuditResult:
    """What the audit checked and what it found (``ok`` when nothing)."""

    build: Path
    threshold: int
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no public output breaks the rule."""
        return not self.findings

    def message(self) -> str:
        """The findings as lines (the first few, then how many more)."""
        lines = [str(f) for f in self.findings[:_MAX_LISTED]]
        if len(self.findings) > _MAX_LISTED:
            lines.append(f"... and {len(self.findings) - _MAX_LISTED} more")
        return "\n".join(lines)

    def raise_if_leaking(self) -> AuditResult:
        """Raise :class:`~sna.errors.DisclosureError` naming the outputs and units."""
        if self.findings:
            raise DisclosureError(
                f"disclosure audit failed for {self.build.name}: {len(self.findings)} public "
                f"value(s) derived from fewer than {self.threshold} partner records; the build "
                f"is not published.\n{self.message()}"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (for the CLI and logs)."""
        return {
            "build": str(self.build),
            "threshold": self.threshold,
            "ok": self.ok,
            "checked": self.checked,
            "findings": [vars(f) for f in self.findings],
        }


def _specs(manifest: dict[str, Any]) -> list[LayerSpec]:
    fields = set(LayerSpec.model_fields)
    return [
        LayerSpec.model_validate({k: v for k, v in d.items() if k in fields})
        for d in manifest.get("layers", [])
    ]


def _store_tables(store, folder: Path, manifest: dict[str, Any]):
    """A ``name -> DataFrame`` reader over the build's store (None when there is none)."""
    from .store import Store, read_table

    if store is not None and isinstance(store, Store):
        path = store.path
    else:
        path = Path(store) if store is not None else Path(manifest.get("store", {}).get("path", ""))
        if not (path / "manifest.json").exists():
            link = folder.parent.parent / "store"
            path = link.resolve()
    cache: dict[str, pd.DataFrame] = {}

    def get(name: str) -> pd.DataFrame | None:
        if name not in cache:
            f = path / f"{name}.parquet"
            cache[name] = read_table(f) if f.exists() else None
        return cache[name]

    return get


def _counts(records: pd.DataFrame, spec: LayerSpec, codes: pd.Series) -> pd.Series:
    """Partner records per LSOA (in ``codes`` order), as the layer counts them."""
    if spec.column and spec.column in records.columns:
        per = records.groupby("lsoa21_code")[spec.column].sum()
    else:
        per = records.groupby("lsoa21_code").size()
    return per.reindex(codes.to_numpy()).fillna(0).astype(float).set_axis(codes.index)


def _read_public_lsoa(folder: Path) -> dict[str, pd.DataFrame]:
    out = {}
    csv = folder / "exports" / "lsoa_indices.csv"
    if csv.exists():
        out["exports/lsoa_indices.csv"] = pd.read_csv(csv)
    gpkg = folder / "exports" / "lsoa_indices.gpkg"
    if gpkg.exists():
        import pyogrio

        out["exports/lsoa_indices.gpkg"] = pd.DataFrame(
            pyogrio.read_dataframe(gpkg, read_geometry=False)
        )
    return out


def _n(n: float) -> str:
    return f"{int(n)} record" + ("" if int(n) == 1 else "s")


def _title_in(text: Any, title: str) -> bool:
    return isinstance(text, str) and title.lower() in text.lower()


def _audit_lsoa_output(
    name: str,
    pub: pd.DataFrame,
    spec: LayerSpec,
    unit_of: pd.Series,
    unit_count: pd.Series,
    threshold: int,
    lsoa_count: pd.Series,
) -> list[Finding]:
    """One LSOA-level public table against one partner-record layer."""
    lid = spec.id
    found: list[Finding] = []
    codes = pub["lsoa21_code"].astype(str)
    unit = codes.map(unit_of).fillna(codes)
    count = unit.map(unit_count).fillna(0.0)
    small = (count > 0) & (count < threshold)
    own = codes.map(lsoa_count).fillna(0.0)  # restricted columns are per-LSOA values
    own_small = (own > 0) & (own < threshold)
    for col in (f"{p}{lid}" for p in _RESTRICTED):
        if col in pub.columns:
            bad = codes[own_small & pub[col].notna()]
            found += [
                Finding(name, f"LSOA {c}", f"column {col} derived from {_n(n)}")
                for c, n in zip(bad, own[bad.index], strict=True)
            ]
            if not len(bad):
                found.append(Finding(name, "all LSOAs", f"restricted column {col} is published"))
    for col in (f"{p}{lid}" for p in _DERIVED):
        if col not in pub.columns:
            continue
        vals = pub[col]
        bad = codes[small & vals.notna()]
        found += [
            Finding(name, f"LSOA {c}", f"{col} derived from {_n(n)}")
            for c, n in zip(bad, count[bad.index], strict=True)
        ]
        key = vals.round(9) if pd.api.types.is_numeric_dtype(vals) else vals.astype(str)
        varies = key.groupby(unit).nunique(dropna=False)
        for u in varies.index[varies > 1]:
            found.append(Finding(name, f"unit {u}", f"{col} varies inside its disclosure unit"))
    for col in ("drivers", "explanation"):
        if col not in pub.columns:
            continue
        text = pub[col]
        named = (
            text.astype(str).str.contains(f'"{lid}"', regex=False)
            if col == "drivers"
            else text.map(lambda t: _title_in(t, spec.title))
        )
        bad = codes[small & named]
        found += [
            Finding(name, f"LSOA {c}", f"{col} names {lid} ({_n(n)})")
            for c, n in zip(bad, count[bad.index], strict=True)
        ]
    return found


def _grid(tif: Path | None, surface_meta: SimpleNamespace | None):
    """Support-grid geometry from a surface file (cell, bandwidth, shape, transform)."""
    import rasterio

    with rasterio.open(tif) as src:
        values = src.read(1, masked=True).astype(float).filled(np.nan)
        grid = SimpleNamespace(
            cell=float(src.transform.a),
            bandwidth=surface_meta.bandwidth,
            shape=values.shape,
            transform=src.transform,
        )
    return grid, values


def _sample(grid: SimpleNamespace, values: np.ndarray, x: np.ndarray, y: np.ndarray):
    col = np.floor((x - grid.transform.c) / grid.cell)
    row = np.floor((grid.transform.f - y) / grid.cell)
    rows, cols = grid.shape
    ok = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < cols) & (row >= 0)
    ok &= row < rows
    out = np.zeros(len(x))
    out[ok] = values[row[ok].astype(int), col[ok].astype(int)]
    return out, ok


def _audit_outcomes(folder: Path, thr: int, result: AuditResult) -> None:
    """The outcome series' hospital (partner) counts: none of 1 to ``thr - 1``."""
    path = folder / "outcomes.json"
    if not path.exists():
        return
    from .outcomes_build import audit_outcomes

    for problem in audit_outcomes(json.loads(path.read_text()), thr):
        result.findings.append(Finding("outcomes.json", "hospital_sharp_object_assault", problem))
    result.checked["outcomes.json"] = 1


def audit_build(folder: Path, *, store=None, threshold: int | None = None) -> AuditResult:
    """Audit one build folder's public outputs; see the module docstring.

    Parameters
    ----------
    folder
        A build folder (staging or published).
    store
        The :class:`~sna.store.Store` (or its folder) holding the partner records; by
        default the one recorded in the manifest, else ``<region>/store``.
    threshold
        Override the disclosure threshold (default: the build config's, never below 8).
    """
    from .store import read_table

    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    scoring = manifest.get("config", {}).get("scoring", {})
    thr = max(8, int(threshold or scoring.get("disclosure_threshold", 8)))
    result = AuditResult(folder, thr)
    _audit_outcomes(folder, thr, result)
    specs = [
        s
        for s in _specs(manifest)
        if (s.partner or s.table in PARTNER_TABLES) and s.measure == "count"
    ]
    if not specs:
        result.checked["partner_layers"] = 0
        return result
    tables = _store_tables(store, folder, manifest)
    lsoa = pd.DataFrame(read_table(folder / "lsoa.parquet").drop(columns="geometry"))
    codes = lsoa["lsoa21_code"].astype(str)
    public = _read_public_lsoa(folder)
    pc_path = folder / "exports" / "postcode_indices.csv"
    pcs = pd.read_csv(pc_path, low_memory=False) if pc_path.exists() else None
    bandwidth = float(scoring.get("surface_bandwidth_m", 400.0))
    result.checked["partner_layers"] = len(specs)
    for spec in specs:
        lid = spec.id
        frame = tables(spec.table)
        if frame is None:
            result.findings.append(
                Finding("store", spec.table, f"records of layer {lid} cannot be read to audit")
            )
            continue
        records = layer_records({spec.table: frame}, spec)
        per_lsoa = _counts(records, spec, codes)
        unit_col = f"unit_{lid}"
        unit = lsoa[unit_col].astype(str) if unit_col in lsoa.columns else codes
        unit_of = pd.Series(unit.to_numpy(), index=codes.to_numpy())
        unit_count = per_lsoa.groupby(unit.to_numpy()).sum()
        for name, pub in public.items():
            result.findings += _audit_lsoa_output(
                name, pub, spec, unit_of, unit_count, thr, per_lsoa.set_axis(codes.to_numpy())
            )
            result.checked[name] = len(pub)

        if not spec.surface:
            continue
        tif = folder / "surfaces" / f"{lid}.tif"
        pts = layer_points({spec.table: frame}, spec, records)
        if tif.exists():
            grid, values = _grid(tif, SimpleNamespace(bandwidth=bandwidth))
            sup = support_counts(pts[:, 0], pts[:, 1], grid)
            shown = np.isfinite(values) & (values > 0) & (sup < thr)
            result.checked[f"surfaces/{lid}.tif"] = int(np.isfinite(values).sum())
            rr, cc = np.nonzero(shown)
            for r, c in list(zip(rr.tolist(), cc.tolist(), strict=True))[:_MAX_LISTED]:
                e = grid.transform.c + (c + 0.5) * grid.cell
                n = grid.transform.f - (r + 0.5) * grid.cell
                result.findings.append(
                    Finding(
                        f"surfaces/{lid}.tif",
                        f"pixel at E{e:.0f} N{n:.0f}",
                        f"shown with {int(sup[r, c])} records in reach",
                    )
                )
            if len(rr) > _MAX_LISTED:
                result.findings.append(
                    Finding(f"surfaces/{lid}.tif", f"{len(rr) - _MAX_LISTED} more pixels", "")
                )
        if pcs is None:
            continue
        x = pcs["easting"].to_numpy(float)
        y = pcs["northing"].to_numpy(float)
        ref = tif if tif.exists() else None
        if ref is None:
            continue
        grid, _ = _grid(ref, SimpleNamespace(bandwidth=bandwidth))
        sup_grid = support_counts(pts[:, 0], pts[:, 1], grid)
        sup, ok = _sample(grid, sup_grid, x, y)
        small = ~ok | (sup < thr)
        name = "exports/postcode_indices.csv"
        result.checked[name] = len(pcs)
        bad: list[tuple[str, str]] = []
        if f"local_{lid}" in pcs.columns:
            bad += [(p, f"local_{lid} (exact density) published") for p in pcs["postcode"][:1]]
        if f"band_local_{lid}" in pcs.columns:
            hit = small & pcs[f"band_local_{lid}"].notna().to_numpy()
            bad += [
                (p, f"band_local_{lid} with fewer than {thr} records in reach")
                for p in pcs["postcode"][hit]
            ]
        pc_col = f"pc_c_{lid}"
        if pc_col in pcs.columns and f"c_{lid}" in lsoa.columns:
            own = pcs["lsoa21_code"].map(pd.Series(lsoa[f"c_{lid}"].to_numpy(), index=codes))
            differs = ~np.isclose(pcs[pc_col].to_numpy(float), own.to_numpy(float), atol=1e-6)
            hit = small & differs & np.isfinite(x)
            bad += [
                (p, f"{pc_col} uses a local density with fewer than {thr} records in reach")
                for p in pcs["postcode"][hit]
            ]
        result.findings += [Finding(name, f"postcode {p}", why) for p, why in bad]
    return result


def audit_region(region: str, data_dir: Path | None = None) -> AuditResult:
    """Audit the current build of a region (what ``sna audit --region R`` runs)."""
    from .builds import current_build
    from .config import load_region
    from .store import Store

    config = load_region(region)
    folder = current_build(config.id, data_dir)
    return audit_build(folder, store=Store(config.id, data_dir))
