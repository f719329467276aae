"""Schools and exclusions: GIAS establishments, DfE LA-level exclusions, pupil-level extracts.

Three sources of different standing:

* :func:`read_gias` (in :mod:`geodata.gias`, re-exported here), the open Get Information
  About Schools register (one row per school, with a grid reference and LSOA 2021 code):
  schools as points;
* :func:`read_la_exclusions`, DfE's published permanent and fixed-period (suspension) exclusions
  by local authority and school type (2006/07 to 2016/17 in the bundle), optionally with the
  reasons file; used to calibrate the synthetic stand-in and as district context;
* :func:`read_pupil_exclusions`, the schema of a pupil-level partner extract (one row per
  exclusion, placed by the pupil's home postcode or LSOA) that a VRU receives from its local
  authorities. It is not open; :mod:`geodata.synthetic` writes stand-ins in the same schema.

DfE's exclusion rates are per 100 pupils on roll (``perm_excl_rate`` = permanent exclusions /
headcount x 100); :func:`exclusion_rates` recomputes them per pupil from the unrounded counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ._checks import check_names, check_rows
from ._io import read_csv
from ._partner import (
    _apply_rejections,
    _open_partner,
    _parse_ages,
    _parse_dates,
)
from .gias import GIAS_COLUMNS, read_gias  # re-exported: GIAS has its own module
from .report import Loaded, LoadReport

__all__ = [
    "GIAS_COLUMNS",
    "LA_EXCLUSION_COLUMNS",
    "REASON_COLUMNS",
    "EXCLUSION_REASONS",
    "EXCLUSION_REASON_CODES",
    "VIOLENT_EXCLUSION_REASONS",
    "SUPPRESSION_SYMBOLS",
    "PUPIL_EXCLUSION_COLUMNS",
    "PUPIL_EXCLUSION_REQUIRED",
    "EXCLUSION_CATEGORIES",
    "read_gias",
    "read_la_exclusions",
    "exclusion_rates",
    "normalise_exclusion_category",
    "normalise_exclusion_reason",
    "read_pupil_exclusions",
]

PathLike_ = str | PathLike[str]

LA_EXCLUSION_COLUMNS: tuple[str, ...] = (
    "year",
    "level",
    "la_name",
    "school_type",
    "num_schools",
    "headcount",
    "perm_excl",
    "perm_excl_rate",
    "fixed_excl",
    "fixed_excl_rate",
)
"""Required columns of DfE's LA-level exclusions file (``clean_la_data``)."""

_LA_OPTIONAL = ("one_plus_fixed", "one_or_more_fixed_excl_rate")
_LA_NUMERIC = LA_EXCLUSION_COLUMNS[4:] + _LA_OPTIONAL

EXCLUSION_REASONS: dict[str, str] = {
    "physical_pupils": "Physical assault against a pupil",
    "physical_adult": "Physical assault against an adult",
    "verbal_pupil": "Verbal abuse/threatening behaviour against a pupil",
    "verbal_adult": "Verbal abuse/threatening behaviour against an adult",
    "bullying": "Bullying",
    "racist_abuse": "Racist abuse",
    "sexual_misconduct": "Sexual misconduct",
    "drug_alcohol": "Drug and alcohol related",
    "damage": "Damage",
    "theft": "Theft",
    "persistent_disruptive": "Persistent disruptive behaviour",
    "other": "Other",
}
"""DfE exclusion reasons, keyed by the suffix used in the reasons file's columns."""

EXCLUSION_REASON_CODES: dict[str, str] = {
    "PP": "Physical assault against a pupil",
    "PA": "Physical assault against an adult",
    "VP": "Verbal abuse/threatening behaviour against a pupil",
    "VA": "Verbal abuse/threatening behaviour against an adult",
    "BU": "Bullying",
    "RA": "Racist abuse",
    "SM": "Sexual misconduct",
    "DA": "Drug and alcohol related",
    "DM": "Damage",
    "TH": "Theft",
    "PD": "Persistent disruptive behaviour",
    "OT": "Other",
}
"""The school census reason codes used up to 2019/20, and their labels."""

