"""Census 2021 workplace population by MSOA 2021, and the MSOA 2021 names.

The at-risk population of an LSOA (:mod:`sna.needs.at_risk`) adds to its residents the people
who work there but live elsewhere. The Census counts them only by MSOA, in the
origin-destination summary ODWP01EW: ``origin`` (working residents of the MSOA, home
workers included), ``destination`` (people whose workplace is in the MSOA, home workers
included), ``nomove`` (work at or from home) and ``within`` (live and work in the MSOA, not
at home). The people who come in to work are therefore

.. math::  \\text{inflow}_M = \\text{destination}_M - \\text{nomove}_M - \\text{within}_M .

Census day (21 March 2021) was in lockdown: many office workers are counted at home, so
these counts are a floor, lowest in office centres.

The MSOA names file (House of Commons Library) places every LSOA21 in its MSOA21, because an
LSOA 2021 name is its MSOA's name plus one letter (``Birmingham 138A`` is in
``Birmingham 138``), and gives each MSOA a name people use (``Central``).
"""

from __future__ import annotations

from os import PathLike

import pandas as pd

from ._checks import check_rows
from ._io import check_codes, read_csv
from .report import Loaded, LoadReport

__all__ = ["WORKPLACE_COLUMNS", "read_workplace_msoa", "read_msoa_names"]

PathLike_ = str | PathLike[str]

#: The ODWP01EW summary columns this module reads, and what they become.
WORKPLACE_COLUMNS = {
    "areacd": "msoa21_code",
    "origin": "working_residents",
    "destination": "workplace_population",
    "nomove": "home_workers",
    "within": "work_within",
}

_NAME_COLUMNS = {
    "msoa21cd": "msoa21_code",
    "msoa21nm": "msoa21_name",
    "msoa21hclnm": "msoa21_hcl_name",
    "localauthorityname": "msoa21_district_name",
}


def read_workplace_msoa(path: PathLike_) -> Loaded:
    """Read the Census 2021 ODWP01EW MSOA summary; add ``inflow`` (see the module docstring).

    Returns
    -------
    Loaded
        ``msoa21_code``, ``working_residents``, ``workplace_population``, ``home_workers``,
        ``work_within`` and ``inflow`` (int64), one row per MSOA 2021 (England and Wales).

    Raises
    ------
    MissingColumnsError, InvalidValueError, EmptyFileError
        A column is missing; a code is not an MSOA code; a count is negative, not a number,
        or smaller than its parts (the message names the row).
    """
    frame = read_csv(path, usecols=list(WORKPLACE_COLUMNS), dtype=str)
    report = LoadReport(source=str(path), rows_read=len(frame))
    frame = frame.rename(columns=WORKPLACE_COLUMNS)
    check_codes(frame["msoa21_code"], path, "areacd")
    check_rows(
        ~frame["msoa21_code"].str.match(r"^[EW]02\d{6}$"),
        path,
        lambda i: f"{frame['msoa21_code'].iloc[i]!r} is not an MSOA code",
        column="areacd",
    )
    for col, src in (
        ("working_residents", "origin"),
        ("workplace_population", "destination"),
        ("home_workers", "nomove"),
        ("work_within", "within"),
    ):
        values = pd.to_numeric(frame[col], errors="coerce")
        check_rows(
            values.isna() | (values < 0),
            path,
            lambda i, c=col: f"{frame[c].iloc[i]!r} is not a count",
            column=src,
        )
        frame[col] = values.astype("int64")
    inflow = frame["workplace_population"] - frame["home_workers"] - frame["work_within"]
    check_rows(
        inflow < 0,
        path,
        "destination is smaller than nomove + within",
        column="destination",
    )
    check_rows(frame["msoa21_code"].duplicated(), path, "MSOA code repeats", column="areacd")
    frame["inflow"] = inflow.astype("int64")
    report.rows_kept = len(frame)
    report.notes.append(
        f"{len(frame):,} MSOAs; {int(frame['inflow'].sum()):,} people work in an MSOA they do "
        "not live in (Census 2021, in lockdown)"
    )
    return Loaded(frame.reset_index(drop=True), report)


def read_msoa_names(path: PathLike_) -> Loaded:
    """Read the MSOA 2021 names: ONS name (``Birmingham 138``) and HCL name (``Central``).

    Returns
    -------
    Loaded
        ``msoa21_code``, ``msoa21_name``, ``msoa21_hcl_name`` (empty where the Library has
        none) and ``msoa21_district_name``, one row per MSOA.
    """
    frame = read_csv(path, usecols=list(_NAME_COLUMNS), dtype=str)
    report = LoadReport(source=str(path), rows_read=len(frame))
    frame = frame.rename(columns=_NAME_COLUMNS)
    check_codes(frame["msoa21_code"], path, "msoa21cd")
    check_rows(frame["msoa21_name"].isna(), path, "missing MSOA name", column="msoa21nm")
    check_rows(frame["msoa21_name"].duplicated(), path, "MSOA name repeats", column="msoa21nm")
    frame["msoa21_hcl_name"] = frame["msoa21_hcl_name"].fillna("")
    report.rows_kept = len(frame)
    return Loaded(frame.reset_index(drop=True), report)
