"""Ranks, deciles and bands of an index, with 1 always meaning the highest risk.

Publication uses equal-count groups (deciles, quintile bands) like the IoD: each decile holds
the same number of areas (to within one), whatever the distribution of the scores. Where tied
values straddle a group boundary, ``ties='first'`` breaks the tie by order of appearance (so
the result is deterministic for a given input order and the counts stay equal) and
``ties='min'`` keeps tied values together in the higher-risk group (counts may then differ).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from .normalise import _as_float_1d, _wrap

__all__ = ["BAND_LABELS", "band_of_decile", "rank_desc", "quantile_groups", "deciles", "bands"]

BAND_LABELS: tuple[str, ...] = ("Highest", "High", "Medium", "Low", "Lowest")
"""Default labels of the five equal-count bands, highest risk first."""

RankMethod = Literal["min", "max", "average", "dense", "ordinal", "first"]
_METHODS = ("min", "max", "average", "dense", "ordinal", "first")


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method={method!r} is not one of the supported options: {_METHODS}")
    return "ordinal" if method == "first" else method


def _rank_desc_2d(values: np.ndarray, method: str = "min") -> np.ndarray:
    """Descending ranks along the last axis, NaN kept as NaN (rows ranked independently)."""
    ranks = rankdata(-values, method=_check_method(method), axis=-1, nan_policy="omit")
    return np.asarray(ranks, dtype=float)


def _groups_from_ranks(ranks: np.ndarray, q: int) -> np.ndarray:
    """Equal-count groups 1..q from ranks 1..n along the last axis (NaN stays NaN)."""
    n = np.sum(~np.isnan(ranks), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.floor((ranks - 1.0) * q / n) + 1.0


def rank_desc(x: ArrayLike, *, method: RankMethod = "min") -> Any:
    r"""Rank so that 1 is the highest value (the highest risk).

    .. math::

        \mathrm{rank}_i = 1 + \#\{j : x_j > x_i\} \quad \text{(method='min')}

    Parameters
    ----------
    x : array_like or pandas.Series
        Scores where higher means more risk. NaN is not ranked and stays NaN.
    method : {'min', 'max', 'average', 'dense', 'first'}
        How ties are ranked. ``'min'`` (default, "1224" competition ranking) gives tied areas
        the best shared rank; ``'first'`` breaks ties by order of appearance.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Float ranks (NaN where ``x`` is NaN).

    Examples
    --------
    >>> rank_desc([0.5, 2.0, 2.0, -1.0]).tolist()
    [3.0, 1.0, 1.0, 4.0]
    """
    arr, index, label = _as_float_1d(x)
    return _wrap(_rank_desc_2d(arr, method), index, label)


def quantile_groups(x: ArrayLike, q: int, *, ties: Literal["first", "min"] = "first") -> Any:
    r"""Equal-count groups 1..q, group 1 holding the highest values.

    .. math::

        g_i = \left\lfloor \frac{(k_i - 1)\, q}{n} \right\rfloor + 1

    where :math:`k_i` is the descending rank of :math:`x_i` among the :math:`n` non-missing
    values (ordinal ranks for ``ties='first'``, minimum ranks for ``ties='min'``). With
    ordinal ranks every group holds :math:`\lfloor n/q \rfloor` or :math:`\lceil n/q \rceil`
    units.

    Parameters
    ----------
    x : array_like or pandas.Series
        Scores, higher = more risk. NaN stays NaN.
    q : int
        Number of groups (10 for deciles, 5 for quintiles).
    ties : {'first', 'min'}
        Tie handling at group boundaries, see the module notes.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Float group numbers (NaN where ``x`` is NaN).

    Examples
    --------
    >>> quantile_groups([5.0, 4.0, 3.0, 2.0, 1.0], 5).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    """
    if not isinstance(q, int | np.integer) or q < 1:
        raise ValueError(f"q must be a positive integer, got {q!r}")
    if ties not in ("first", "min"):
        raise ValueError(f"ties={ties!r} is not one of the supported options: ('first', 'min')")
    arr, index, label = _as_float_1d(x)
    ranks = _rank_desc_2d(arr, "ordinal" if ties == "first" else "min")
    return _wrap(_groups_from_ranks(ranks, int(q)), index, label)


def deciles(x: ArrayLike, *, ties: Literal["first", "min"] = "first") -> Any:
    """Equal-count deciles, 1 = the highest-risk 10% (see :func:`quantile_groups`).

    Examples
    --------
    >>> deciles(list(range(20))).tolist()[:4]
    [10.0, 10.0, 9.0, 9.0]
    """
    return quantile_groups(x, 10, ties=ties)


def bands(
    x: ArrayLike,
    labels: tuple[str, ...] | None = BAND_LABELS,
    *,
    ties: Literal["first", "min"] = "first",
) -> Any:
    """Equal-count bands with plain-words labels, the first label for the highest risk.

    Parameters
    ----------
    x : array_like or pandas.Series
        Scores, higher = more risk.
    labels : tuple of str or None
        One label per band, highest risk first; the number of labels sets the number of
        bands. ``None`` returns quintile numbers 1..5 instead.
    ties : {'first', 'min'}
        Tie handling at band boundaries.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Labels (object array with ``None`` for missing, or an ordered categorical Series
        whose categories run from the highest-risk label down).

    Examples
    --------
    >>> bands([9.0, 1.0, 5.0, 7.0, 3.0]).tolist()
    ['Highest', 'Lowest', 'Medium', 'High', 'Low']
    """
    if labels is None:
        return quantile_groups(x, 5, ties=ties)
    labels = tuple(labels)
    if len(labels) < 1 or len(set(labels)) != len(labels):
        raise ValueError(f"labels must be distinct and non-empty, got {labels!r}")
    arr, index, label = _as_float_1d(x)
    groups = quantile_groups(arr, len(labels), ties=ties)
    out = np.array([None] * arr.size, dtype=object)
    ok = ~np.isnan(groups)
    out[ok] = np.asarray(labels, dtype=object)[groups[ok].astype(int) - 1]
    if index is None:
        return out
    cat = pd.Categorical(out, categories=list(labels), ordered=True)
    return pd.Series(cat, index=index, name=label)


def band_of_decile(decile: int, labels: tuple[str, ...] = BAND_LABELS) -> str:
    r"""The band a decile falls in: deciles 1-2 are the first band, 3-4 the second, ...

    With ordinal ties :func:`bands` and :func:`deciles` agree exactly this way
    (:math:`\lfloor 5a \rfloor = \lfloor \lfloor 10a \rfloor / 2 \rfloor` for
    :math:`a = (k-1)/n`), so a map coloured by deciles and a panel showing bands never
    disagree.

    >>> [band_of_decile(d) for d in (1, 2, 3, 10)]
    ['Highest', 'Highest', 'High', 'Lowest']
    """
    d = int(decile)
    if not 1 <= d <= 10:
        raise ValueError(f"decile must be 1..10, got {decile!r}")
    return labels[(d - 1) * len(labels) // 10]