_NEWER_REASONS = (
    "Use or threat of use of an offensive weapon or prohibited item",
    "Abuse against sexual orientation and gender identity",
    "Abuse relating to disability",
    "Inappropriate use of social media or online technology",
    "Wilful and repeated transgression of protective measures in place to protect public health",
)

VIOLENT_EXCLUSION_REASONS: tuple[str, ...] = (
    "Physical assault against a pupil",
    "Physical assault against an adult",
    "Use or threat of use of an offensive weapon or prohibited item",
)
"""Reasons that are violence in themselves (the youth-violence layer may select them)."""

REASON_COLUMNS: tuple[str, ...] = tuple(
    f"{kind}_{suffix}" for kind in ("perm", "fixed") for suffix in EXCLUSION_REASONS
)
"""Count columns of DfE's exclusions-by-reason file (``clean_la_exclusions_reasons_data``)."""

SUPPRESSION_SYMBOLS: tuple[str, ...] = ("x", ".", "c", "z", "u", ":", "low", "..")
"""DfE's symbols for suppressed or unavailable values; read as NaN and counted."""

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
    **{label.lower(): label for label in _NEWER_REASONS},
    **{k.replace("_", " "): v for k, v in EXCLUSION_REASONS.items()},
    "verbal abuse or threatening behaviour against a pupil": EXCLUSION_REASONS["verbal_pupil"],
    "verbal abuse or threatening behaviour against an adult": EXCLUSION_REASONS["verbal_adult"],
    "drug and alcohol": EXCLUSION_REASONS["drug_alcohol"],
}

# --------------------------------------------------------------------------------------------
# DfE LA-level exclusions


def _numeric_with_suppression(
    frame: pd.DataFrame, columns: Iterable[str], name: str, report: LoadReport
) -> pd.DataFrame:
    """Convert count/rate columns to floats; DfE suppression symbols become NaN and are flagged."""
    out = frame.copy()
    for col in columns:
        raw = frame[col].str.strip()
        suppressed = raw.str.lower().isin(SUPPRESSION_SYMBOLS).fillna(False)
        num = pd.to_numeric(raw.where(~suppressed), errors="coerce")
        bad = num.isna() & raw.notna() & ~suppressed
        check_rows(
            bad,
            name,
            lambda i, raw=raw: f"{raw.iloc[i]!r} is neither a number nor a DfE symbol",
            column=col,
            rows=frame.index + 1,
        )
        report.flag(f"suppressed or unavailable {col} (set to NaN)", int(suppressed.sum()))
        out[col] = num.astype("float64")
    return out


def _check_years(values: pd.Series, name: str) -> pd.Series:
    """DfE 6-digit academic years (``201617``); returns ``'2016/17'`` labels."""
    ok = values.str.fullmatch(r"\d{6}").fillna(False)
    start = pd.to_numeric(values.str[:4].where(ok), errors="coerce")
    end = pd.to_numeric(values.str[4:].where(ok), errors="coerce")
    ok &= ((start + 1) % 100) == end
    check_rows(
        ~ok.to_numpy(),
        name,
        lambda i: f"{values.iloc[i]!r} is not a DfE academic year like 201617",
        column="year",
    )
    return (values.str[:4] + "/" + values.str[4:]).astype("string")


_REASON_SCHOOL_TYPES = {
    "State-funded primary": "Primary",
    "State-funded secondary": "Secondary",
    "Special": "Special",
    "Total": "Total",
}


# Education authorities formed after the DfE exclusions file's last year (2016/17), and names
# that the file spells differently from GIAS: each GIAS name maps to the authorities the file
# holds for the same area (their counts are pooled).
_DFE_PREDECESSORS: dict[str, tuple[str, ...]] = {
    "Bournemouth, Christchurch and Poole": ("Bournemouth", "Poole"),
    "Cumberland": ("Cumbria",),
    "Westmorland and Furness": ("Cumbria",),
    "North Northamptonshire": ("Northamptonshire",),
    "West Northamptonshire": ("Northamptonshire",),
    "County Durham": ("Durham",),
    "Herefordshire, County of": ("Herefordshire",),
}


