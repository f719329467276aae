"""Census 2021 usual residents by LSOA 2021 and broad age band.

The published table is long (one row per LSOA and age band); the scoring layer wants one
row per LSOA with the bands as columns, so the rates it builds (offences per 1,000 young
people, assets per 10,000 residents) have their denominators side by side.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import pandas as pd

from ._checks import check_rows
from ._io import check_codes, read_csv
from .codes import LSOA_PATTERN
from .errors import InvalidValueError
from .report import Loaded, LoadReport

__all__ = ["AGE_BANDS", "POPULATION_COLUMNS", "read_census_population"]

PathLike_ = str | PathLike[str]

#: Census 2021 age-band label (as published) → output column. Mapped explicitly so that a
#: relabelled or re-banded release is refused instead of being summed into the wrong band.
AGE_BANDS: dict[str, str] = {
    "Aged 15 years and under": "pop_0_15",
    "Aged 16 to 24 years": "pop_16_24",
    "Aged 25 to 34 years": "pop_25_34",
    "Aged 35 to 49 years": "pop_35_49",
    "Aged 50 to 64 years": "pop_50_64",
    "Aged 65 years and over": "pop_65_plus",
}

#: Output columns after the key and name: the six bands, the total and ages 0-24.
POPULATION_COLUMNS = [*AGE_BANDS.values(), "pop_total", "pop_0_24"]

_REQUIRED = ["lsoa21_code", "lsoa21_name", "age_group", "usual_residents"]


def read_census_population(path: PathLike_, lsoa21_codes: Iterable[str] | None = None) -> Loaded:
    r"""Read Census 2021 usual residents by age band and pivot to one row per LSOA21.

    Parameters
    ----------
    path
        Long table with ``lsoa21_code, lsoa21_name, age_group, usual_residents`` (plain,
        gzip or zip CSV), the six bands of :data:`AGE_BANDS` for every LSOA.
    lsoa21_codes
        Keep only these LSOAs; every one must be in the file.

    Returns
    -------
    Loaded
        ``data``: ``lsoa21_code``, ``lsoa21_name`` and the int64 columns
        :data:`POPULATION_COLUMNS`, where

        .. math::

            \text{pop\_total} = \sum_{b} \text{pop}_b, \qquad
            \text{pop\_0\_24} = \text{pop\_0\_15} + \text{pop\_16\_24}.

        Sorted by ``lsoa21_code``. Rows of other LSOAs count as rejected ("not among the
        requested LSOAs").

    Raises
    ------
    MissingColumnsError
        A required column is absent.
    InvalidValueError
        An unknown age band (row named), a count that is missing, not a whole number or
        negative, an invalid LSOA code, an LSOA/band pair given twice, an LSOA without all
        six bands, or a requested LSOA absent from the file.
    """
    path = Path(path)
    report = LoadReport(source=str(path))
    frame = read_csv(path, required=_REQUIRED, usecols=_REQUIRED)
    report.rows_read = len(frame)
    frame["lsoa21_code"] = frame["lsoa21_code"].str.strip()
    check_codes(frame["lsoa21_code"], path, "lsoa21_code", pattern=LSOA_PATTERN)

    labels = frame["age_group"].str.strip()
    band = labels.map(AGE_BANDS)
    unknown = band.isna().to_numpy()
    check_rows(
        unknown,
        path,
        lambda row: f"unknown age band {labels.iloc[row]!r}; expected one of {list(AGE_BANDS)}",
        column="age_group",
    )

    counts = pd.to_numeric(frame["usual_residents"], errors="coerce")
    bad = (counts.isna() | (counts < 0) | (counts % 1 != 0)).to_numpy()
    raw = frame["usual_residents"]
    check_rows(
        bad,
        path,
        lambda i: (
            "missing count"
            if pd.isna(raw.iloc[i])
            else f"{raw.iloc[i]!r} is not a whole number of people >= 0"
        ),
        column="usual_residents",
    )

    long = pd.DataFrame(
        {
            "lsoa21_code": frame["lsoa21_code"].to_numpy(),
            "band": band.to_numpy(),
            "n": counts.astype("int64").to_numpy(),
        }
    )
    dup = long.duplicated(["lsoa21_code", "band"]).to_numpy()
    check_rows(
        dup,
        path,
        lambda row: (
            f"LSOA {long['lsoa21_code'].iloc[row]} has age band {labels.iloc[row]!r} more than once"
        ),
        column="age_group",
    )

    wide = long.pivot(index="lsoa21_code", columns="band", values="n")
    wide = wide.reindex(columns=list(AGE_BANDS.values()))
    incomplete = wide.isna().any(axis=1)
    if incomplete.any():
        code = wide.index[incomplete.to_numpy()][0]
        lacking = [label for label, col in AGE_BANDS.items() if pd.isna(wide.loc[code, col])]
        raise InvalidValueError(
            path,
            f"LSOA {code} lacks age band(s) {lacking} ({int(incomplete.sum())} LSOA(s) incomplete)",
            column="age_group",
        )
    wide = wide.astype("int64")
    wide["pop_total"] = wide[list(AGE_BANDS.values())].sum(axis=1)
    wide["pop_0_24"] = wide["pop_0_15"] + wide["pop_16_24"]

    names = frame.drop_duplicates("lsoa21_code").set_index("lsoa21_code")["lsoa21_name"]
    out = wide.reset_index()
    out.columns.name = None
    out.insert(1, "lsoa21_name", names.reindex(out["lsoa21_code"]).to_numpy())
    n_lsoa = len(out)

    if lsoa21_codes is not None:
        wanted = pd.Index(pd.unique(pd.Series(list(lsoa21_codes), dtype="str")))
        found = pd.Index(out["lsoa21_code"]).get_indexer(wanted) >= 0
        if not found.all():
            absent = wanted[~found]
            raise InvalidValueError(
                path,
                f"{len(absent)} requested LSOA(s) not in the file, e.g. {list(absent[:5])}",
                column="lsoa21_code",
            )
        keep = wanted.get_indexer(out["lsoa21_code"]) >= 0
        report.reject("not among the requested LSOAs", int((~keep).sum()) * len(AGE_BANDS))
        out = out.loc[keep]
    out = out.sort_values("lsoa21_code", ignore_index=True)
    report.rows_kept = len(out) * len(AGE_BANDS)
    report.notes.append(
        f"{len(out):,} of {n_lsoa:,} LSOAs kept, {int(out['pop_total'].sum()):,} residents; "
        "rows counted in the long (LSOA x age band) layout"
    )
    return Loaded(out, report)
