"""Build a region's indices from its prepared store and publish them atomically.

``build_region`` is what ``sna build`` runs:

1. prepare the store if it is missing or stale (a no-op when up to date);
2. compute every declared layer on the region's LSOA21s (:mod:`sna.needs.layers`);
3. score them (:mod:`sna.needs.scoring`): shrinkage, treatment, normalisation, weights;
4. ranks, deciles and bands; Monte Carlo rank intervals (:mod:`sna.stats.uncertainty`);
5. drivers and a one-sentence explanation per LSOA (:mod:`sna.needs.drivers`);
6. hotspots: Getis-Ord Gi* and local Moran's I with FDR control (:mod:`sna.stats.hotspots`);
7. kernel-density surfaces and the postcode index (:mod:`sna.stats.kde`);
8. a sensitivity report: Spearman correlation of ranks under alternative choices;
9. write a versioned build folder and move the ``current`` pointer only on success.
"""

from __future__ import annotations

import gc
import json
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna import __version__
from sna.answers.writer import write_answers
from sna.audit import audit_build
from sna.build.inputs import (
    layer_inputs,
    load_tables,
    load_trend_tables,
    region_scores,
    shrinkage_parents,
)
from sna.build.national import national_ranks
from sna.build.postcodes import postcode_index, postcode_violence, write_surfaces
from sna.build.robustness import rank_intervals, sensitivity
from sna.build.violence import violence_columns, violence_step
from sna.builds.registry import (
    builds_dir,
    clean_leftovers,
    current_build,
    new_build_id,
)
from sna.config.region import RegionConfig, load_region
from sna.disclosure.public_tables import public_lsoa_table, public_postcode_table
from sna.errors import BuildNotFound
from sna.fingerprint import code_fingerprint
from sna.needs.at_risk import provenance as at_risk_provenance
from sna.needs.drivers import explain, top_drivers
from sna.needs.layers import check_ranges
from sna.needs.partner_layers import layer_status, scored_layers
from sna.needs.scoring import INDICES, score_layers
from sna.needs.trends import write_trends
from sna.outcomes.answer import build_outcomes
from sna.prepare.pipeline import prepare_region
from sna.prepare.store import Store, publish_dir, region_dir, staging_dir, write_table
from sna.settings import PROJECT_ROOT, shared_cache_dir
from sna.stats.hotspots import getis_ord_gi_star, local_moran, spatial_weights
from sna.stats.ranking import bands, deciles, rank_desc
from sna.violence.region_street import region_trend

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


def _git_version() -> str:
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except Exception:  # not a git checkout
        return ""


