"""The build's violence-risk step: fit (or apply the pooled) model and lay out its columns.

Kept apart from :mod:`sna.build.pipeline` so the build reads as a list of steps; the model itself is
:mod:`sna.violence.model` (the maths) over :mod:`sna.violence.count_model` (the regression).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.config.region import RegionConfig
from sna.errors import ConfigError
from sna.stats.ranking import bands, deciles, rank_desc
from sna.violence.features import CURVATURE_TERM, exposure_values
from sna.violence.model import (
    PRIOR_TERM,
    ViolenceFit,
    ViolenceRisk,
    explain_violence,
    fit_violence,
    iod_prior_counts,
    model_layer_ids,
    predict_violence,
    structural_terms,
    term_title,
    violence_uncertainty,
)
from sna.violence.pooled import apply_pooled, pooled_fit
from sna.violence.region_street import RegionStreet, region_forces, region_street
from sna.violence.street_counts import counts_as_points
from sna.violence.words import (
    ESTIMATED_CURVATURE_TITLE,
    ESTIMATED_PRIOR_TITLE,
    RECORDED_CRIME_TITLE,
)
from sna.wording import VIOLENCE_DECIMALS

__all__ = ["ViolenceStep", "violence_step", "violence_columns"]


@dataclass
class ViolenceStep:
    """The fitted model, its predictions and the 90% intervals of next year's counts."""

    fit: ViolenceFit
    risk: ViolenceRisk
    window: tuple[str, str] | None
    carried_from: str
    #: seconds spent on the shared inputs (at-risk estimate, forces' counts, pooled fit):
    #: a timing for the manifest's ``timings``, never a note (two builds must read the same)
    input_seconds: float = 0.0
    #: a view's street-file counts from the police.uk archive (None: no archive counts used)
    street: RegionStreet | None = None
    #: its forces' forward test (:func:`sna.evaluation.forces.forward_test`), for the
    #: manifest and the report
    forward: dict[str, Any] | None = None

    @property
    def provenance(self) -> str:
        """``recorded`` when the prior count was counted in street files, else ``estimated``."""
        return "recorded" if self.window is not None else "estimated"


def _pooled_step(
    config: RegionConfig,
    tables: dict[str, pd.DataFrame],
    areas: pd.DataFrame,
    codes: pd.Index,
    shared_dir: Path | None,
) -> ViolenceStep:
    """No street files: IoD2025 rates x the at-risk population, the pooled coefficients."""
    from sna.needs.national_at_risk import cache_path, national_at_risk
    from sna.prepare.steps import postcode_source_path
    from sna.settings import shared_cache_dir

    spec = config.violence_risk
    if "iod2025" not in tables:
        raise ConfigError(f"{config.id}: the pooled violence model needs the iod2025 table")
    if "at_risk_pop" not in areas.columns:
        raise ConfigError(
            f"{config.id}: the store has no at-risk population; prepare it again "
            "(sna data prepare --force)"
        )
    shared = shared_dir or shared_cache_dir()
    postcode_file = postcode_source_path(config)
    t0 = time.perf_counter()
    table = national_at_risk(config, shared, postcode_file)
    pooled, _ = pooled_fit(config, shared, table, cache_path(config, shared, postcode_file).name)
    seconds = time.perf_counter() - t0
    a = areas["at_risk_pop"].to_numpy(float)
    lu = (
        areas["large_user_postcodes"].to_numpy(float)
        if "large_user_postcodes" in areas
        else np.zeros(len(areas))
    )
    iod_count = iod_prior_counts(tables["iod2025"], codes, a, spec.iod_columns)
    fit, risk = apply_pooled(pooled, iod_count, codes, a, lu, target=spec.target)
    return ViolenceStep(fit, risk, None, "pooled", input_seconds=seconds)


def _street_step(
    config: RegionConfig,
    street: RegionStreet,
    codes: pd.Index,
    structural: pd.DataFrame,
    residents: np.ndarray,
    seconds: float,
) -> ViolenceStep:
    """A view with street files: the in-region model, out of time, on the archive's counts."""
    spec = config.violence_risk
    if not (street.counts["crime_type"] == spec.target).any():
        raise ConfigError(
            f"{config.id}: the street files of {street.forces} hold no {spec.target!r} "
            "in this region's LSOAs"
        )
    pts = counts_as_points(street.counts)
    window = (street.months[0], street.months[-1])
    fit = fit_violence(pts, codes, structural, residents, spec, window)
    fit.source = (
        f"police.uk street-level files of {', '.join(street.forces)} ({window[0]} to "
        f"{window[1]}, counted by the police.uk archive), fitted out of time in this region"
    )
    fit.notes.append(f"{len(street.months)} months with street files: {', '.join(street.months)}")
    risk = predict_violence(fit, pts, codes, structural, residents, window)
    return ViolenceStep(fit, risk, window, "", input_seconds=seconds, street=street)


def _located(points: pd.DataFrame) -> pd.DataFrame:
    return points[points["lsoa21_code"].notna()]


def _window(points: pd.DataFrame) -> tuple[str, str]:
    months = points["month"].astype(str)
    return str(months.min()), str(months.max())


