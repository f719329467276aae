"""Ward and district rows of a build: population-weighted means of their LSOAs, ranked.

.. math:: \\bar I_g = \\frac{\\sum_{i \\in g} P_i I_i}{\\sum_{i \\in g} P_i},

with :math:`P_i` the Census 2021 usual residents of LSOA :math:`i` (an LSOA with a missing
value carries no weight for that column). Counts (``n_``, ``pop_``, violence) are sums. The
groups are then ranked, banded and put in deciles among the areas of the same level.
"""

from __future__ import annotations

import pandas as pd

from sna.disclosure.control import band_rates
from sna.needs.scoring import INDICES
from sna.stats.ranking import bands, deciles, rank_desc

__all__ = ["weighted_means", "aggregate", "public_aggregate"]


def weighted_means(frame: pd.DataFrame, key: str, cols: list[str], weight: str) -> pd.DataFrame:
    """Population-weighted mean of ``cols`` per ``key`` (missing values carry no weight)."""
    w = frame[weight].astype(float).fillna(0.0)
    vals = frame[cols].astype(float)
    has = vals.notna().astype(float).mul(w, axis=0)
    total = vals.fillna(0.0).mul(w, axis=0).groupby(frame[key]).sum()
    den = has.groupby(frame[key]).sum()
    return total / den.where(den > 0)


def aggregate(lsoa: pd.DataFrame, level: str, partner: list[str]) -> pd.DataFrame:
    """Ward or district rows: weighted means of LSOA indices, scores and contributions.

    Returns the restricted (analyst) table: partner ``v_`` means and ``n_`` sums included.
    """
    key = f"{level}_code"
    mean_cols = [
        c
        for c in lsoa.columns
        if c in INDICES or c.startswith(("s_", "c_", "level_", "v_", "raw_"))
    ]
    out = weighted_means(lsoa, key, mean_cols, "pop_total")
    sums = [c for c in lsoa.columns if c.startswith(("n_", "pop_"))]
    sums += [c for c in ("violence_risk", "violence_prior") if c in lsoa.columns]
    out = out.join(lsoa.groupby(key)[sums].sum(min_count=1))
    out["n_lsoa"] = lsoa.groupby(key).size()
    names = (
        ["ward_name", "district_code", "district_name"] if level == "ward" else ["district_name"]
    )
    out = out.join(lsoa.groupby(key)[names].first())
    out["name"] = out[f"{level}_name"]
    out.index.name = "code"
    out = out.reset_index()
    for k in (*INDICES, "violence_risk"):
        if k not in out.columns:
            continue
        vals = out[k].to_numpy(float)
        out[f"{k}_rank"] = rank_desc(vals)
        out[f"{k}_decile"] = deciles(vals)
        out[f"{k}_band"] = bands(vals)
    for lid in partner:
        if f"v_{lid}" in out.columns:
            out[f"band_{lid}"] = band_rates(out[f"v_{lid}"])
    return out


def public_aggregate(agg: pd.DataFrame, partner: list[str]) -> pd.DataFrame:
    """``agg`` without partner counts, raw rates, exact values and denominators."""
    drop = [
        c
        for c in agg.columns
        if any(c in (f"n_{p}", f"raw_{p}", f"v_{p}", f"denom_{p}") for p in partner)
    ]
    return agg.drop(columns=drop)
