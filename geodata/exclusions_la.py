"""DfE's published exclusions by local authority, optionally with the reasons file.

Permanent and fixed-period (suspension) exclusions by local authority and school type
(2006/07 to 2016/17 in the bundle): used to calibrate the synthetic stand-in and as district
context. DfE's rates are per 100 pupils on roll (``perm_excl_rate`` = permanent exclusions /
headcount x 100); :func:`exclusion_rates` recomputes them per pupil from the unrounded counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Literal

import pandas as pd

from ._checks import check_names, check_rows
from ._io import read_csv
from .exclusion_reasons import EXCLUSION_REASONS
from .report import Loaded, LoadReport

__all__ = [
    "LA_EXCLUSION_COLUMNS",
    "REASON_COLUMNS",
    "SUPPRESSION_SYMBOLS",
    "dfe_authority_names",
    "read_la_exclusions",
    "exclusion_rates",
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

REASON_COLUMNS: tuple[str, ...] = tuple(
    f"{kind}_{suffix}" for kind in ("perm", "fixed") for suffix in EXCLUSION_REASONS
)
"""Count columns of DfE's exclusions-by-reason file (``clean_la_exclusions_reasons_data``)."""

SUPPRESSION_SYMBOLS: tuple[str, ...] = ("x", ".", "c", "z", "u", ":", "low", "..")
"""DfE's symbols for suppressed or unavailable values; read as NaN and counted."""


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
