"""Shared reading of partner extracts (hospital admissions, pupil exclusions).

Both partner schemas are CSVs of one record per row with a home postcode or LSOA, a date and
an age. This module holds what their readers share: reading with clear errors (Excel refused),
the synthetic flag (a ``synthetic`` column or a ``<file>.synthetic.json`` sidecar), cleaning
postcodes and LSOA codes, parsing dates and ages, and dropping rejected rows with counted
reasons. :mod:`geodata.hospital` and :mod:`geodata.schools` build on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ._io import read_csv, require_columns
from .codes import LSOA_PATTERN
from .errors import InvalidValueError, MissingColumnsError, MissingFileError
from .report import LoadReport

PathLike_ = str | PathLike[str]

_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?|[A-Z]{3})\d[A-Z]{2}$")  # spaces removed
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+)?$")
_EXCEL = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
_TRUE = {"true", "1", "yes", "y", "t"}


def _read_partner_csv(
    path: PathLike_,
    *,
    columns: Sequence[str],
    required: Sequence[str],
    one_of: Sequence[str],
    what: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Read a partner CSV as strings with snake_case headers, checking its columns.

    Headers are matched case-insensitively with spaces and hyphens read as underscores
    (``Record ID`` is ``record_id``). Missing optional columns are added as blanks. Columns
    outside the schema are dropped (named in the returned notes), except ``synthetic``.
    """
    path = Path(path)
    if path.suffix.lower() in _EXCEL:
        raise InvalidValueError(
            path,
            f"{what} must be a CSV file (plain, .gz or .zip); Excel is not read: save it as CSV",
        )
    if not path.exists():
        raise MissingFileError(path, "file not found")
    frame = read_csv(path, dtype=str)
    frame.columns = [re.sub(r"[\s\-]+", "_", c.strip().lower()) for c in frame.columns]
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise MissingColumnsError(path, f"column(s) {dupes} appear more than once")
    require_columns(frame.columns, required, path)
    if not any(c in frame.columns for c in one_of):
        raise MissingColumnsError(
            path,
            f"needs at least one of the columns {list(one_of)} to place each record; "
            f"found {list(frame.columns)}",
        )
    notes = []
    extra = [c for c in frame.columns if c not in columns and c != "synthetic"]
    if extra:
        notes.append(f"ignored column(s) outside the {what} schema: {extra}")
    for c in columns:
        if c not in frame.columns:
            frame[c] = pd.Series(pd.NA, index=frame.index, dtype="string")
    keep = list(columns) + (["synthetic"] if "synthetic" in frame.columns else [])
    frame = frame[keep].copy()
    for c in keep:
        frame[c] = frame[c].astype("string").str.strip().replace("", pd.NA)
    return frame, notes


def _synthetic_flags(path: PathLike_, frame: pd.DataFrame) -> tuple[pd.Series, bool, str | None]:
    """The ``synthetic`` column as booleans, whether the file is synthetic, and a note."""
    sidecar = Path(f"{path}.synthetic.json")
    if "synthetic" in frame.columns:
        flags = frame["synthetic"].str.lower().isin(_TRUE).fillna(False).astype(bool)
    else:
        flags = pd.Series(False, index=frame.index)
    note = None
    is_synth = bool(len(flags)) and bool(flags.all())
    if sidecar.exists():
        try:
            meta = json.loads(sidecar.read_text())
        except (OSError, ValueError):
            meta = {}
        if meta.get("synthetic", False) or "SYNTHETIC" in str(meta.get("label", "")):
            is_synth = True
            flags[:] = True
            note = f"SYNTHETIC data (sidecar {sidecar.name}, seed {meta.get('seed')})"
    elif is_synth:
        note = "SYNTHETIC data (every row has synthetic = true)"
    return flags, is_synth, note


def _clean_postcodes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise postcodes to ``'AB1 2CD'``; return them and a mask of non-blank invalid ones."""
    squashed = values.str.upper().str.replace(r"\s+", "", regex=True)
    ok = squashed.str.fullmatch(_POSTCODE.pattern).fillna(False).astype(bool)
    pretty = squashed.str[:-3] + " " + squashed.str[-3:]
    out = pretty.where(ok, pd.NA).astype("string")
    invalid = values.notna() & ~ok
    return out, invalid


def _clean_lsoa(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Upper-case LSOA codes; return them and a mask of non-blank invalid ones."""
    up = values.str.upper().str.replace(r"\s+", "", regex=True)
    ok = up.str.fullmatch(LSOA_PATTERN.pattern).fillna(False).astype(bool)
    return up.where(ok, pd.NA).astype("string"), values.notna() & ~ok


def _parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates (``YYYY-MM-DD``, optionally with a time) as datetimes; anything else is NaT."""
    iso = values.str.fullmatch(_ISO_DATE.pattern).fillna(False).astype(bool)
    text = values.where(iso).str[:10]
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def _parse_ages(values: pd.Series, low: int, high: int) -> pd.Series:
    """Whole-number ages in ``[low, high]`` as Int64; anything else (or blank) is NA."""
    num = pd.to_numeric(values, errors="coerce")
    ok = num.notna() & (num == np.floor(num)) & (num >= low) & (num <= high)
    return num.where(ok).astype("Int64")


def _apply_rejections(
    frame: pd.DataFrame, checks: Sequence[tuple[str, pd.Series]], report: LoadReport
) -> pd.DataFrame:
    """Drop rows failing each check in turn; a row is counted once, under its first failure."""
    alive = pd.Series(True, index=frame.index)
    for reason, bad in checks:
        hit = alive & bad.fillna(True).astype(bool)
        report.reject(reason, int(hit.sum()))
        alive &= ~hit
    # a duplicate is only a duplicate of a row that is kept
    dup = alive & frame.loc[alive, "record_id"].duplicated(keep="first").reindex(
        frame.index, fill_value=False
    )
    report.reject("duplicate record_id", int(dup.sum()))
    alive &= ~dup
    return frame.loc[alive]


# --------------------------------------------------------------------------------------------
# ICD-10


@dataclass
class _PartnerFrame:
    """A partner extract read and its shared columns cleaned, ready for schema-specific checks."""

    frame: pd.DataFrame
    report: LoadReport
    synthetic_flags: pd.Series
    is_synthetic: bool
    postcode: pd.Series
    lsoa: pd.Series


def _open_partner(
    path: PathLike_,
    *,
    columns: Sequence[str],
    required: Sequence[str],
    postcode_col: str,
    lsoa_col: str,
    what: str,
) -> _PartnerFrame:
    """Read a partner CSV, start its report, read its synthetic flag, clean its location.

    Malformed postcodes and LSOA codes are blanked and flagged (not rejected): a row may
    still be placed by the other column.
    """
    frame, notes = _read_partner_csv(
        path, columns=columns, required=required, one_of=(postcode_col, lsoa_col), what=what
    )
    report = LoadReport(source=f"{what} ({Path(path).name})", rows_read=len(frame))
    report.notes.extend(notes)
    flags, is_synth, note = _synthetic_flags(path, frame)
    if note:
        report.notes.append(note)
    postcode, bad_pc = _clean_postcodes(frame[postcode_col])
    lsoa, bad_lsoa = _clean_lsoa(frame[lsoa_col])
    report.flag("malformed postcode (ignored)", int(bad_pc.sum()))
    report.flag("malformed LSOA code (ignored)", int(bad_lsoa.sum()))
    return _PartnerFrame(frame, report, flags, is_synth, postcode, lsoa)
