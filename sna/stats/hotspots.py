"""Hotspots: local Getis-Ord Gi* and local Moran's I with false-discovery-rate control.

Thin, documented wrappers around esda: spatial weights are built once
(:func:`spatial_weights`), each statistic returns one tidy DataFrame with the statistic, its
z-value, the permutation p-value, the Benjamini-Hochberg adjusted p-value and a label. A unit
is only called a hotspot when its *adjusted* p-value is at most alpha: with 1,700 LSOAs and
alpha = 0.05, unadjusted p-values would flag about 85 areas by chance alone.

Note on attainable p-values: with ``permutations=999`` the smallest pseudo p-value is 0.001,
so after Benjamini-Hochberg over :math:`n` tests a unit can only be significant if at least
:math:`0.001\\,n/\\alpha` units reach it (35 for :math:`n = 1{,}719`). Raise the permutations
for sparse patterns.

References
----------
Anselin, L. (1995). Local indicators of spatial association - LISA. *Geographical Analysis*,
27(2), 93-115.

Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
powerful approach to multiple testing. *JRSS B*, 57(1), 289-300.

Ord, J. K. and Getis, A. (1995). Local spatial autocorrelation statistics: distributional
issues and an application. *Geographical Analysis*, 27(4), 286-306.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree
from scipy.stats import false_discovery_control

__all__ = [
    "MORAN_QUADRANTS",
    "spatial_weights",
    "fdr_bh",
    "getis_ord_gi_star",
    "local_moran",
]

MORAN_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
"""esda's quadrant codes (PySAL scheme) to labels: high-high, low-high, low-low, high-low."""

NOT_SIGNIFICANT = "not significant"


def spatial_weights(gdf: Any, *, k_islands: int = 1) -> Any:
    """Queen-contiguity weights of polygons, islands attached to their nearest neighbours.

    Two polygons are neighbours when they share at least one boundary point (queen
    contiguity, libpysal ``Queen.from_dataframe``). A polygon with no contiguous neighbour
    (an *island*, often an artefact of generalised boundaries) is linked, in both directions,
    to the ``k_islands`` polygons whose representative points are nearest to its own. The
    weights are then row-standardised (:math:`w_{ij} = 1/k_i` for the :math:`k_i` neighbours
    of :math:`i`).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons, indexed by unit code (the index becomes the weights' ids).
    k_islands : int, default 1
        Nearest neighbours given to each island; 0 leaves islands unconnected.

    Returns
    -------
    libpysal.weights.W
        Row-standardised weights with ``id_order`` equal to ``gdf.index``.

    Raises
    ------
    ValueError
        When the index has duplicates, or there are fewer than two polygons.
    """
    from libpysal.weights import Queen, W

    if not gdf.index.is_unique:
        raise ValueError("gdf index must be unique (it becomes the weights ids)")
    if len(gdf) < 2:
        raise ValueError(f"need at least two polygons, got {len(gdf)}")
    if k_islands < 0:
        raise ValueError(f"k_islands must be >= 0, got {k_islands}")
    queen = Queen.from_dataframe(gdf, use_index=True, silence_warnings=True)
    ids = list(gdf.index)
    neighbours: dict[Any, list[Any]] = {i: list(queen.neighbors.get(i, [])) for i in ids}
    islands = [i for i in ids if not neighbours[i]]
    if islands and k_islands:
        pts = gdf.geometry.representative_point()
        coords = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
        tree = cKDTree(coords)
        k = min(k_islands + 1, len(ids))
        position = {i: p for p, i in enumerate(ids)}
        for island in islands:
            _, nearest = tree.query(coords[position[island]], k=k)
            found = [ids[j] for j in np.atleast_1d(nearest) if ids[j] != island][:k_islands]
            for other in found:
                if other not in neighbours[island]:
                    neighbours[island].append(other)
                if island not in neighbours[other]:
                    neighbours[other].append(island)
    w = W(neighbours, id_order=ids, silence_warnings=True)
    w.transform = "r"
    return w


