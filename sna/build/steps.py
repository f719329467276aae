"""The stages of ``sna build``, over one typed state (:class:`BuildState`).

Each stage is a function of the state, declared with what it reads and what it makes
(:class:`sna.build.stages.Stage`); :data:`STAGES` is their order. To add a stage, write its
function here, give :class:`BuildState` a field for what it makes, and put it in
:data:`STAGES`: the runner (:func:`sna.build.stages.run_stages`) reports its progress,
times it, checks its declaration and fingerprints it in the manifest.

The stages from :data:`FIRST_STAGE_IN_FOLDER` on write into the staging folder
(``state.folder``); the pipeline (:mod:`sna.build.pipeline`) opens it, and publishes it
after the last stage once the disclosure audit passes.
"""

from __future__ import annotations

import gc
import json
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna import __version__
from sna.answers.writer import write_answers
from sna.build.inputs import (
    layer_inputs,
    load_tables,
    load_trend_tables,
    shrinkage_parents,
)
from sna.build.national import national_ranks
from sna.build.postcodes import postcode_index, postcode_violence, write_surfaces
from sna.build.robustness import rank_intervals, sensitivity
from sna.build.stages import Stage, stage_fingerprint
from sna.build.violence import violence_columns, violence_step
from sna.builds.registry import new_build_id
from sna.config.region import RegionConfig
from sna.disclosure.public_tables import public_lsoa_table, public_postcode_table
from sna.fingerprint import code_fingerprint
from sna.needs.at_risk import provenance as at_risk_provenance
from sna.needs.drivers import explain, top_drivers
from sna.needs.layers import check_ranges
from sna.needs.partner_layers import layer_status, scored_layers
from sna.needs.scoring import INDICES, score_layers
from sna.needs.trends import write_trends
from sna.outcomes.answer import build_outcomes
from sna.prepare.pipeline import prepare_region
from sna.prepare.store import Store, region_dir, write_table
from sna.settings import PROJECT_ROOT, shared_cache_dir
from sna.stats.hotspots import getis_ord_gi_star, local_moran, spatial_weights
from sna.stats.ranking import bands, deciles, rank_desc
from sna.violence.region_street import region_trend

__all__ = ["BuildState", "FIRST_STAGE_IN_FOLDER", "STAGES", "stage_fingerprints"]


@dataclass
class BuildState:
    """Everything a build's stages read and make. ``None`` until a stage makes it."""

    config: RegionConfig  # the config the build scores with (held-back layers removed)
    declared: RegionConfig  # the config as given: its fingerprint is the build's
    data_dir: Path | None
    timings: dict[str, float] = field(default_factory=dict)
    ran: list = field(default_factory=list)  # the StageRun of each stage run so far
    folder: Path | None = None  # the staging folder, from FIRST_STAGE_IN_FOLDER on
    # prepare store
    prepared: Any = None
    store: Store | None = None
    # layers
    areas: pd.DataFrame | None = None
    postcodes: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] | None = None
    layers: list | None = None
    units: dict | None = None
    held: list | None = None
    inputs: list | None = None
    parent: np.ndarray | None = None
    # scores
    scored: Any = None
    lsoa: pd.DataFrame | None = None
    need_contrib: pd.DataFrame | None = None
    # violence risk
    vstep: Any = None
    checks: dict[str, Any] | None = None
    # drivers, hotspots: columns of lsoa; surfaces and postcodes
    surfaces: dict | None = None
    pcs: pd.DataFrame | None = None
    # sensitivity
    sens: pd.DataFrame | None = None
    # write and publish
    build_id: str | None = None
    n_lsoa: int = 0
    n_postcodes: int = 0

    @property
    def shared_dir(self) -> Path:
        """The data directory's shared caches (at-risk estimate, street counts)."""
        return shared_cache_dir(region_dir(self.config.id, self.data_dir).parent)

    @property
    def synthetic_layers(self) -> list[str]:
        """Ids of the layers scored on synthetic stand-ins."""
        return [d.spec.id for d in self.layers or [] if d.synthetic]


def _prepare(s: BuildState) -> None:
    s.prepared = prepare_region(s.config, data_dir=s.data_dir)
    s.store = Store(s.config.id, s.data_dir)


