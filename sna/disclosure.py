"""Statistical disclosure control for partner data (hospital and pupil records).

The HES/ECDS convention since 2018 (methods.md section 9): sub-national counts of 1 to 7 are
suppressed, other counts are rounded to the nearest 5, and values derived from 1 to 7 records
are not shown. Partner-data rates are published only as bands. Police.uk data is already
public and is not subject to these rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "SUPPRESSED",
    "suppress_counts",
    "band_rates",
    "public_count",
    "assert_no_small_counts",
]

SUPPRESSED = "<8"


def suppress_counts(counts: pd.Series | np.ndarray, threshold: int = 8, base: int = 5) -> pd.Series:
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


def public_count(count: float | int | None, threshold: int = 8, base: int = 5) -> int | str | None:
    """One count as a public value: an int rounded to ``base``, ``"<8"``, or None if unknown."""
    if count is None or (isinstance(count, float) and np.isnan(count)):
        return None
    if 0 < count < threshold:
        return SUPPRESSED.replace("8", str(threshold))
    return int(round(count / base) * base) if count else 0


def band_rates(values: pd.Series, labels: tuple[str, ...] | None = None) -> pd.Series:
    """Quintile bands of a partner-data rate (highest first), so no exact rate is published."""
    labels = labels or ("Highest", "High", "Medium", "Low", "Lowest")
    k = len(labels)
    ranks = values.rank(method="first", ascending=False, na_option="keep")
    n = ranks.notna().sum()
    if n == 0:
        return pd.Series(pd.NA, index=values.index, dtype="object")
    idx = np.ceil(ranks / n * k).clip(1, k)
    return idx.map(lambda i: labels[int(i) - 1] if pd.notna(i) else pd.NA)


def assert_no_small_counts(values, threshold: int = 8, where: str = "output") -> None:
    """Raise ``AssertionError`` if any numeric value in ``values`` is a count in 1..threshold-1.

    Used by the tests and by the build before anything partner-derived is published.
    """
    arr = pd.Series(values, dtype=float).dropna().to_numpy()
    bad = arr[(arr > 0) & (arr < threshold) & (np.mod(arr, 1) == 0)]
    if bad.size:
        raise AssertionError(f"{where}: {bad.size} partner count(s) below {threshold}: {bad[:5]}")
