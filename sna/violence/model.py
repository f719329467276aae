r"""Violence risk: how many violence and sexual offences will be recorded where, next year.

Place-based, and fitted to data (``methods.md`` 8b). Per LSOA,

.. math::

    \log \mathrm{E}[y_i] = \log e_i + \beta_0 + \beta_1 \log(1 + c_i)
        + \sum_j \gamma_j \log(1 + h_{ij}) + \delta \log e_i + \sum_k \beta_k x_{ik}

with :math:`y_i` the next 12 months' recorded offences of the target type, :math:`c_i` its
time-weighted prior count (annual equivalent, weights :math:`2^{-\text{age}/h}` over past
months), :math:`h_{ij}` the same for other crime types (robbery, weapons, public order,
anti-social behaviour), :math:`e_i` the residents (an offset, with a free elasticity
:math:`\delta`: violence is recorded where people go, not only where they live) and
:math:`x_{ik}` the region's standardised risk and protective layers. The fit is the
regularised negative binomial of :mod:`sna.violence.count_model`.

**Out of time.** The features of one period predict the next: with a training window of
:math:`T` months, the response is the last :math:`F = \min(12, \max(3, \lfloor T/4
\rfloor))` months (a quarter of the window, so the features cover most of the history a
forecast will use) and the features use the months before. The half-life :math:`h` is the
candidate whose fit explains most deviance there (training data only). The coefficients
are then applied to features computed up to the window's last month, giving the expected
count for the next 12 months.

**No street files** (the West Midlands in the bundle). :math:`c_i` comes from the IoD2025
police recorded crime indicators: the published rates per 1,000 times residents, summed over
``iod_columns`` and scaled to the police.uk count by a factor measured in the fitted region
over the IoD's own window. The coefficients of the prior-violence term and of the layers both
regions share are carried over from that region (``carry_over_from``), and the intercept is
set so that the expected total equals the recorded annual total.

This module fits, applies and carries over the model; its terms are computed in
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
from sna.violence.count_model import EXPOSURE_TERM, CountModel, fit_count_model
from sna.violence.features import (
    CURVATURE_TERM,
    PRIOR_TERM,
    model_layer_ids,
    month_number,
    month_text,
    structural_terms,
    time_weighted_history,
    weighted_counts,
)
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
    "carry_over",
    "assemble_risk",
    "iod_prior_counts",
    "violence_uncertainty",
    "explain_violence",
    "term_title",
]

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

    def manifest(self) -> dict[str, Any]:
        """What the build manifest, the report and ``/api/v1/layers`` say about the fit."""
        t = self.model.table()
        return {
            "source": self.source,
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


def fit_violence(
    points: pd.DataFrame,
    units: pd.Index,
    structural: pd.DataFrame,
    exposure: np.ndarray,
    spec: ViolenceRiskSpec,
    window: tuple[str, str],
) -> ViolenceFit:
    """Fit the model out of time on ``points`` (police.uk rows) of the ``window`` months.

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
    mn = month_number(points["month"].to_numpy())
    inside = points[(mn >= lo) & (mn <= hi)]
    present = sorted(set(inside["month"].astype(str)))
    tgt = inside[inside["crime_type"] == spec.target]
    in_resp = tgt["month"].astype(str).between(*resp)
    y = tgt[in_resp].groupby("lsoa21_code").size().reindex(units).fillna(0).to_numpy(float)
    resp_months = [m for m in present if resp[0] <= m <= resp[1]]
    exp_fit = np.asarray(exposure, float) * max(len(resp_months), 1) / 12.0
    best, candidates = None, []
    for h in spec.half_lives:
        hist, _ = time_weighted_history(
            inside, units, spec, start=feat[0], end=feat[1], half_life=h, months_present=present
        )
        x = _design(hist, structural, exposure)
        x = x.loc[:, x.std(ddof=0) > 1e-12]  # a constant term is the intercept's job
        pen = [c for c in x.columns if c not in _UNPENALISED]
        model = fit_count_model(
            y, x, exp_fit, penalised=pen, prior_sd=spec.prior_sd, family=spec.family
        )
        candidates.append({"half_life_months": h, "deviance_explained": model.deviance_explained})
        if best is None or model.deviance_explained > best[1].deviance_explained:
            best = (h, model)
    assert best is not None
    h, model = best
    return ViolenceFit(
        model=model,
        half_life=h,
        target=spec.target,
        response_window=resp,
        feature_window=feat,
        candidates=[{k: round(float(v), 4) for k, v in c.items()} for c in candidates],
        layers=list(structural.columns),
        source="police.uk street-level files, fitted out of time in this region",
        history_types=list(spec.history),
    )


@dataclass
class ViolenceRisk:
    """Expected offences per LSOA for the next 12 months, and the terms behind them."""

    expected: np.ndarray
    prior: np.ndarray
    design: pd.DataFrame
    contributions: pd.DataFrame
    exposure: np.ndarray


