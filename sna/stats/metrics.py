"""How well a ranking of places anticipates where the next period's events happen.

Pure numpy functions, one per statistic, plus :func:`coverage_metrics` that computes them all
for the top 1, 5, 10 and 20% of units. They follow the definitions in ``methods.md`` section 8
and the R package ``ptools`` (Wheeler):

* **hit rate** :math:`n / N`: the share of all test-period events that fall in the flagged set;
* **PAI**, predictive accuracy index (Chainey, Tompson and Uhlig 2008)
  :math:`(n / N) / (a / A)`: the hit rate per unit of area flagged; 1 is what a random choice
  of the same area captures on average, above 1 beats chance;
* **PEI\\***, predictive efficiency index (White, Hunt and Green 2023) :math:`n / n^*`, where
  :math:`n^*` is the most test-period events *any* set of the same number of units could have
  captured (the sum of the :math:`k` largest test counts): 1 is a perfect oracle;
* **RRI**, recovery rate index (Levine; ``ptools::pai``): predicted events in the flagged set
  divided by the observed events there; 1 is a calibrated forecast, above 1 over-predicts.
  Its logarithm is what should be compared and averaged (``ptools`` says the same);
* **Spearman** rank correlation of the score with the test counts over all units.

Besides the area-based PAI, :func:`coverage_metrics` reports ``pai_units``
:math:`(n / N) / (k / n_u)`, the hit rate per share of *units* flagged. For LSOAs, whose land
areas differ by a factor of several hundred, the area-based PAI rewards flagging small urban
LSOAs whatever they capture; ``pai_units`` is the figure for a service that allocates work per
neighbourhood. For equal grid cells the two are the same.

Ties at the cut-off. A ranking often ties at the boundary of the flagged set (prior counts of
zero; every 100 m cell of one LSOA under an LSOA-level score). Breaking such ties by the order
of the rows would make the result depend on row order, and ``ptools`` breaks them
pessimistically (lowest observed count first). Here the units tied at the cut-off share the
remaining places *fractionally*: each gets the weight ``(k − m) / t`` (``m`` units strictly
above the cut-off, ``t`` tied), which is exactly the expectation of every statistic under a
random tie-break. The weights sum to ``k``.

References
----------
Chainey, S., Tompson, L. and Uhlig, S. (2008). The utility of hotspot mapping for predicting
spatial patterns of crime. *Security Journal* 21, 4-28.

Levine, N. (2008). The "hottest" part of a hotspot: comments on "The utility of hotspot
mapping for predicting spatial patterns of crime". *Security Journal* 21, 295-302.

White, Hunt and Green (2023): PEI*, the events captured as a share of the most that the same
number of units could have captured (as cited in ``methods.md`` section 8).

Wheeler, A. P. and Steenbeek, W. (2021). Mapping the risk terrain for crime using machine
learning. *Journal of Quantitative Criminology* 37, 445-480 (``ptools`` definitions).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import spearmanr

__all__ = [
    "COVERAGES",
    "n_flagged",
    "selection_weights",
    "hit_rate",
    "pai",
    "max_capture",
    "pei_star",
    "rri",
    "expected_counts",
    "spearman",
    "coverage_metrics",
]

COVERAGES: tuple[float, ...] = (0.01, 0.05, 0.10, 0.20)
"""Shares of units flagged: the top 1, 5, 10 and 20%."""


def _vec(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def n_flagged(n_units: int, coverage: float) -> int:
    """Number of units in the top ``coverage`` share: ``round(coverage * n)``, at least 1.

    Halves round up (``floor(c n + 0.5)``), so 10% of 735 LSOAs is 74 (73.5 rounded up).

    >>> n_flagged(735, 0.10), n_flagged(100, 0.01), n_flagged(20, 0.01)
    (74, 1, 1)
    """
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage!r}")
    if n_units < 1:
        raise ValueError(f"need at least one unit, got {n_units}")
    return int(min(n_units, max(1, np.floor(coverage * n_units + 0.5))))


def selection_weights(scores: ArrayLike, k: int) -> np.ndarray:
    r"""Membership of each unit in the top ``k`` by score, ties at the cut-off shared.

    .. math::

        w_i = \begin{cases} 1 & s_i > s_{(k)} \\
                            (k - m) / t & s_i = s_{(k)} \\
                            0 & s_i < s_{(k)} \end{cases}

    where :math:`s_{(k)}` is the k-th largest score, :math:`m` the number of units strictly
    above it and :math:`t` the number equal to it. :math:`\sum_i w_i = k`. Missing scores rank
    below every other score.

    Parameters
    ----------
    scores : array_like
        Higher means flagged first.
    k : int
        Number of units to flag, ``1 <= k <= n``.

    Returns
    -------
    numpy.ndarray
        Weights in [0, 1].

    Examples
    --------
    >>> selection_weights([5, 3, 3, 3, 1], 2).round(3).tolist()
    [1.0, 0.333, 0.333, 0.333, 0.0]
    """
    s = _vec(scores, "scores")
    n = len(s)
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of units ({n}), got {k}")
    s = np.where(np.isnan(s), -np.inf, s)
    cut = np.sort(s)[::-1][k - 1]
    above = s > cut
    tied = s == cut
    w = above.astype(float)
    w[tied] = (k - above.sum()) / tied.sum()
    return w


def hit_rate(n: float, N: float) -> float:
    """Share of all test events captured by the flagged set, :math:`n / N` (NaN if N = 0)."""
    return float(n / N) if N > 0 else float("nan")


def pai(n: float, N: float, a: float, A: float) -> float:
    r"""Predictive accuracy index :math:`\mathrm{PAI} = (n / N) / (a / A)`.

    ``n`` test events in the flagged area ``a``, out of ``N`` events in the whole area ``A``.
    A random choice of area captures on average its area share, so PAI = 1 is chance.

    >>> pai(15, 20, 2.0, 10.0)
    3.75
    """
    if N <= 0 or a <= 0 or A <= 0:
        return float("nan")
    return float((n / N) / (a / A))


def max_capture(observed: ArrayLike, k: int) -> float:
    """:math:`n^*`: the most events any ``k`` units capture (the sum of the k largest counts)."""
    y = _vec(observed, "observed")
    if not 1 <= k <= len(y):
        raise ValueError(f"k must be between 1 and the number of units ({len(y)}), got {k}")
    return float(np.sort(np.nan_to_num(y))[::-1][:k].sum())


def pei_star(n: float, n_star: float) -> float:
    r"""Predictive efficiency index :math:`\mathrm{PEI}^* = n / n^*` (White, Hunt and Green 2023).

    1 means no other choice of the same number of units would have captured more events.
    NaN when :math:`n^* = 0` (no events to capture).

    >>> pei_star(7, 15)
    0.4666666666666667
    """
    return float(n / n_star) if n_star > 0 else float("nan")


def rri(predicted: float, observed: float) -> float:
    r"""Recovery rate index :math:`\mathrm{RRI} = \hat n / n` (Levine; ``ptools``).

    Predicted over observed events in the flagged set: above 1 the forecast over-predicts
    (typical of last period's hottest places, which regress toward the mean), below 1 it
    under-predicts. Infinite when nothing was observed there; analyse ``log(RRI)``.
    """
    if observed > 0:
        return float(predicted / observed)
    return float("inf") if predicted > 0 else float("nan")


def expected_counts(score: ArrayLike, total: float) -> np.ndarray:
    r"""Put a ranking score on the count scale by proportional allocation of a total.

    .. math::

        \hat y_i = T \, \frac{s_i - m}{\sum_j (s_j - m)}, \qquad m = \min(0, \min_j s_j)

    For non-negative scores (counts, kernel densities, the IMD score) this is the share of the
    total ``T`` in proportion to the score; a score with negative values (a composite index on
    normal scores) is first shifted so its lowest unit gets zero. ``T`` is normally the
    training-period total scaled to the length of the test period, so the prediction uses no
    test-period information. Missing scores get zero.
    """
    s = _vec(score, "score")
    finite = np.isfinite(s)
    if not finite.any():
        return np.full(len(s), np.nan)
    m = min(0.0, float(np.min(s[finite])))
    x = np.where(finite, s - m, 0.0)
    tot = x.sum()
    if tot <= 0:
        return np.full(len(s), total / len(s))
    return total * x / tot


def spearman(score: ArrayLike, observed: ArrayLike) -> float:
    """Spearman rank correlation of score and observed counts over units (NaN pairs dropped)."""
    s, y = _vec(score, "score"), _vec(observed, "observed")
    ok = np.isfinite(s) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(s[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return float(spearmanr(s[ok], y[ok]).statistic)


def coverage_metrics(
    score: ArrayLike,
    observed: ArrayLike,
    *,
    area: ArrayLike | None = None,
    predicted: ArrayLike | None = None,
    coverages: Sequence[float] = COVERAGES,
) -> pd.DataFrame:
    """Every statistic for the top ``coverages`` share of units ranked by ``score``.

    Parameters
    ----------
    score : array_like
        The ranking (higher = flagged first), one value per unit, from training data only.
    observed : array_like
        Test-period event counts per unit.
    area : array_like, optional
        Area of each unit (e.g. LSOA ``area_km2``); equal areas when omitted (grid cells), so
        that :math:`a/A = k/n`.
    predicted : array_like, optional
        Predicted test-period counts per unit (for RRI), e.g. from :func:`expected_counts`.
    coverages : sequence of float
        Shares of units to flag (by number of units, not by area).

    Returns
    -------
    pandas.DataFrame
        One row per coverage: ``coverage``, ``k``, ``n``, ``N``, ``n_star``, ``area_share``
        (a/A), ``unit_share`` (k/n units), ``hit_rate``, ``pai``, ``pai_units``, ``pei_star``,
        ``predicted``, ``rri``, ``log_rri``.

    Examples
    --------
    >>> t = coverage_metrics([5, 4, 3, 2, 1], [10, 5, 3, 2, 0], area=[1, 1, 2, 2, 4],
    ...                      coverages=[0.4])
    >>> t[["k", "n", "hit_rate", "pai", "pei_star"]].to_dict("records")
    [{'k': 2, 'n': 15.0, 'hit_rate': 0.75, 'pai': 3.75, 'pei_star': 1.0}]
    """
    s = _vec(score, "score")
    y = np.nan_to_num(_vec(observed, "observed"))
    if len(s) != len(y):
        raise ValueError(f"score has {len(s)} units but observed has {len(y)}")
    ar = np.ones(len(s)) if area is None else _vec(area, "area")
    if len(ar) != len(s):
        raise ValueError(f"area has {len(ar)} units but score has {len(s)}")
    pr = None if predicted is None else _vec(predicted, "predicted")
    N, A = float(y.sum()), float(ar.sum())
    rows = []
    for c in coverages:
        k = n_flagged(len(s), c)
        w = selection_weights(s, k)
        n = float(w @ y)
        a = float(w @ ar)
        n_star = max_capture(y, k)
        p = float(w @ pr) if pr is not None else float("nan")
        r = rri(p, n) if pr is not None else float("nan")
        rows.append(
            {
                "coverage": float(c),
                "k": k,
                "n": n,
                "N": N,
                "n_star": n_star,
                "area_share": a / A if A > 0 else float("nan"),
                "unit_share": k / len(s),
                "hit_rate": hit_rate(n, N),
                "pai": pai(n, N, a, A),
                "pai_units": pai(n, N, k, len(s)),
                "pei_star": pei_star(n, n_star),
                "predicted": p,
                "rri": r,
                "log_rri": float(np.log(r)) if np.isfinite(r) and r > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)
