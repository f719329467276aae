"""LSOA11-keyed tables (e.g. IoD2019) carried to LSOA21 with the ONS lookup's change codes."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ._io import require_columns
from ._lsoa21_placement import _frame
from .errors import InvalidValueError, MissingColumnsError
from .lsoa_lookup import LOOKUP_COLUMNS
from .report import Loaded

__all__ = ["carry_to_lsoa21"]


def carry_to_lsoa21(
    frame: pd.DataFrame,
    lookup: pd.DataFrame | Loaded,
    value_cols: list[str],
    kind: Literal["rate", "score", "count"],
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Carry an LSOA11-keyed table to LSOA21 with the ONS change codes.

    Each lookup pair :math:`(i, j)` (2011 LSOA :math:`i`, 2021 LSOA :math:`j`) gets a share
    :math:`a_{ij}`, the part of :math:`i` that went into :math:`j`:

    - ``U`` and ``M``: :math:`a_{ij} = 1`;
    - ``S``: :math:`a_{ij} = w_j / \\sum_{k \\in C(i)} w_k` with the LSOA21 population weights
      :math:`w` (``kind="count"`` with ``weights``), else :math:`1 / |C(i)|`;
    - ``X``: :math:`a_{ij} = 1 / |C(i)|` (equal shares: the bundle has no areal or postcode
      split for the six irregular LSOAs).

    Then, for counts, :math:`V_j = \\sum_i a_{ij} V_i` (so ``U`` copies, ``M`` sums, ``S``
    apportions); for rates and scores the weighted mean
    :math:`V_j = \\sum_i a_{ij} p_i V_i / \\sum_i a_{ij} p_i` with :math:`p_i` the LSOA11
    population (``weights``) or 1 (so ``U`` copies, ``M`` is the population-weighted mean,
    ``S`` keeps the parent's value).

    Parameters
    ----------
    frame
        ``lsoa11_code`` (column or index) and the ``value_cols``.
    lookup
        The table of :func:`read_lsoa11_lsoa21_lookup` (or a subset of its rows).
    value_cols
        Numeric columns to carry.
    kind
        ``"rate"``/``"score"`` (weighted mean) or ``"count"`` (shares summed).
    weights
        Populations: indexed by ``lsoa11_code`` for rates/scores, by ``lsoa21_code`` for
        counts. Missing for a needed code raises ``InvalidValueError``.

    Returns
    -------
    pandas.DataFrame
        ``lsoa21_code`` and the ``value_cols``, one row per LSOA21 with at least one parent in
        ``frame``, sorted by code. Missing values are skipped in means; a count is ``NaN``
        when a contributing parent's value is missing or the parent is absent from ``frame``.
    """
    if kind not in {"rate", "score", "count"}:
        raise ValueError(f"kind must be 'rate', 'score' or 'count', got {kind!r}")
    lk = _frame(lookup)
    require_columns(lk.columns, LOOKUP_COLUMNS, "lookup")
    data = frame.reset_index() if "lsoa11_code" not in frame.columns else frame
    if "lsoa11_code" not in data.columns:
        raise MissingColumnsError("frame", "no 'lsoa11_code' column or index")
    require_columns(data.columns, value_cols, "frame")
    values = data.drop_duplicates("lsoa11_code").set_index("lsoa11_code")[list(value_cols)]
    values = values.apply(pd.to_numeric, errors="coerce").astype(float)

    pairs = lk[LOOKUP_COLUMNS].drop_duplicates(["lsoa11_code", "lsoa21_code"]).copy()
    touched = pairs.loc[pairs["lsoa11_code"].isin(values.index), "lsoa21_code"].unique()
    pairs = pairs.loc[pairs["lsoa21_code"].isin(touched)].reset_index(drop=True)
    n_children = pairs.groupby("lsoa11_code")["lsoa21_code"].transform("size").to_numpy(float)
    code = pairs["change_code"].to_numpy()
    share = np.ones(len(pairs))
    split = code == "S"
    irregular = code == "X"
    share[irregular] = 1.0 / n_children[irregular]
    share[split] = 1.0 / n_children[split]

    def need(w: pd.Series, keys: pd.Series, what: str) -> np.ndarray:
        got = pd.to_numeric(w, errors="coerce").astype(float).reindex(keys.to_numpy())
        if got.isna().any():
            first = got.index[got.isna().to_numpy()][0]
            raise InvalidValueError(
                "weights", f"no population weight for {what} {first}", column=what
            )
        if (got < 0).any():
            raise InvalidValueError("weights", "negative population weight", column=what)
        return got.to_numpy()

    v = values.reindex(pairs["lsoa11_code"].to_numpy()).to_numpy()
    present = pairs["lsoa11_code"].isin(values.index).to_numpy()
    if kind == "count":
        if weights is not None and split.any():
            w21 = need(weights, pairs.loc[split, "lsoa21_code"], "lsoa21_code")
            tmp = pd.Series(w21, index=pairs.index[split])
            tot = tmp.groupby(pairs.loc[split, "lsoa11_code"]).transform("sum").to_numpy()
            share[split] = np.where(tot > 0, w21 / np.where(tot > 0, tot, 1), share[split])
        contrib = v * share[:, None]
        contrib[~present] = np.nan
        out = pd.DataFrame(contrib, columns=list(value_cols))
        out["lsoa21_code"] = pairs["lsoa21_code"].to_numpy()
        result = out.groupby("lsoa21_code", sort=True)[list(value_cols)].sum(min_count=1)
        incomplete = (
            pd.DataFrame(np.isnan(contrib), columns=list(value_cols))
            .groupby(out["lsoa21_code"].to_numpy())
            .any()
        )
        result = result.mask(incomplete.reindex(result.index))
    else:
        p = np.ones(len(pairs))
        if weights is not None:
            p = need(weights, pairs.loc[present, "lsoa11_code"], "lsoa11_code")
            p_full = np.zeros(len(pairs))
            p_full[present] = p
            p = p_full
        wt = share * p
        wv = np.where(np.isnan(v), 0.0, v) * wt[:, None]
        wsum = np.where(np.isnan(v), 0.0, 1.0) * wt[:, None]
        keys = pairs["lsoa21_code"].to_numpy()
        num = pd.DataFrame(wv, columns=list(value_cols)).groupby(keys).sum()
        den = pd.DataFrame(wsum, columns=list(value_cols)).groupby(keys).sum()
        result = num / den.where(den > 0)
    result.index.name = "lsoa21_code"
    return result.reset_index()
