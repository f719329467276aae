"""Every VRU view of a national build, built in a few worker processes.

A view's build is a few seconds of work per thousand LSOAs plus a fixed cost (imports,
slicing the national store, the Monte Carlo intervals, writing answers) that one view at a
time pays 38 times over and on one core. Here the national store is brought up to date once,
in this process, and then the views are built by ``jobs`` workers (default: the machine's
cores), each importing the library once and building view after view: each exactly as
``sna build --region <id>`` builds it (:func:`sna.build.pipeline.build_region`), so a view built
here
is the same as one built alone.

The shared caches (the at-risk estimate, the pooled fit, the archive's street counts) are
written by the national build; a view only reads them.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from sna.config.region import RegionConfig, load_region
from sna.config.regions import REGIONS_DIR
from sna.errors import ConfigError

__all__ = ["ViewBuild", "views_of", "build_views"]


@dataclass
class ViewBuild:
    """One view's outcome: its build, or the one-line error that stopped it."""

    region: str
    seconds: float
    n_lsoa: int = 0
    build_id: str = ""
    error: str = ""


def views_of(national: str | RegionConfig) -> list[str]:
    """Ids of every view of ``national``: the generated force-area views (of England) and the
    shipped region files that declare ``view_of = national``, each once."""
    import tomllib

    from sna.config.regions import generated_ids

    nid = national.id if isinstance(national, RegionConfig) else load_region(national).id
    ids = list(generated_ids()) if nid == "england" else []
    for path in sorted(REGIONS_DIR.glob("*.toml")):
        try:
            region = tomllib.loads(path.read_text(encoding="utf-8")).get("region", {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if region.get("view_of") == nid and region.get("id", path.stem) not in ids:
            ids.append(region.get("id", path.stem))
    return ids


def _build_one(view: str, data_dir: str | None) -> ViewBuild:
    """Build one view in a worker (errors come back as text: a view's failure is its own)."""
    from geodata.errors import GeodataError
    from sna.build.pipeline import build_region
    from sna.errors import SnaError

    t0 = time.perf_counter()
    try:
        r = build_region(view, data_dir=Path(data_dir) if data_dir else None)
    except (SnaError, GeodataError, OSError) as exc:
        return ViewBuild(view, time.perf_counter() - t0, error=" ".join(str(exc).split()))
    return ViewBuild(r.region, time.perf_counter() - t0, r.n_lsoa, r.build_id)


def build_views(
    national: str | RegionConfig,
    *,
    views: list[str] | None = None,
    data_dir: Path | None = None,
    jobs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[ViewBuild]:
    """Build ``views`` (default: :func:`views_of` ``national``) after bringing the national
    store up to date; ``jobs`` worker processes (default: the usable cores, at most 4: a view
    build peaks near 1.5 GiB). Returns one :class:`ViewBuild` per view, in the order they
    finished; a failed view does not stop the others.

    Raises :class:`~sna.errors.ConfigError` when ``national`` has no views.
    """
    from sna.prepare.pipeline import prepare_region

    config = national if isinstance(national, RegionConfig) else load_region(national)
    ids = list(views) if views is not None else views_of(config)
    if not ids:
        raise ConfigError(f"{config.id}: no region declares view_of = {config.id!r}")
    prepare_region(config, data_dir=data_dir)  # once, here: workers must not race to do it
    jobs = jobs or min(4, len(os.sched_getaffinity(0)))
    done: list[ViewBuild] = []
    if progress:
        progress(f"{len(ids)} views, {jobs} at a time", 0, len(ids))
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["sna.build.pipeline"])
    with ProcessPoolExecutor(max_workers=min(jobs, len(ids)), mp_context=ctx) as pool:
        futures = [pool.submit(_build_one, v, str(data_dir) if data_dir else None) for v in ids]
        for future in as_completed(futures):
            done.append(future.result())
            if progress:
                progress(f"built {done[-1].region}", len(done), len(ids))
    return done
