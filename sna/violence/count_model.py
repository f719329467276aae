r"""A regularised count regression: the risk/protective factor model fitted to data.

.. math::

    \log \mathrm{E}[y_i] = \log e_i + \beta_0 + \sum_k \beta_k x_{ik},
    \qquad y_i \sim \mathrm{NB2}(\mu_i, \alpha),\ \mathrm{Var}\,y_i = \mu_i + \alpha\mu_i^2

with :math:`e_i` the exposure (an offset), :math:`x_{ik}` the terms (time-weighted prior
counts on the log scale, standardised risk and protective layers) and :math:`\alpha` the
overdispersion, estimated from a Poisson fit by the Cameron-Trivedi auxiliary regression
:math:`\hat\alpha = \sum_i[(y_i-\hat\mu_i)^2 - y_i] / \sum_i \hat\mu_i^2` (``methods.md`` 8b:
overdispersion is the rule for crime counts). The fit is penalised Fisher scoring (IRLS) with a
ridge penalty :math:`\tfrac12\sum_k \beta_k^2/\sigma^2` on the penalised terms, i.e. the posterior
mode under a :math:`N(0, \sigma^2)` prior; the covariance is the inverse of the penalised
Fisher information,

.. math::  \Sigma = \big(X^\top W X + \sigma^{-2} P\big)^{-1},
    \qquad W = \mathrm{diag}\big(\mu_i / (1 + \alpha\mu_i)\big),

with :math:`P` the diagonal 0/1 mask of penalised terms. :math:`\exp\beta_k` is a term's
relative risk (per standard deviation for a standardised layer), as Risk Terrain Modeling
reports relative risk values; its standard error is :math:`\sqrt{\Sigma_{kk}}`.

**Drivers.** On the log scale each term's centred contribution
:math:`t_{ik} = \beta_k (x_{ik} - \bar x_k)` and the exposure's
:math:`\log e_i - \overline{\log e}` sum exactly to :math:`\log(\mu_i / \tilde\mu)`, with
:math:`\tilde\mu` the geometric mean of the expected counts over the region (the typical
neighbourhood on the log scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["CountModel", "fit_count_model", "poisson_deviance", "EXPOSURE_TERM"]

#: Name of the exposure's term among the drivers.
EXPOSURE_TERM = "exposure"


@dataclass
class CountModel:
    """A fitted count regression: coefficients, covariance, and what they were fitted on."""

    terms: list[str]
    params: np.ndarray
    cov: np.ndarray
    alpha: float
    prior_sd: float
    penalised: list[bool]
    n: int
    deviance_explained: float
    centres: dict[str, float] = field(default_factory=dict)

    def _design(self, x: pd.DataFrame) -> np.ndarray:
        missing = [t for t in self.terms[1:] if t not in x.columns]
        if missing:
            raise ValueError(f"count model: missing term(s) {missing}")
        return np.column_stack([np.ones(len(x)), x[self.terms[1:]].to_numpy(float)])

    def linear(self, x: pd.DataFrame, params: np.ndarray | None = None) -> np.ndarray:
        """The linear predictor without the offset."""
        return self._design(x) @ (self.params if params is None else params)

    def predict(self, x: pd.DataFrame, exposure: np.ndarray) -> np.ndarray:
        """Expected counts :math:`e_i \\exp(\\beta_0 + \\sum_k \\beta_k x_{ik})`."""
        return np.asarray(exposure, float) * np.exp(self.linear(x))

    def draw_params(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Coefficient draws from the normal approximation ``N(params, cov)``."""
        return rng.multivariate_normal(self.params, self.cov, size=size, method="cholesky")

    def contributions(self, x: pd.DataFrame, exposure: np.ndarray) -> pd.DataFrame:
        """Centred log-scale terms; each row sums to ``log(mu_i / geometric mean of mu)``."""
        out = {}
        for k, t in enumerate(self.terms[1:], start=1):
            v = x[t].to_numpy(float)
            out[t] = self.params[k] * (v - v.mean())
        le = np.log(np.asarray(exposure, float))
        out[EXPOSURE_TERM] = le - le.mean()
        return pd.DataFrame(out, index=x.index)

    def table(self) -> pd.DataFrame:
        """One row per term: coefficient, standard error, relative risk and its 95% interval."""
        se = np.sqrt(np.diag(self.cov))
        return pd.DataFrame(
            {
                "term": self.terms,
                "coef": self.params,
                "se": se,
                "relative_risk": np.exp(self.params),
                "rr_lo": np.exp(self.params - 1.96 * se),
                "rr_hi": np.exp(self.params + 1.96 * se),
                "penalised": self.penalised,
            }
        )


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    r""":math:`2\sum_i [y_i \log(y_i/\mu_i) - (y_i - \mu_i)]`, the first term 0 where
    :math:`y_i = 0`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return float(2 * np.sum(t - (y - mu)))


def _nb_alpha(y: np.ndarray, mu: np.ndarray) -> float:
    """Cameron-Trivedi moment estimate of the NB2 overdispersion (0 when underdispersed)."""
    denom = float(np.sum(mu**2))
    if denom <= 0:
        return 0.0
    return max(float(np.sum((y - mu) ** 2 - y)) / denom, 0.0)


def _log_likelihood(y: np.ndarray, eta: np.ndarray, alpha: float) -> float:
    """NB2 (Poisson when ``alpha`` is 0) log-likelihood in the linear predictor, up to terms
    free of it."""
    mu = np.exp(eta)
    if alpha > 0:
        return float(np.sum(y * eta - (y + 1.0 / alpha) * np.log1p(alpha * mu)))
    return float(np.sum(y * eta - mu))


def _penalised_newton(
    y: np.ndarray,
    design: np.ndarray,
    offset: np.ndarray,
    penalty: np.ndarray,
    *,
    alpha: float,
    start: np.ndarray | None = None,
    tol: float = 1e-9,
    max_iter: int = 100,
) -> np.ndarray:
    r"""The posterior mode: maximise :math:`\ell(\beta) - \tfrac12\sum_k p_k\beta_k^2` by
    Fisher scoring (penalised IRLS), halving a step that does not raise it.

    For the log link and NB2 the score is :math:`X^\top (y-\mu)/(1+\alpha\mu)` and the
    information :math:`X^\top W X` with the module's :math:`W`. Scoring from the log of the
    overall rate converges in a few steps where a quasi-Newton search from zero (statsmodels'
    ``fit_regularized`` for the ridge) can stop early on counts in the hundreds.
    """
    beta = np.zeros(design.shape[1]) if start is None else np.array(start, float)
    if start is None:
        beta[0] = np.log(max(y.sum(), 0.5) / np.exp(offset).sum())

    def objective(b: np.ndarray) -> float:
        return _log_likelihood(y, design @ b + offset, alpha) - 0.5 * float(np.sum(penalty * b**2))

    current = objective(beta)
    for _ in range(max_iter):
        mu = np.exp(design @ beta + offset)
        w = mu / (1.0 + alpha * mu)
        score = design.T @ ((y - mu) / (1.0 + alpha * mu)) - penalty * beta
        info = design.T @ (design * w[:, None]) + np.diag(penalty)
        step = np.linalg.lstsq(info, score, rcond=None)[0]
        for _ in range(30):
            trial = objective(beta + step)
            if trial >= current - 1e-12:
                break
            step = step / 2
        beta = beta + step
        done = abs(trial - current) <= tol * (1.0 + abs(current))
        current = trial
        if done and np.max(np.abs(step)) < 1e-6:
            break
    return beta


def fit_count_model(
    y: np.ndarray,
    x: pd.DataFrame,
    exposure: np.ndarray,
    *,
    penalised: Sequence[str] = (),
    prior_sd: float = 1.0,
    family: str = "negative_binomial",
) -> CountModel:
    """Fit the count regression of ``y`` on the columns of ``x`` (see the module docstring).

    Parameters
    ----------
    y : array of non-negative counts
    x : DataFrame of terms (no intercept column; one is added)
    exposure : array of positive exposures (the offset is their log)
    penalised : the columns given the ridge prior ``N(0, prior_sd**2)`` (standardised ones)
    prior_sd : the prior's standard deviation
    family : ``negative_binomial`` (NB2, alpha estimated) or ``poisson``

    Raises
    ------
    ValueError
        For negative or non-finite counts, non-positive exposures or non-finite terms.
    """
    y = np.asarray(y, dtype=float)
    exposure = np.asarray(exposure, dtype=float)
    if y.shape[0] != len(x) or exposure.shape[0] != len(x):
        raise ValueError("count model: y, x and exposure must have the same length")
    if not np.isfinite(y).all() or (y < 0).any():
        raise ValueError("count model: counts must be finite and non-negative")
    if not np.isfinite(exposure).all() or (exposure <= 0).any():
        raise ValueError("count model: exposures must be finite and positive")
    if not np.isfinite(x.to_numpy(float)).all():
        bad = [c for c in x.columns if not np.isfinite(x[c].to_numpy(float)).all()]
        raise ValueError(f"count model: non-finite values in term(s) {bad}")
    if family not in ("negative_binomial", "poisson"):
        raise ValueError(f"count model: unknown family {family!r}")

    terms = ["intercept", *map(str, x.columns)]
    design = np.column_stack([np.ones(len(x)), x.to_numpy(float)])
    mask = np.array([t in set(penalised) for t in terms], dtype=float)
    offset = np.log(exposure)
    penalty = mask / prior_sd**2
    n = len(y)
    # a Poisson fit first: the start values and the residuals alpha is estimated from
    params = _penalised_newton(y, design, offset, penalty, alpha=0.0)
    alpha = 0.0
    if family == "negative_binomial":
        alpha = _nb_alpha(y, np.exp(design @ params + offset))
        if alpha > 0:
            params = _penalised_newton(y, design, offset, penalty, alpha=alpha, start=params)
    mu = np.exp(design @ params + offset)
    w = mu / (1.0 + alpha * mu)
    info = design.T @ (design * w[:, None]) + np.diag(mask / prior_sd**2)
    # pinv: exactly collinear terms (rare; e.g. two history types with equal counts) get a
    # finite covariance rather than an error
    cov = np.linalg.pinv(info)
    cov = (cov + cov.T) / 2
    # share of the Poisson deviance of the null (intercept + offset) model explained
    d0 = poisson_deviance(y, exposure * y.sum() / exposure.sum())
    explained = 1 - poisson_deviance(y, mu) / d0 if d0 > 0 else 0.0
    return CountModel(
        terms=terms,
        params=params,
        cov=cov,
        alpha=alpha,
        prior_sd=prior_sd,
        penalised=[bool(m) for m in mask],
        n=n,
        deviance_explained=float(explained),
    )
