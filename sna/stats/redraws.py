r"""How much of a difference in PEI* between two rankings the test period's own noise explains.

Two rankings of the same places are scored on one test period's counts. Those counts are one
draw of each place's underlying rate, so a small difference in PEI* between the rankings can
come from the draw rather than from the rankings. Redrawing the counts from a Poisson with
the observed count as its mean,

.. math::

    y^{(b)}_i \sim \mathrm{Poisson}(y_i), \qquad
    d^{(b)} = \mathrm{PEI}^*(s_A, y^{(b)}) - \mathrm{PEI}^*(s_B, y^{(b)}),

keeps both rankings fixed and varies only the test counts. The standard deviation of
:math:`d^{(b)}` is the noise a single test period puts on the difference, and the share of
redraws with :math:`d^{(b)} < 0` says how often ranking A would have looked worse than B on
another period like this one. A parametric bootstrap of the test period only: it says nothing
of the noise in the training months, which both rankings share.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sna.stats.metrics import n_flagged, selection_weights

__all__ = ["pei_star_difference_noise"]


def pei_star_difference_noise(
    score_a: ArrayLike,
    score_b: ArrayLike,
    observed: ArrayLike,
    *,
    coverage: float = 0.10,
    draws: int = 400,
    seed: int = 20221,
) -> tuple[float, float]:
    """``(sd, share_below)``: the standard deviation of PEI*(A) - PEI*(B) over Poisson
    redraws of ``observed``, and the share of redraws in which A is below B.

    Ties at the cut-off are shared as in :func:`~sna.stats.metrics.selection_weights`.

    >>> y = np.repeat([20, 18, 5, 1], 25)  # 100 places, the top 10% is 10 of them
    >>> sd, below = pei_star_difference_noise(y, y, y)  # the same ranking: no difference
    >>> float(sd), float(below)
    (0.0, 0.0)
    >>> worse = np.where(np.arange(100) >= 90, 99, y)  # flags ten places with 1 a year
    >>> sd, below = pei_star_difference_noise(y, worse, y)
    >>> 0 < sd < 0.1, float(below)
    (True, 0.0)
    >>> closer = np.where((np.arange(100) >= 25) & (np.arange(100) < 35), 99, y)  # 18s
    >>> sd, below = pei_star_difference_noise(y, closer, y)
    >>> 0 < below < 0.5  # 20s beat 18s, but not in every redraw
    True
    """
    y = np.nan_to_num(np.asarray(observed, dtype=float))
    k = n_flagged(len(y), coverage)
    w_a = selection_weights(score_a, k)
    w_b = selection_weights(score_b, k)
    rng = np.random.default_rng(seed)
    redrawn = rng.poisson(y, size=(int(draws), len(y))).astype(float)
    best = -np.partition(-redrawn, k - 1, axis=1)[:, :k].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = (redrawn @ w_a - redrawn @ w_b) / best
    diff = diff[np.isfinite(diff)]
    if not len(diff):
        return float("nan"), float("nan")
    return float(diff.std()), float((diff < 0).mean())