def _layers(s: BuildState) -> None:
    s.areas = s.store.read("lsoa21")
    s.postcodes = s.store.read("postcodes")
    s.tables = load_tables(s.store, s.config)
    live = s.postcodes[s.postcodes["status"] == "live"]
    # partner layers without data are held back (weight 0); partner layers with data are
    # aggregated to their disclosure geography (sna.needs.partner_layers, sna.disclosure.control)
    threshold = s.config.scoring.disclosure_threshold
    s.layers, s.units, s.held = scored_layers(s.config.layers, s.tables, s.areas, live, threshold)
    s.config = s.config.model_copy(update={"layers": [d.spec for d in s.layers]})
    s.inputs = layer_inputs(s.layers)
    s.parent = shrinkage_parents(s.areas, s.config.scoring)


def _scores(s: BuildState) -> None:
    scored = s.scored = score_layers(s.inputs, s.config.scoring, s.parent)
    check_ranges(s.layers, scored.values, s.areas["lsoa21_code"])  # no impossible value published
    lsoa = s.areas.copy()
    for d, inp in zip(s.layers, s.inputs, strict=True):
        lid = d.spec.id
        lsoa[f"v_{lid}"] = scored.values[lid].to_numpy()
        lsoa[f"s_{lid}"] = scored.scores[lid].to_numpy()
        if inp.count is not None:
            lsoa[f"n_{lid}"] = inp.count
            lsoa[f"raw_{lid}"] = d.raw.to_numpy()
        if d.spec.national and d.spec.table == "iod2025":
            iod = s.tables["iod2025"].set_index("lsoa21_code")
            nd = iod.get(f"{d.spec.column}_national_decile")
            if nd is not None:
                lsoa[f"nd_{lid}"] = nd.reindex(lsoa["lsoa21_code"]).to_numpy()
    s.need_contrib = scored.need_contributions()
    for lid in s.need_contrib.columns:
        lsoa[f"c_{lid}"] = s.need_contrib[lid].to_numpy()
    for lv in scored.levels.columns:
        lsoa[f"level_{lv}"] = scored.levels[lv].to_numpy()
    for lid, u in s.units.items():  # restricted: per-LSOA counts and the unit published
        lsoa[f"n_{lid}"] = u.lsoa_counts.to_numpy()
        lsoa[f"unit_{lid}"] = u.unit.to_numpy()
    for k in INDICES:
        vals = getattr(scored, k)
        lsoa[k] = vals
        lsoa[f"{k}_rank"] = rank_desc(vals)
        lsoa[f"{k}_decile"] = deciles(vals)
        lsoa[f"{k}_band"] = bands(vals)
    s.lsoa = lsoa


def _violence(s: BuildState) -> None:
    config = s.config
    titles = {x.id: lower_first(x.title) for x in config.layers}
    vstep = s.vstep = violence_step(
        config,
        s.tables,
        s.areas,
        s.scored.scores,
        skip=set(s.synthetic_layers),
        shared_dir=s.shared_dir,
    )
    vcols, vchecks = violence_columns(
        vstep,
        titles,
        region_name=config.region.name,
        draws=config.violence_risk.draws,
        seed=config.scoring.seed,
    )
    for col in vcols.columns:
        s.lsoa[col] = vcols[col].to_numpy()
    s.checks = dict(vchecks)
    if vstep.input_seconds:
        inputs_label = (
            "street counts (police.uk archive) and forward test"
            if vstep.street is not None
            else "pooled violence fit and at-risk inputs"
        )
        s.timings[inputs_label] = vstep.input_seconds


def _uncertainty(s: BuildState) -> None:
    mc = rank_intervals(s.inputs, s.config.scoring, s.parent, s.scored)
    # proportion layers on the logit scale cap a count at its population (e.g. an IDACI
    # numerator above the Census 2021 count of children); say how often that happened
    s.checks["proportion_counts_capped"] = {
        i.spec.id: int(np.sum(i.count > i.denominator))
        for i in s.inputs
        if i.count is not None and i.spec.proportion
    }
    for k in INDICES:
        res = mc[k]
        for col in ("rank_lo", "rank_median", "rank_hi", "p_top_decile", "decile_confidence"):
            s.lsoa[f"{k}_{col}"] = getattr(res, col)
        s.checks[f"{k}_intervals_widened"] = res.n_widened


