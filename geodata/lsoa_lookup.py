"""The ONS LSOA11 → LSOA21 lookup: one row per 2011/2021 pair, with its change code.

:func:`read_lsoa11_lsoa21_lookup` checks what :mod:`geodata.lsoa21` relies on: both codes are
GSS codes, the change code is one of :data:`CHANGE_CODES` and one per 2011 LSOA, ``U`` maps a
code to itself only, ``M`` to exactly one 2021 LSOA, ``S`` to at least two with no other
parent. The first row breaking a rule is named; exact duplicate pairs are dropped and counted.
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

from ._checks import check_rows
from ._io import check_codes, read_csv
from .report import Loaded, LoadReport

__all__ = ["CHANGE_CODES", "LOOKUP_COLUMNS", "read_lsoa11_lsoa21_lookup"]

#: The ONS change codes of the LSOA11 → LSOA21 lookup.
CHANGE_CODES = ("U", "S", "M", "X")

#: Columns the lookup always has (optional names and districts follow when present).
LOOKUP_COLUMNS = ["lsoa11_code", "lsoa21_code", "change_code"]
_OPTIONAL_LOOKUP = ["lsoa11_name", "lsoa21_name", "ltla22_code", "ltla22_name"]


def read_lsoa11_lsoa21_lookup(path: str | PathLike[str]) -> Loaded:
    """Read and validate the ONS LSOA11 → LSOA21 lookup (one row per 2011/2021 pair).

    Checks, each failing with :class:`~geodata.errors.InvalidValueError` naming the row and
    column: both codes are GSS codes; ``change_code`` is one of U/S/M/X; a 2011 LSOA has one
    change code; ``U`` maps a code to itself and to nothing else; ``M`` maps to exactly one
    2021 LSOA; ``S`` to at least two, each with no other parent. Exact duplicate pairs are
    dropped (counted in the report).

    Parameters
    ----------
    path
        ``lookup_lsoa11_lsoa21_ltla22.csv.gz`` (columns ``lsoa11_code``, ``lsoa21_code``,
        ``change_code``; names and ``ltla22_code`` kept when present).

    Returns
    -------
    Loaded
        Columns ``lsoa11_code``, ``lsoa21_code``, ``change_code`` and the optional ones.
    """
    name = str(path)
    raw = read_csv(path, required=LOOKUP_COLUMNS)
    report = LoadReport(source=name, rows_read=len(raw))
    keep = LOOKUP_COLUMNS + [c for c in _OPTIONAL_LOOKUP if c in raw.columns]
    frame = raw[keep].copy()
    for col in ("lsoa11_code", "lsoa21_code", "change_code"):
        frame[col] = frame[col].astype("string").str.strip().str.upper()
    check_codes(frame["lsoa11_code"], name, "lsoa11_code")
    check_codes(frame["lsoa21_code"], name, "lsoa21_code")
    code = frame["change_code"]
    bad = ~code.isin(CHANGE_CODES).fillna(False).to_numpy(dtype=bool)
    check_rows(
        bad,
        name,
        lambda row: (
            f"{code.iloc[row]!r} is not a change code (expected one of {list(CHANGE_CODES)})"
        ),
        column="change_code",
    )
    dup = frame.duplicated(["lsoa11_code", "lsoa21_code"]).to_numpy()
    report.reject("duplicate LSOA11/LSOA21 pair", int(dup.sum()))
    frame = frame.loc[~dup]
    rows = pd.Series(np.flatnonzero(~dup) + 1, index=frame.index)

    def fail(mask: pd.Series, column: str, problem: str) -> None:
        check_rows(
            mask,
            name,
            lambda i: f"{frame[column].iloc[i]}: {problem}",
            column=column,
            rows=rows,
        )

    n_codes = frame.groupby("lsoa11_code")["change_code"].transform("nunique")
    fail(n_codes > 1, "lsoa11_code", "has more than one change code")
    n_children = frame.groupby("lsoa11_code")["lsoa21_code"].transform("size")
    n_parents = frame.groupby("lsoa21_code")["lsoa11_code"].transform("size")
    is_u, is_s, is_m = (code.loc[frame.index] == c for c in ("U", "S", "M"))
    fail(
        is_u & ((frame["lsoa21_code"] != frame["lsoa11_code"]) | (n_children > 1)),
        "lsoa21_code",
        "change code U but the LSOA21 differs or there are several",
    )
    fail(is_u & (n_parents > 1), "lsoa21_code", "change code U but several LSOA11 parents")
    fail(is_m & (n_children > 1), "lsoa11_code", "change code M but several LSOA21s")
    fail(is_s & (n_children < 2), "lsoa11_code", "change code S but only one LSOA21")
    fail(is_s & (n_parents > 1), "lsoa21_code", "change code S but the LSOA21 has other parents")
    frame = frame.reset_index(drop=True)
    for col in LOOKUP_COLUMNS:
        frame[col] = frame[col].astype(str)
    counts = frame.drop_duplicates("lsoa11_code")["change_code"].value_counts()
    report.notes.append(
        "LSOA11 by change code: " + ", ".join(f"{c} {int(counts.get(c, 0))}" for c in CHANGE_CODES)
    )
    report.rows_kept = len(frame)
    return Loaded(frame, report)
