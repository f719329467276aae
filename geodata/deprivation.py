"""English Indices of Deprivation: IoD2025 (LSOA 2021) and IoD2019 (LSOA 2011).

Each loader turns the published tables into one wide table per LSOA with snake_case names
that are the same for both releases (``imd_rank``, ``income_decile``, ``crime_score``,
``housing_and_services_rank`` ...). The IoD convention is kept as published: scores rise with
deprivation, while rank 1 and decile 1 are the *most* deprived; :func:`iod_column_catalogue`
records the direction of every main column so the scoring layer never has to guess.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from ._checks import check_rows
from ._iod import (
    _CRIME_TITLES,
    _FILE6,
    _LSOA21,
    _SNAKE_DOMAINS,
    CRIME_RATE_COLUMNS,
    DOMAINS,
    ENGLAND_LSOA11,
    ENGLAND_LSOA21,
    SUBDOMAINS,
    _check_measures,
    _finish_types,
    _merge_parts,
    _read,
    _rename_numeric,
)
from .iod2019 import read_iod2019  # re-exported: IoD2019 has its own module
from .report import Loaded, LoadReport

__all__ = [
    "DOMAINS",
    "CRIME_RATE_COLUMNS",
    "SUBDOMAINS",
    "ENGLAND_LSOA11",
    "ENGLAND_LSOA21",
    "read_iod2025",
    "read_iod2019",
    "iod_column_catalogue",
]

PathLike_ = str | PathLike[str]


# --- IoD2025 -------------------------------------------------------------------------------


def _read_scores_2025(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The IoD2025 scores/ranks/deciles file → ``imd_score, imd_rank, imd_decile, ...``."""
    mapping = {"lsoa21_code": "lsoa21_code"}
    for prefix, key in _SNAKE_DOMAINS.items():
        if key == "housing_and_services" and prefix != "Housing_and_Services":
            continue
        for kind in ("score", "rank", "decile"):
            mapping[f"{prefix}_{kind}"] = f"{key}_{kind}"
    frame = _read(path, required=list(mapping))
    return _rename_numeric(frame, mapping, path, "lsoa21_code", _LSOA21)


def read_iod2025(
    scores_path: PathLike_,
    indicators_path: PathLike_ | None = None,
    subdomains_path: PathLike_ | None = None,
) -> Loaded:
    """Read the English Indices of Deprivation 2025 into one wide LSOA21 table.

    Parameters
    ----------
    scores_path
        Scores, ranks and deciles of the IMD and its seven domains (``lsoa21_code,
        IMD_score, IMD_rank, IMD_decile, Income_score, ...``).
    indicators_path
        Optional indicators file. Every indicator is kept (snake_case); the police recorded
        crime rates per 1,000 at-risk population (properties for burglary) get short names,
        see :data:`CRIME_RATE_COLUMNS` (``crime_violence_with_injury_rate`` ...).
    subdomains_path
        Optional sub-domains file (``children_and_young_people_score`` ...).

    Returns
    -------
    Loaded
        ``data``: one row per LSOA21 of the scores file with ``lsoa21_code``, then
        ``<domain>_score``, ``<domain>_rank``, ``<domain>_decile`` for each key of
        :data:`DOMAINS`, then the indicators and sub-domains. Scores rise with deprivation;
        rank 1 and decile 1 are the most deprived (:func:`iod_column_catalogue`).

    Raises
    ------
    MissingColumnsError
        A required column is absent (the 24 scores/ranks/deciles; the eight crime rates;
        the 18 sub-domain columns).
    InvalidValueError
        A bad or duplicate LSOA code; a value that is not a number (row and column named);
        a rank outside ``1..33,755`` or a decile outside ``1..10``; ranks that run the wrong
        way; a negative crime rate.
    """
    scores_path = Path(scores_path)
    report = LoadReport(source=str(scores_path))
    scores, src = _read_scores_2025(scores_path)
    _check_measures(scores, scores_path, src, ENGLAND_LSOA21, complete=True)
    report.rows_read = len(scores)
    parts = [(scores, scores_path)]
    if indicators_path is not None:
        path = Path(indicators_path)
        frame = _read(path, required=["lsoa21_code", *CRIME_RATE_COLUMNS])
        mapping = {"lsoa21_code": "lsoa21_code", **CRIME_RATE_COLUMNS}
        frame, isrc = _rename_numeric(
            frame, mapping, path, "lsoa21_code", _LSOA21, keep_others=True
        )
        for col in CRIME_RATE_COLUMNS.values():
            neg = (frame[col] < 0).to_numpy()
            check_rows(neg, path, "a crime rate cannot be negative", column=isrc[col])
        parts.append((frame, path))
        report.notes.append(f"indicators from {path.name}")
    if subdomains_path is not None:
        path = Path(subdomains_path)
        mapping = {"lsoa21_code": "lsoa21_code"}
        for key in SUBDOMAINS:
            for kind in ("score", "rank", "decile"):
                mapping[f"{key}_{kind}"] = f"{key}_{kind}"
        frame = _read(path, required=list(mapping))
        frame, ssrc = _rename_numeric(
            frame, mapping, path, "lsoa21_code", _LSOA21, keep_others=True
        )
        _check_measures(frame, path, ssrc, ENGLAND_LSOA21, complete=True)
        parts.append((frame, path))
        report.notes.append(f"sub-domains from {path.name}")
    data = _finish_types(_merge_parts(parts, "lsoa21_code", report, base_first=True))
    report.rows_kept = len(data)
    return Loaded(data, report)


