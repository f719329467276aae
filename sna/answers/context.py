"""What the answer writers share about one build: manifest, layer specs, tables, aggregates.

Read once per ``sna build`` (never by the server): :func:`load_context` reads the build
folder's ``manifest.json``, ``lsoa.parquet`` and ``postcodes.parquet``, computes the ward and
district aggregates (:mod:`sna.answers.groups`) and the regional means the answers compare
against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sna.answers.catalogue import layer_vintages, tail_fragment
from sna.answers.groups import aggregate, public_aggregate
from sna.config.contacts import what_to_do
from sna.config.region import LayerSpec, manifest_specs
from sna.disclosure.public_tables import public_lsoa_table
from sna.errors import BuildLoadError
from sna.needs.scoring import INDICES
from sna.prepare.store import read_table
from sna.tiles.render import SurfaceStyle, surface_style

__all__ = ["BuildContext", "load_context", "msoa_place_names", "store_path_of"]


def msoa_place_names(manifest: dict[str, Any]) -> dict[str, str]:
    """MSOA 2021 code -> its House of Commons Library name, read from the ``msoa_names``
    source the store was prepared with (empty when the build has none)."""
    from geodata.workplace import read_msoa_names

    for items in manifest.get("store", {}).get("inputs", {}).values():
        for s in items:
            if s.get("source") == "msoa_names" and s.get("files"):
                path = Path(s["files"][0])
                if not path.exists():
                    return {}
                frame = read_msoa_names(path).data
                named = frame[frame["msoa21_hcl_name"].astype(str).str.strip() != ""]
                return dict(zip(named["msoa21_code"], named["msoa21_hcl_name"], strict=True))
    return {}


def store_path_of(folder: Path, manifest: dict[str, Any], given: Path | None = None) -> Path | None:
    """The prepared store a build was made from: ``given``, the manifest's, else
    ``<region>/store`` beside the builds (None when there is none)."""
    if given is not None:
        return Path(given)
    recorded = manifest.get("store", {}).get("path")
    if recorded and (Path(recorded) / "manifest.json").exists():
        return Path(recorded)
    link = folder.parent.parent / "store"
    return link.resolve() if (link / "manifest.json").exists() else None


@dataclass
class BuildContext:
    """One build's tables and the shared pieces every answer is made of."""

    path: Path
    manifest: dict[str, Any]
    lsoa_raw: gpd.GeoDataFrame
    postcodes_raw: pd.DataFrame
    store_path: Path | None
    asset_radius_m: float = 1000.0
    max_assets: int = 10
    specs: list[LayerSpec] = field(init=False)
    surfaces: dict[str, SurfaceStyle] = field(init=False)

    def __post_init__(self) -> None:
        m = self.manifest
        self.build_id = str(m["build_id"])
        self.region = str(m.get("region", ""))
        self.region_name = str(m.get("region_name", self.region))
        self.layer_meta: list[dict[str, Any]] = list(m.get("layers", []))
        self.specs = manifest_specs(self.layer_meta)
        self.partner = [s.id for s in self.specs if s.partner]
        self.synthetic = set(m.get("synthetic_layers", []))
        self.spec_by_id = {s.id: s for s in self.specs}
        self.meta_by_id = {d["id"]: d for d in self.layer_meta}
        self.lsoa_public = public_lsoa_table(self.lsoa_raw, self.specs)
        self.surfaces = {}
        for lid in m.get("surfaces", []):
            tif = self.path / "surfaces" / f"{lid}.tif"
            if tif.exists():
                spec = self.spec_by_id.get(lid)
                self.surfaces[lid] = surface_style(
                    tif,
                    lid,
                    partner=bool(spec and spec.partner),
                    unit=spec.surface_unit if spec else None,  # places have no "per year"
                )
        self.vintages = layer_vintages(m, self.layer_meta)
        config = m.get("config") or {}
        self.contacts = what_to_do(config.get("contacts"), config.get("region") or {})
        self.tail = tail_fragment(m, self.vintages, self.contacts)
        lsoa = pd.DataFrame(self.lsoa_raw.drop(columns="geometry"))
        self.ward_raw = aggregate(lsoa, "ward", self.partner)
        self.district_raw = aggregate(lsoa, "district", self.partner)
        self.ward_public = public_aggregate(self.ward_raw, self.partner)
        self.district_public = public_aggregate(self.district_raw, self.partner)
        w = lsoa["pop_total"].astype(float)
        self.region_means = {
            k: float(np.average(lsoa[k].astype(float), weights=w)) for k in INDICES
        }
        self.violence_means: dict[str, tuple[float, float]] = {}
        if "violence_risk" in lsoa.columns:
            for level, frame in (
                ("lsoa", lsoa),
                ("ward", self.ward_raw),
                ("district", self.district_raw),
            ):
                self.violence_means[level] = (
                    float(frame["violence_risk"].astype(float).mean()),
                    float(frame["violence_prior"].astype(float).mean()),
                )
        # each open layer's regional average, population-weighted as the IoD's aggregates are
        self.layer_region_values: dict[str, float] = {}
        for spec in self.specs:
            col = f"v_{spec.id}"
            if spec.partner or col not in lsoa.columns:
                continue
            v, wt = lsoa[col].astype(float).to_numpy(), w.to_numpy()
            ok = np.isfinite(v) & np.isfinite(wt) & (wt > 0)
            if ok.any():
                self.layer_region_values[spec.id] = float(np.average(v[ok], weights=wt[ok]))
        self.violence_per_resident: float | None = None
        if "violence_prior" in lsoa.columns and "pop_total" in lsoa.columns:
            pop = float(lsoa["pop_total"].astype(float).sum())
            if pop > 0:
                self.violence_per_resident = float(lsoa["violence_prior"].astype(float).sum()) / pop
        self.violence_period = recorded_period(m.get("violence_model") or {})
        #: no street files: the prior count is an estimate from published rates, not a record
        self.violence_estimated = bool((m.get("violence_model") or {}).get("carried_over_from"))
        self.violence_source = (
            "IoD2025 crime indicators x the estimated at-risk population"
            if self.violence_estimated
            else "police.uk street-level files"
        )
        self.district_rows = {r["code"]: r for r in self.district_public.to_dict("records")}
        #: MSOA code -> the House of Commons Library name ("Central"), where the build has one
        self.msoa_names = msoa_place_names(m)
        self.has_directory = bool(config.get("services"))
        self.support_note = (
            "Services the partnership funds come first, then the nearest schools, places of "
            "worship and libraries."
            if self.has_directory
            else f"{self.region_name} has no service directory yet, so no support services are "
            "listed: these are the nearest schools, places of worship and libraries (places, "
            "not services)."
        )

    def store_table(self, name: str) -> pd.DataFrame | None:
        """A table of the prepared store (assets, wards, districts), or None."""
        if self.store_path is None or not (self.store_path / f"{name}.parquet").exists():
            return None
        return read_table(self.store_path / f"{name}.parquet")


