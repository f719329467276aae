"""One Monte Carlo engine for the uncertainty of every index, in the spirit of esda's ``crand``.

The engine knows nothing about layers or weights: it takes a *kernel*, a function
``kernel(rng, i) -> index vector`` that rebuilds the index once from perturbed inputs, and runs
it ``draws`` times with independent, reproducible random streams. What to perturb is the
kernel's business; the helpers here cover the usual sources:

* sampling noise of counts (:func:`poisson_redraw` on the observed count, or
  :func:`gamma_redraw` from its Gamma posterior);
* weights (:func:`dirichlet_weights`, centred on the default weights);
* method choices (the kernel may switch normaliser or aggregation per draw).

:func:`monte_carlo` summarises the draws per unit: the 5th, 50th and 95th percentile rank, the
probability of sitting in the top decile and how often the decile agrees with the published
one. :func:`compare_rankings` gives the sensitivity summaries (Spearman correlation, share of
decile changes) between the default index and one alternative.

Reproducibility: draw :math:`i` uses the generator seeded with the :math:`i`-th child of
``numpy.random.SeedSequence(seed)``, so the same seed gives identical results whatever order
or process the draws run in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import spearmanr

from sna.stats.normalisation import as_float_1d, wrap_like
from sna.stats.ranking import groups_from_ranks, rank_desc_rows

__all__ = [
    "INTERVAL_PERCENTILES",
    "INTERVAL_LEVEL",
    "MCResult",
    "RankComparison",
    "monte_carlo",
    "poisson_redraw",
    "gamma_redraw",
    "dirichlet_weights",
    "rank_interval_contains",
    "compare_rankings",
]

INTERVAL_PERCENTILES: tuple[float, float, float] = (5.0, 50.0, 95.0)
"""Lower, middle and upper percentiles of every published interval (ranks and counts)."""
INTERVAL_LEVEL: float = round((INTERVAL_PERCENTILES[2] - INTERVAL_PERCENTILES[0]) / 100, 6)
"""The coverage the answers state for those intervals (0.9)."""

Kernel = Callable[[np.random.Generator, int], ArrayLike]


@dataclass(frozen=True)
class MCResult:
    """Per-unit summaries of a Monte Carlo run (1 = highest risk throughout).

    Attributes
    ----------
    rank : numpy.ndarray
        Rank of the point estimate (the published index).
    rank_lo, rank_median, rank_hi : numpy.ndarray
        Percentiles of the rank over the draws (by default the 5th, 50th and 95th). ``rank_lo``
        and ``rank_hi`` are widened where needed so that
        ``rank_lo <= rank <= rank_hi`` always holds (see ``widened``).
    decile : numpy.ndarray
        Decile of the point estimate (1 = the highest-risk 10%).
    p_top_decile : numpy.ndarray
        Share of draws in which the unit is in the top decile.
    decile_confidence : numpy.ndarray
        Share of draws in which the unit's decile equals ``decile``.
    widened : numpy.ndarray of bool
        Units whose percentile interval did not contain the point rank and was widened to it.
    draws : int
        Number of draws.
    seed : int
        Seed of the run.
    percentiles : tuple of float
        The (lower, middle, upper) percentiles reported.
    index : pandas.Index or None
        Index of the point estimate when it was a Series.
    simulations : numpy.ndarray or None
        The index draws, shape ``(draws, n)``, when ``keep_draws=True``.
    """

    rank: np.ndarray
    rank_lo: np.ndarray
    rank_median: np.ndarray
    rank_hi: np.ndarray
    decile: np.ndarray
    p_top_decile: np.ndarray
    decile_confidence: np.ndarray
    widened: np.ndarray
    draws: int
    seed: int
    percentiles: tuple[float, float, float]
    index: pd.Index | None = None
    simulations: np.ndarray | None = None

    @property
    def n_widened(self) -> int:
        """How many units' rank intervals had to be widened to contain their point rank."""
        return int(self.widened.sum())

    def to_frame(self) -> pd.DataFrame:
        """One row per unit with every per-unit summary."""
        frame = pd.DataFrame(
            {
                "rank": self.rank,
                "rank_lo": self.rank_lo,
                "rank_median": self.rank_median,
                "rank_hi": self.rank_hi,
                "decile": self.decile,
                "p_top_decile": self.p_top_decile,
                "decile_confidence": self.decile_confidence,
                "interval_widened": self.widened,
            }
        )
        if self.index is not None:
            frame.index = self.index
        return frame


