r"""The violence model's terms: time-weighted prior counts per crime type, standardised layers.

:func:`weighted_counts` is the :math:`c_i` and :math:`h_{ij}` of :mod:`sna.violence.model`
(annual equivalents, weights :math:`2^{-\text{age}/h}`); :func:`structural_terms` the
:math:`x_{ik}`. Months are ``'YYYY-MM'`` strings, compared as :func:`month_number`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sna.config.region import LayerSpec, ViolenceRiskSpec

__all__ = [
    "PRIOR_TERM",
    "CURVATURE_TERM",
    "month_number",
    "month_text",
    "weighted_counts",
    "structural_terms",
    "model_layer_ids",
    "slug",
    "exposure_values",
]

PRIOR_TERM = "prior_violence"
#: The square of PRIOR_TERM: lets the effect of past violence steepen where it is highest.
CURVATURE_TERM = "prior_violence_squared"


def month_number(months: Any) -> np.ndarray:
    """``'YYYY-MM'`` -> months since year 0 (``2024-01`` -> 24288), vectorised."""
    s = pd.Series(np.asarray(months, dtype=object)).astype(str)
    y = s.str.slice(0, 4).astype(int).to_numpy()
    m = s.str.slice(5, 7).astype(int).to_numpy()
    return y * 12 + (m - 1)


def month_text(n: int) -> str:
    """Inverse of :func:`month_number` for one month."""
    return f"{int(n) // 12:04d}-{int(n) % 12 + 1:02d}"


def slug(text: str) -> str:
    """A crime type in a term name: ``Anti-social behaviour`` -> ``anti_social_behaviour``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def weighted_counts(
    months: Any,
    codes: Any,
    units: pd.Index,
    *,
    start: str,
    end: str,
    half_life: float,
    months_present: Sequence[str] | None = None,
    weights: Any = None,
) -> np.ndarray:
    r"""Time-weighted count per unit, as an annual equivalent.

    .. math::  c_i = 12 \, \frac{\sum_{e \in i} 2^{-a_e/h}}{\sum_{m} 2^{-a_m/h}}

    over events :math:`e` of months ``start..end`` (age :math:`a` = months before ``end``) and
    the months :math:`m` of data present in that window (``months_present``; default every
    month of the span), so a window with a missing month is not under-counted. ``half_life``
    may be ``inf`` (a flat average).
    """
    lo, hi = month_number([start, end])
    present = (
        np.arange(lo, hi + 1)
        if months_present is None
        else np.unique(month_number(list(months_present)))
    )
    present = present[(present >= lo) & (present <= hi)]
    if present.size == 0:
        return np.zeros(len(units))
    mn = month_number(months)
    keep = (mn >= lo) & (mn <= hi)
    age = (hi - mn[keep]).astype(float)
    w = np.power(2.0, -age / half_life)
    if weights is not None:
        w = w * np.asarray(weights, float)[keep]
    norm = np.power(2.0, -(hi - present).astype(float) / half_life).sum()
    sums = pd.Series(w).groupby(np.asarray(codes)[keep]).sum()
    return 12.0 * sums.reindex(units).fillna(0.0).to_numpy() / norm


def exposure_values(areas: pd.DataFrame, spec: ViolenceRiskSpec) -> np.ndarray:
    """The model's exposure per LSOA (at least 1): ``spec.exposure`` of ``areas``.

    A store prepared without the at-risk sources (or a table made for a test) has no
    ``at_risk_pop``; its at-risk population is then its residents, as the prepare step
    records.
    """
    col = spec.exposure
    if col not in areas.columns and col == "at_risk_pop":
        col = "pop_total"
    if col not in areas.columns:
        raise ValueError(f"violence model: the areas have no exposure column {spec.exposure!r}")
    return areas[col].to_numpy(float).clip(min=1.0)


def model_layer_ids(layers: Sequence[LayerSpec], spec: ViolenceRiskSpec, skip: set[str]) -> list:
    """The layers that enter the model: every non-crime, non-context layer on real data,
    unless listed."""
    if spec.layers is not None:
        return [lid for lid in spec.layers if lid not in skip]
    out = []
    for s in layers:
        crime = s.table == "crime_points" or (
            s.table.startswith("iod") and s.column.startswith("crime")
        )
        # a district-level layer is context: it never ranks LSOAs, so never enters the model
        if not crime and not s.context_only and s.id not in skip:
            out.append(s.id)
    return out


def structural_terms(scores: pd.DataFrame, ids: Sequence[str]) -> pd.DataFrame:
    """The layers' normalised scores, standardised to mean 0 and sd 1 (constant ones dropped)."""
    out = {}
    for lid in ids:
        if lid not in scores.columns:
            continue
        v = scores[lid].to_numpy(float)
        v = np.where(np.isfinite(v), v, np.nanmean(v) if np.isfinite(v).any() else 0.0)
        sd = v.std()
        if sd > 1e-12:
            out[lid] = (v - v.mean()) / sd
    return pd.DataFrame(out, index=scores.index)