def violence_step(
    config: RegionConfig,
    tables: dict[str, pd.DataFrame],
    areas: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    skip: set[str],
    shared_dir: Path | None = None,
) -> ViolenceStep:
    """Fit the violence model on the region's street files, or apply the pooled model.

    ``scores`` are the build's normalised layer scores; ``skip`` the layer ids that must not
    enter the model (synthetic stand-ins).
    """
    spec = config.violence_risk
    codes = pd.Index(areas["lsoa21_code"], name="lsoa21_code")
    residents = exposure_values(areas, spec)
    structural = structural_terms(
        scores.set_axis(codes), model_layer_ids(config.layers, spec, skip)
    )
    points = tables.get("crime_points")
    if points is not None and (points["crime_type"] == spec.target).any():
        pts = _located(points)
        window = _window(pts)
        fit = fit_violence(pts, codes, structural, residents, spec, window)
        risk = predict_violence(fit, pts, codes, structural, residents, window)
        return ViolenceStep(fit, risk, window, "")
    if region_forces(config):
        from sna.settings import shared_cache_dir

        t0 = time.perf_counter()
        shared = shared_dir or shared_cache_dir()
        street = region_street(config, codes, shared)
        assert street is not None  # region_forces(config) is not empty
        from sna.evaluation.forces import forward_test

        forward = forward_test(config, street.forces, shared)
        seconds = time.perf_counter() - t0
        step = _street_step(config, street, codes, structural, residents, seconds)
        step.forward = forward
        return step
    if spec.pooled_from:
        return _pooled_step(config, tables, areas, codes, shared_dir)
    raise ConfigError(
        f"{config.id}: violence risk needs police.uk street files (sources.police_uk) or "
        "[violence_risk] pooled_from = [<police.uk folders of forces with street files>]"
    )


def violence_columns(
    step: ViolenceStep,
    titles: dict[str, str],
    *,
    region_name: str,
    draws: int,
    seed: int,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The LSOA columns of violence risk, and the build checks on them.

    ``violence_risk`` (expected offences in the next 12 months), its 90% interval
    (``_lo``/``_hi``), rank, decile, band, rank interval and P(top decile), the recorded
    annual count it starts from (``violence_prior``), the log-scale drivers (``vr_c_*``, which
    sum to ``log(violence_risk / geometric mean)``), the top three as JSON and a sentence.
    """
    risk = step.risk
    e = risk.expected
    mc, lo, hi = violence_uncertainty(risk, step.fit.model, draws=draws, seed=seed)
    out = pd.DataFrame(index=risk.design.index)
    out["violence_risk"] = e
    out["violence_risk_lo"] = lo
    out["violence_risk_hi"] = hi
    # ranked as published (to 0.1 offences), so two places a reader sees with the same
    # forecast never carry different ranks, deciles or bands
    shown = np.round(e, VIOLENCE_DECIMALS)
    out["violence_risk_rank"] = rank_desc(shown)
    out["violence_risk_decile"] = deciles(shown)
    out["violence_risk_band"] = bands(shown)
    for col in ("rank_lo", "rank_median", "rank_hi", "p_top_decile", "decile_confidence"):
        out[f"violence_risk_{col}"] = getattr(mc, col)
    out["violence_prior"] = risk.prior
    contrib = risk.contributions
    for t in contrib.columns:
        out[f"vr_c_{t}"] = contrib[t].to_numpy()
    mean_e, mean_prior = float(e.mean()), float(max(risk.prior.mean(), 1e-9))
    estimated = step.window is None  # no street files: the prior is an estimate from rates
    if estimated:
        titles = {
            **titles,
            PRIOR_TERM: ESTIMATED_PRIOR_TITLE,
            CURVATURE_TERM: ESTIMATED_CURVATURE_TITLE,
        }
    else:
        titles = {**titles, PRIOR_TERM: RECORDED_CRIME_TITLE}
    sentences, drivers = [], []
    for i in range(len(e)):
        row = contrib.iloc[i]
        sentences.append(
            explain_violence(
                row,
                titles,
                expected=float(e[i]),
                regional_mean=mean_e,
                prior_ratio=float(risk.prior[i]) / mean_prior,
                region=region_name,
                prior_estimated=estimated,
            )
        )
        top = row.reindex(row.abs().sort_values(ascending=False).index)[:3]
        drivers.append(
            json.dumps([[t, round(float(v), 4), term_title(t, titles)] for t, v in top.items()])
        )
    out["violence_risk_explanation"] = sentences
    out["violence_risk_drivers"] = drivers
    geo = np.exp(np.log(e).mean())
    checks = {
        "violence_driver_sum_error": float(
            np.max(np.abs(contrib.sum(axis=1).to_numpy() - np.log(e / geo)))
        ),
        "violence_intervals_contain_rank": bool(
            (
                (out["violence_risk_rank_lo"] <= out["violence_risk_rank"])
                & (out["violence_risk_rank"] <= out["violence_risk_rank_hi"])
            ).all()
        ),
        "violence_expected_total": round(float(e.sum()), 1),
        "violence_recorded_total": round(float(risk.prior.sum()), 1),
    }
    return out.reset_index(drop=True), checks