def dfe_authority_names(gias_name: str) -> tuple[str, ...]:
    """The DfE exclusions file's authority name(s) for a GIAS ``la_name``.

    >>> dfe_authority_names("Bristol, City of")
    ('Bristol City of',)
    >>> dfe_authority_names("Westmorland and Furness")
    ('Cumbria',)
    """
    if gias_name in _DFE_PREDECESSORS:
        return _DFE_PREDECESSORS[gias_name]
    return (gias_name.replace(", City of", " City of"),)


def read_la_exclusions(
    path: PathLike_,
    la_names: Iterable[str] | None = None,
    reasons_path: PathLike_ | None = None,
) -> Loaded:
    """Read DfE permanent and fixed-period exclusions by local authority and school type.

    Parameters
    ----------
    path
        ``clean_la_data.csv[.gz]`` with :data:`LA_EXCLUSION_COLUMNS` (one row per academic
        year x level x area x school type).
    la_names
        Keep only these local authorities (DfE spelling; regional and national rows are then
        dropped). Unknown names raise ValueError with the closest names in the file.
    reasons_path
        ``clean_la_exclusions_reasons_data.csv[.gz]``; when given, its
        :data:`REASON_COLUMNS` counts are joined on year, LA and school type (the reasons
        file says ``State-funded primary``/``State-funded secondary`` where the main file says
        ``Primary``/``Secondary``).

    Returns
    -------
    Loaded
        ``data`` has ``year`` (DfE code, e.g. ``'201617'``), ``academic_year``
        (``'2016/17'``), ``level``, ``la_name``, ``school_type`` and the counts and rates as
        floats. Rates are DfE's, per 100 pupils (``perm_excl / headcount x 100``) and rounded.
        Suppressed values (``x``, ``.``, see :data:`SUPPRESSION_SYMBOLS`) become NaN and are
        counted per column in ``report.flagged``; rows with the area ``NULL`` are rejected.
    """
    path = Path(path)
    frame = read_csv(path, required=LA_EXCLUSION_COLUMNS, dtype=str)
    report = LoadReport(source=f"DfE LA exclusions ({path.name})", rows_read=len(frame))
    cols = list(LA_EXCLUSION_COLUMNS) + [c for c in _LA_OPTIONAL if c in frame.columns]
    frame = frame[cols]
    academic = _check_years(frame["year"].str.strip(), str(path))
    frame.insert(1, "academic_year", academic)
    for col in ("year", "level", "la_name", "school_type"):
        frame[col] = frame[col].str.strip().astype("string")

    null = frame["la_name"].isna() | (frame["la_name"].str.upper() == "NULL")
    report.reject("no area name (NULL)", int(null.sum()))
    frame = frame.loc[~null]
    if la_names is not None:
        las = frame.loc[frame["level"] == "Local authority", "la_name"]
        names = check_names(la_names, las, "DfE la_name(s)")
        keep = (frame["level"] == "Local authority") & frame["la_name"].isin(names)
        report.reject("outside the requested local authorities", int((~keep).sum()))
        frame = frame.loc[keep]
    # numbers are converted after filtering so the suppression counts describe the kept rows;
    # row numbers in errors still refer to the file (the index is the file's row position)
    frame = _numeric_with_suppression(frame, [c for c in _LA_NUMERIC if c in cols], path, report)

    if reasons_path is not None:
        frame = _join_reasons(frame, Path(reasons_path), report)
    data = frame.reset_index(drop=True)
    report.rows_kept = len(data)
    return Loaded(data, report)