def monte_carlo(
    kernel: Kernel,
    *,
    point: ArrayLike,
    draws: int = 500,
    seed: int,
    percentiles: tuple[float, float, float] = INTERVAL_PERCENTILES,
    rank_method: str = "min",
    keep_draws: bool = False,
) -> MCResult:
    r"""Run ``kernel`` ``draws`` times and summarise the ranks it produces.

    For each draw :math:`d = 1..D` the kernel returns an index vector :math:`I^{(d)}`; units
    are ranked within the draw (:math:`k^{(d)}_u`, 1 = highest) and put into equal-count
    deciles (:math:`g^{(d)}_u`). Then, for unit :math:`u` with point rank :math:`k_u` and
    point decile :math:`g_u`:

    .. math::

        \text{lo}_u = \min\big(Q_{p_1}(k^{(\cdot)}_u),\, k_u\big), \quad
        \text{hi}_u = \max\big(Q_{p_3}(k^{(\cdot)}_u),\, k_u\big), \quad
        P_u(\text{top}) = \frac{1}{D}\sum_d [g^{(d)}_u = 1], \quad
        C_u = \frac{1}{D}\sum_d [g^{(d)}_u = g_u]

    :math:`Q_{p_1}` is taken with the ``'lower'`` and :math:`Q_{p_3}` with the ``'higher'``
    interpolation, so the bounds are ranks that occurred. The min/max with the point rank
    *guarantees* that every interval contains its point rank; the units where this widening
    changed the interval are flagged in ``widened`` (a handful is expected when the point
    estimate sits in a tail of the draws, e.g. when perturbations are skewed).

    Parameters
    ----------
    kernel : callable
        ``kernel(rng, i)`` returns the index for draw ``i`` (array-like of the same length as
        ``point``, higher = more risk), drawing all randomness from ``rng``.
    point : array_like or pandas.Series
        The point estimate (the published index). NaN units are not ranked.
    draws : int, default 500
        Number of draws (at least 1).
    seed : int
        Seed of the run; required, so every run is reproducible.
    percentiles : (float, float, float), default (5, 50, 95)
        Lower, middle and upper percentiles of the rank.
    rank_method : str, default 'min'
        Tie handling of ranks, as in :func:`sna.stats.ranking.rank_desc`.
    keep_draws : bool, default False
        Keep the ``(draws, n)`` array of index draws in ``simulations``.

    Returns
    -------
    MCResult

    Raises
    ------
    ValueError
        When a draw has the wrong length, or the arguments are out of range.

    Examples
    --------
    >>> point = np.array([3.0, 2.0, 1.0])
    >>> res = monte_carlo(lambda rng, i: point, point=point, draws=10, seed=1)
    >>> res.rank.tolist(), res.rank_lo.tolist(), res.rank_hi.tolist()
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    """
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if not isinstance(draws, int | np.integer) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    lo_p, mid_p, hi_p = (float(p) for p in percentiles)
    if not 0 <= lo_p <= mid_p <= hi_p <= 100:
        raise ValueError(f"percentiles must be ordered values in [0, 100], got {percentiles}")
    p, index, _ = as_float_1d(point, "point")
    n = p.size

    children = np.random.SeedSequence(int(seed)).spawn(int(draws))
    sims = np.empty((int(draws), n))
    for i, child in enumerate(children):
        out = kernel(np.random.default_rng(child), i)
        out = out.to_numpy(dtype=float) if isinstance(out, pd.Series) else np.asarray(out, float)
        if out.shape != (n,):
            raise ValueError(f"kernel returned shape {out.shape} on draw {i}; expected ({n},)")
        sims[i] = out
    sims[:, np.isnan(p)] = np.nan

    point_rank = rank_desc_rows(p, rank_method)
    point_dec = groups_from_ranks(rank_desc_rows(p, "ordinal"), 10)
    ranks = rank_desc_rows(sims, rank_method)
    decs = groups_from_ranks(rank_desc_rows(sims, "ordinal"), 10)

    ok = ~np.isnan(p)
    lo = np.full(n, np.nan)
    mid = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    p_top = np.full(n, np.nan)
    conf = np.full(n, np.nan)
    if ok.any():
        rk = ranks[:, ok]
        lo[ok] = np.nanpercentile(rk, lo_p, axis=0, method="lower")
        mid[ok] = np.nanpercentile(rk, mid_p, axis=0)
        hi[ok] = np.nanpercentile(rk, hi_p, axis=0, method="higher")
        dk = decs[:, ok]
        counted = ~np.isnan(dk)
        with np.errstate(invalid="ignore"):
            p_top[ok] = (dk == 1).sum(axis=0) / counted.sum(axis=0)
            conf[ok] = (dk == point_dec[ok]).sum(axis=0) / counted.sum(axis=0)
    widened = ok & ((point_rank < lo) | (point_rank > hi) | np.isnan(lo))
    lo = np.where(ok, np.fmin(lo, point_rank), np.nan)
    hi = np.where(ok, np.fmax(hi, point_rank), np.nan)
    return MCResult(
        rank=point_rank,
        rank_lo=lo,
        rank_median=mid,
        rank_hi=hi,
        decile=point_dec,
        p_top_decile=p_top,
        decile_confidence=conf,
        widened=widened,
        draws=int(draws),
        seed=int(seed),
        percentiles=(lo_p, mid_p, hi_p),
        index=index,
        simulations=sims if keep_draws else None,
    )


