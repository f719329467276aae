"""Prepare a region's geodata store: load every source, place postcodes, write GeoParquet.

``prepare_region`` is what ``sna data prepare`` runs. It checks every input exists, computes
a cache key from the input checksums, the validated config and the loader code, and returns
early when the current store already has that key. Otherwise it writes every table into a
staging folder and publishes it atomically (see :mod:`sna.prepare.store`): a failure leaves the
previous store untouched. The steps themselves, one module per source family, are in
:mod:`sna.prepare`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geodata._io import sha256_file
from geodata.errors import MissingFileError
from sna import __version__
from sna.config.region import RegionConfig, SourceSpec, load_region
from sna.prepare.areas import step_areas
from sna.prepare.assets import step_assets
from sna.prepare.crime import step_crime
from sna.prepare.deprivation import step_deprivation
from sna.prepare.partner import step_partner
from sna.prepare.postcodes import step_postcodes
from sna.prepare.schools import step_schools
from sna.prepare.steps import GEOCODE_WHEEL, Step, TableWriter, postcode_source_path
from sna.prepare.store import (
    PrepareResult,
    Store,
    prepare_result,
    publish_store,
    region_dir,
    staging_dir,
    store_code_fingerprint,
)
from sna.settings import shared_cache_dir

__all__ = ["GEOCODE_WHEEL", "prepare_region", "postcode_source_path"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


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


def _checksums(files: dict[str, tuple[SourceSpec | None, list[Path]]]) -> dict[str, dict]:
    return {
        name: {str(f): sha256_file(f) for f in paths} for name, (_, paths) in sorted(files.items())
    }


def _cache_key(config: RegionConfig, checksums: dict[str, dict]) -> str:
    blob = json.dumps(
        {
            "config": config.store_fingerprint(),
            "code": store_code_fingerprint(),
            "inputs": checksums,
        },
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()


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
    if config.region.view_of:  # a VRU view: sliced from its national store (sna.prepare.views)
        from sna.prepare.views import prepare_view

        national = load_region(config.region.view_of)
        prepare_region(national, data_dir=data_dir, progress=progress)  # up to date first
        return prepare_view(
            config, national, data_dir=data_dir, force=force, progress=progress, t0=t0
        )
    files = _source_files(config)
    checksums = _checksums(files)
    key = _cache_key(config, checksums)
    store = Store(config.id, data_dir)
    if not force and store.exists():
        manifest = store.manifest()
        if manifest.get("cache_key") == key:
            return prepare_result(config.id, store.path, manifest, False, t0)

    steps = _steps(config)
    target = region_dir(config.id, data_dir)
    with staging_dir(target, "store") as tmp:
        writer = TableWriter(tmp, files, checksums)
        ctx: dict[str, Any] = {
            "config": config,
            "metrics": {},
            "tmp": tmp,
            "shared_dir": shared_cache_dir(target.parent),
        }
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
            "code_fingerprint": store_code_fingerprint(),
            "python": platform.python_version(),
            "tables": writer.tables,
            "metrics": ctx["metrics"],
            "synthetic_tables": sorted(k for k, v in writer.tables.items() if v["synthetic"]),
            "warnings": [
                w for t in writer.tables.values() for r in t["load"] for w in r.get("warnings", [])
            ],
        }
        final = publish_store(tmp, store, key, manifest)
    return prepare_result(config.id, final, manifest, True, t0)


def _steps(config: RegionConfig) -> list[tuple[str, Step]]:
    """The steps in order (see :mod:`sna.prepare`): each reads what earlier ones left."""
    return [
        ("areas and population", step_areas),
        ("postcodes", step_postcodes),
        ("deprivation", step_deprivation),
        ("police recorded crime", step_crime),
        ("schools and exclusions", step_schools),
        ("partner data", step_partner),
        ("community assets", step_assets),
    ]
