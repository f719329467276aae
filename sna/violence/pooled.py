r"""Violence risk where a region has no street files: one model pooled over every force that has.

For force :math:`f` and LSOA :math:`i` of its area,

.. math::

    \log \mathrm{E}[y_{fi}] = \log (a_{fi} m_f / 12) + \alpha_f
        + \beta_1 \log(1 + c_{fi}) + \beta_2 \log(1 + c_{fi})^2
        + \delta \log a_{fi} + \gamma\, z_{fi}

with :math:`y_{fi}` the violence and sexual offences recorded in the force's months
:math:`m_f` of ``pooled_window`` (police.uk), :math:`a_{fi}` the estimated at-risk population
(:mod:`sna.needs.at_risk`, the exposure), :math:`c_{fi} = \lambda \sum_k r_{fik} a_{fi} / 1000` the
IoD2025 police recorded crime rates per 1,000 at-risk population (``iod_columns``) turned into
an annual count by the same at-risk population and put on the police.uk scale by
:math:`\lambda` (police.uk offences per IoD-based offence, pooled over the forces),
:math:`z_{fi}` the standardised :math:`\log(1 + \text{large-user postcodes})` (business
addresses, within the force) and :math:`\alpha_f` a fixed effect per force (unpenalised).
The fit is the regularised negative binomial of :mod:`sna.violence.count_model`.

Applied to a region without street files, the same terms are computed from its IoD2025 rates
and at-risk population, and the intercept is set so that the expected total equals the
region's scaled IoD-based total (its own level, as a force effect would). The IoD2025 rates
cover April 2022 to March 2024, which overlaps the forces' 2022 files: this model measures
how well the *exposure* turns published rates into where violence is recorded, not
forecasting skill (``docs/evaluation.md``).

The fit is a build input with its own cache key (``<data_dir>/_shared/pooled-violence-<key>.json``:
the forces' files, the at-risk estimate, the spec and the code), so it is fitted once, not
once per region. :func:`fit_pooled` takes ``exclude`` for the leave-one-force-out evaluation.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.config.region import RegionConfig, ViolenceRiskSpec
from sna.errors import ConfigError
from sna.fingerprint import code_fingerprint
from sna.settings import PROJECT_ROOT
from sna.violence.count_model import EXPOSURE_TERM, CountModel, fit_count_model
from sna.violence.features import CURVATURE_TERM, PRIOR_TERM, month_number
from sna.violence.force_panel import ForcePanel, force_panel
from sna.violence.model import IOD2025_WINDOW, ViolenceFit, ViolenceRisk, assemble_risk

__all__ = [
    "BUSINESS_TERM",
    "PooledFit",
    "pooled_terms",
    "fit_pooled",
    "pooled_fit",
    "iod_window_months",
    "apply_pooled",
]

#: The standardised log(1 + live large-user postcodes) term.
BUSINESS_TERM = "business_addresses"
_EXPOSURE_ELASTICITY = "log_residents"  # merged into the exposure driver by sna.violence.model
_UNPENALISED = (PRIOR_TERM, CURVATURE_TERM, _EXPOSURE_ELASTICITY)


@dataclass
class PooledFit:
    """A pooled fit: the common coefficients, the IoD-to-police.uk scale and its data."""

    model: CountModel
    scale: float
    forces: list[str]
    excluded: list[str]
    window: tuple[str, str]
    n_lsoa: int
    force_effects: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready record (the cache file)."""
        m = self.model
        return {
            "terms": m.terms,
            "params": m.params.tolist(),
            "cov": m.cov.tolist(),
            "alpha": m.alpha,
            "prior_sd": m.prior_sd,
            "penalised": m.penalised,
            "n": m.n,
            "deviance_explained": m.deviance_explained,
            "scale": self.scale,
            "forces": self.forces,
            "excluded": self.excluded,
            "window": list(self.window),
            "n_lsoa": self.n_lsoa,
            "force_effects": self.force_effects,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PooledFit:
        """Inverse of :meth:`to_json`."""
        model = CountModel(
            terms=list(d["terms"]),
            params=np.asarray(d["params"], float),
            cov=np.asarray(d["cov"], float),
            alpha=float(d["alpha"]),
            prior_sd=float(d["prior_sd"]),
            penalised=list(d["penalised"]),
            n=int(d["n"]),
            deviance_explained=float(d["deviance_explained"]),
        )
        return cls(
            model=model,
            scale=float(d["scale"]),
            forces=list(d["forces"]),
            excluded=list(d["excluded"]),
            window=(d["window"][0], d["window"][1]),
            n_lsoa=int(d["n_lsoa"]),
            force_effects=dict(d.get("force_effects", {})),
        )


def _standardise(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / sd if sd > 1e-12 else np.zeros_like(v)


def pooled_terms(
    prior: np.ndarray, at_risk: np.ndarray, large_user: np.ndarray, index: pd.Index | None = None
) -> pd.DataFrame:
    """The model's terms for one force or region (``prior`` already on the police.uk scale)."""
    p = np.log1p(np.asarray(prior, float))
    la = np.log(np.asarray(at_risk, float))
    return pd.DataFrame(
        {
            PRIOR_TERM: p,
            CURVATURE_TERM: p**2,
            _EXPOSURE_ELASTICITY: la - la.mean(),
            BUSINESS_TERM: _standardise(np.log1p(np.asarray(large_user, float))),
        },
        index=index,
    )


def iod_window_months(panel: ForcePanel, force: str, window: tuple[str, str]) -> list[str]:
    """The months of ``window`` in which ``force`` has data."""
    return [m for m in panel.months(force) if window[0] <= m <= window[1]]


def fit_pooled(panel: ForcePanel, spec: ViolenceRiskSpec, exclude: Sequence[str] = ()) -> PooledFit:
    """Fit the pooled model on every force of ``panel`` but ``exclude`` (module docstring).

    A held-out force contributes nothing: neither its LSOAs nor its counts enter the fit or
    the scale :math:`\\lambda`.
    """
    window = tuple(spec.pooled_window)
    forces = [f for f in panel.forces if f not in set(exclude)]
    rows = []
    for f in forces:
        months = iod_window_months(panel, f, window)
        if not months:
            continue
        units = panel.lsoas[panel.lsoas["force"] == f]
        y = panel.series(f, spec.target, (months[0], months[-1])).to_numpy(float)
        rows.append((f, units, y, len(months)))
    if len(rows) < 2:
        raise ConfigError(
            f"pooled violence model: {len(rows)} force(s) with street files in "
            f"{window[0]}..{window[1]}; it needs two or more"
        )
    iod_count = np.concatenate(
        [
            u["iod_rate"].to_numpy(float) * u["at_risk_pop"].to_numpy(float) / 1000
            for _, u, _, _ in rows
        ]
    )
    annual = np.concatenate([y * 12.0 / m for _, _, y, m in rows])
    scale = float(annual.sum() / np.nansum(iod_count))
    parts, ys, exps, labels = [], [], [], []
    for f, u, y, m in rows:
        a = u["at_risk_pop"].to_numpy(float).clip(min=1.0)
        prior = np.nan_to_num(u["iod_rate"].to_numpy(float)) * a / 1000 * scale
        parts.append(pooled_terms(prior, a, u["large_user_postcodes"].to_numpy(float)))
        ys.append(y)
        exps.append(a * m / 12.0)
        labels.extend([f] * len(u))
    x = pd.concat(parts, ignore_index=True)
    labels_arr = np.asarray(labels)
    used = [r[0] for r in rows]
    for f in used[1:]:
        x[f"force_{f}"] = (labels_arr == f).astype(float)
    penalised = [c for c in x.columns if c not in _UNPENALISED and not c.startswith("force_")]
    full = fit_count_model(
        np.concatenate(ys),
        x,
        np.concatenate(exps),
        penalised=penalised,
        prior_sd=spec.prior_sd,
        family=spec.family,
    )
    effects = {used[0]: 0.0}
    effects.update({f: float(full.params[full.terms.index(f"force_{f}")]) for f in used[1:]})
    keep = [i for i, t in enumerate(full.terms) if not t.startswith("force_")]
    params = full.params[keep].copy()
    params[0] += float(np.mean(list(effects.values())))  # the average force
    model = CountModel(
        terms=[full.terms[i] for i in keep],
        params=params,
        cov=full.cov[np.ix_(keep, keep)],
        alpha=full.alpha,
        prior_sd=full.prior_sd,
        penalised=[full.penalised[i] for i in keep],
        n=full.n,
        deviance_explained=full.deviance_explained,
    )
    return PooledFit(
        model=model,
        scale=scale,
        forces=used,
        excluded=sorted(set(exclude)),
        window=window,
        n_lsoa=len(labels),
        force_effects={k: round(v, 6) for k, v in effects.items()},
    )


def _cache_key(config: RegionConfig, panel: ForcePanel, at_risk_file: str) -> str:
    spec = config.violence_risk
    blob = {
        "panel": panel.key,
        "at_risk": at_risk_file,
        "spec": spec.model_dump(
            mode="json", include={"target", "iod_columns", "prior_sd", "family", "pooled_window"}
        ),
        "code": code_fingerprint(
            [
                PROJECT_ROOT / "sna" / "violence" / "pooled.py",
                PROJECT_ROOT / "sna" / "violence" / "count_model.py",
            ]
        ),
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:16]


def pooled_fit(
    config: RegionConfig,
    shared_dir: Path,
    at_risk: pd.DataFrame,
    at_risk_file: str,
    *,
    exclude: Sequence[str] = (),
) -> tuple[PooledFit, ForcePanel]:
    """The pooled fit for ``config``'s ``pooled_from``, from the cache when it is there."""
    panel = force_panel(config, shared_dir, at_risk)
    key = _cache_key(config, panel, at_risk_file)
    tag = "" if not exclude else "-without-" + "-".join(sorted(exclude))
    path = shared_dir / f"pooled-violence-{key}{tag}.json"
    if path.exists():
        return PooledFit.from_json(json.loads(path.read_text())), panel
    fit = fit_pooled(panel, config.violence_risk, exclude)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(fit.to_json()))
    os.replace(tmp, path)
    return fit, panel


def months_between(window: tuple[str, str]) -> int:
    """Number of months in an inclusive ``('YYYY-MM', 'YYYY-MM')`` window."""
    lo, hi = month_number(list(window))
    return int(hi - lo + 1)


def apply_pooled(
    pooled: PooledFit,
    iod_count: np.ndarray,
    units: pd.Index,
    at_risk: np.ndarray,
    large_user: np.ndarray,
    *,
    target: str,
) -> tuple[ViolenceFit, ViolenceRisk]:
    """Violence risk of a region without street files from the pooled fit (module docstring).

    ``iod_count`` is the IoD2025 rates x the at-risk population / 1,000 (per year); the
    intercept is reset so the expected total equals ``scale x`` its total.
    """
    a = np.asarray(at_risk, float).clip(min=1.0)
    c = np.asarray(iod_count, float) * pooled.scale
    x = pooled_terms(c, a, large_user, index=units)
    model = CountModel(
        terms=list(pooled.model.terms),
        params=pooled.model.params.copy(),
        cov=pooled.model.cov.copy(),
        alpha=pooled.model.alpha,
        prior_sd=pooled.model.prior_sd,
        penalised=list(pooled.model.penalised),
        n=pooled.model.n,
        deviance_explained=pooled.model.deviance_explained,
    )
    mu = model.predict(x, a)
    model.params[0] += np.log(c.sum() / mu.sum())
    forces = ", ".join(pooled.forces)
    fit = ViolenceFit(
        model=model,
        half_life=float("nan"),
        target=target,
        response_window=pooled.window,
        feature_window=IOD2025_WINDOW,
        candidates=[],
        layers=[],
        source=(
            f"IoD2025 police recorded crime rates ({IOD2025_WINDOW[0]} to {IOD2025_WINDOW[1]}) "
            "x the estimated at-risk population as the prior-violence count (estimated, not "
            f"counted), scaled by {pooled.scale:.3f} to the police.uk count; coefficients "
            f"pooled over {len(pooled.forces)} forces' street files ({forces}; force fixed "
            "effects); intercept set so the expected total equals the scaled IoD-based total"
        ),
        notes=[
            f"pooled fit on {pooled.n_lsoa:,} LSOAs, {pooled.window[0]} to {pooled.window[1]}; "
            f"deviance explained {pooled.model.deviance_explained:.3f}",
            "exposure: the estimated at-risk population (sna.needs.at_risk)",
        ],
    )
    risk = assemble_risk(model, x, c, a)
    # The estimated count is the rate x the at-risk population, so the number of people here
    # acts through both the count and the offset: one driver, "violence here (estimated from
    # IoD2025 rates and the at-risk population)", not two that seem to pull apart.
    risk.contributions[PRIOR_TERM] += risk.contributions.pop(EXPOSURE_TERM)
    return fit, risk