def _join_reasons(frame: pd.DataFrame, path: Path, report: LoadReport) -> pd.DataFrame:
    keys = ("year", "la_name", "school_type")
    reasons = read_csv(path, required=keys + REASON_COLUMNS, dtype=str)
    reasons = reasons[list(keys + REASON_COLUMNS)]
    _check_years(reasons["year"].str.strip(), str(path))
    for col in keys:
        reasons[col] = reasons[col].str.strip()
    unknown = ~reasons["school_type"].isin(list(_REASON_SCHOOL_TYPES))
    check_rows(
        unknown,
        path,
        lambda i: (
            f"school type {reasons['school_type'].iloc[i]!r} is not one of "
            f"{list(_REASON_SCHOOL_TYPES)}"
        ),
        column="school_type",
    )
    reasons["school_type"] = reasons["school_type"].map(_REASON_SCHOOL_TYPES)
    wanted = reasons["year"].isin(frame["year"]) & reasons["la_name"].isin(frame["la_name"])
    reasons = _numeric_with_suppression(reasons.loc[wanted], REASON_COLUMNS, path, report)
    dupes = reasons.duplicated(list(keys))
    check_rows(dupes, path, "repeats a year, LA and school type")
    for col in keys:
        reasons[col] = reasons[col].astype("string")
    out = frame.merge(reasons, on=list(keys), how="left", validate="many_to_one", indicator=True)
    report.flag("no matching row in the reasons file", int((out["_merge"] == "left_only").sum()))
    return out.drop(columns="_merge")


def exclusion_rates(
    exclusions: pd.DataFrame,
    la_to_district: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    year: str = "201617",
    school_type: str = "Total",
    suppressed: Literal["raise", "skip"] = "raise",
) -> pd.DataFrame:
    """Per-pupil permanent and fixed-period exclusion rates for each district, one year.

    Parameters
    ----------
    exclusions
        The frame from :func:`read_la_exclusions`.
    la_to_district
        DfE LA name -> GSS district code (a region's ``la_names`` zipped with its
        ``districts``), as a mapping or as ``(la_name, district_code)`` pairs. In a two-tier
        area several districts share one authority (the county): give pairs, and each of
        them gets the county's rates.
    year, school_type
        Which academic year (DfE code) and school type (``Total`` = all state-funded).
    suppressed
        ``'raise'`` (default) on a suppressed count; ``'skip'`` leaves that authority out.

    Returns
    -------
    pandas.DataFrame
        ``district_code``, ``la_name``, ``year``, ``headcount``, ``perm_excl``, ``fixed_excl``,
        ``perm_rate`` and ``fixed_rate``: exclusions per pupil per year,
        :math:`r = e / h`, from the unrounded counts rather than DfE's rounded percentages.

    Raises
    ------
    ValueError
        An LA has no row for that year and type, or its count is suppressed.
    """
    sel = exclusions[
        (exclusions["year"] == year)
        & (exclusions["school_type"] == school_type)
        & (exclusions["level"] == "Local authority")
    ]
    pairs = la_to_district.items() if isinstance(la_to_district, Mapping) else la_to_district
    rows = []
    for la, district in pairs:
        hit = sel[sel["la_name"] == la]
        if hit.empty:
            raise ValueError(f"no {school_type} exclusions row for {la!r} in {year}")
        r = hit.iloc[0]
        if pd.isna(r["perm_excl"]) or pd.isna(r["fixed_excl"]) or not r["headcount"] > 0:
            if suppressed == "skip":
                continue
            raise ValueError(f"exclusion counts for {la!r} in {year} are suppressed")
        rows.append(
            {
                "district_code": district,
                "la_name": la,
                "year": year,
                "headcount": float(r["headcount"]),
                "perm_excl": float(r["perm_excl"]),
                "fixed_excl": float(r["fixed_excl"]),
                "perm_rate": float(r["perm_excl"]) / float(r["headcount"]),
                "fixed_rate": float(r["fixed_excl"]) / float(r["headcount"]),
            }
        )
    columns = ["district_code", "la_name", "year", "headcount", "perm_excl", "fixed_excl"]
    return pd.DataFrame(rows, columns=columns + ["perm_rate", "fixed_rate"])


# --------------------------------------------------------------------------------------------
# pupil-level partner extract


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
