"""Hospital admissions for assault: the schema of a partner extract, and its reader.

Hospital data (HES admitted patient care, ECDS/ISTV emergency department records) is not open at
small-area level; a Violence Reduction Unit receives record-level extracts from NHS partners
under a data-sharing agreement. This module fixes the columns such an extract must have
(:data:`HOSPITAL_COLUMNS`) and reads it, rejecting rows that are not assaults or cannot be
placed. Assaults are the ICD-10 external-cause block X85-Y09 ("Assault"); the mechanism
(knife, blunt object, bodily force, firearm...) is derived from the cause code when the
extract does not say.

Only CSV is read (plain, gzip or a single CSV inside a zip). Excel workbooks are refused with a
message asking for CSV: spreadsheets silently reformat postcodes, dates and codes such as
``Y04.0``, so a CSV export is the safer hand-over format.

The private helpers here (``_read_partner_csv``, ``_clean_postcodes``, ``_clean_lsoa``,
``_parse_dates``) are shared with :mod:`geodata.schools` for the pupil-exclusions extract.
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
from .report import Loaded

__all__ = [
    "HOSPITAL_COLUMNS",
    "HOSPITAL_REQUIRED",
    "MECHANISMS",
    "ICD10_MECHANISM",
    "is_assault_code",
    "normalise_icd10",
    "mechanism_from_icd10",
    "read_hospital_admissions",
]

PathLike_ = str | PathLike[str]

HOSPITAL_COLUMNS: tuple[str, ...] = (
    "record_id",
    "postcode",
    "lsoa_code",
    "admission_date",
    "age",
    "sex",
    "icd10_cause",
    "mechanism",
)
"""Columns of a hospital-admissions partner extract, in order. ``postcode``, ``lsoa_code``,
``sex`` and ``mechanism`` are optional, but at least one of ``postcode`` and ``lsoa_code`` must
be present."""

HOSPITAL_REQUIRED: tuple[str, ...] = ("record_id", "admission_date", "age", "icd10_cause")
"""Columns that must be present in every extract."""

MECHANISMS: tuple[str, ...] = (
    "sharp object",
    "blunt object",
    "bodily force",
    "firearm",
    "sexual assault",
    "other",
    "unknown",
)
"""Accepted values of ``mechanism`` (after normalisation)."""

ICD10_MECHANISM: dict[str, str] = {
    **{f"X{n}": "other" for n in range(85, 93)},  # drugs, chemicals, hanging, drowning
    "X93": "firearm",  # handgun discharge
    "X94": "firearm",  # rifle, shotgun and larger firearm discharge
    "X95": "firearm",  # other and unspecified firearm discharge
    "X96": "other",  # explosive material
    "X97": "other",  # smoke, fire and flames
    "X98": "other",  # steam, hot vapours and hot objects
    "X99": "sharp object",
    "Y00": "blunt object",
    "Y01": "other",  # pushing from a high place
    "Y02": "other",  # pushing or placing victim before a moving object
    "Y03": "other",  # crashing of motor vehicle
    "Y04": "bodily force",
    "Y05": "sexual assault",  # sexual assault by bodily force
    "Y06": "other",  # neglect and abandonment
    "Y07": "other",  # other maltreatment syndromes
    "Y08": "other",  # assault by other specified means
    "Y09": "unknown",  # assault by unspecified means
}
"""Mechanism of each ICD-10 assault category (X85-Y09), used when ``mechanism`` is blank."""

_MECHANISM_SYNONYMS: dict[str, str] = {
    **{m: m for m in MECHANISMS},
    "sharp": "sharp object",
    "knife": "sharp object",
    "knife or sharp object": "sharp object",
    "blade": "sharp object",
    "blunt": "blunt object",
    "blunt instrument": "blunt object",
    "body force": "bodily force",
    "physical force": "bodily force",
    "unarmed": "bodily force",
    "gun": "firearm",
    "firearms": "firearm",
    "sexual": "sexual assault",
    "sexual assault by bodily force": "sexual assault",
    "not known": "unknown",
    "unspecified": "unknown",
}

_SEX: dict[str, str] = {
    "m": "male",
    "male": "male",
    "1": "male",
    "f": "female",
    "female": "female",
    "2": "female",
    "u": "unknown",
    "unknown": "unknown",
    "not known": "unknown",
    "not specified": "unknown",
    "0": "unknown",
    "9": "unknown",
    "x": "unknown",
}

_ICD10 = re.compile(r"^([A-Z])(\d{2})(\d{0,2})$")


def normalise_icd10(code: object) -> str | None:
    """Canonical form of an ICD-10 code (``'x991'`` -> ``'X99.1'``), or None if malformed.

    Dots and spaces are ignored and a trailing filler (``X`` or ``-``, as in ``Y04X``) is
    dropped, so ``Y04``, ``Y04.``, ``y04x`` and ``Y04-`` all give ``'Y04'``.
    """
    if code is None or (isinstance(code, float) and np.isnan(code)) or code is pd.NA:
        return None
    text = re.sub(r"[\s.]", "", str(code).upper())
    if len(text) == 4 and text[-1] in "X-":
        text = text[:3]
    m = _ICD10.fullmatch(text)
    if not m:
        return None
    letter, two, rest = m.groups()
    return f"{letter}{two}" + (f".{rest}" if rest else "")


def is_assault_code(code: object) -> bool:
    """True when ``code`` is an ICD-10 assault cause: X85-X99 or Y00-Y09 (any subcode).

    >>> is_assault_code("X99.1"), is_assault_code("Y04"), is_assault_code("W19")
    (True, True, False)
    """
    norm = normalise_icd10(code)
    if norm is None:
        return False
    letter, num = norm[0], int(norm[1:3])
    return (letter == "X" and 85 <= num <= 99) or (letter == "Y" and 0 <= num <= 9)


def mechanism_from_icd10(code: object) -> str | None:
    """Mechanism of an assault code (see :data:`ICD10_MECHANISM`); None if not an assault."""
    if not is_assault_code(code):
        return None
    return ICD10_MECHANISM[normalise_icd10(code)[:3]]  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# reader


def read_hospital_admissions(path: PathLike_) -> Loaded:
    """Read a partner extract of hospital admissions for assault.

    Parameters
    ----------
    path
        A CSV (plain, ``.gz``, or the only CSV in a ``.zip``) with :data:`HOSPITAL_COLUMNS`.
        Excel is not read.

    Returns
    -------
    Loaded
        ``data`` has one row per kept admission: ``record_id``, ``postcode`` (normalised to
        ``'AB1 2CD'``), ``lsoa_code``, ``admission_date`` (datetime), ``age`` (Int64), ``sex``
        (``male``/``female``/``unknown``), ``icd10_cause`` (canonical, e.g. ``'X99.1'``),
        ``icd10_category`` (``'X99'``), ``mechanism`` (one of :data:`MECHANISMS`),
        ``mechanism_derived`` (True when taken from the ICD-10 code) and ``synthetic``.
        ``data.attrs['synthetic']`` is True for a synthetic stand-in (every row flagged, or a
        ``<path>.synthetic.json`` sidecar saying so).

    Raises
    ------
    MissingFileError, EmptyFileError, CorruptArchiveError
        The file is missing, empty or unreadable.
    MissingColumnsError
        A required column (:data:`HOSPITAL_REQUIRED`) is absent, or both ``postcode`` and
        ``lsoa_code`` are.
    InvalidValueError
        The file is an Excel workbook.

    Notes
    -----
    Rows are rejected, not fatal, and counted per reason in ``report.rejected``, each under the
    first check it fails, in this order: ``'no record_id'``, ``'no valid postcode or LSOA'``
    (a malformed postcode or LSOA code counts as absent, and is also flagged),
    ``'invalid admission date'`` (not an ISO ``YYYY-MM-DD`` calendar date),
    ``'invalid age'`` (blank, not a whole number, or outside 0-120),
    ``'invalid ICD-10 cause code'``, ``'cause outside X85-Y09'`` (not an assault), and last
    ``'duplicate record_id'`` (the first row is kept).

    A recorded ``mechanism`` is normalised (``knife`` -> ``sharp object``...); a blank or
    unrecognised one is derived from the ICD-10 category with :data:`ICD10_MECHANISM`.
    """
    opened = _open_partner(
        path,
        columns=HOSPITAL_COLUMNS,
        required=HOSPITAL_REQUIRED,
        postcode_col="postcode",
        lsoa_col="lsoa_code",
        what="hospital admissions",
    )
    frame, report, postcode, lsoa = opened.frame, opened.report, opened.postcode, opened.lsoa
    flags, is_synth = opened.synthetic_flags, opened.is_synthetic
    dates = _parse_dates(frame["admission_date"])
    ages = _parse_ages(frame["age"], 0, 120)
    icd = frame["icd10_cause"].map(normalise_icd10, na_action="ignore")
    assault = icd.map(is_assault_code, na_action="ignore").fillna(False).astype(bool)

    out = pd.DataFrame(
        {
            "record_id": frame["record_id"],
            "postcode": postcode,
            "lsoa_code": lsoa,
            "admission_date": dates,
            "age": ages,
            "sex": frame["sex"].str.lower().map(_SEX).astype("string"),
            "icd10_cause": icd.astype("string"),
            "mechanism_raw": frame["mechanism"].str.lower().str.replace(r"\s+", " ", regex=True),
            "synthetic": flags.astype(bool),
        }
    )
    checks = [
        ("no record_id", out["record_id"].isna()),
        ("no valid postcode or LSOA", out["postcode"].isna() & out["lsoa_code"].isna()),
        ("invalid admission date", out["admission_date"].isna()),
        ("invalid age", out["age"].isna()),
        ("invalid ICD-10 cause code", out["icd10_cause"].isna()),
        ("cause outside X85-Y09", ~assault),
    ]
    out = _apply_rejections(out, checks, report).copy()

    unknown_sex = frame.loc[out.index, "sex"].notna() & out["sex"].isna()
    report.flag("sex not recognised (set to unknown)", int(unknown_sex.sum()))
    out["sex"] = out["sex"].fillna("unknown")
    out["icd10_category"] = out["icd10_cause"].str[:3]
    recorded = out["mechanism_raw"].map(_MECHANISM_SYNONYMS).astype("string")
    unrecognised = out["mechanism_raw"].notna() & recorded.isna()
    report.flag("mechanism not recognised (derived from ICD-10)", int(unrecognised.sum()))
    derived = out["icd10_category"].map(ICD10_MECHANISM).astype("string")
    out["mechanism_derived"] = recorded.isna()
    out["mechanism"] = recorded.fillna(derived)
    report.flag("mechanism derived from ICD-10", int(out["mechanism_derived"].sum()))

    cols = [
        "record_id",
        "postcode",
        "lsoa_code",
        "admission_date",
        "age",
        "sex",
        "icd10_cause",
        "icd10_category",
        "mechanism",
        "mechanism_derived",
        "synthetic",
    ]
    data = out[cols].reset_index(drop=True)
    data.attrs["synthetic"] = is_synth
    report.rows_kept = len(data)
    return Loaded(data, report)
