"""Ranks, deciles and bands of an index, with 1 always meaning the highest risk.

Publication uses equal-count groups (deciles, quintile bands) like the IoD: each decile holds
the same number of areas (to within one), whatever the distribution of the scores.

Ties are deterministic and never split. Values that differ by floating-point noise only (less
than :data:`TIE_RTOL` times the largest magnitude, e.g. a population-weighted mean of one
district-wide value, which is not bit-identical from ward to ward) are first grouped as equal
(:func:`tie_keys`). Tied values then share one rank, the best (``'min'``, "1224" ranking), and
one group: ``ties='min'`` (the default) puts a tied block in the group of its best rank, so
two units with the same value never get different deciles or bands, and a decile always
agrees with the rank it is worded from. Counts per group may then differ by the size of the
tie. When every value is the same there is nothing to rank: every group is missing (NaN).
``ties='first'`` (by order of appearance, equal counts) remains for analysis only.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from sna.stats.normalisation import as_float_1d, wrap_like

__all__ = [
    "BAND_LABELS",
    "TIE_RTOL",
    "band_of_decile",
    "rank_desc",
    "quantile_groups",
    "deciles",
    "bands",
    "tie_keys",
]

BAND_LABELS: tuple[str, ...] = ("Highest", "High", "Medium", "Low", "Lowest")
"""Default labels of the five equal-count bands, highest risk first."""

TIE_RTOL = 1e-9
"""Values closer than this times the largest magnitude (of the row) are ties."""

RankMethod = Literal["min", "max", "average", "dense", "ordinal", "first"]
_METHODS = ("min", "max", "average", "dense", "ordinal", "first")


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method={method!r} is not one of the supported options: {_METHODS}")
    return "ordinal" if method == "first" else method


def tie_keys(values: ArrayLike, rtol: float = TIE_RTOL) -> np.ndarray:
    r"""Dense tie groups along the last axis: equal keys for values equal up to noise.

    Sorted values start a new group where the gap to the previous value exceeds
    :math:`\text{rtol} \cdot \max |x|` (per row), so values that differ only by
    floating-point noise share a key. Keys are 0, 1, 2... in ascending order of value; NaN
    stays NaN. Ranking the keys ranks the values, with noise-free ties.

    >>> tie_keys([0.3, 0.1 + 0.2, 0.5, np.nan]).tolist()
    [0.0, 0.0, 1.0, nan]
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return v.copy()
    finite = np.isfinite(v)
    with np.errstate(invalid="ignore"):
        scale = np.max(np.where(finite, np.abs(v), 0.0), axis=-1, keepdims=True)
    order = np.argsort(np.where(np.isnan(v), np.inf, v), axis=-1, kind="stable")
    s = np.take_along_axis(v, order, axis=-1)
    with np.errstate(invalid="ignore"):
        gaps = np.diff(s, axis=-1) > rtol * scale
    lead = np.zeros(s.shape[:-1] + (1,))
    keys = np.concatenate([lead, np.cumsum(gaps, axis=-1)], axis=-1).astype(float)
    keys[np.isnan(s)] = np.nan
    out = np.empty_like(keys)
    np.put_along_axis(out, order, keys, axis=-1)
    return out


def rank_desc_rows(values: np.ndarray, method: str = "min") -> np.ndarray:
    """Descending ranks along the last axis, NaN kept as NaN (rows ranked independently).

    Values equal up to floating-point noise are ranked as ties (:func:`tie_keys`).
    """
    keys = tie_keys(values)
    ranks = rankdata(-keys, method=_check_method(method), axis=-1, nan_policy="omit")
    return np.asarray(ranks, dtype=float)


def groups_from_ranks(ranks: np.ndarray, q: int) -> np.ndarray:
    """Equal-count groups 1..q from ranks 1..n along the last axis (NaN stays NaN)."""
    n = np.sum(~np.isnan(ranks), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.floor((ranks - 1.0) * q / n) + 1.0


def _constant_rows(keys: np.ndarray) -> np.ndarray:
    """Rows (last axis) with at least two values, all tied: nothing to rank."""
    n = np.sum(~np.isnan(keys), axis=-1)
    with np.errstate(invalid="ignore"):
        top = np.nanmax(np.where(np.isnan(keys), -np.inf, keys), axis=-1)
    return (n >= 2) & (top == 0)


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
    arr, index, label = as_float_1d(x)
    return wrap_like(rank_desc_rows(arr, method), index, label)


def quantile_groups(x: ArrayLike, q: int, *, ties: Literal["first", "min"] = "min") -> Any:
    r"""Equal-count groups 1..q, group 1 holding the highest values.

    .. math::

        g_i = \left\lfloor \frac{(k_i - 1)\, q}{n} \right\rfloor + 1

    where :math:`k_i` is the descending rank of :math:`x_i` among the :math:`n` non-missing
    values (minimum ranks for ``ties='min'``, the default: tied values share a group;
    ordinal ranks for ``ties='first'``). Without ties every group holds
    :math:`\lfloor n/q \rfloor` or :math:`\lceil n/q \rceil` units. When every value is the
    same (two or more), every group is NaN: nothing is ranked.

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
    arr, index, label = as_float_1d(x)
    ranks = rank_desc_rows(arr, "ordinal" if ties == "first" else "min")
    groups = groups_from_ranks(ranks, int(q))
    if ties == "min" and _constant_rows(tie_keys(arr)):
        groups = np.full_like(groups, np.nan)
    return wrap_like(groups, index, label)


def deciles(x: ArrayLike, *, ties: Literal["first", "min"] = "min") -> Any:
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
    ties: Literal["first", "min"] = "min",
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
    arr, index, label = as_float_1d(x)
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

    With the same ties :func:`bands` and :func:`deciles` agree exactly this way
    (:math:`\lfloor 5a \rfloor = \lfloor \lfloor 10a \rfloor / 2 \rfloor` for
    :math:`a = (k-1)/n`, whatever the rank :math:`k`), so a map coloured by deciles and a
    panel showing bands never disagree.

    >>> [band_of_decile(d) for d in (1, 2, 3, 10)]
    ['Highest', 'Highest', 'High', 'Lowest']
    """
    d = int(decile)
    if not 1 <= d <= 10:
        raise ValueError(f"decile must be 1..10, got {decile!r}")
    return labels[(d - 1) * len(labels) // 10]
