"""Build a region's indices from its prepared store and publish them atomically.

``build_region`` is what ``sna build`` runs: the declared stages of
:data:`sna.build.steps.STAGES`, in order, by one runner (:func:`sna.build.stages.run_stages`:
progress, timing, a fingerprint per stage in the manifest):

1. prepare the store if it is missing or stale (a no-op when up to date);
2. compute every declared layer on the region's LSOA21s (:mod:`sna.needs.layers`);
3. score them (:mod:`sna.needs.scoring`): shrinkage, treatment, normalisation, weights;
   ranks, deciles and bands;
4. violence risk (:mod:`sna.build.violence`);
5. Monte Carlo rank intervals (:mod:`sna.stats.uncertainty`);
6. drivers and a one-sentence explanation per LSOA (:mod:`sna.needs.drivers`);
7. hotspots: Getis-Ord Gi* and local Moran's I with FDR control (:mod:`sna.stats.hotspots`);
8. kernel-density surfaces and the postcode index (:mod:`sna.stats.kde`);
9. a sensitivity report: Spearman correlation of ranks under alternative choices;
10. write a versioned build folder (from stage 8 on, a staging folder), audit it for
    disclosure, and move the ``current`` pointer only on success.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sna.audit import audit_build
from sna.build.stages import Stage, StageRun, run_stages
from sna.build.steps import FIRST_STAGE_IN_FOLDER, STAGES, BuildState
from sna.builds.registry import builds_dir, clean_leftovers, current_build
from sna.config.region import RegionConfig, load_region
from sna.errors import BuildNotFound
from sna.fingerprint import code_fingerprint
from sna.needs.scoring import INDICES
from sna.prepare.store import Store, publish_dir, staging_dir

__all__ = [
    "BuildResult",
    "INDICES",
    "build_is_current",
    "build_region",
]

Progress = Callable[[str, int, int], None]


@dataclass
class BuildResult:
    """Where a build went and what it measured."""

    region: str
    build_id: str
    path: Path
    seconds: float
    n_lsoa: int
    n_postcodes: int
    timings: dict[str, float] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)


def build_is_current(config: RegionConfig, data_dir: Path | None = None) -> bool:
    """True when the current build used this config, this code and the current store."""
    try:
        folder = current_build(config.id, data_dir)
    except BuildNotFound:
        return False
    m = json.loads((folder / "manifest.json").read_text())
    store = Store(config.id, data_dir)
    return (
        store.exists()
        and m.get("config_fingerprint") == config.fingerprint()
        and m.get("code_fingerprint") == code_fingerprint()
        and m.get("store", {}).get("cache_key") == store.manifest().get("cache_key")
    )


def build_region(
    region: str | Path | RegionConfig,
    *,
    data_dir: Path | None = None,
    progress: Progress | None = None,
    mc_draws: int | None = None,
    synthetic_partner_data: bool = False,
) -> BuildResult:
    """Build and publish the indices of one region; see the module docstring.

    ``synthetic_partner_data`` generates synthetic stand-ins for absent partner extracts
    (as the config switch ``[synthetic] partner_data = true`` does); by default such layers
    are awaiting partner data. The disclosure audit (:mod:`sna.audit`) runs before
    ``current`` moves and raises :class:`~sna.errors.DisclosureError` on a leak.
    """
    t0 = time.perf_counter()
    config = region if isinstance(region, RegionConfig) else load_region(region)
    if synthetic_partner_data:
        config = config.model_copy(
            update={"synthetic": config.synthetic.model_copy(update={"partner_data": True})}
        )
    if mc_draws is not None:
        config = config.model_copy(
            update={"scoring": config.scoring.model_copy(update={"mc_draws": mc_draws})}
        )
    state = BuildState(config=config, declared=config, data_dir=data_dir)
    split = [s.name for s in STAGES].index(FIRST_STAGE_IN_FOLDER)
    before, inside = STAGES[:split], STAGES[split:]

    def record(run: StageRun) -> None:
        state.timings[run.name] = run.seconds
        state.ran.append(run)

    def run(stages: Sequence[Stage]) -> None:
        run_stages(stages, state, progress, total=len(STAGES), first=len(state.ran), done=record)

    run(before)
    target = builds_dir(config.id, data_dir)
    clean_leftovers(config.id, data_dir)  # what killed builds left behind
    with staging_dir(target, "build") as tmp:
        state.folder = tmp
        run(inside)
        audit_build(tmp, store=state.store).raise_if_leaking()  # a leak does not publish
        final = publish_dir(tmp, target / "current", state.build_id)
    return BuildResult(
        config.id,
        state.build_id,
        final,
        time.perf_counter() - t0,
        state.n_lsoa,
        state.n_postcodes,
        {k: round(v, 3) for k, v in state.timings.items()},
        state.checks,
    )