def _drivers(s: BuildState) -> None:
    synthetic = s.synthetic_layers
    titles = {
        x.id: lower_first(x.title) + (" (illustrative)" if x.id in synthetic else "")
        for x in s.config.layers
    }
    protective_ids = [x.id for x in s.config.layers if x.kind == "protective"]
    # the drivers that explain where the area sits: above the regional average, what raises
    # it most; below, what lowers it most (the explanation sentence reads the same way)
    contrib, lsoa = s.need_contrib, s.lsoa
    ups, downs = top_drivers(contrib, n=3), top_drivers(contrib, n=3, direction="down")
    lsoa["drivers"] = [
        json.dumps([[lid, round(float(c), 4)] for lid, c in (up if need >= 0 else down)])
        for up, down, need in zip(ups, downs, s.scored.need, strict=True)
    ]
    lsoa["explanation"] = [
        explain(contrib.iloc[i], titles, band=lsoa["need_band"].iloc[i], protective=protective_ids)
        for i in range(len(lsoa))
    ]


def _hotspots(s: BuildState) -> None:
    sc = s.config.scoring
    w = spatial_weights(s.areas)
    need = s.scored.need
    perms, seed, alpha = sc.hotspot_permutations, sc.seed, sc.fdr_alpha
    gi = getis_ord_gi_star(need, w, permutations=perms, seed=seed, alpha=alpha)
    lm = local_moran(need, w, permutations=perms, seed=seed, alpha=alpha)
    for col in gi.columns:
        s.lsoa[f"gi_{col}"] = gi[col].to_numpy()
    for col in lm.columns:
        s.lsoa[f"moran_{col}"] = lm[col].to_numpy()


def _surfaces_and_postcodes(s: BuildState) -> None:
    (s.folder / "surfaces").mkdir()
    s.surfaces = write_surfaces(s.config, s.tables, s.areas, s.folder / "surfaces")
    pcs = postcode_index(s.postcodes, s.lsoa, s.scored, s.surfaces, s.config)
    pcs = postcode_violence(pcs, s.lsoa, s.tables, s.config)
    keep = ["risk", "protective", "need", "need_rank", "need_decile", "need_band"]
    keep += ["violence_risk", "violence_risk_rank", "violence_risk_decile"]
    keep += ["violence_risk_band"]
    pcs = pcs.merge(
        pd.DataFrame(s.lsoa[["lsoa21_code", *keep]]).rename(columns={k: f"lsoa_{k}" for k in keep}),
        on="lsoa21_code",
        how="left",
    )
    pcs["pc_need_decile"] = deciles(pcs["pc_need"].to_numpy())
    pcs["pc_need_band"] = bands(pcs["pc_need"].to_numpy())
    s.pcs = pcs


def _sensitivity(s: BuildState) -> None:
    s.sens = sensitivity(s.inputs, s.config.scoring, s.areas, s.scored)


def _write(s: BuildState) -> None:
    config, tmp = s.config, s.folder
    national = None
    if config.region.view_of:  # a view: national ranks beside the regional ones
        ranks, national = national_ranks(config, s.lsoa["lsoa21_code"], s.data_dir)
        if ranks is not None:
            s.lsoa = s.lsoa.assign(**{c: ranks[c].to_numpy() for c in ranks.columns})
    write_table(tmp, "lsoa", s.lsoa)
    write_table(tmp, "postcodes", s.pcs)
    s.sens.to_csv(tmp / "sensitivity.csv", index=False)
    trend_street = s.vstep.street or region_trend(config, s.areas, s.shared_dir)
    write_trends(tmp, *load_trend_tables(s.store, s.tables, s.areas, trend_street))
    hospital_synthetic = any(
        d.synthetic and d.spec.table == "hospital_admissions" for d in s.layers
    )
    outcome_warning = build_outcomes(tmp, config, s.tables, s.areas, hospital_synthetic)
    synthetic = bool(s.synthetic_layers)
    exports = tmp / "exports"
    exports.mkdir()
    pub = public_lsoa_table(s.lsoa, config.layers).assign(synthetic=synthetic)
    pub.drop(columns="geometry").to_csv(exports / "lsoa_indices.csv", index=False)
    pub.to_file(exports / "lsoa_indices.gpkg", driver="GPKG", engine="pyogrio")
    pub_pc = public_postcode_table(pd.DataFrame(s.pcs.drop(columns="geometry")), config.layers)
    pub_pc.assign(synthetic=synthetic).to_csv(exports / "postcode_indices.csv", index=False)
    s.checks.update(_checks(s.lsoa, s.pcs, s.need_contrib))
    s.build_id = new_build_id()
    manifest = _manifest(s, national, trend_street, outcome_warning)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    s.n_lsoa, s.n_postcodes = len(s.lsoa), len(s.pcs)
    # the answers are made from the files just written, so this build's frames go first:
    # all of England held 3.7 GiB of them while the answers writer added as much
    del pub, pub_pc
    for name in ("areas", "postcodes", "tables", "layers", "inputs", "parent", "scored"):
        setattr(s, name, None)
    for name in ("lsoa", "need_contrib", "vstep", "pcs", "sens"):
        setattr(s, name, None)
    gc.collect()
    write_answers(tmp, store_path=s.store.path)  # what the server reads, published with it


