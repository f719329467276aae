"""A VRU as a view of a national build: its store sliced from the national store.

A VRU config with ``[region] view_of = "england"`` names its districts (and may add its own
partner extracts and service directory, prepared on top of the slice by
:mod:`sna.prepare.view_sources`); everything else is inherited from the national config
(:func:`sna.config.region.load_region`). Preparing it does not read the sources again: each table
of the national prepared store is cut to the view's districts by the same rule the prepare
step applies to a region of its own, so that a view's store, and therefore its build, is the
same as a direct build of those districts (``tests/test_views.py`` checks the identity).

The rules, per table:

- rows that carry an ``lsoa21_code`` keep the view's LSOAs (LSOAs, population, IoD, assets,
  interim exclusions, partner records, police.uk points; police.uk rows without coordinates
  are kept when their force is the view's ``police_force``, or police.uk's own LSOA code is
  one of the view's);
- postcodes keep those the ONS directory puts in one of the view's districts *and* whose
  LSOA21 is one of the view's (the prepare step filters by district, then by LSOA);
- wards, districts and schools keep the view's;
- the DfE authority tables keep the view's authorities, and the interim exclusions layer's
  ``level`` says "county" only if two of the view's districts share an authority.

What a view does *not* reuse is the scoring: ranks, bands, rank intervals, hotspots and
drivers are computed on the view's own LSOAs by the normal build (a few seconds for a VRU),
which is what makes a view's ranks regional.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sna import __version__
from sna.config.region import RegionConfig
from sna.prepare.store import (
    Store,
    prepare_result,
    publish_store,
    region_dir,
    staging_dir,
    store_code_fingerprint,
    write_table,
)
from sna.prepare.view_sources import own_checksums, own_sources, prepare_own_sources

__all__ = ["prepare_view", "slice_table"]


def _view_key(
    config: RegionConfig, national_key: str, code: str, own: dict[str, dict[str, str]]
) -> str:
    blob = json.dumps(
        {"view": config.store_fingerprint(), "national": national_key, "code": code, "own": own},
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()


def slice_table(
    name: str,
    frame: pd.DataFrame,
    *,
    lsoas: set[str],
    districts: set[str],
    wards: set[str],
    police_force: str,
    authorities: set[str] | None = None,
) -> pd.DataFrame:
    """The rows of one national store table that belong to a view (rules: module docstring)."""
    cols = set(frame.columns)
    if name == "postcodes":
        ons = "district_code_x" if "district_code_x" in cols else "district_code"
        keep = frame[ons].isin(districts) & frame["lsoa21_code"].isin(lsoas)
    elif name.startswith("crime_points"):
        keep = frame["lsoa21_code"].isin(lsoas)
        if "lsoa_code_file" in cols:
            keep |= frame["lsoa_code_file"].isin(lsoas)
        if "has_coordinates" in cols and police_force:
            keep |= ~frame["has_coordinates"].astype(bool) & frame["force"].eq(police_force)
    elif "lsoa21_code" in cols:
        keep = frame["lsoa21_code"].isin(lsoas)
    elif name == "wards":
        keep = frame["ward_code"].isin(wards)
    elif "district_code" in cols:
        keep = frame["district_code"].isin(districts)
    elif "la_name" in cols and authorities is not None:
        keep = frame["la_name"].isin(authorities)
    else:
        return frame
    return frame.loc[keep.fillna(False).to_numpy()].reset_index(drop=True)


def _authorities(config: RegionConfig, schools: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(DfE authority, district) pairs of the view, as the prepare step makes them."""
    from geodata.schools import dfe_authority_names
    from sna.prepare.schools import education_authorities

    names = education_authorities(config, schools)
    return [
        (n, d)
        for a, d in zip(names, config.region.districts, strict=True)
        for n in dfe_authority_names(a)
    ]


def prepare_view(
    config: RegionConfig,
    national_config: RegionConfig,
    *,
    data_dir: Path | None = None,
    force: bool = False,
    progress: Any = None,
    t0: float | None = None,
):
    """Prepare (or confirm up to date) a view's store by slicing its national store, which
    :func:`~sna.prepare.pipeline.prepare_region` has brought up to date first (``t0``: when
    that began, so the time reported covers both)."""
    t0 = time.perf_counter() if t0 is None else t0
    source = Store(national_config.id, data_dir)
    nat_manifest = source.manifest()
    own = own_sources(config, national_config)  # its partner extracts, its directory
    own_sums = own_checksums(own)
    key = _view_key(config, nat_manifest["cache_key"], store_code_fingerprint(), own_sums)
    store = Store(config.id, data_dir)
    if not force and store.exists() and store.manifest().get("cache_key") == key:
        return prepare_result(config.id, store.path, store.manifest(), False, t0)
    missing = sorted(set(config.region.districts) - set(source.read("districts")["district_code"]))
    if missing:
        from sna.errors import ConfigError

        raise ConfigError(
            f"{config.path or config.id}: region.districts: {missing} are not districts of "
            f"{national_config.id!r} (the region this is a view of)"
        )
    districts = set(config.region.districts)
    areas = source.read("lsoa21")
    areas = areas[areas["district_code"].isin(districts)]
    lsoas, wards = set(areas["lsoa21_code"]), set(areas["ward_code"])
    schools = None
    if source.has("schools"):
        schools = slice_table(
            "schools",
            source.read("schools"),
            lsoas=lsoas,
            districts=districts,
            wards=wards,
            police_force=config.region.police_force,
        )
    pairs = _authorities(config, schools) if source.has("exclusions_la") else []
    tables: dict[str, dict[str, Any]] = {}
    target = region_dir(config.id, data_dir)
    with staging_dir(target, "store") as tmp:
        for name in source.tables():
            if progress:
                progress(f"slice {name}", 0, 1)
            frame = slice_table(
                name,
                source.read(name),
                lsoas=lsoas,
                districts=districts,
                wards=wards,
                police_force=config.region.police_force,
                authorities={a for a, _ in pairs},
            )
            if name == "exclusions_district" and len(frame):
                shared = len({a for a, _ in pairs}) < len(pairs)
                frame["level"] = "education authority (county)" if shared else "district"
            write_table(tmp, name, frame)
            entry = dict(nat_manifest["tables"][name])
            entry["rows"] = int(len(frame))
            tables[name] = entry
        if own:
            if progress:
                progress(f"own sources: {', '.join(sorted(own))}", 0, 1)
            mine = prepare_own_sources(config, own, own_sums, tmp, tables)
            tables.update(mine)
            warnings = [w for t in mine.values() for r in t["load"] for w in r.get("warnings", [])]
        else:
            warnings = []
        manifest = {
            "region": config.id,
            "region_name": config.region.name,
            "view_of": national_config.id,
            "view_of_store": str(source.path),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "cache_key": key,
            "config_fingerprint": config.fingerprint(),
            "config_path": str(config.path) if config.path else None,
            "code_version": __version__,
            "code_fingerprint": store_code_fingerprint(),
            "tables": tables,
            "metrics": {"sliced_from": national_config.id},
            "own_sources": sorted(own),
            "synthetic_tables": sorted(k for k, v in tables.items() if v.get("synthetic")),
            "warnings": nat_manifest.get("warnings", []) + warnings,
        }
        final = publish_store(tmp, store, key, manifest)
    return prepare_result(config.id, final, manifest, True, t0)
