"""Empirical-Bayes shrinkage of small-area rates toward their parent area.

An LSOA has about 1,500 residents, so a rate built on a handful of events is mostly noise: one
extra assault can move a rate per 1,000 from the middle of the distribution to the top
decile. Empirical-Bayes (EB) shrinkage pulls each area's rate toward the rate of its parent
(MSOA or district) in proportion to how noisy it is: precise areas keep their own rate, small
noisy ones move toward the parent. The IoD applies the same idea to its small-number
indicators (McLennan et al. 2019, technical report, appendix on shrinkage).

Two working scales are offered:

``'logit'`` (default)
    The empirical logit of the proportion, with its delta-method sampling variance. Suitable
    for proportions (events cannot exceed the population at risk).
``'poisson_gamma'``
    Marshall's (1991) moment estimator for Poisson counts with a Gamma prior, on the rate
    scale itself. Suitable for counts that can exceed the denominator (crimes per resident
    in a city centre).

Both use the same precision weight
:math:`w_j = (1/s_j^2) / (1/s_j^2 + 1/\\tau^2) = \\tau^2 / (\\tau^2 + s_j^2)`.

Known cost: shrinkage can hide a deprived pocket inside an affluent parent. Always publish the
unshrunk rate beside the shrunk one (:meth:`ShrinkResult.to_frame` returns both).

References
----------
Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes
estimators. *Journal of the Royal Statistical Society C*, 40(2), 283-294.

McLennan, D. et al. (2019). *The English Indices of Deprivation 2019: Technical report*.
MHCLG.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import expit

from sna.stats.normalisation import as_float_1d

__all__ = ["ShrinkResult", "eb_shrink"]

_SCALES = ("logit", "poisson_gamma")
_CENTRES = ("pooled", "precision")
_DEFAULT_MIN_TAU2 = {"logit": 1e-4, "poisson_gamma": 0.0}


@dataclass(frozen=True)
class ShrinkResult:
    """Raw and shrunk rates of each unit, and the ingredients of the shrinkage.

    Rates are per unit of denominator (per person); multiply by 1,000 for "per 1,000".

    Attributes
    ----------
    rate_raw : numpy.ndarray
        :math:`r_j / n_j` (NaN where the denominator is zero or missing).
    rate_shrunk : numpy.ndarray
        The EB estimate, back-transformed to the rate scale.
    weight : numpy.ndarray
        :math:`w_j`, the weight on the unit's own value (1 = no shrinkage, 0 = the parent).
    parent_rate : numpy.ndarray
        The rate each unit was shrunk toward (the parent's, or the global one, see
        ``to_global``).
    s2 : numpy.ndarray
        Sampling variance :math:`s_j^2` on the working scale.
    tau2 : pandas.Series
        Between-unit variance :math:`\\tau^2` used for each parent, on the working scale
        (the global value for parents that fell back to it).
    no_denominator : numpy.ndarray of bool
        Units with a zero or missing denominator or count: no rate, flagged and left out of
        every estimate.
    to_global : numpy.ndarray of bool
        Units shrunk toward the global rate because their parent had fewer than two units with
        a rate (no within-parent variance can be estimated) or no parent code.
    global_rate, global_tau2 : float
        The pooled rate and between-unit variance of all units.
    scale : str
        ``'logit'`` or ``'poisson_gamma'``.
    index : pandas.Index or None
        The index of the input when it was a Series.
    """

    rate_raw: np.ndarray
    rate_shrunk: np.ndarray
    weight: np.ndarray
    parent_rate: np.ndarray
    s2: np.ndarray
    tau2: pd.Series
    no_denominator: np.ndarray
    to_global: np.ndarray
    global_rate: float
    global_tau2: float
    scale: str
    index: pd.Index | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: raw and shrunk rate, weight, parent rate, variances and flags."""
        frame = pd.DataFrame(
            {
                "rate_raw": self.rate_raw,
                "rate_shrunk": self.rate_shrunk,
                "weight": self.weight,
                "parent_rate": self.parent_rate,
                "s2": self.s2,
                "no_denominator": self.no_denominator,
                "to_global": self.to_global,
            }
        )
        if self.index is not None:
            frame.index = self.index
        return frame


