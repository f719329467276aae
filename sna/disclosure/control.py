"""Statistical disclosure control for partner data (hospital and pupil records).

The HES/ECDS convention since 2018 (methods.md section 9): sub-national counts of 1 to 7 are
suppressed, other counts are rounded to the nearest 5, and values derived from 1 to 7 records
are not shown. Partner-data rates are published only as bands. Police.uk data is already
public and is not subject to these rules.

One rule covers every public output (docs/disclosure-control.md): **no public value is
derived from fewer than ``threshold`` (8) partner records.** The tools here apply it:

- :func:`disclosure_geography` picks the finest geography (LSOA, MSOA, ward, district) at
  which every unit holds 0 or at least ``threshold`` records, and :func:`aggregate_layer`
  gives every LSOA its unit's rate, so each partner value, score, band, contribution and
  driver is a function of a unit with enough records;
- :func:`support_counts` and :func:`mask_small_support` keep a partner kernel-density pixel
  only where the records inside its kernel number at least ``threshold``;
- :func:`band_values` coarsens a partner layer before a linear normalisation (z-score,
  min-max, and therefore geometric aggregation), so its public score is not the rate again.

:mod:`sna.audit` checks a build's public outputs against the rule before it is published.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sna.disclosure.rule import DISCLOSURE_THRESHOLD
from sna.stats.ranking import BAND_LABELS, bands

__all__ = [
    "DISCLOSURE_THRESHOLD",
    "SUPPRESSED",
    "PARTNER_TABLES",
    "GEOGRAPHIES",
    "DisclosureUnits",
    "suppress_counts",
    "band_rates",
    "band_values",
    "public_count",
    "assert_no_small_counts",
    "disclosure_geography",
    "aggregate_layer",
    "support_counts",
    "mask_small_support",
]

SUPPRESSED = f"<{DISCLOSURE_THRESHOLD}"

#: Store tables holding partner records (whatever a layer's ``partner`` flag says).
PARTNER_TABLES: tuple[str, ...] = ("hospital_admissions", "pupil_exclusions")

#: Geographies tried in order, finest first: (name, column of the LSOA table holding the unit).
GEOGRAPHIES: tuple[tuple[str, str], ...] = (
    ("lsoa", "lsoa21_code"),
    ("msoa", "msoa21_name"),
    ("ward", "ward_code"),
    ("district", "district_code"),
)


def suppress_counts(
    counts: pd.Series | np.ndarray, threshold: int = DISCLOSURE_THRESHOLD, base: int = 5
) -> pd.Series:
    """Counts safe to publish: 0 stays 0, 1..threshold-1 become NaN, others round to ``base``.

    Rounded values are never below ``threshold`` (rounding 8 to 10 is fine; rounding could
    never produce 1-7 because inputs below the threshold are removed first).

    Examples
    --------
    >>> suppress_counts(pd.Series([0, 3, 7, 8, 12, 13])).tolist()
    [0.0, nan, nan, 10.0, 10.0, 15.0]
    """
    s = pd.Series(counts, dtype=float)
    out = (np.round(s / base) * base).astype(float)
    out[(s > 0) & (s < threshold)] = np.nan
    out[s == 0] = 0.0
    out[s.isna()] = np.nan
    return out


def public_count(
    count: float | int | None, threshold: int = DISCLOSURE_THRESHOLD, base: int = 5
) -> int | str | None:
    """One count as a public value: an int rounded to ``base``, ``"<8"`` (the threshold), or
    None if unknown."""
    if count is None or (isinstance(count, float) and np.isnan(count)):
        return None
    if 0 < count < threshold:
        return f"<{threshold}"
    return int(round(count / base) * base) if count else 0


def band_rates(values: pd.Series, labels: tuple[str, ...] | None = None) -> pd.Series:
    """Quintile bands of a partner-data rate (highest first), so no exact rate is published.

    The same banding rule as every other band (:func:`sna.stats.ranking.bands`), with ties kept
    together (an aggregated partner layer has one value per disclosure unit, so its LSOAs
    tie and must share a band).
    """
    out = bands(pd.Series(values, dtype=float), labels or BAND_LABELS, ties="min")
    return out.astype("object").where(out.notna(), pd.NA)


def assert_no_small_counts(
    values, threshold: int = DISCLOSURE_THRESHOLD, where: str = "output"
) -> None:
    """Raise ``AssertionError`` if any numeric value in ``values`` is a count in 1..threshold-1.

    Used by the tests and by the build before anything partner-derived is published.
    """
    arr = pd.Series(values, dtype=float).dropna().to_numpy()
    bad = arr[(arr > 0) & (arr < threshold) & (np.mod(arr, 1) == 0)]
    if bad.size:
        raise AssertionError(f"{where}: {bad.size} partner count(s) below {threshold}: {bad[:5]}")


def band_values(values, k: int = 10) -> np.ndarray:
    """Replace values by their quantile class 1..k (ties share a class; NaN stays NaN).

    Used on partner layers before a linear normalisation (z-score, min-max), which would
    otherwise publish the rate itself up to a known affine map.

    >>> band_values([0.0, 1.0, 2.0, 3.0, 4.0], k=5).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    """
    s = pd.Series(np.asarray(values, dtype=float))
    ranks = s.rank(method="max", na_option="keep")
    n = ranks.notna().sum()
    if n == 0:
        return s.to_numpy()
    return np.ceil(ranks / n * k).clip(1, k).to_numpy(dtype=float)


@dataclass(frozen=True)
class DisclosureUnits:
    """Where a partner layer is published: one geography, every unit 0 or >= threshold.

    ``unit`` holds each LSOA's unit code (in the LSOA table's order); ``counts`` the records
    per unit. ``level`` is None when even districts fail: the layer is then suppressed.
    """

    level: str | None
    column: str | None
    unit: pd.Series
    counts: pd.Series
    threshold: int
    lsoa_counts: pd.Series | None = None  # restricted: the per-LSOA counts behind ``counts``

    @property
    def suppressed(self) -> bool:
        """True when no geography holds 0 or at least ``threshold`` records in every unit."""
        return self.level is None

    def summary(self) -> dict:
        """JSON-safe description for the manifest (no counts below the threshold)."""
        nonzero = self.counts[self.counts > 0]
        return {
            "level": self.level,
            "units": int(len(self.counts)),
            "units_with_records": int(len(nonzero)),
            "threshold": self.threshold,
            "suppressed": self.suppressed,
        }


def disclosure_geography(
    areas: pd.DataFrame, counts: pd.Series | np.ndarray, threshold: int = DISCLOSURE_THRESHOLD
) -> DisclosureUnits:
    """The finest geography of :data:`GEOGRAPHIES` where every unit holds 0 or >= threshold.

    Parameters
    ----------
    areas
        The region's LSOA table (``lsoa21_code``, ``msoa21_name``, ``ward_code``,
        ``district_code``); geographies whose column is missing are skipped.
    counts
        Partner records per LSOA, in the order of ``areas``.
    threshold
        The disclosure threshold (8).
    """
    c = pd.Series(np.asarray(counts, dtype=float), index=areas.index).fillna(0.0)
    for level, col in GEOGRAPHIES:
        if col not in areas.columns:
            continue
        unit = areas[col].astype(str)
        per = c.groupby(unit).sum()
        if bool(((per == 0) | (per >= threshold)).all()):
            return DisclosureUnits(level, col, unit, per, threshold)
    return DisclosureUnits(
        None, None, pd.Series("", index=areas.index), pd.Series(dtype=float), threshold
    )


def aggregate_layer(units: DisclosureUnits, counts, denominator, per: float = 1000.0) -> np.ndarray:
    """Each LSOA's unit rate ``per`` people: sum of counts over sum of denominators.

    All NaN when the layer is suppressed.
    """
    c = pd.Series(np.asarray(counts, dtype=float), index=units.unit.index).fillna(0.0)
    d = pd.Series(np.asarray(denominator, dtype=float), index=units.unit.index).fillna(0.0)
    if units.suppressed:
        return np.full(len(c), np.nan)
    num = c.groupby(units.unit).sum()
    den = d.groupby(units.unit).sum()
    rate = (num / den.where(den > 0) * per).reindex(units.unit).to_numpy(dtype=float)
    return rate


def _support_kernel(cell: float, bandwidth: float) -> np.ndarray:
    """1 where a kernel of radius ``bandwidth`` reaches from a cell centre, else 0."""
    r = int(math.ceil(bandwidth / cell))
    off = np.arange(-r, r + 1) * cell
    dx, dy = np.meshgrid(off, off)
    return (np.hypot(dx, dy) < bandwidth).astype(float)


def support_counts(x, y, surface) -> np.ndarray:
    """Records inside each pixel's kernel: how many points a pixel's value is derived from.

    Uses the same binning as :func:`sna.stats.kde.kde_surface` (each point moved to its cell
    centre) and the quartic kernel's support (distance below the bandwidth), so a pixel with
    support ``s`` is a function of exactly ``s`` records.
    """
    from scipy.signal import fftconvolve

    from sna.stats.kde import bin_points

    cell, bw = surface.cell, surface.bandwidth
    rows, cols = surface.shape
    x0, y1 = surface.transform.c, surface.transform.f
    pad = int(math.ceil(bw / cell))
    px = np.asarray(x, dtype=float).ravel()
    py = np.asarray(y, dtype=float).ravel()
    grid, _ = bin_points(
        px, py, np.ones_like(px), x0=x0, y1=y1, rows=rows, cols=cols, pad=pad, cell=cell
    )
    sup = fftconvolve(grid, _support_kernel(cell, bw), mode="same")
    return np.rint(sup[pad : pad + rows, pad : pad + cols])


def mask_small_support(surface, x, y, threshold: int = DISCLOSURE_THRESHOLD):
    """A copy of ``surface`` with NaN wherever fewer than ``threshold`` records are in reach.

    Pixels with no record in reach become NaN as well, so a blank pixel never tells "none"
    from "a few" apart. Returns ``(masked surface, support grid)``.
    """
    from dataclasses import replace

    sup = support_counts(x, y, surface)
    values = np.where(sup >= threshold, surface.values, np.nan)
    return replace(surface, values=values), sup