def rank_interval_contains(point_rank: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> np.ndarray:
    """Whether each rank interval ``[lo, hi]`` contains its point rank.

    Units without a point rank (NaN) hold vacuously (True); a missing bound with a point rank
    fails.

    Examples
    --------
    >>> rank_interval_contains([1, 5, float("nan")], [1, 6, float("nan")], [3, 9, 2]).tolist()
    [True, False, True]
    """
    k = np.asarray(point_rank, dtype=float)
    a = np.asarray(lo, dtype=float)
    b = np.asarray(hi, dtype=float)
    with np.errstate(invalid="ignore"):
        inside = (a <= k) & (k <= b)
    return np.where(np.isnan(k), True, inside)


def poisson_redraw(counts: ArrayLike, rng: np.random.Generator) -> Any:
    r"""Redraw counts from a Poisson distribution with the observed count as its mean.

    .. math::

        r^{(d)}_j \sim \operatorname{Poisson}(r_j)

    Treats the observed count as the true expected count; a zero count is never perturbed.
    Prefer :func:`gamma_redraw` when zero counts are common.

    Parameters
    ----------
    counts : array_like or pandas.Series
        Observed counts (non-negative; NaN stays NaN).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray or pandas.Series
        Float counts.
    """
    r, index, label = as_float_1d(counts, "counts")
    if (r < 0).any():
        raise ValueError(f"counts has {int((r < 0).sum())} negative value(s)")
    out = np.full(r.shape, np.nan)
    ok = ~np.isnan(r)
    out[ok] = rng.poisson(r[ok])
    return wrap_like(out, index, label)


def gamma_redraw(counts: ArrayLike, rng: np.random.Generator, *, prior_shape: float = 0.5) -> Any:
    r"""Draw expected counts from their Gamma posterior given the observed counts.

    With a Poisson likelihood and the Jeffreys prior (shape 1/2, rate 0 on the mean) the
    posterior of the expected count :math:`\mu_j` is

    .. math::

        \mu^{(d)}_j \sim \operatorname{Gamma}(\text{shape} = r_j + a, \text{rate} = 1)

    with :math:`a` = ``prior_shape``. Unlike :func:`poisson_redraw` this lets a zero count be
    a small positive rate, and returns continuous values.

    Parameters
    ----------
    counts : array_like or pandas.Series
        Observed counts (non-negative; NaN stays NaN).
    rng : numpy.random.Generator
    prior_shape : float, default 0.5
        Prior shape :math:`a > 0` (0.5 = Jeffreys).

    Returns
    -------
    numpy.ndarray or pandas.Series
    """
    if not prior_shape > 0:
        raise ValueError(f"prior_shape must be > 0, got {prior_shape!r}")
    r, index, label = as_float_1d(counts, "counts")
    if (r < 0).any():
        raise ValueError(f"counts has {int((r < 0).sum())} negative value(s)")
    out = np.full(r.shape, np.nan)
    ok = ~np.isnan(r)
    out[ok] = rng.gamma(shape=r[ok] + prior_shape, scale=1.0)
    return wrap_like(out, index, label)


def dirichlet_weights(weights: Any, concentration: float, rng: np.random.Generator) -> Any:
    r"""Perturb weights with a Dirichlet distribution centred on them.

    .. math::

        \tilde w^{(d)} \sim \operatorname{Dirichlet}(c\,\tilde w), \qquad
        \mathbb{E}[\tilde w^{(d)}_i] = \tilde w_i, \qquad
        \operatorname{Var}[\tilde w^{(d)}_i] = \frac{\tilde w_i (1 - \tilde w_i)}{c + 1}

    with :math:`\tilde w` the weights normalised to sum to 1 and :math:`c` the
    concentration: larger :math:`c` keeps draws closer to the defaults (:math:`c = 100` gives
    a weight of 0.2 a standard deviation of 0.04). Zero weights stay zero.

    Parameters
    ----------
    weights : mapping of str to float, pandas.Series or array_like
        Non-negative default weights, at least one positive.
    concentration : float
        :math:`c > 0`.
    rng : numpy.random.Generator

    Returns
    -------
    dict, pandas.Series or numpy.ndarray
        The same kind of object as ``weights``, summing to 1.
    """
    if not concentration > 0:
        raise ValueError(f"concentration must be > 0, got {concentration!r}")
    if isinstance(weights, Mapping) and not isinstance(weights, pd.Series):
        keys = list(weights)
        w = np.asarray([weights[k] for k in keys], dtype=float)
    else:
        keys = None
        w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be finite, non-negative and not all zero, got {w}")
    w = w / w.sum()
    out = np.zeros_like(w)
    pos = w > 0
    out[pos] = rng.dirichlet(concentration * w[pos])
    if keys is not None:
        return dict(zip(keys, out.tolist(), strict=True))
    if isinstance(weights, pd.Series):
        return pd.Series(out, index=weights.index, name=weights.name)
    return out


@dataclass(frozen=True)
class RankComparison:
    """Sensitivity of the ranking to one alternative choice.

    Attributes
    ----------
    spearman : float
        Spearman correlation of the two rankings.
    decile_changed : float
        Share of units whose decile differs.
    mean_abs_rank_shift : float
        Mean absolute difference of ranks.
    n : int
        Units compared (present in both).
    """

    spearman: float
    decile_changed: float
    mean_abs_rank_shift: float
    n: int


def compare_rankings(default: ArrayLike, alternative: ArrayLike) -> RankComparison:
    r"""Compare the ranking of an alternative index with the default one.

    .. math::

        \rho_S = \operatorname{corr}(k, k'), \qquad
        \Delta_{\text{decile}} = \frac{1}{n}\sum_u [g_u \ne g'_u]

    over units present in both (ranks :math:`k`, deciles :math:`g`, 1 = highest).

    Examples
    --------
    >>> compare_rankings([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]).spearman
    1.0
    """
    a, _, _ = as_float_1d(default, "default")
    b, _, _ = as_float_1d(alternative, "alternative")
    if a.shape != b.shape:
        raise ValueError(f"default has {a.size} values but alternative has {b.size}")
    ok = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[ok], b[ok]
    if a.size < 2:
        return RankComparison(float("nan"), float("nan"), float("nan"), int(a.size))
    ka, kb = rank_desc_rows(a, "average"), rank_desc_rows(b, "average")
    ga = groups_from_ranks(rank_desc_rows(a, "ordinal"), 10)
    gb = groups_from_ranks(rank_desc_rows(b, "ordinal"), 10)
    return RankComparison(
        spearman=float(spearmanr(a, b).statistic),
        decile_changed=float(np.mean(ga != gb)),
        mean_abs_rank_shift=float(np.mean(np.abs(ka - kb))),
        n=int(a.size),
    )
