"""The public view of a build: what may leave the analyst's machine.

Partner-data layers (hospital, pupil records) never appear as counts below the disclosure
threshold or as exact rates: their counts are dropped, their values are replaced by quintile
bands, and their contributions are kept (a contribution is a normalised score times a weight,
modelled from a shrunk rate, not a count). Everything public (exports, API responses, tiles,
maps) goes through these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sna.disclosure.control import band_rates

if TYPE_CHECKING:
    from sna.config.scoring import LayerSpec

__all__ = ["partner_layers", "public_lsoa_table", "public_postcode_table"]


def partner_layers(specs: list[LayerSpec]) -> list[str]:
    """Ids of the layers built from partner data."""
    return [s.id for s in specs if s.partner]


def public_lsoa_table(lsoa: pd.DataFrame, specs: list[LayerSpec]) -> pd.DataFrame:
    """Drop partner counts and exact partner rates; add their bands instead."""
    out = lsoa.copy()
    for lid in partner_layers(specs):
        for col in (f"n_{lid}", f"raw_{lid}", f"denom_{lid}"):
            if col in out.columns:
                out = out.drop(columns=col)
        if f"v_{lid}" in out.columns:
            out[f"band_{lid}"] = band_rates(out[f"v_{lid}"])
            out = out.drop(columns=f"v_{lid}")
    return out


def public_postcode_table(postcodes: pd.DataFrame, specs: list[LayerSpec]) -> pd.DataFrame:
    """Postcodes with no partner-derived raw surface values (scores and bands only)."""
    out = postcodes.copy()
    for lid in partner_layers(specs):
        col = f"local_{lid}"
        if col in out.columns:
            out[f"band_local_{lid}"] = band_rates(out[col])
            out = out.drop(columns=col)
    return out