def _manifest(
    s: BuildState, national: Any, trend_street: Any, outcome_warning: list[str]
) -> dict[str, Any]:
    config, declared, vstep, store = s.config, s.declared, s.vstep, s.store
    synthetic_layers = s.synthetic_layers
    return {
        "build_id": s.build_id,
        "region": config.id,
        "region_name": config.region.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": __version__,
        "git": git_version(),
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
                **x.model_dump(mode="json"),
                "synthetic": x.id in synthetic_layers,
                "status": layer_status(x, x.id in synthetic_layers),
                "effective_weight": s.scored.weights[x.id],
                **({"disclosure": s.units[x.id].summary()} if x.id in s.units else {}),
            }
            for x in config.layers
        ],
        "violence_model": {
            **vstep.fit.manifest(),
            "window": list(vstep.window) if vstep.window else None,
            "carried_over_from": vstep.carried_from or None,
            "provenance": vstep.provenance,
            "street_files": vstep.street.manifest() if vstep.street else None,
            "trend_files": trend_street.manifest() if trend_street and not vstep.street else None,
            "unit": "violence and sexual offences expected in the next 12 months",
            "exposure": _exposure_provenance(config, s.areas),
        },
        "national": national,
        "forward_test": vstep.forward,
        "awaiting_layers": s.held,
        "synthetic_layers": synthetic_layers,
        "synthetic": bool(synthetic_layers),
        "surfaces": sorted(s.surfaces),
        "n_lsoa": int(len(s.lsoa)),
        "n_postcodes": int(len(s.pcs)),
        "checks": s.checks,
        "notes": s.scored.notes,
        "timings": {k: round(v, 3) for k, v in s.timings.items()},
        "stages": stage_fingerprints(),
        "prepare_rebuilt": s.prepared.rebuilt,
        "warnings": s.prepared.warnings + outcome_warning,  # about the inputs
    }


def git_version() -> str:
    """``git describe --always --dirty`` of the checkout ("" outside one)."""
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


def lower_first(title: str) -> str:
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


_FRAMES = ("areas", "postcodes", "tables", "layers", "units", "held", "inputs", "parent")

#: The stages of ``sna build``, in order (their names are the manifest's timing keys).
STAGES: tuple[Stage, ...] = (
    Stage("prepare store", (), ("prepared", "store"), _prepare),
    Stage("layers", ("store",), _FRAMES, _layers),
    Stage(
        "scores",
        ("inputs", "parent", "layers", "units"),
        ("scored", "lsoa", "need_contrib"),
        _scores,
    ),
    Stage("violence risk", ("tables", "areas", "scored", "lsoa"), ("vstep", "checks"), _violence),
    Stage("uncertainty", ("inputs", "parent", "scored", "checks"), (), _uncertainty),
    Stage("drivers", ("need_contrib", "lsoa", "scored"), (), _drivers),
    Stage("hotspots", ("areas", "scored", "lsoa"), (), _hotspots),
    Stage(
        "surfaces and postcodes",
        ("folder", "postcodes", "lsoa"),
        ("surfaces", "pcs"),
        _surfaces_and_postcodes,
    ),
    Stage("sensitivity", ("inputs", "areas", "scored"), ("sens",), _sensitivity),
    Stage(
        "write and publish",
        ("folder", "lsoa", "pcs", "sens", "vstep", "store"),
        ("build_id",),
        _write,
    ),
)

#: Stages from this one on write into the staging folder (``state.folder``).
FIRST_STAGE_IN_FOLDER = "surfaces and postcodes"


def stage_fingerprints() -> dict[str, str]:
    """Each stage's fingerprint (its code and declaration), for the manifest."""
    return {s.name: stage_fingerprint(s) for s in STAGES}
