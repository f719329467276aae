"""Weighted aggregation of normalised layers into an index, with exact contributions.

The arithmetic mean is the default: it is transparent, and each layer's contribution
:math:`w_i x_i` adds up to the index exactly, so the map can always say *why* an area scores
high (:mod:`sna.needs.drivers`). The geometric mean is offered as the less compensatory alternative
(a low value on one layer is not fully offset by a high one on another); its contributions are
exact on the log scale.

Need combines the risk index with the protective index:
:math:`\\text{need} = z(\\text{risk}) - \\lambda \\, z(\\text{protective})`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from sna.errors import InvalidWeights
from sna.stats.normalisation import as_float_1d, wrap_like, zscores

__all__ = [
    "AggregateResult",
    "validate_weights",
    "weighted_arithmetic",
    "weighted_geometric",
    "need_index",
]

_MISSING = ("propagate", "reweight")


@dataclass(frozen=True)
class AggregateResult:
    """An index and the per-layer contributions that make it up.

    Attributes
    ----------
    index : pandas.Series
        The aggregate, one value per unit (row of the scores).
    contributions : pandas.DataFrame
        Same shape as the scores. Arithmetic: :math:`w_i x_i`, summing to ``index``.
        Geometric: :math:`w_i \\ln x'_i`, summing to :math:`\\ln` ``index``.
    weights : pandas.Series
        The weights used, normalised to sum to 1, in column order.
    method : str
        ``'arithmetic'`` or ``'geometric'``.
    """

    index: pd.Series
    contributions: pd.DataFrame
    weights: pd.Series
    method: str


def validate_weights(weights: Mapping[str, float], columns: Any) -> pd.Series:
    r"""Check weights against the layer columns and normalise them to sum to 1.

    .. math::

        \tilde w_i = \frac{w_i}{\sum_j w_j}

    Parameters
    ----------
    weights : mapping of str to float
        One non-negative, finite weight per column; at least one positive.
    columns : sequence of str
        The layer columns of the scores.

    Returns
    -------
    pandas.Series
        Normalised weights indexed by column, in column order.

    Raises
    ------
    sna.errors.InvalidWeights
        Naming the unknown or missing layers, or the negative / non-finite weights, or when
        every weight is zero.

    Examples
    --------
    >>> validate_weights({"a": 1, "b": 3}, ["a", "b"]).tolist()
    [0.25, 0.75]
    """
    columns = list(columns)
    keys = list(weights)
    unknown = [k for k in keys if k not in columns]
    missing = [c for c in columns if c not in weights]
    if unknown:
        raise InvalidWeights(f"weights given for unknown layer(s) {unknown}; layers: {columns}")
    if missing:
        raise InvalidWeights(f"no weight given for layer(s) {missing}")
    w = pd.Series({c: weights[c] for c in columns}, dtype=float)
    bad = [c for c in columns if not math.isfinite(w[c])]
    if bad:
        raise InvalidWeights(f"weights must be finite numbers; not for {bad}")
    negative = [c for c in columns if w[c] < 0]
    if negative:
        raise InvalidWeights(
            "weights must be >= 0; negative for " + ", ".join(f"{c}={w[c]:g}" for c in negative)
        )
    total = float(w.sum())
    if total <= 0:
        raise InvalidWeights(f"weights sum to zero for layers {columns}")
    return w / total


def _check_scores(scores: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a pandas DataFrame, got {type(scores).__name__}")
    values = scores.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(values).any():
        raise ValueError("scores contain infinite values")
    return pd.DataFrame(values, index=scores.index, columns=scores.columns)


def _row_weights(x: pd.DataFrame, w: pd.Series, missing: str) -> pd.DataFrame:
    """Weights per row: the same everywhere, or renormalised over each row's present layers."""
    if missing not in _MISSING:
        raise ValueError(f"missing={missing!r} is not one of the supported options: {_MISSING}")
    full = pd.DataFrame(np.broadcast_to(w.to_numpy(), x.shape), index=x.index, columns=x.columns)
    if missing == "propagate":
        return full
    present = full.where(x.notna(), 0.0)
    total = present.sum(axis=1)
    return present.div(total.where(total > 0), axis=0)


def weighted_arithmetic(
    scores: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    missing: Literal["propagate", "reweight"] = "propagate",
) -> AggregateResult:
    r"""Weighted arithmetic mean of normalised layers.

    .. math::

        I_u = \sum_i \tilde w_i \, x_{ui}, \qquad c_{ui} = \tilde w_i \, x_{ui},
        \qquad \sum_i c_{ui} = I_u

    with :math:`\tilde w_i` the weights normalised to sum to 1 (:func:`validate_weights`)
    and :math:`x_{ui}` the normalised score of layer :math:`i` in unit :math:`u`.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per unit, one column per layer, already normalised and direction-aligned.
    weights : mapping of str to float
        One weight per column.
    missing : {'propagate', 'reweight'}
        ``'propagate'``: a unit missing any layer gets a missing index. ``'reweight'``: the
        weights are renormalised over the layers the unit has (its contributions still sum to
        its index); a unit with no layers gets a missing index.

    Returns
    -------
    AggregateResult

    Raises
    ------
    sna.errors.InvalidWeights
        See :func:`validate_weights`.

    Examples
    --------
    >>> scores = pd.DataFrame({"a": [1.0, -1.0], "b": [0.0, 2.0]})
    >>> res = weighted_arithmetic(scores, {"a": 3, "b": 1})
    >>> res.index.tolist()
    [0.75, -0.25]
    >>> res.contributions.round(2).to_dict("list")
    {'a': [0.75, -0.75], 'b': [0.0, 0.5]}
    """
    x = _check_scores(scores)
    w = validate_weights(weights, x.columns)
    rw = _row_weights(x, w, missing)
    contributions = x * rw
    if missing == "propagate":
        index = contributions.sum(axis=1, skipna=False)
    else:
        index = contributions.sum(axis=1, min_count=1)
    return AggregateResult(index.rename("index"), contributions, w, "arithmetic")


