r"""Violence risk: how many violence and sexual offences will be recorded where, next year.

Place-based, and fitted to data (``methods.md`` 8b). Where a region has police.uk street
files, each LSOA's forecast combines two things:

1. **What its terms predict**: a regularised negative binomial regression
   (:mod:`sna.violence.count_model`) of the window's recorded count of the target type on

   .. math::

       \log \mathrm{E}[y_i] = \log e_i + \beta_0 + \delta \log e_i
           + \sum_j \gamma_j \log(1 + h_{ij}) + \sum_k \beta_k x_{ik}

   with :math:`e_i` the at-risk population (an offset with a free elasticity
   :math:`\delta`), :math:`h_{ij}` the annual rate of every other police.uk crime type recorded
   here over the same months (anti-social behaviour, shoplifting, theft from the person...:
   they mark the places where people gather) and :math:`x_{ik}` the region's standardised risk
   and protective layers.
2. **Its own recorded violence**: the Poisson–gamma update of :mod:`sna.violence.posterior`
   turns the regression into a prior and the place's own counts, time-weighted with
   half-life :math:`h`, into the posterior rate. Busy places keep their own rate; places with
   few offences move toward what their terms predict.

Every month of the window enters the forecast. **Out of time**, only the half-life is chosen:
the window is split into feature months and the last :math:`F = \min(12, \max(3, \lfloor
T/4 \rfloor))` response months, and the candidate whose forecast from the feature months
has the lowest Poisson deviance on the response months wins (training data only).

**No street files** (the West Midlands in the bundle): :mod:`sna.violence.pooled` applies one
model pooled over the forces with street files to the IoD2025 police recorded crime rates
times the at-risk population (:func:`iod_prior_counts`).

This module fits and applies the model; its terms are computed in
:mod:`sna.violence.features` and put into words in :mod:`sna.violence.words` (both
re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sna.config.region import ViolenceRiskSpec
from sna.stats.uncertainty import INTERVAL_PERCENTILES, MCResult, monte_carlo
from sna.violence.count_model import (
    EXPOSURE_TERM,
    CountModel,
    fit_count_model,
    poisson_deviance,
)
from sna.violence.features import (
    CURVATURE_TERM,
    PRIOR_TERM,
    model_layer_ids,
    month_number,
    month_text,
    slug,
    structural_terms,
    weighted_counts,
)
from sna.violence.posterior import Posterior, weighted_sum
from sna.violence.words import explain_violence, term_title

__all__ = [
    "PRIOR_TERM",
    "CURVATURE_TERM",
    "ViolenceFit",
    "ViolenceRisk",
    "month_number",
    "month_text",
    "weighted_counts",
    "structural_terms",
    "model_layer_ids",
    "fit_violence",
    "predict_violence",
    "assemble_risk",
    "iod_prior_counts",
    "violence_uncertainty",
    "explain_violence",
    "term_title",
]

#: How a street-file forecast is made, as the manifest says it.
UPDATE_METHOD = (
    "Poisson-gamma update: a negative binomial regression of the window's recorded count on "
    "the at-risk population, the other crime types recorded here and the region's layers is "
    "the prior; each LSOA's own recorded violence (recent months counting more) updates it"
)

#: The IoD2025 police recorded crime indicators cover April 2022 to March 2024.
IOD2025_WINDOW: tuple[str, str] = ("2022-04", "2024-03")


@dataclass
class ViolenceFit:
    """A fitted violence model and how it was chosen."""

    model: CountModel
    half_life: float
    target: str
    response_window: tuple[str, str]
    feature_window: tuple[str, str]
    candidates: list[dict[str, float]]
    layers: list[str]
    source: str
    history_types: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The months the fit saw (``None`` for the pooled model, fitted elsewhere).
    window: tuple[str, str] | None = None
    #: How the forecast combines the terms with the place's own counts (``""``: the terms
    #: alone, as in the pooled model).
    method: str = ""

    def manifest(self) -> dict[str, Any]:
        """What the build manifest, the report and ``/api/v1/layers`` say about the fit."""
        t = self.model.table()
        return {
            "source": self.source,
            "method": self.method,
            "target": self.target,
            "family": "negative binomial (NB2)" if self.model.alpha > 0 else "Poisson",
            "overdispersion_alpha": round(self.model.alpha, 6),
            "half_life_months": self.half_life,
            "response_window": list(self.response_window),
            "feature_window": list(self.feature_window),
            "n_lsoa": self.model.n,
            "deviance_explained": round(self.model.deviance_explained, 4),
            "prior_sd": self.model.prior_sd,
            "half_life_candidates": self.candidates,
            "coefficients": [
                {
                    "term": r.term,
                    "coef": round(float(r.coef), 6),
                    "se": round(float(r.se), 6),
                    "relative_risk": round(float(r.relative_risk), 6),
                    "rr_lo": round(float(r.rr_lo), 6),
                    "rr_hi": round(float(r.rr_hi), 6),
                    "penalised": bool(r.penalised),
                    "effect": _effect(float(r.coef), float(r.se)) if r.term != "intercept" else "",
                }
                for r in t.itertuples()
            ],
            "notes": self.notes,
        }


_UNPENALISED = (PRIOR_TERM, CURVATURE_TERM, "log_residents")


def _effect(coef: float, se: float) -> str:
    if abs(coef) < 1.96 * se:
        return "no clear effect"
    return "raises violence" if coef > 0 else "lowers violence"


def _design(history: pd.DataFrame, structural: pd.DataFrame, exposure: np.ndarray) -> pd.DataFrame:
    x = pd.concat([history, structural.set_index(history.index)], axis=1)
    le = np.log(exposure)
    x["log_residents"] = le - le.mean()
    return x


def _months_inside(points: pd.DataFrame, window: tuple[str, str]) -> tuple[pd.DataFrame, list]:
    lo, hi = month_number(list(window))
    mn = month_number(points["month"].to_numpy())
    inside = points[(mn >= lo) & (mn <= hi)]
    return inside, sorted(set(inside["month"].astype(str)))


def _other_types(inside: pd.DataFrame, units: pd.Index, spec: ViolenceRiskSpec, months: int):
    """log(1 + annual rate) of each other crime type over the months with data."""
    out = {}
    for crime_type in spec.history:
        sub = inside[inside["crime_type"] == crime_type]
        if len(sub):
            n = sub.groupby("lsoa21_code").size().reindex(units).fillna(0).to_numpy(float)
            out[f"prior_{slug(crime_type)}"] = np.log1p(n * 12.0 / months)
    return pd.DataFrame(out, index=units)


def _target_counts(inside: pd.DataFrame, units: pd.Index, target: str) -> np.ndarray:
    tgt = inside[inside["crime_type"] == target]
    return tgt.groupby("lsoa21_code").size().reindex(units).fillna(0).to_numpy(float)


def structural_prior(
    inside: pd.DataFrame,
    units: pd.Index,
    structural: pd.DataFrame,
    exposure: np.ndarray,
    spec: ViolenceRiskSpec,
    months: int,
) -> tuple[CountModel, pd.DataFrame]:
    """The regression prior of the module docstring, fitted on ``inside`` (``months`` with
    data); its design is returned for the update and the drivers."""
    x = _design(_other_types(inside, units, spec, months), structural, exposure)
    x = x.loc[:, x.std(ddof=0) > 1e-12]  # a constant term is the intercept's job
    pen = [c for c in x.columns if c not in _UNPENALISED]
    y = _target_counts(inside, units, spec.target)
    model = fit_count_model(
        y,
        x,
        np.asarray(exposure, float) * months / 12.0,
        penalised=pen,
        prior_sd=spec.prior_sd,
        family=spec.family,
    )
    return model, x


def fit_violence(
    points: pd.DataFrame,
    units: pd.Index,
    structural: pd.DataFrame,
    exposure: np.ndarray,
    spec: ViolenceRiskSpec,
    window: tuple[str, str],
) -> ViolenceFit:
    """Fit the model on ``points`` (police.uk rows) of the ``window`` months (module docstring).

    ``points`` needs ``month``, ``crime_type`` and ``lsoa21_code``; rows outside the window
    are ignored, so no later data can enter. ``structural`` is :func:`structural_terms`.
    """
    lo, hi = month_number(list(window))
    span = int(hi - lo + 1)
    if span < 2:
        raise ValueError(f"violence model: a window of {span} month(s) cannot be split")
    n_resp = spec.response_months or min(12, max(3, span // 4))
    if n_resp >= span:
        raise ValueError(
            f"violence model: response_months={n_resp} leaves no feature months in a "
            f"{span}-month window"
        )
    resp = (month_text(hi - n_resp + 1), month_text(hi))
    feat = (month_text(lo), month_text(hi - n_resp))
    inside, present = _months_inside(points, window)
    feat_months = [m for m in present if m <= feat[1]]
    resp_months = [m for m in present if m >= resp[0]]
    if not feat_months or not resp_months:
        raise ValueError(
            f"violence model: no data in the feature months {feat[0]}..{feat[1]} or the "
            f"response months {resp[0]}..{resp[1]} of {window[0]}..{window[1]}"
        )
    # the half-life, out of time: forecast the response months from the feature months
    f_inside = inside[inside["month"].astype(str) <= feat[1]]
    f_model, f_x = structural_prior(f_inside, units, structural, exposure, spec, len(feat_months))
    f_mu = f_model.predict(f_x, np.asarray(exposure, float) * len(feat_months) / 12.0)
    y = _target_counts(inside[inside["month"].astype(str) >= resp[0]], units, spec.target)
    null = np.asarray(exposure, float) * y.sum() / np.sum(exposure)
    d0 = poisson_deviance(y, null)
    f_tgt = f_inside[f_inside["crime_type"] == spec.target]
    best, candidates = None, []
    for h in spec.half_lives:
        y_w, t_w = weighted_sum(
            f_tgt["month"].to_numpy(),
            f_tgt["lsoa21_code"].to_numpy(),
            units,
            end=feat[1],
            half_life=h,
            months_present=feat_months,
        )
        post = Posterior(y_w, t_w, len(feat_months), f_model.alpha)
        d = poisson_deviance(y, post.expected(f_mu, horizon=len(resp_months)))
        explained = 1 - d / d0 if d0 > 0 else 0.0
        candidates.append({"half_life_months": h, "deviance_explained": round(explained, 4)})
        if best is None or d < best[1]:
            best = (h, d)
    assert best is not None
    model, _ = structural_prior(inside, units, structural, exposure, spec, len(present))
    return ViolenceFit(
        model=model,
        half_life=best[0],
        target=spec.target,
        response_window=resp,
        feature_window=feat,
        candidates=candidates,
        layers=list(structural.columns),
        source="police.uk street-level files of this region",
        history_types=list(spec.history),
        window=(window[0], window[1]),
        method=UPDATE_METHOD,
    )


@dataclass
class ViolenceRisk:
    """Expected offences per LSOA for the next 12 months, and the terms behind them.

    ``posterior`` is set where the forecast is the Poisson–gamma update of street-file counts
    (its draws give the intervals); the pooled model's forecast has none.
    """

    expected: np.ndarray
    prior: np.ndarray
    design: pd.DataFrame
    contributions: pd.DataFrame
    exposure: np.ndarray
    posterior: Posterior | None = None


def predict_violence(
    fit: ViolenceFit,
    points: pd.DataFrame,
    units: pd.Index,
    structural: pd.DataFrame,
    exposure: np.ndarray,
    window: tuple[str, str],
) -> ViolenceRisk:
    """The next 12 months' expected offences from every month of ``window`` with data.

    On the fit's own window the fitted prior is used; on another (the fit's feature months,
    for an inner check) the prior is fitted on that window's months alone, so no later month
    enters.
    """
    inside, present = _months_inside(points, window)
    if not present:
        raise ValueError(f"violence model: no data in {window[0]}..{window[1]}")
    spec = ViolenceRiskSpec(
        target=fit.target,
        history=fit.history_types,
        prior_sd=fit.model.prior_sd,
        family="negative_binomial" if fit.model.alpha > 0 else "poisson",
    )
    if fit.window is not None and tuple(window) == tuple(fit.window):
        model = fit.model
        x = _design(_other_types(inside, units, spec, len(present)), structural, exposure)
        x = x[fit.model.terms[1:]]
    else:
        model, x = structural_prior(inside, units, structural, exposure, spec, len(present))
    exposure = np.asarray(exposure, float)
    mu = model.predict(x, exposure * len(present) / 12.0)
    tgt = inside[inside["crime_type"] == fit.target]
    y_w, t_w = weighted_sum(
        tgt["month"].to_numpy(),
        tgt["lsoa21_code"].to_numpy(),
        units,
        end=window[1],
        half_life=fit.half_life,
        months_present=present,
    )
    post = Posterior(y_w, t_w, len(present), model.alpha)
    contrib = model.contributions(x, exposure)
    if "log_residents" in contrib:  # one driver for people here: offset plus elasticity
        contrib[EXPOSURE_TERM] += contrib.pop("log_residents")
    # one driver for crime recorded here: the other types' terms and the update by the
    # place's own violence (shown apart, a hotspot whose violence is a little below what its
    # other crime predicts would read "recorded violence lowers it")
    update = np.log(post.update_factor(mu))
    crime = [c for c in contrib.columns if c.startswith("prior_")]
    contrib[PRIOR_TERM] = update - update.mean() + contrib[crime].sum(axis=1)
    contrib = contrib.drop(columns=crime)
    prior = 12.0 * y_w / t_w  # the recorded annual count, recent months counting more
    return ViolenceRisk(post.expected(mu), prior, x, contrib, exposure, post)


def assemble_risk(
    model: CountModel, x: pd.DataFrame, prior: np.ndarray, exposure: np.ndarray
) -> ViolenceRisk:
    """Expected counts and drivers of a design: past violence's two terms as one driver,
    the offset and its elasticity as one (shared by every way violence risk is made)."""
    exposure = np.asarray(exposure, float)
    expected = model.predict(x, exposure)
    contrib = model.contributions(x, exposure)
    if CURVATURE_TERM in contrib:  # one driver for past violence
        contrib[PRIOR_TERM] += contrib.pop(CURVATURE_TERM)
    if "log_residents" in contrib:  # one driver for residents: offset plus elasticity
        contrib[EXPOSURE_TERM] += contrib.pop("log_residents")
    return ViolenceRisk(expected, prior, x, contrib, exposure)


def iod_prior_counts(
    iod: pd.DataFrame, units: pd.Index, residents: np.ndarray, columns: Sequence[str]
) -> np.ndarray:
    """IoD2025 crime rates per 1,000 x residents / 1,000, summed over ``columns`` (per year)."""
    t = iod.set_index("lsoa21_code").reindex(units)
    missing = [c for c in columns if c not in t.columns]
    if missing:
        raise ValueError(f"IoD2025 indicators have no column(s) {missing}")
    rates = t[list(columns)].to_numpy(float)
    return np.nansum(rates, axis=1) * np.asarray(residents, float) / 1000.0


def violence_uncertainty(
    risk: ViolenceRisk, model: CountModel, *, draws: int, seed: int
) -> tuple[MCResult, np.ndarray, np.ndarray]:
    """Rank intervals and P(top decile) of next year's count; its 90% interval per LSOA.

    Each draw takes coefficients from ``N(params, cov)``, then a rate and a count: from the
    place's posterior (:class:`~sna.violence.posterior.Posterior`) where its own counts update
    the terms, else from the negative binomial (Gamma-Poisson) around the expected value. The
    interval holds parameter uncertainty and count noise.
    """
    design = model._design(risk.design)
    exposure = risk.exposure
    sims = np.empty((draws, len(exposure)))
    alpha = model.alpha
    post = risk.posterior

    def kernel(rng: np.random.Generator, i: int) -> np.ndarray:
        beta = model.draw_params(rng, 1)[0]
        if post is not None:
            y = post.draw(rng, exposure * post.months / 12.0 * np.exp(design @ beta))
        else:
            mu = exposure * np.exp(design @ beta)
            if alpha > 0:
                mu = rng.gamma(1.0 / alpha, alpha * mu)
            y = rng.poisson(mu).astype(float)
        sims[i] = y
        return y + rng.uniform(0, 1e-6, size=y.shape)  # random tie-break between equal counts

    res = monte_carlo(kernel, point=risk.expected, draws=draws, seed=seed)
    lo, hi = np.percentile(sims, [INTERVAL_PERCENTILES[0], INTERVAL_PERCENTILES[2]], axis=0)
    return res, lo, hi