def load_context(
    path: Path,
    *,
    store_path: Path | None = None,
    asset_radius_m: float = 1000.0,
    max_assets: int = 10,
) -> BuildContext:
    """Read a build folder for the answer writers (:class:`BuildLoadError` if unreadable)."""
    path = Path(path).resolve()
    try:
        manifest = json.loads((path / "manifest.json").read_text())
        str(manifest["build_id"])
        lsoa = read_table(path / "lsoa.parquet")
        postcodes = read_table(path / "postcodes.parquet")
    except (OSError, KeyError, ValueError) as exc:
        raise BuildLoadError(f"{path}: cannot read build ({exc})") from exc
    if not isinstance(lsoa, gpd.GeoDataFrame):
        raise BuildLoadError(f"{path / 'lsoa.parquet'}: no geometry column")
    pcs = pd.DataFrame(postcodes.drop(columns="geometry", errors="ignore"))
    return BuildContext(
        path,
        manifest,
        lsoa.reset_index(drop=True),
        pcs.reset_index(drop=True),
        store_path_of(path, manifest, store_path),
        float(asset_radius_m),
        int(max_assets),
    )


def _month_words(month: str) -> str:
    """``2022-04`` -> ``April 2022``."""
    import calendar

    year, mon = str(month).split("-")[:2]
    return f"{calendar.month_name[int(mon)]} {year}"


def recorded_period(model: dict) -> str | None:
    """When the recorded count a resident reads was recorded, in words.

    Street-level files: the whole window, as the model's prior weights recent months more;
    IoD2025 indicators (the pooled model): their two years.
    """
    try:
        if model.get("carried_over_from"):
            first, last = model["feature_window"]
            return f"{_month_words(first)} to {_month_words(last)}"
        if model.get("window"):
            first, last = model["window"]
            return f"{_month_words(first)} to {_month_words(last)}, recent months counting more"
    except (KeyError, TypeError, ValueError):
        return None
    return None