def fdr_bh(p: ArrayLike) -> np.ndarray:
    r"""Benjamini-Hochberg adjusted p-values (NaN kept out and returned as NaN).

    With the :math:`m` p-values sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`:

    .. math::

        \tilde p_{(i)} = \min_{j \ge i} \min\!\left(1, \frac{m}{j}\, p_{(j)}\right)

    A unit is significant at false discovery rate :math:`\alpha` when
    :math:`\tilde p \le \alpha`.

    Examples
    --------
    >>> fdr_bh([0.01, 0.04, 0.03, 0.2]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    """
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if ok.any():
        out[ok] = false_discovery_control(arr[ok], method="bh")
    return out


def _values_for(values: ArrayLike, w: Any) -> tuple[np.ndarray, pd.Index]:
    ids = pd.Index(w.id_order)
    if isinstance(values, pd.Series):
        missing = ids.difference(values.index)
        if len(missing):
            raise ValueError(
                f"values lack {len(missing)} unit(s) of the weights, e.g. {list(missing[:3])}"
            )
        y = values.reindex(ids).to_numpy(dtype=float, na_value=np.nan)
    else:
        y = np.asarray(values, dtype=float)
        if y.shape != (len(ids),):
            raise ValueError(f"values has shape {y.shape}, weights have {len(ids)} units")
    if not np.isfinite(y).all():
        raise ValueError(f"values has {int((~np.isfinite(y)).sum())} missing or infinite value(s)")
    return y, ids


def _binary_copy(w: Any) -> Any:
    """The neighbour structure of ``w`` as fresh binary weights (esda mutates its input)."""
    from libpysal.weights import W

    wb = W(
        {i: list(w.neighbors[i]) for i in w.id_order},
        id_order=list(w.id_order),
        silence_warnings=True,
    )
    wb.transform = "b"
    return wb


@contextmanager
def _quiet_esda() -> Iterator[None]:
    # esda's conditional randomisation warns that its default alternative will change; we
    # document and use its current folded ("directed") pseudo p-value.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The alternative hypothesis for conditional randomization"
        )
        yield