def weighted_geometric(
    scores: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    rescale: bool = True,
    eps: float = 0.01,
    missing: Literal["propagate", "reweight"] = "propagate",
) -> AggregateResult:
    r"""Weighted geometric mean of layers, with contributions on the log scale.

    The geometric mean needs strictly positive inputs. With ``rescale=True`` (default) each
    layer is first mapped linearly onto :math:`[\varepsilon, 1]`:

    .. math::

        x'_{ui} = \varepsilon + (1 - \varepsilon)\,
            \frac{x_{ui} - \min_v x_{vi}}{\max_v x_{vi} - \min_v x_{vi}}

    (a constant layer becomes 1, contributing nothing), then

    .. math::

        I_u = \exp\Big(\sum_i \tilde w_i \ln x'_{ui}\Big) = \prod_i x'^{\,\tilde w_i}_{ui},
        \qquad c_{ui} = \tilde w_i \ln x'_{ui}, \qquad \sum_i c_{ui} = \ln I_u

    :math:`\varepsilon` bounds how hard a single near-zero layer can pull the index down:
    the lowest area on a layer of weight :math:`\tilde w` has its index multiplied by
    :math:`\varepsilon^{\tilde w}`.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per unit, one column per layer, high = more risk.
    weights : mapping of str to float
        One weight per column.
    rescale : bool, default True
        Map each layer to :math:`[\varepsilon, 1]` first; if False the scores must already be
        strictly positive.
    eps : float, default 0.01
        Lower end of the rescaled range, in (0, 1).
    missing : {'propagate', 'reweight'}
        As in :func:`weighted_arithmetic`.

    Returns
    -------
    AggregateResult
        ``index`` in :math:`[\varepsilon, 1]` when rescaled; ``contributions`` on the log
        scale.

    Raises
    ------
    sna.errors.InvalidWeights
        See :func:`validate_weights`.
    ValueError
        When ``rescale=False`` and a score is not strictly positive, or ``eps`` is not in
        (0, 1).

    Examples
    --------
    >>> scores = pd.DataFrame({"a": [4.0, 1.0], "b": [1.0, 1.0]})
    >>> weighted_geometric(scores, {"a": 1, "b": 1}, rescale=False).index.tolist()
    [2.0, 1.0]
    """
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps!r}")
    x = _check_scores(scores)
    w = validate_weights(weights, x.columns)
    if rescale:
        lo, hi = x.min(), x.max()
        span = (hi - lo).where(hi > lo)
        scaled = eps + (1 - eps) * (x - lo) / span
        for c in x.columns[span.isna().to_numpy()]:
            scaled[c] = x[c].where(x[c].isna(), 1.0)  # constant layer: 1 (log 0), NaN kept
        x = scaled
    else:
        bad = [c for c in x.columns if (x[c] <= 0).any()]
        if bad:
            raise ValueError(
                f"the geometric mean needs strictly positive scores; not so for {bad} "
                "(use rescale=True)"
            )
    rw = _row_weights(x, w, missing)
    contributions = np.log(x) * rw
    if missing == "propagate":
        log_index = contributions.sum(axis=1, skipna=False)
    else:
        log_index = contributions.sum(axis=1, min_count=1)
    return AggregateResult(np.exp(log_index).rename("index"), contributions, w, "geometric")


def need_index(
    risk: ArrayLike,
    protective: ArrayLike,
    lam: float = 0.5,
    *,
    standardise: bool = True,
) -> Any:
    r"""Need: the risk index adjusted down by protection.

    .. math::

        \text{need}_u = z(R)_u - \lambda\, z(P)_u

    where :math:`R` is the risk index, :math:`P` the protective index (high = more
    protection) and :math:`z(\cdot)` standardises to mean 0 and SD 1
    (:func:`sna.stats.normalisation.zscores`), so :math:`\lambda` reads as "one SD of protection
    offsets
    :math:`\lambda` SD of risk". :math:`\lambda = 0` gives risk alone. With
    ``standardise=False`` the inputs are used as given and must already share a scale.

    Parameters
    ----------
    risk, protective : array_like or pandas.Series
        Aligned risk and protective indices.
    lam : float, default 0.5
        Weight :math:`\lambda \ge 0` of protection.
    standardise : bool, default True
        Standardise both inputs first.

    Returns
    -------
    numpy.ndarray or pandas.Series

    Examples
    --------
    >>> need_index([1.0, 2.0, 3.0], [3.0, 2.0, 1.0], lam=0.5).tolist()
    [-1.5, 0.0, 1.5]
    """
    if not (math.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    r, index, label = as_float_1d(risk, "risk")
    p, index_p, _ = as_float_1d(protective, "protective")
    if r.shape != p.shape:
        raise ValueError(f"risk has {r.size} values but protective has {p.size}")
    if index is not None and index_p is not None and not index.equals(index_p):
        raise ValueError("risk and protective are not aligned (the Series indexes differ)")
    if standardise:
        r, p = zscores(r), zscores(p)
    return wrap_like(r - lam * p, index if index is not None else index_p, label)