def predict_violence(
    fit: ViolenceFit,
    points: pd.DataFrame,
    units: pd.Index,
    structural: pd.DataFrame,
    exposure: np.ndarray,
    window: tuple[str, str],
) -> ViolenceRisk:
    """Apply the fit to the latest months of ``window``: as many as its features used.

    The features are computed over the same number of months as in the fit (ending at the
    window's last month), so a time-weighted count has the same reliability in both and the
    fitted coefficient of past violence is not attenuated or inflated.
    """
    f0, f1 = month_number(list(fit.feature_window))
    lo, hi = month_number(list(window))
    lo = max(lo, hi - (f1 - f0))
    window = (month_text(lo), month_text(hi))
    mn = month_number(points["month"].to_numpy())
    inside = points[(mn >= lo) & (mn <= hi)]
    present = sorted(set(inside["month"].astype(str)))
    hist, prior = time_weighted_history(
        inside,
        units,
        ViolenceRiskSpec(target=fit.target, history=fit.history_types),
        start=window[0],
        end=window[1],
        half_life=fit.half_life,
        months_present=present,
    )
    x = _design(hist, structural, exposure)
    return assemble_risk(fit.model, x, prior, exposure)


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


def carry_over(
    source: ViolenceFit,
    scale: float,
    prior: np.ndarray,
    structural: pd.DataFrame,
    exposure: np.ndarray,
    *,
    source_region: str,
) -> tuple[ViolenceFit, ViolenceRisk]:
    """Apply a fitted region's coefficients where no street files exist (module docstring).

    ``prior`` is the region's IoD-based annual count; ``scale`` puts it on the police.uk
    scale. The intercept is reset so the expected total equals the scaled recorded total.
    """
    m = source.model
    keep = [t for t in m.terms[1:] if t in _UNPENALISED or t in structural]
    idx = [0] + [m.terms.index(t) for t in keep]
    c = np.asarray(prior, float) * scale
    hist = pd.DataFrame({PRIOR_TERM: np.log1p(c), CURVATURE_TERM: np.log1p(c) ** 2})
    x = _design(hist.set_index(structural.index), structural, exposure)
    x = x[keep]
    params = m.params[idx].copy()
    cov = m.cov[np.ix_(idx, idx)]
    model = CountModel(
        terms=["intercept", *keep],
        params=params,
        cov=cov,
        alpha=m.alpha,
        prior_sd=m.prior_sd,
        penalised=[m.penalised[i] for i in idx],
        n=len(c),
        deviance_explained=float("nan"),
    )
    mu = model.predict(x, exposure)
    model.params[0] += np.log(c.sum() / mu.sum())
    fit = ViolenceFit(
        model=model,
        half_life=float("nan"),
        target=source.target,
        response_window=source.response_window,
        feature_window=IOD2025_WINDOW,
        candidates=[],
        layers=[t for t in keep if t in structural],
        source=(
            f"IoD2025 police recorded crime indicators ({IOD2025_WINDOW[0]} to "
            f"{IOD2025_WINDOW[1]}) as the prior-violence count, scaled by {scale:.3f} to the "
            f"police.uk count; coefficients carried over from {source_region} (fitted out of "
            "time on its street files); intercept set so the expected total equals the "
            "recorded annual total"
        ),
        notes=[
            f"{source_region} half-life {source.half_life:g} months; response "
            f"{source.response_window[0]} to {source.response_window[1]}",
            "layers the two regions do not share are left out of the carried-over model",
        ],
    )
    return fit, assemble_risk(model, x, c, exposure)


def violence_uncertainty(
    risk: ViolenceRisk, model: CountModel, *, draws: int, seed: int
) -> tuple[MCResult, np.ndarray, np.ndarray]:
    """Rank intervals and P(top decile) of next year's count; its 90% interval per LSOA.

    Each draw takes coefficients from ``N(params, cov)`` and then a count from the negative
    binomial (Gamma-Poisson) around the expected value, so the interval holds parameter
    uncertainty and count noise.
    """
    design = model._design(risk.design)
    exposure = risk.exposure
    sims = np.empty((draws, len(exposure)))
    alpha = model.alpha

    def kernel(rng: np.random.Generator, i: int) -> np.ndarray:
        beta = model.draw_params(rng, 1)[0]
        mu = exposure * np.exp(design @ beta)
        if alpha > 0:
            mu = rng.gamma(1.0 / alpha, alpha * mu)
        y = rng.poisson(mu).astype(float)
        sims[i] = y
        return y + rng.uniform(0, 1e-6, size=y.shape)  # random tie-break between equal counts

    res = monte_carlo(kernel, point=risk.expected, draws=draws, seed=seed)
    lo, hi = np.percentile(sims, [INTERVAL_PERCENTILES[0], INTERVAL_PERCENTILES[2]], axis=0)
    return res, lo, hi
