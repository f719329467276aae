"""Normalisation of layers to a common scale: rank-based normal scores, z-scores, min-max.

Layers measured in different units (rates per 1,000, domain scores, distances) can only be
combined once they share a scale. The three normalisers here are the usual choices for a
composite indicator (OECD/JRC handbook; COINr). Each takes one layer and returns it on the new
scale, keeping missing values out of the statistics and returning them as missing.

The *direction* is applied before normalising: a protective layer where high is good (access
to community assets) is multiplied by -1 so that, after normalisation, high always means more
risk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = [
    "NORMALISERS",
    "blom_scores",
    "zscores",
    "minmax",
    "normalise",
]


# ----------------------------------------------------------------------------- helpers
# Shared by the other scoring modules: accept a numpy array or a pandas Series and give back
# the same kind of object, keyed by the same index.


def as_float_1d(x: ArrayLike, name: str = "x") -> tuple[np.ndarray, pd.Index | None, Any]:
    """Return ``(values as float64, index or None, series name or None)``.

    Infinite values are refused: they are always a data error upstream (a division by zero).
    """
    if isinstance(x, pd.Series):
        arr = x.to_numpy(dtype=float, na_value=np.nan)
        index, label = x.index, x.name
    else:
        arr = np.asarray(x, dtype=float)
        index, label = None, None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains {int(np.isinf(arr).sum())} infinite value(s)")
    return arr, index, label


def wrap_like(values: np.ndarray, index: pd.Index | None, label: Any = None) -> Any:
    """Give ``values`` back as a Series on ``index`` when the input was a Series."""
    if index is None:
        return values
    return pd.Series(values, index=index, name=label)


# ----------------------------------------------------------------------------- normalisers


def blom_scores(x: ArrayLike) -> Any:
    r"""Rank-based normal scores (Blom 1958).

    Each value is replaced by the standard normal quantile of its plotting position, so the
    result is close to N(0, 1) whatever the shape of the input and one extreme area cannot
    dominate the index. The IoD uses this transform for its indicators.

    .. math::

        b_i = \Phi^{-1}\!\left(\frac{r_i - 3/8}{n + 1/4}\right)

    where :math:`r_i` is the ascending rank of :math:`x_i` among the :math:`n` non-missing
    values (tied values get the mean of their ranks) and :math:`\Phi^{-1}` is the standard
    normal quantile function.

    Parameters
    ----------
    x : array_like or pandas.Series
        One layer. Missing values (NaN) are left out of the ranking and returned as NaN.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Normal scores, same shape (and index, for a Series) as ``x``.

    Examples
    --------
    >>> blom_scores([10.0, 20.0, 30.0]).round(4)
    array([-0.8694,  0.    ,  0.8694])
    >>> blom_scores([1.0, float("nan"), 1.0]).tolist()
    [0.0, nan, 0.0]
    """
    arr, index, label = as_float_1d(x)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    n = int(ok.sum())
    if n:
        r = rankdata(arr[ok], method="average")
        out[ok] = ndtri((r - 0.375) / (n + 0.25))
    return wrap_like(out, index, label)


def zscores(x: ArrayLike, *, ddof: int = 1) -> Any:
    r"""Standardise to mean 0 and standard deviation 1.

    .. math::

        z_i = \frac{x_i - \bar{x}}{s}, \qquad
        s = \sqrt{\frac{1}{n - \mathrm{ddof}} \sum_j (x_j - \bar{x})^2}

    over the :math:`n` non-missing values. ``ddof=1`` (the sample standard deviation) matches
    R's ``sd`` and COINr's ``n_zscore``. A constant layer carries no information and is
    returned as zeros.

    Parameters
    ----------
    x : array_like or pandas.Series
        One layer; NaN is kept out of the mean and standard deviation and returned as NaN.
    ddof : int, default 1
        Delta degrees of freedom of the standard deviation.

    Returns
    -------
    numpy.ndarray or pandas.Series

    Examples
    --------
    >>> zscores([1.0, 2.0, 3.0]).tolist()
    [-1.0, 0.0, 1.0]
    """
    arr, index, label = as_float_1d(x)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if ok.sum() > ddof:
        v = arr[ok]
        sd = v.std(ddof=ddof)
        out[ok] = 0.0 if sd == 0 else (v - v.mean()) / sd
    elif ok.any():
        out[ok] = 0.0
    return wrap_like(out, index, label)


def minmax(x: ArrayLike) -> Any:
    r"""Rescale linearly to [0, 1].

    .. math::

        m_i = \frac{x_i - \min_j x_j}{\max_j x_j - \min_j x_j}

    over the non-missing values. Sensitive to outliers (one extreme value squeezes everyone
    else towards 0), so treat outliers first (:func:`sna.stats.transforms.treat_outliers`). A
    constant layer is returned as 0.5 everywhere.

    Parameters
    ----------
    x : array_like or pandas.Series
        One layer; NaN stays NaN.

    Returns
    -------
    numpy.ndarray or pandas.Series

    Examples
    --------
    >>> minmax([2.0, 4.0, 6.0]).tolist()
    [0.0, 0.5, 1.0]
    """
    arr, index, label = as_float_1d(x)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if ok.any():
        v = arr[ok]
        lo, hi = v.min(), v.max()
        out[ok] = 0.5 if hi == lo else (v - lo) / (hi - lo)
    return wrap_like(out, index, label)


NORMALISERS: Mapping[str, Callable[[ArrayLike], Any]] = MappingProxyType(
    {"rank_normal": blom_scores, "zscore": zscores, "minmax": minmax}
)
"""Read-only registry of normalisers by name, as used in the build configuration."""


def normalise(x: ArrayLike, method: str = "rank_normal", direction: int = 1) -> Any:
    r"""Apply a layer's direction, then normalise it with a registered method.

    .. math::

        y_i = N(d \cdot x_i), \qquad d \in \{+1, -1\}

    where :math:`N` is one of :data:`NORMALISERS` and :math:`d = -1` flips a layer where a
    high value is *good* (protective), so that high always means more risk afterwards.

    Parameters
    ----------
    x : array_like or pandas.Series
        One layer.
    method : {'rank_normal', 'zscore', 'minmax'}
        Name in :data:`NORMALISERS`.
    direction : {1, -1}
        +1 when high values mean more risk, -1 when high values are protective.

    Returns
    -------
    numpy.ndarray or pandas.Series

    Raises
    ------
    ValueError
        For an unknown method (the message lists the valid ones) or a direction other than
        +1/-1.

    Examples
    --------
    >>> normalise([1.0, 2.0, 3.0], "minmax", direction=-1).tolist()
    [1.0, 0.5, 0.0]
    """
    if method not in NORMALISERS:
        raise ValueError(
            f"method={method!r} is not one of the supported options: {sorted(NORMALISERS)}"
        )
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    arr, index, label = as_float_1d(x)
    return wrap_like(np.asarray(NORMALISERS[method](direction * arr)), index, label)