# --- the build ----------------------------------------------------------------------------


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
    sc = config.scoring
    timings: dict[str, float] = {}
    steps = [
        "prepare store",
        "layers",
        "scores",
        "violence risk",
        "uncertainty",
        "drivers",
        "hotspots",
        "surfaces and postcodes",
        "sensitivity",
        "write and publish",
    ]

    def step(i: int) -> float:
        if progress:
            progress(steps[i], i, len(steps))
        return time.perf_counter()

    t = step(0)
    prepared = prepare_region(config, data_dir=data_dir)
    store = Store(config.id, data_dir)
    timings["prepare store"] = time.perf_counter() - t

    t = step(1)
    areas = store.read("lsoa21")
    postcodes = store.read("postcodes")
    tables = load_tables(store, config)
    live = postcodes[postcodes["status"] == "live"]
    # partner layers without data are held back (weight 0); partner layers with data are
    # aggregated to their disclosure geography (sna.needs.partner_layers, sna.disclosure.control)
    declared = config
    layers, units, held = scored_layers(config.layers, tables, areas, live, sc.disclosure_threshold)
    config = config.model_copy(update={"layers": [d.spec for d in layers]})
    inputs = layer_inputs(layers)
    parent = shrinkage_parents(areas, sc)
    timings["layers"] = time.perf_counter() - t

    t = step(2)
    scored = score_layers(inputs, sc, parent)
    check_ranges(layers, scored.values, areas["lsoa21_code"])  # no impossible value published
    weights = scored.weights
    lsoa = areas.copy()
    for d, inp in zip(layers, inputs, strict=True):
        lid = d.spec.id
        lsoa[f"v_{lid}"] = scored.values[lid].to_numpy()
        lsoa[f"s_{lid}"] = scored.scores[lid].to_numpy()
        if inp.count is not None:
            lsoa[f"n_{lid}"] = inp.count
            lsoa[f"raw_{lid}"] = d.raw.to_numpy()
        if d.spec.national and d.spec.table == "iod2025":
            nd = tables["iod2025"].set_index("lsoa21_code").get(f"{d.spec.column}_national_decile")
            if nd is not None:
                lsoa[f"nd_{lid}"] = nd.reindex(lsoa["lsoa21_code"]).to_numpy()
    need_contrib = scored.need_contributions()
    for lid in need_contrib.columns:
        lsoa[f"c_{lid}"] = need_contrib[lid].to_numpy()
    for lv in scored.levels.columns:
        lsoa[f"level_{lv}"] = scored.levels[lv].to_numpy()
    for lid, u in units.items():  # restricted: per-LSOA counts and the unit published
        lsoa[f"n_{lid}"] = u.lsoa_counts.to_numpy()
        lsoa[f"unit_{lid}"] = u.unit.to_numpy()
    for k in INDICES:
        vals = getattr(scored, k)
        lsoa[k] = vals
        lsoa[f"{k}_rank"] = rank_desc(vals)
        lsoa[f"{k}_decile"] = deciles(vals)
        lsoa[f"{k}_band"] = bands(vals)
    timings["scores"] = time.perf_counter() - t

    t = step(3)
    titles = {s.id: _lower_first(s.title) for s in config.layers}
    synthetic_ids = {d.spec.id for d in layers if d.synthetic}
    vstep = violence_step(
        config,
        tables,
        areas,
        scored.scores,
        skip=synthetic_ids,
        source_scores=lambda src: region_scores(src, data_dir),
        shared_dir=shared_cache_dir(region_dir(config.id, data_dir).parent),
    )
    vcols, vchecks = violence_columns(
        vstep,
        titles,
        region_name=config.region.name,
        draws=config.violence_risk.draws,
        seed=sc.seed,
    )
    for col in vcols.columns:
        lsoa[col] = vcols[col].to_numpy()
    timings["violence risk"] = time.perf_counter() - t
    if vstep.input_seconds:
        inputs_label = (
            "street counts (police.uk archive) and forward test"
            if vstep.street is not None
            else "pooled violence fit and at-risk inputs"
        )
        timings[inputs_label] = vstep.input_seconds

    t = step(4)
    mc = rank_intervals(inputs, sc, parent, scored)
    checks: dict[str, Any] = {
        **vchecks,
        # proportion layers on the logit scale cap a count at its population (e.g. an IDACI
        # numerator above the Census 2021 count of children); say how often that happened
        "proportion_counts_capped": {
            i.spec.id: int(np.sum(i.count > i.denominator))
            for i in inputs
            if i.count is not None and i.spec.proportion
        },
    }
    for k in INDICES:
        res = mc[k]
        for col in ("rank_lo", "rank_median", "rank_hi", "p_top_decile", "decile_confidence"):
            lsoa[f"{k}_{col}"] = getattr(res, col)
        checks[f"{k}_intervals_widened"] = res.n_widened
    timings["uncertainty"] = time.perf_counter() - t

    t = step(5)
    synthetic_layers = [d.spec.id for d in layers if d.synthetic]
    titles = {
        s.id: _lower_first(s.title) + (" (illustrative)" if s.id in synthetic_layers else "")
        for s in config.layers
    }
    protective_ids = [s.id for s in config.layers if s.kind == "protective"]
    # the drivers that explain where the area sits: above the regional average, what raises
    # it most; below, what lowers it most (the explanation sentence reads the same way)
    ups, downs = top_drivers(need_contrib, n=3), top_drivers(need_contrib, n=3, direction="down")
    lsoa["drivers"] = [
        json.dumps([[lid, round(float(c), 4)] for lid, c in (up if need >= 0 else down)])
        for up, down, need in zip(ups, downs, scored.need, strict=True)
    ]
    lsoa["explanation"] = [
        explain(
            need_contrib.iloc[i], titles, band=lsoa["need_band"].iloc[i], protective=protective_ids
        )
        for i in range(len(lsoa))
    ]
    timings["drivers"] = time.perf_counter() - t

    t = step(6)
    w = spatial_weights(areas)
    gi = getis_ord_gi_star(
        scored.need, w, permutations=sc.hotspot_permutations, seed=sc.seed, alpha=sc.fdr_alpha
    )
    lm = local_moran(
        scored.need, w, permutations=sc.hotspot_permutations, seed=sc.seed, alpha=sc.fdr_alpha
    )
    for col in gi.columns:
        lsoa[f"gi_{col}"] = gi[col].to_numpy()
    for col in lm.columns:
        lsoa[f"moran_{col}"] = lm[col].to_numpy()
    timings["hotspots"] = time.perf_counter() - t

    target = builds_dir(config.id, data_dir)
    clean_leftovers(config.id, data_dir)  # what killed builds left behind
    with staging_dir(target, "build") as tmp:
        t = step(7)
        (tmp / "surfaces").mkdir()
        surfaces = write_surfaces(config, tables, areas, tmp / "surfaces")
        pcs = postcode_index(postcodes, lsoa, scored, surfaces, config)
        pcs = postcode_violence(pcs, lsoa, tables, config)
        keep = ["risk", "protective", "need", "need_rank", "need_decile", "need_band"]
        keep += ["violence_risk", "violence_risk_rank", "violence_risk_decile"]
        keep += ["violence_risk_band"]
        pcs = pcs.merge(
            pd.DataFrame(lsoa[["lsoa21_code", *keep]]).rename(
                columns={k: f"lsoa_{k}" for k in keep}
            ),
            on="lsoa21_code",
            how="left",
        )
        pcs["pc_need_decile"] = deciles(pcs["pc_need"].to_numpy())
        pcs["pc_need_band"] = bands(pcs["pc_need"].to_numpy())
        timings["surfaces and postcodes"] = time.perf_counter() - t

        t = step(8)
        sens = sensitivity(inputs, sc, areas, scored)
        timings["sensitivity"] = time.perf_counter() - t

        t = step(9)
        national = None
        if config.region.view_of:  # a view: national ranks beside the regional ones
            ranks, national = national_ranks(config, lsoa["lsoa21_code"], data_dir)
            if ranks is not None:
                lsoa = lsoa.assign(**{c: ranks[c].to_numpy() for c in ranks.columns})
        write_table(tmp, "lsoa", lsoa)
        write_table(tmp, "postcodes", pcs)
        sens.to_csv(tmp / "sensitivity.csv", index=False)
        trend_street = vstep.street or region_trend(
            config, areas, shared_cache_dir(region_dir(config.id, data_dir).parent)
        )
        write_trends(tmp, *load_trend_tables(store, tables, areas, trend_street))
        hospital_synthetic = any(
            d.synthetic and d.spec.table == "hospital_admissions" for d in layers
        )
        outcome_warning = build_outcomes(tmp, config, tables, areas, hospital_synthetic)
        exports = tmp / "exports"
        exports.mkdir()
        pub = public_lsoa_table(lsoa, config.layers).assign(synthetic=bool(synthetic_layers))
        pub.drop(columns="geometry").to_csv(exports / "lsoa_indices.csv", index=False)
        pub.to_file(exports / "lsoa_indices.gpkg", driver="GPKG", engine="pyogrio")
        pub_pc = public_postcode_table(pd.DataFrame(pcs.drop(columns="geometry")), config.layers)
        pub_pc.assign(synthetic=bool(synthetic_layers)).to_csv(
            exports / "postcode_indices.csv", index=False
        )
        checks.update(_checks(lsoa, pcs, need_contrib))
        build_id = new_build_id()
        manifest = {
            "build_id": build_id,
            "region": config.id,
            "region_name": config.region.name,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "code_version": __version__,
            "git": _git_version(),
            "python": platform.python_version(),
            "config": declared.model_dump(mode="json"),
            "config_fingerprint": declared.fingerprint(),
            "code_fingerprint": code_fingerprint(),
            "store": {
                "path": str(store.path),
                "cache_key": store.manifest()["cache_key"],
                "inputs": {k: v["sources"] for k, v in store.manifest()["tables"].items()},
            },
            "layers": [
                {
                    **s.model_dump(mode="json"),
                    "synthetic": s.id in synthetic_layers,
                    "status": layer_status(s, s.id in synthetic_layers),
                    "effective_weight": weights[s.id],
                    **({"disclosure": units[s.id].summary()} if s.id in units else {}),
                }
                for s in config.layers
            ],
            "violence_model": {
                **vstep.fit.manifest(),
                "window": list(vstep.window) if vstep.window else None,
                "carried_over_from": vstep.carried_from or None,
                "provenance": vstep.provenance,
                "street_files": vstep.street.manifest() if vstep.street else None,
                "trend_files": (
                    trend_street.manifest() if trend_street and not vstep.street else None
                ),
                "unit": "violence and sexual offences expected in the next 12 months",
                "exposure": _exposure_provenance(config, areas),
            },
            "national": national,
            "forward_test": vstep.forward,
            "awaiting_layers": held,
            "synthetic_layers": synthetic_layers,
            "synthetic": bool(synthetic_layers),
            "surfaces": sorted(surfaces),
            "n_lsoa": int(len(lsoa)),
            "n_postcodes": int(len(pcs)),
            "checks": checks,
            "notes": scored.notes,
            "timings": {k: round(v, 3) for k, v in timings.items()},
            "prepare_rebuilt": prepared.rebuilt,
            "warnings": prepared.warnings + outcome_warning,  # about the inputs
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        n_lsoa, n_postcodes = len(lsoa), len(pcs)
        # the answers are made from the files just written, so this build's frames go
        # first: all of England held 3.7 GiB of them while the answers writer added as much
        del areas, postcodes, tables, live, layers, inputs, parent, scored, lsoa, need_contrib
        del vstep, vcols, mc, ups, downs, w, gi, lm, pcs, sens, pub, pub_pc
        gc.collect()
        write_answers(tmp, store_path=store.path)  # what the server reads, published with it
        timings["write and publish"] = time.perf_counter() - t
        audit_build(tmp, store=store).raise_if_leaking()  # a leaking build does not publish
        final = publish_dir(tmp, target / "current", build_id)
    return BuildResult(
        config.id,
        build_id,
        final,
        time.perf_counter() - t0,
        n_lsoa,
        n_postcodes,
        {k: round(v, 3) for k, v in timings.items()},
        checks,
    )


def _exposure_provenance(config: RegionConfig, areas: pd.DataFrame) -> dict[str, Any]:
    """What violence risk is exposed on: the estimated at-risk population, or residents."""
    if config.violence_risk.exposure == "at_risk_pop" and "workday_inflow" in areas.columns:
        p = at_risk_provenance()
        return {k: p[k] for k in ("id", "title", "unit", "provenance", "method", "vintage")}
    return {
        "id": config.violence_risk.exposure,
        "title": "Residents",
        "unit": "usual residents (Census 2021)",
        "provenance": "recorded",
        "method": "Census 2021 usual residents",
        "vintage": "Census 2021",
    }


def _lower_first(title: str) -> str:
    """'Income deprivation' -> 'income deprivation', keeping acronyms ('IDACI') intact."""
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


def _checks(lsoa: pd.DataFrame, pcs: pd.DataFrame, contrib: pd.DataFrame) -> dict[str, Any]:
    """The acceptance invariants, measured on every build and written to the manifest."""
    out: dict[str, Any] = {}
    out["missing_index_values"] = int(lsoa[list(INDICES)].isna().sum().sum())
    out["missing_postcode_index"] = int(pcs["pc_need"].isna().sum())
    out["max_driver_sum_error"] = float(np.max(np.abs(contrib.sum(axis=1) - lsoa["need"])))
    for k in INDICES:
        inside = (lsoa[f"{k}_rank_lo"] <= lsoa[f"{k}_rank"]) & (
            lsoa[f"{k}_rank"] <= lsoa[f"{k}_rank_hi"]
        )
        out[f"{k}_intervals_contain_rank"] = bool(inside.all())
    return out