def _parent_codes(parent: ArrayLike, size: int, index: pd.Index | None) -> tuple:
    if isinstance(parent, pd.Series):
        if index is not None and not parent.index.equals(index):
            raise ValueError("parent is not aligned with counts (the Series indexes differ)")
        values = parent.to_numpy()
    else:
        values = np.asarray(parent, dtype=object)
    if values.shape != (size,):
        raise ValueError(f"parent has shape {values.shape}, expected ({size},)")
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return np.asarray(codes), pd.Index(uniques)


def _group_sum(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=size)


def _logit_moments(codes, z, s2, k, R, N, floor, centre):
    """Centre and method-of-moments tau2 of each group on the empirical-logit scale."""
    size = k.size
    with np.errstate(invalid="ignore", divide="ignore"):
        zbar = _group_sum(codes, z, size) / k
        var = _group_sum(codes, (z - zbar[codes]) ** 2, size) / (k - 1)
        tau2 = np.maximum(var - _group_sum(codes, s2, size) / k, floor)
        if centre == "pooled":
            return np.log((R + 0.5) / (N - R + 0.5)), tau2
        prec = 1.0 / (s2 + tau2[codes])
        return _group_sum(codes, prec * z, size) / _group_sum(codes, prec, size), tau2


def _poisson_gamma_moments(codes, x, n, k, R, N, floor):
    """Marshall's (1991) prior mean and variance of each group's rates."""
    size = k.size
    with np.errstate(invalid="ignore", divide="ignore"):
        m = R / N
        spread = _group_sum(codes, n * (x - m[codes]) ** 2, size) / N
        return m, np.maximum(spread - m / (N / k), floor)


