"""The pupil-level exclusions partner extract: its schema and its reader.

One row per exclusion, placed by the pupil's home postcode or LSOA, that a VRU receives from
its local authorities. It is not open; :mod:`geodata.synthetic` writes stand-ins in the same
schema.
"""

from __future__ import annotations

import re
from os import PathLike

import numpy as np
import pandas as pd

from ._partner import (
    _apply_rejections,
    _open_partner,
    _parse_ages,
    _parse_dates,
)
from .exclusion_reasons import EXCLUSION_REASON_CODES, EXCLUSION_REASONS, NEWER_REASONS
from .report import Loaded

__all__ = [
    "PUPIL_EXCLUSION_COLUMNS",
    "PUPIL_EXCLUSION_REQUIRED",
    "EXCLUSION_CATEGORIES",
    "normalise_exclusion_category",
    "normalise_exclusion_reason",
    "read_pupil_exclusions",
]

PathLike_ = str | PathLike[str]

PUPIL_EXCLUSION_COLUMNS: tuple[str, ...] = (
    "record_id",
    "home_postcode",
    "home_lsoa",
    "date",
    "category",
    "reason",
    "age",
    "school_urn",
)
"""Columns of a pupil-level exclusions partner extract, in order. ``home_postcode``,
``home_lsoa``, ``age`` and ``school_urn`` are optional, but at least one of ``home_postcode``
and ``home_lsoa`` must be present."""

PUPIL_EXCLUSION_REQUIRED: tuple[str, ...] = ("record_id", "date", "category", "reason")
"""Columns that must be present in every pupil-level extract."""

EXCLUSION_CATEGORIES: tuple[str, ...] = ("permanent", "suspension")
"""Canonical ``category`` values (a suspension was called a fixed-period exclusion)."""

_CATEGORY_SPELLINGS: dict[str, str] = {
    "permanent": "permanent",
    "permanent exclusion": "permanent",
    "permanently excluded": "permanent",
    "perm": "permanent",
    "pe": "permanent",
    "p": "permanent",
    "suspension": "suspension",
    "suspended": "suspension",
    "fixed period": "suspension",
    "fixed period exclusion": "suspension",
    "fixed term": "suspension",
    "fixed term exclusion": "suspension",
    "fixed": "suspension",
    "fpe": "suspension",
    "fte": "suspension",
    "f": "suspension",
    "s": "suspension",
}

_REASON_LOOKUP: dict[str, str] = {
    **{code.lower(): label for code, label in EXCLUSION_REASON_CODES.items()},
    **{label.lower(): label for label in EXCLUSION_REASON_CODES.values()},
    **{label.lower(): label for label in NEWER_REASONS},
    **{k.replace("_", " "): v for k, v in EXCLUSION_REASONS.items()},
    "verbal abuse or threatening behaviour against a pupil": EXCLUSION_REASONS["verbal_pupil"],
    "verbal abuse or threatening behaviour against an adult": EXCLUSION_REASONS["verbal_adult"],
    "drug and alcohol": EXCLUSION_REASONS["drug_alcohol"],
}


def normalise_exclusion_category(value: object) -> str | None:
    """``'permanent'`` or ``'suspension'`` from common spellings; None if not recognised.

    >>> normalise_exclusion_category("Fixed-period exclusion")
    'suspension'
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    key = re.sub(r"[\s_\-]+", " ", str(value).strip().lower())
    return _CATEGORY_SPELLINGS.get(key)


def normalise_exclusion_reason(value: object) -> str | None:
    """DfE reason label from a code (``'PP'``) or a label in any case; None if not recognised.

    >>> normalise_exclusion_reason("pp")
    'Physical assault against a pupil'
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    key = re.sub(r"\s+", " ", str(value).strip().lower())
    return _REASON_LOOKUP.get(key)


def read_pupil_exclusions(path: PathLike_) -> Loaded:
    """Read a pupil-level exclusions partner extract (one row per exclusion).

    Parameters
    ----------
    path
        A CSV (plain, ``.gz`` or the only CSV in a ``.zip``) with
        :data:`PUPIL_EXCLUSION_COLUMNS`; Excel is not read.

    Returns
    -------
    Loaded
        ``data``: ``record_id``, ``home_postcode`` (``'AB1 2CD'``), ``home_lsoa``, ``date``
        (datetime), ``category`` (``permanent``/``suspension``), ``reason`` (DfE label when
        recognised, else the text as given), ``reason_recognised``, ``age`` (Int64, 2-25),
        ``school_urn`` (string) and ``synthetic``. ``data.attrs['synthetic']`` is True for a
        synthetic stand-in.

    Raises
    ------
    MissingColumnsError
        A required column (:data:`PUPIL_EXCLUSION_REQUIRED`) is absent, or both
        ``home_postcode`` and ``home_lsoa`` are.

    Notes
    -----
    Rows are rejected (counted per reason, each under its first failure) for: ``'no
    record_id'``, ``'no valid home postcode or LSOA'``, ``'invalid date'`` (not ISO
    ``YYYY-MM-DD``), ``'unknown category'`` and ``'duplicate record_id'``. Malformed postcodes
    or LSOA codes, unrecognised reasons and ages outside 2-25 are kept (the value blanked or
    left as given) and flagged.
    """
    opened = _open_partner(
        path,
        columns=PUPIL_EXCLUSION_COLUMNS,
        required=PUPIL_EXCLUSION_REQUIRED,
        postcode_col="home_postcode",
        lsoa_col="home_lsoa",
        what="pupil exclusions",
    )
    frame, report, postcode, lsoa = opened.frame, opened.report, opened.postcode, opened.lsoa
    flags, is_synth = opened.synthetic_flags, opened.is_synthetic
    category = frame["category"].map(normalise_exclusion_category, na_action="ignore")
    reason = frame["reason"].map(normalise_exclusion_reason, na_action="ignore")
    urn = frame["school_urn"].str.replace(r"\.0$", "", regex=True)

    out = pd.DataFrame(
        {
            "record_id": frame["record_id"],
            "home_postcode": postcode,
            "home_lsoa": lsoa,
            "date": _parse_dates(frame["date"]),
            "category": category.astype("string"),
            "reason": reason.astype("string").fillna(frame["reason"]),
            "reason_recognised": reason.notna(),
            "age": _parse_ages(frame["age"], 2, 25),
            "school_urn": urn.astype("string"),
            "synthetic": flags.astype(bool),
        }
    )
    bad_age = frame["age"].notna() & out["age"].isna()
    checks = [
        ("no record_id", out["record_id"].isna()),
        ("no valid home postcode or LSOA", out["home_postcode"].isna() & out["home_lsoa"].isna()),
        ("invalid date", out["date"].isna()),
        ("unknown category", out["category"].isna()),
    ]
    out = _apply_rejections(out, checks, report)
    report.flag("age not a whole number in 2-25 (blanked)", int(bad_age.loc[out.index].sum()))
    report.flag("no reason given", int(out["reason"].isna().sum()))
    unrec = out["reason"].notna() & ~out["reason_recognised"]
    report.flag("reason not a recognised DfE code or label (kept as given)", int(unrec.sum()))
    data = out.reset_index(drop=True)
    data.attrs["synthetic"] = is_synth
    report.rows_kept = len(data)
    return Loaded(data, report)
