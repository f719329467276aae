"""Outlier treatment and the IoD exponential transform.

Two transforms applied between raw layers and the index:

* :func:`treat_outliers` follows the composite-indicator convention of the JRC's COINr
  (``Treat()`` defaults): a layer fails when its absolute skewness is at least 2 *and* its
  kurtosis at least 3.5; it is then winsorised one extreme value at a time (up to 5 points) on
  the side of the skew, and if it still fails the winsorising is undone and the original
  values are log-transformed instead.
* :func:`iod_exponential` is the English Indices of Deprivation transform of a domain rank to
  a 0-100 score with a long upper tail, used before combining domains so that a very high
  score on one domain is not cancelled by a low one on another.

References
----------
Becker, W., Caperna, G., Del Sorbo, M., Norlén, H., Papadimitriou, E. and Saisana, M. (2022).
COINr: an R package for developing composite indicators. *Journal of Open Source Software*,
7(78), 4567.

McLennan, D. et al. (2019). *The English Indices of Deprivation 2019: Technical report*,
section 3.8 (exponential transformation). MHCLG.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from sna.stats.normalisation import as_float_1d, wrap_like

__all__ = ["TreatResult", "skew_kurtosis", "treat_outliers", "iod_exponential"]


def _skew_kurt(v: np.ndarray) -> tuple[float, float]:
    n = v.size
    if n < 3:
        return float("nan"), float("nan")
    d = v - v.mean()
    m2 = float(np.mean(d**2))
    if m2 == 0.0:
        return float("nan"), float("nan")
    g1 = float(np.mean(d**3)) / m2**1.5
    skew = g1 * np.sqrt(n * (n - 1)) / (n - 2)
    if n < 4:
        return float(skew), float("nan")
    g2 = float(np.mean(d**4)) / m2**2 - 3.0
    kurt = ((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3))
    return float(skew), float(kurt)


def skew_kurtosis(x: ArrayLike) -> tuple[float, float]:
    r"""Sample skewness and excess kurtosis, as COINr, Excel and ``e1071`` (type 2) define them.

    .. math::

        G_1 = \frac{\sqrt{n(n-1)}}{n-2}\,\frac{m_3}{m_2^{3/2}}, \qquad
        G_2 = \frac{(n-1)\left[(n+1)\left(m_4/m_2^2 - 3\right) + 6\right]}{(n-2)(n-3)}

    with :math:`m_k = \frac{1}{n}\sum_i (x_i - \bar{x})^k` over the :math:`n` non-missing
    values. A normal sample has :math:`G_1 \approx 0` and :math:`G_2 \approx 0`.

    Parameters
    ----------
    x : array_like or pandas.Series
        One layer; NaN is ignored.

    Returns
    -------
    (float, float)
        Skewness (NaN for fewer than 3 values or a constant layer) and excess kurtosis (NaN for
        fewer than 4 values or a constant layer).

    Examples
    --------
    >>> [round(v, 4) for v in skew_kurtosis([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100])]
    [3.0632, 9.7414]
    """
    arr, _, _ = as_float_1d(x)
    return _skew_kurt(arr[~np.isnan(arr)])


@dataclass(frozen=True)
class TreatResult:
    """What :func:`treat_outliers` did to one layer.

    Attributes
    ----------
    values : numpy.ndarray or pandas.Series
        The treated layer (same shape and index as the input).
    method : {'none', 'winsorise', 'log'}
        ``'none'``: the layer passed as it was; ``'winsorise'``: winsorising made it pass;
        ``'log'``: winsorising up to the limit did not, so the original values were
        log-transformed.
    n_winsorised : int
        Number of values winsorised (0 unless ``method == 'winsorise'``).
    side : {'high', 'low'} or None
        The tail that was winsorised, or that the log transform compressed.
    winsorised : numpy.ndarray of bool
        Which values were winsorised.
    skew_before, kurt_before, skew_after, kurt_after : float
        Skewness and excess kurtosis before and after treatment.
    passed : bool
        Whether the treated layer meets the thresholds (a log transform may still fail).
    """

    values: Any
    method: str
    n_winsorised: int
    side: str | None
    winsorised: np.ndarray
    skew_before: float
    kurt_before: float
    skew_after: float
    kurt_after: float
    passed: bool


def _passes(skew: float, kurt: float, skew_max: float, kurt_max: float) -> bool:
    # COINr check_SkewKurt: pass if |skew| < threshold OR kurtosis < threshold. Undefined
    # statistics (constant or tiny layers) pass: there is nothing to treat.
    if np.isnan(skew) or np.isnan(kurt):
        return True
    return bool(abs(skew) < skew_max or kurt < kurt_max)


def _log_ct(v: np.ndarray, side: str) -> np.ndarray:
    """COINr ``log_CT``: log(x - min + 0.01 (max - min)); mirrored for a long low tail."""
    lo, hi = np.nanmin(v), np.nanmax(v)
    a = 0.01 * (hi - lo)
    if side == "high":
        return np.log(v - lo + a)
    return -np.log(hi - v + a)


def treat_outliers(
    x: ArrayLike,
    *,
    skew_max: float = 2.0,
    kurt_max: float = 3.5,
    max_winsor: int = 5,
) -> TreatResult:
    r"""Treat outliers the COINr way: winsorise up to ``max_winsor`` points, else log-transform.

    A layer *fails* when :math:`|G_1| \ge` ``skew_max`` and :math:`G_2 \ge` ``kurt_max``
    (see :func:`skew_kurtosis`). While it fails and fewer than ``max_winsor`` points have been
    treated, the most extreme value on the side of the skew (the maximum if
    :math:`G_1 \ge 0`, else the minimum; tied extremes together) is replaced by the next value
    inwards. If the layer still fails, the winsorising is discarded and the *original* values
    are log-transformed (COINr's ``log_CT``):

    .. math::

        x'_i = \ln\!\left(x_i - \min_j x_j + 0.01\,(\max_j x_j - \min_j x_j)\right)

    For a long *low* tail (:math:`G_1 < 0`) the mirror image
    :math:`x'_i = -\ln(\max_j x_j - x_i + 0.01(\max_j x_j - \min_j x_j))` is used, which keeps
    the order of the values; COINr applies ``log_CT`` unmirrored, which would lengthen a low
    tail further. Both transforms are monotone, so ranks (and Blom scores) are unchanged by
    the log step; it matters for z-score and min-max normalisation.

    Parameters
    ----------
    x : array_like or pandas.Series
        One layer; NaN is ignored and kept.
    skew_max : float, default 2.0
        Threshold of absolute skewness.
    kurt_max : float, default 3.5
        Threshold of excess kurtosis.
    max_winsor : int, default 5
        Maximum number of points to winsorise (ties at the extreme can take it one or two
        over, as in COINr).

    Returns
    -------
    TreatResult

    Examples
    --------
    >>> res = treat_outliers([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100])
    >>> res.method, res.n_winsorised, res.values.tolist()[-2:]
    ('winsorise', 1, [30.0, 30.0])
    """
    if max_winsor < 0:
        raise ValueError(f"max_winsor must be >= 0, got {max_winsor}")
    arr, index, label = as_float_1d(x)
    ok = ~np.isnan(arr)
    v0 = arr[ok]
    sk0, ku0 = _skew_kurt(v0)
    none = np.zeros(arr.shape, dtype=bool)
    if _passes(sk0, ku0, skew_max, kurt_max):
        return TreatResult(
            wrap_like(arr.copy(), index, label), "none", 0, None, none, sk0, ku0, sk0, ku0, True
        )

    side = "high" if sk0 >= 0 else "low"
    v = v0.copy()
    treated = np.zeros(v.shape, dtype=bool)
    sk, ku = sk0, ku0
    while not _passes(sk, ku, skew_max, kurt_max) and treated.sum() < max_winsor:
        # COINr re-reads the direction of the skew at every step.
        if sk >= 0:
            at = v == v.max()
            if at.all():
                break
            v[at] = v[~at].max()
        else:
            at = v == v.min()
            if at.all():
                break
            v[at] = v[~at].min()
        treated |= at
        sk, ku = _skew_kurt(v)

    if _passes(sk, ku, skew_max, kurt_max):
        out = arr.copy()
        out[ok] = v
        mask = none.copy()
        mask[ok] = treated
        return TreatResult(
            wrap_like(out, index, label),
            "winsorise",
            int(treated.sum()),
            side,
            mask,
            sk0,
            ku0,
            sk,
            ku,
            True,
        )

    out = arr.copy()
    out[ok] = _log_ct(v0, side)
    sk2, ku2 = _skew_kurt(out[ok])
    return TreatResult(
        wrap_like(out, index, label),
        "log",
        0,
        side,
        none,
        sk0,
        ku0,
        sk2,
        ku2,
        _passes(sk2, ku2, skew_max, kurt_max),
    )


def iod_exponential(rank_or_score: ArrayLike, higher_is_worse: bool = True) -> Any:
    r"""The IoD exponential transform of a rank or score to 0-100.

    .. math::

        X_i = -23 \ln\!\left(1 - R_i \left(1 - e^{-100/23}\right)\right)

    where :math:`R_i = k_i / n` is the rank scaled to :math:`(0, 1]`, with
    :math:`k_i = 1` for the lowest-risk and :math:`k_i = n` for the highest-risk of the
    :math:`n` non-missing areas (tied values share the mean rank). The highest-risk area gets
    100; the lowest gets about 0; :math:`X > 50` exactly when
    :math:`R > (1 - e^{-50/23}) / (1 - e^{-100/23}) \approx 0.898`, i.e. for about the top 10%.

    Parameters
    ----------
    rank_or_score : array_like or pandas.Series
        Domain scores, or ranks. NaN stays NaN.
    higher_is_worse : bool, default True
        True when larger values mean more risk (scores); False when smaller values mean more
        risk (ranks where 1 is the highest risk, as :func:`sna.stats.ranking.rank_desc` gives).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Transformed values in (0, 100].

    Examples
    --------
    >>> iod_exponential([1.0, 2.0, 3.0, 4.0]).round(2).tolist()
    [6.52, 15.65, 31.01, 100.0]
    >>> iod_exponential([1, 2, 3, 4], higher_is_worse=False).round(2).tolist()
    [100.0, 31.01, 15.65, 6.52]
    """
    arr, index, label = as_float_1d(rank_or_score, "rank_or_score")
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    n = int(ok.sum())
    if n:
        v = arr[ok] if higher_is_worse else -arr[ok]
        r = rankdata(v, method="average") / n
        out[ok] = -23.0 * np.log(1.0 - r * (1.0 - np.exp(-100.0 / 23.0)))
    return wrap_like(out, index, label)