def eb_shrink(
    counts: ArrayLike,
    denominators: ArrayLike,
    parent: ArrayLike,
    *,
    scale: Literal["logit", "poisson_gamma"] = "logit",
    min_tau2: float | None = None,
    centre: Literal["pooled", "precision"] = "pooled",
) -> ShrinkResult:
    r"""Empirical-Bayes shrinkage of unit rates toward their parent.

    **Logit scale.** With :math:`r_j` events among :math:`n_j` people in unit :math:`j`:

    .. math::

        z_j = \ln\frac{r_j + 0.5}{n_j - r_j + 0.5}, \qquad
        s_j^2 = \frac{1}{r_j + 0.5} + \frac{1}{n_j - r_j + 0.5}

    Within each parent :math:`p` with :math:`k_p \ge 2` units, the between-unit variance is
    the method-of-moments estimate

    .. math::

        \hat\tau_p^2 = \max\!\left(\operatorname{var}_{j \in p}(z_j)
            - \overline{s^2}_{p},\; \tau^2_{\min}\right)

    (sample variance with :math:`k_p - 1` degrees of freedom), and the parent's centre is the
    pooled empirical logit :math:`z_p = \ln\frac{R_p + 0.5}{N_p - R_p + 0.5}` with
    :math:`R_p = \sum_{j \in p} r_j`, :math:`N_p = \sum_{j \in p} n_j`
    (``centre='pooled'``), or the random-effects mean
    :math:`\sum_j z_j/(s_j^2 + \hat\tau_p^2) \big/ \sum_j 1/(s_j^2 + \hat\tau_p^2)`
    (``centre='precision'``). Then

    .. math::

        w_j = \frac{1/s_j^2}{1/s_j^2 + 1/\hat\tau_p^2}, \qquad
        z_j^* = w_j z_j + (1 - w_j) z_p, \qquad
        \text{rate}^*_j = \frac{1}{1 + e^{-z_j^*}}

    :math:`\text{rate}^*_j` lies between the parent rate and the continuity-corrected raw
    rate :math:`(r_j + 0.5)/(n_j + 1)`; it can fall outside :math:`r_j/n_j` by at most that
    correction.

    **Poisson-Gamma scale** (Marshall 1991). With :math:`x_j = r_j / n_j`, parent rate
    :math:`m_p = R_p / N_p` and :math:`\bar n_p = N_p / k_p`:

    .. math::

        s_j^2 = \frac{m_p}{n_j}, \qquad
        \hat\tau_p^2 = \max\!\left(\frac{\sum_{j \in p} n_j (x_j - m_p)^2}{N_p}
            - \frac{m_p}{\bar n_p},\; \tau^2_{\min}\right), \qquad
        \text{rate}^*_j = w_j x_j + (1 - w_j) m_p

    with the same :math:`w_j`. Here the shrunk rate always lies between :math:`x_j` and
    :math:`m_p`, and ``centre`` is ignored (Marshall's estimator uses the pooled rate).

    **Edge cases.** Units whose denominator (or count) is zero or missing get no rate and are
    flagged in ``no_denominator``; they take no part in any estimate. A parent with fewer than
    two rated units (or a missing parent code) cannot give a within-parent variance: its
    units are shrunk toward the global centre with the global :math:`\hat\tau^2` (computed
    the same way over all rated units) and flagged in ``to_global``. When
    :math:`\hat\tau^2 = 0` the weight is 0 (complete pooling).

    The moment estimator uses the plain mean of :math:`s_j^2`, so one very small unit (say
    0 events among 5 people, :math:`s_j^2 \approx 2.2`) can push :math:`\hat\tau_p^2` to the
    floor and pool its whole parent; this errs toward more smoothing, never less.

    Parameters
    ----------
    counts : array_like or pandas.Series
        Events :math:`r_j` (non-negative).
    denominators : array_like or pandas.Series
        Population at risk :math:`n_j` (non-negative), aligned with ``counts``.
    parent : array_like or pandas.Series
        Parent code of each unit (MSOA or district), aligned with ``counts``.
    scale : {'logit', 'poisson_gamma'}
        Working scale, see above.
    min_tau2 : float, optional
        Floor :math:`\tau^2_{\min}` of the between-unit variance. Default 1e-4 on the logit
        scale (a between-unit SD of 1% in the odds) and 0 for Poisson-Gamma (Marshall).
    centre : {'pooled', 'precision'}
        Parent centre on the logit scale.

    Returns
    -------
    ShrinkResult

    Raises
    ------
    ValueError
        If inputs are misaligned, negative, or (logit scale) a count exceeds its denominator;
        the message names how many units and the first one.

    Examples
    --------
    Two parents: in A the three rates are as alike as sampling noise allows, so they are
    pooled almost completely; B's differ far more than noise explains, so they keep most of
    their own rate (rates per 1,000):

    >>> res = eb_shrink([2, 40, 9, 30, 5, 80], [20, 400, 50, 600, 100, 500], list("AAABBB"))
    >>> res.weight.round(3)
    array([0.   , 0.004, 0.001, 0.926, 0.692, 0.967])
    >>> (res.rate_raw * 1000).round(1)
    array([100., 100., 180.,  50.,  50., 160.])
    >>> (res.rate_shrunk * 1000).round(1)
    array([109.3, 109.3, 109.4,  53.3,  65.1, 158.1])
    """
    if scale not in _SCALES:
        raise ValueError(f"scale={scale!r} is not one of the supported options: {_SCALES}")
    if centre not in _CENTRES:
        raise ValueError(f"centre={centre!r} is not one of the supported options: {_CENTRES}")
    floor = _DEFAULT_MIN_TAU2[scale] if min_tau2 is None else float(min_tau2)
    if not floor >= 0:
        raise ValueError(f"min_tau2 must be >= 0, got {min_tau2!r}")

    r, index, _ = as_float_1d(counts, "counts")
    n, index_n, _ = as_float_1d(denominators, "denominators")
    if r.shape != n.shape:
        raise ValueError(f"counts has {r.size} values but denominators has {n.size}")
    if index is not None and index_n is not None and not index.equals(index_n):
        raise ValueError("counts and denominators are not aligned (the Series indexes differ)")
    index = index if index is not None else index_n
    labels = index if index is not None else pd.RangeIndex(r.size)
    for name, arr in (("counts", r), ("denominators", n)):
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            raise ValueError(
                f"{name} has {bad.size} negative value(s), first at {labels[bad[0]]!r}"
            )
    valid = ~np.isnan(r) & ~np.isnan(n) & (n > 0)
    if scale == "logit":
        bad = np.flatnonzero(valid & (r > n))
        if bad.size:
            raise ValueError(
                f"{bad.size} count(s) exceed their denominator on the logit scale, first at "
                f"{labels[bad[0]]!r} ({r[bad[0]]:g} > {n[bad[0]]:g}); use "
                "scale='poisson_gamma' for counts that can exceed the population"
            )
    codes, uniques = _parent_codes(parent, r.size, index)
    n_parents = len(uniques)

    rate_raw = np.full(r.shape, np.nan)
    rate_raw[valid] = r[valid] / n[valid]
    cv = codes[valid]
    rv, nv = r[valid], n[valid]
    has_parent = cv >= 0
    cp = cv[has_parent]
    k = np.bincount(cp, minlength=n_parents).astype(float)
    R = _group_sum(cp, rv[has_parent], n_parents)
    N = _group_sum(cp, nv[has_parent], n_parents)

    # Working-scale values of rated units; centre and tau2 per parent and over all units.
    one = np.zeros(rv.size, dtype=int)
    totals = (np.array([float(rv.size)]), np.array([rv.sum()]), np.array([nv.sum()]))
    if scale == "logit":
        z = np.log((rv + 0.5) / (nv - rv + 0.5))
        s2 = 1.0 / (rv + 0.5) + 1.0 / (nv - rv + 0.5)
        c_par, t_par = _logit_moments(cp, z[has_parent], s2[has_parent], k, R, N, floor, centre)
        c_glob, t_glob = _logit_moments(one, z, s2, *totals, floor, centre)
    else:
        z = rv / nv
        c_par, t_par = _poisson_gamma_moments(cp, z[has_parent], nv[has_parent], k, R, N, floor)
        c_glob, t_glob = _poisson_gamma_moments(one, z, nv, *totals, floor)
    c_glob, t_glob = float(c_glob[0]), float(t_glob[0])
    if rv.size < 2:
        t_glob = float("nan")

    # Per rated unit: the parent's centre and tau2, or the global ones.
    usable = np.zeros(rv.size, dtype=bool)
    usable[has_parent] = k[cp] >= 2
    centre_u = np.full(rv.size, c_glob)
    tau2_u = np.full(rv.size, t_glob)
    centre_u[usable] = c_par[cv[usable]]
    tau2_u[usable] = t_par[cv[usable]]

    if scale == "logit":
        s2_u = s2
    else:  # Marshall: Poisson variance of the rate under the prior mean
        with np.errstate(invalid="ignore", divide="ignore"):
            s2_u = centre_u / nv
    denom = tau2_u + s2_u
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(denom > 0, tau2_u / denom, 0.0)
    w = np.where(np.isnan(tau2_u), 1.0, w)  # a single rated unit in total: nothing to pool
    centre_u = np.where(np.isnan(tau2_u), z, centre_u)
    shrunk = w * z + (1.0 - w) * centre_u

    def _full(values: np.ndarray) -> np.ndarray:
        out = np.full(r.shape, np.nan)
        out[valid] = values
        return out

    if scale == "logit":
        rate_shrunk, parent_rate = expit(shrunk), expit(centre_u)
        global_rate = float(expit(c_glob))
    else:
        rate_shrunk, parent_rate = shrunk, centre_u
        global_rate = float(c_glob)

    tau2_series = pd.Series(np.where(k >= 2, t_par, t_glob), index=uniques, name="tau2")
    to_global = np.zeros(r.shape, dtype=bool)
    to_global[valid] = ~usable
    return ShrinkResult(
        rate_raw=rate_raw,
        rate_shrunk=_full(rate_shrunk),
        weight=_full(w),
        parent_rate=_full(parent_rate),
        s2=_full(s2_u),
        tau2=tau2_series,
        no_denominator=~valid,
        to_global=to_global,
        global_rate=global_rate,
        global_tau2=t_glob,
        scale=scale,
        index=index,
    )