def getis_ord_gi_star(
    values: ArrayLike,
    w: Any,
    *,
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Local Getis-Ord Gi* with permutation inference and FDR control.

    .. math::

        G^*_i = \frac{\sum_j w^*_{ij} x_j}{\sum_j x_j}

    where :math:`w^*_{ij}` are the binary contiguity weights *including* :math:`i` itself
    (:math:`w^*_{ii} = 1`), row-standardised over the :math:`k_i + 1` members of the
    neighbourhood. This is esda's ``G_Local(x, w, transform='R', star=True)`` on the binary
    structure of ``w`` (esda's default ``star=False`` is Gi, without the focal unit). The
    z-value is esda's analytic ``Zs`` (Ord and Getis 1995); ``p_sim`` is the folded
    conditional-permutation pseudo p-value; ``p_fdr`` its Benjamini-Hochberg adjustment
    (:func:`fdr_bh`). Label: ``'hot'`` when :math:`\tilde p \le \alpha` and :math:`z > 0`,
    ``'cold'`` when :math:`\tilde p \le \alpha` and :math:`z < 0`, else ``'not significant'``.

    The ratio form needs positive values: an index centred on zero makes
    :math:`\sum_j x_j \approx 0`. Values that are not all positive are therefore shifted
    to :math:`x - \min(x) + 1` first (``gi_star`` is then the ratio of the shifted values).
    This changes neither ``z`` (location-invariant) nor ``p_sim``: under conditional
    randomisation :math:`\sum_j x_j` and each row's weight total are fixed, so every
    permuted statistic moves by the same affine map as the observed one.

    Parameters
    ----------
    values : array_like or pandas.Series
        The variable (e.g. the risk index). A Series is aligned to ``w.id_order``; no missing
        values allowed.
    w : libpysal.weights.W
        Spatial weights (from :func:`spatial_weights`); only the neighbour structure is used.
    permutations : int, default 999
    seed : int, optional
        Seed of the permutations (esda seeds numpy's global generator with it).
    alpha : float, default 0.05
        False discovery rate.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``w.id_order``; columns ``gi_star``, ``z``, ``p_sim``, ``p_fdr``, ``label``.
    """
    from esda.getisord import G_Local

    y, ids = _values_for(values, w)
    if y.min() <= 0:
        y = y - y.min() + 1.0  # positive, see the docstring: z and p_sim are unchanged
    with _quiet_esda():
        g = G_Local(
            y,
            _binary_copy(w),
            transform="R",
            permutations=permutations,
            star=True,
            keep_simulations=False,
            n_jobs=1,
            seed=seed,
        )
    z = np.asarray(g.Zs, dtype=float)
    p_sim = np.asarray(g.p_sim, dtype=float) if permutations else np.full(len(y), np.nan)
    p_fdr = fdr_bh(p_sim)
    sig = p_fdr <= alpha
    label = np.where(sig & (z > 0), "hot", np.where(sig & (z < 0), "cold", NOT_SIGNIFICANT))
    return pd.DataFrame(
        {
            "gi_star": np.asarray(g.Gs, float),
            "z": z,
            "p_sim": p_sim,
            "p_fdr": p_fdr,
            "label": label,
        },
        index=ids,
    )


def local_moran(
    values: ArrayLike,
    w: Any,
    *,
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Local Moran's I (Anselin 1995) with permutation inference and FDR control.

    .. math::

        I_i = (n - 1)\,\frac{z_i \sum_j w_{ij} z_j}{\sum_j z_j^2}

    with :math:`z` the standardised variable and :math:`w` row-standardised. Wraps esda's
    ``Moran_Local``. ``z`` is the permutation z-value (``z_sim``), ``p_sim`` the folded
    pseudo p-value, ``p_fdr`` its Benjamini-Hochberg adjustment. Label: the quadrant
    (1 ``'HH'``, 2 ``'LH'``, 3 ``'LL'``, 4 ``'HL'``: the unit high or low, its neighbours'
    average high or low) where :math:`\tilde p \le \alpha`, else ``'not significant'``.

    Parameters
    ----------
    values : array_like or pandas.Series
        The variable; a Series is aligned to ``w.id_order``.
    w : libpysal.weights.W
        Spatial weights (row-standardised here whatever their transform).
    permutations : int, default 999
    seed : int, optional
    alpha : float, default 0.05

    Returns
    -------
    pandas.DataFrame
        Indexed by ``w.id_order``; columns ``local_i``, ``z``, ``quadrant``, ``p_sim``,
        ``p_fdr``, ``label``.
    """
    from esda.moran import Moran_Local

    y, ids = _values_for(values, w)
    with _quiet_esda():
        m = Moran_Local(
            y,
            _binary_copy(w),
            transformation="r",
            permutations=permutations,
            keep_simulations=True,
            n_jobs=1,
            seed=seed,
        )
    p_sim = np.asarray(m.p_sim, dtype=float) if permutations else np.full(len(y), np.nan)
    z = np.asarray(m.z_sim, dtype=float) if permutations else np.full(len(y), np.nan)
    q = np.asarray(m.q, dtype=int)
    p_fdr = fdr_bh(p_sim)
    quad = np.array([MORAN_QUADRANTS.get(int(v), NOT_SIGNIFICANT) for v in q], dtype=object)
    label = np.where(p_fdr <= alpha, quad, NOT_SIGNIFICANT)
    return pd.DataFrame(
        {
            "local_i": np.asarray(m.Is, float),
            "z": z,
            "quadrant": q,
            "p_sim": p_sim,
            "p_fdr": p_fdr,
            "label": label,
        },
        index=ids,
    )
