"""The at-risk population of every LSOA in England, computed once and shared by every region.

:mod:`sna.needs.at_risk` is the estimate; this module gathers its national inputs (every LSOA21's
residents, MSOA, live large-user postcodes and school pupils, and every MSOA's workplace
inflow) and caches the result as ``<data_dir>/_shared/at-risk-<key>.parquet``, keyed by the
checksums of those inputs and the code. A region's prepare step slices it (an MSOA's inflow
is shared among all its LSOAs, so the estimate is made nationally, never on a slice); the
pooled violence model reads the LSOAs of every force with street files from it. A cold
computation reads the national postcode list (about 20 s); after that it is one read.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import boundaries, gias, lsoa21, population, workplace
from geodata import postcodes as pc
from geodata._io import sha256_file
from sna.config.region import RegionConfig
from sna.errors import ConfigError
from sna.fingerprint import code_fingerprint
from sna.needs.at_risk import at_risk_population
from sna.settings import PROJECT_ROOT

__all__ = ["AT_RISK_SOURCES", "national_at_risk", "cache_path"]

#: The region sources the estimate reads (and whose checksums key its cache).
AT_RISK_SOURCES = (
    "lsoa21_lookup",
    "lsoa21_boundaries",
    "lsoa11_lsoa21_lookup",
    "population",
    "schools",
    "workplace_population",
    "msoa_names",
)

_CODE = [
    PROJECT_ROOT / "sna" / "needs" / "at_risk.py",
    PROJECT_ROOT / "sna" / "needs" / "national_at_risk.py",
    PROJECT_ROOT / "geodata" / "workplace.py",
]


def _paths(config: RegionConfig) -> dict[str, Path]:
    out = {}
    for name in AT_RISK_SOURCES:
        spec = getattr(config.sources, name)
        if spec is None:
            raise ConfigError(
                f"{config.id}: the at-risk population needs sources.{name} (see "
                "geodata/regions/west-midlands.toml)"
            )
        out[name] = config.source_path(spec.paths[0])
    return out


def cache_path(config: RegionConfig, shared_dir: Path, postcode_file: Path) -> Path:
    """Where the national table for these inputs lives (named by a hash of inputs and code)."""
    files = {**_paths(config), "postcodes": postcode_file}
    blob = {
        "inputs": {k: sha256_file(p) for k, p in sorted(files.items())},
        "postcode_kind": config.sources.postcodes.kind,
        "code": code_fingerprint(_CODE),
    }
    key = hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()
    return shared_dir / f"at-risk-{key[:16]}.parquet"


def national_at_risk(config: RegionConfig, shared_dir: Path, postcode_file: Path) -> pd.DataFrame:
    """Every English LSOA21's at-risk population (:func:`sna.needs.at_risk.at_risk_population`).

    Returns ``lsoa21_code``, ``lsoa21_name``, ``msoa21_name``, ``district_code`` and the
    columns of :data:`sna.needs.at_risk.AT_RISK_COLUMNS`; read from the cache when it exists.
    """
    path = cache_path(config, shared_dir, postcode_file)
    if path.exists():
        return pd.read_parquet(path)
    frame = _compute(config, postcode_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return frame


def _compute(config: RegionConfig, postcode_file: Path) -> pd.DataFrame:
    paths = _paths(config)
    lk = boundaries.read_lsoa21_lookup(paths["lsoa21_lookup"]).data
    lk = lk[lk["lsoa21_code"].str.startswith("E")]
    names = workplace.read_msoa_names(paths["msoa_names"]).data
    lk = lk.merge(names[["msoa21_code", "msoa21_name"]], on="msoa21_name", how="left")
    unnamed = lk["msoa21_code"].isna()
    if unnamed.any():
        raise ConfigError(
            f"{paths['msoa_names']}: {int(unnamed.sum())} LSOA21s have no MSOA of their name, "
            f"e.g. {lk.loc[unnamed, 'lsoa21_name'].head(3).tolist()}"
        )
    pop = population.read_census_population(paths["population"]).data
    lk["residents"] = lk["lsoa21_code"].map(pop.set_index("lsoa21_code")["pop_total"]).fillna(0)

    if config.sources.postcodes.kind == "onspd":
        pcs = pc.read_onspd(postcode_file).data
    else:
        pcs = pc.read_geocode_wheel(postcode_file).data
    pcs = pcs[pcs["lsoa11_code"].astype(str).str.startswith("E")]
    polys = boundaries.read_boundaries(
        paths["lsoa21_boundaries"], code_col="lsoa21_code", name_col="lsoa21_name"
    ).data.rename(columns={"code": "lsoa21_code"})
    lookup = lsoa21.read_lsoa11_lsoa21_lookup(paths["lsoa11_lsoa21_lookup"]).data
    placed = lsoa21.assign_lsoa21(pcs, lookup, polys, measure_agreement=False).data
    live_large = placed[
        (placed["status"] == "live") & (pd.to_numeric(placed["usertype"]).to_numpy() == 1)
    ]
    lk["large_user_postcodes"] = (
        lk["lsoa21_code"].map(live_large.groupby("lsoa21_code").size()).fillna(0).astype(int)
    )
    schools = gias.read_gias(paths["schools"]).data
    pupils = pd.to_numeric(schools["number_of_pupils"], errors="coerce").fillna(0)
    per_lsoa = pupils.groupby(schools["lsoa_code"].to_numpy()).sum()
    lk["pupils"] = lk["lsoa21_code"].map(per_lsoa).fillna(0).astype(float)

    wp = workplace.read_workplace_msoa(paths["workplace_population"]).data
    est = at_risk_population(lk, wp)
    out = lk[["lsoa21_code", "lsoa21_name", "msoa21_name", "district_code"]].merge(
        est, on="lsoa21_code", how="left"
    )
    if not np.isfinite(out["at_risk_pop"]).all():
        raise ValueError("at-risk population: non-finite estimate")
    return out.sort_values("lsoa21_code", ignore_index=True)