# --- catalogue -----------------------------------------------------------------------------

_MORE = "higher = more deprived"
_LESS = "higher = less deprived"


def iod_column_catalogue() -> pd.DataFrame:
    """Describe the main IoD columns for the scoring layer's configuration.

    Returns
    -------
    pandas.DataFrame
        One row per column with ``column``, ``title``, ``kind`` (``score``, ``rank``,
        ``decile``, ``rate``, ``count``), ``group`` (domain or ``crime`` / ``population``),
        ``direction`` (plain words), ``higher_is_more_deprived`` (True, False, or None
        for counts) and ``vintages`` (``"2019"``, ``"2025"`` or ``"2019, 2025"``).

    Notes
    -----
    IoD scores rise with deprivation; ranks and deciles count from 1 = most deprived, so a
    higher rank or decile is *less* deprived. A scoring layer that wants "higher = worse"
    must therefore reverse ranks and deciles (e.g. use :math:`N + 1 - r`) but not scores.
    """
    rows = []

    def add(column, title, kind, group, more, vintages):
        direction = {True: _MORE, False: _LESS, None: "neutral (a count)"}[more]
        rows.append((column, title, kind, group, direction, more, vintages))

    for key, title in {**DOMAINS, **SUBDOMAINS}.items():
        add(f"{key}_score", f"{title} score", "score", key, True, "2025")
        add(f"{key}_rank", f"{title} rank (1 = most deprived)", "rank", key, False, "2019, 2025")
        add(
            f"{key}_decile",
            f"{title} decile (1 = most deprived 10%)",
            "decile",
            key,
            False,
            "2019, 2025",
        )
    for col, title in _CRIME_TITLES.items():
        unit = (
            "per 1,000 at-risk properties"
            if "burglary" in col
            else ("per 1,000 at-risk population")
        )
        add(col, f"{title}: police recorded rate {unit}", "rate", "crime", True, "2025")
    for title, col in _FILE6.items():
        add(col, title, "count", "population", None, "2019")
    return pd.DataFrame(
        rows,
        columns=[
            "column",
            "title",
            "kind",
            "group",
            "direction",
            "higher_is_more_deprived",
            "vintages",
        ],
    )
