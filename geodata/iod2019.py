"""English Indices of Deprivation 2019 (LSOA 2011): the official files or the snake_case exports.

:func:`read_iod2019` gives the same wide table and names as :func:`geodata.deprivation.read_iod2025`
(see :mod:`geodata.deprivation` for the conventions), keyed on the LSOA 2011 code.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import pandas as pd

from ._checks import check_rows
from ._iod import (
    _FILE6,
    _LSOA11,
    _OFFICIAL_IDS,
    _OFFICIAL_MEASURE,
    _OFFICIAL_TITLES,
    _SNAKE_DOMAINS,
    _SNAKE_SUBDOMAINS,
    DOMAINS,
    ENGLAND_LSOA11,
    SUBDOMAINS,
    _check_measures,
    _finish_types,
    _merge_parts,
    _read,
    _rename_numeric,
    _snake,
)
from .errors import InvalidValueError, MissingColumnsError
from .report import Loaded, LoadReport

__all__ = ["read_iod2019"]

PathLike_ = str | PathLike[str]


def _official_mapping(columns: list[str]) -> dict[str, str]:
    """Map the long headers of the published IoD2019 files to output names."""
    mapping: dict[str, str] = {}
    for col in columns:
        norm = re.sub(r"\s+", " ", col.strip())
        if norm in _OFFICIAL_IDS:
            mapping[col] = _OFFICIAL_IDS[norm]
        elif norm in _FILE6:
            mapping[col] = _FILE6[norm]
        elif (m := _OFFICIAL_MEASURE.match(norm)) and m["title"] in _OFFICIAL_TITLES:
            mapping[col] = f"{_OFFICIAL_TITLES[m['title']]}_{m['kind'].lower()}"
        else:
            mapping[col] = _snake(norm)
    return mapping


def _read_official(
    path: Path, required: list[str], example: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read one of the published IoD2019 Files (1, 2, 6) and check its output columns."""
    frame = _read(path)
    mapping = _official_mapping(list(frame.columns))
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        raise MissingColumnsError(
            path,
            f"missing column(s) for {missing} (official headers such as {example!r}); "
            f"found {list(frame.columns)[:12]}",
        )
    return _rename_numeric(frame, mapping, path, "lsoa11_code", _LSOA11)


def _snake_domain_mapping(columns: list[str], table: dict[str, str]) -> dict[str, str]:
    """``Income_rank`` → ``income_rank`` (and ``Housing_and_Access`` → ``housing_and_services``)."""
    mapping = {}
    for col in columns:
        m = re.match(r"^(?P<prefix>.+)_(?P<kind>rank|decile|score)$", col)
        if m and m["prefix"] in table:
            mapping[col] = f"{table[m['prefix']]}_{m['kind']}"
    return mapping


def read_iod2019(
    file1: PathLike_ | None = None,
    file2: PathLike_ | None = None,
    file6: PathLike_ | None = None,
    ranks: PathLike_ | None = None,
    indicators: PathLike_ | None = None,
    subdomains: PathLike_ | None = None,
) -> Loaded:
    """Read the English Indices of Deprivation 2019 (2011 LSOAs) into one wide table.

    Any combination of the files may be given; they are joined on ``lsoa11_code`` (union of
    LSOAs) and a column found in several files must hold the same values in each.

    Parameters
    ----------
    file1
        Published File 1 (``LSOA code (2011)``, ``Index of Multiple Deprivation (IMD) Rank``,
        ``... Decile``; ranks may carry thousands separators such as ``"29,199"``).
    file2
        Published File 2: ranks and deciles of the IMD and its seven domains.
    file6
        Published File 6: mid-2015 population denominators → ``pop_total_2015``,
        ``pop_0_15_2015``, ``pop_16_59_2015``, ``pop_60_plus_2015``, ``pop_working_age_2015``.
    ranks
        snake_case export of the ranks and deciles (``IMD_rank``, ``Housing_and_Access_rank``).
    indicators
        snake_case indicators export (kept as they are; no crime indicators in IoD2019).
    subdomains
        snake_case sub-domain ranks and deciles (``Children_and_young_people_rank`` ...).

    Returns
    -------
    Loaded
        ``data``: ``lsoa11_code`` (plus ``lsoa11_name``, ``lad19_code``, ``lad19_name`` from
        the published files), ``<domain>_rank``/``<domain>_decile`` for each key of
        :data:`DOMAINS`, population, indicators and sub-domains. Rank 1 and decile 1 are the
        most deprived, as published. IoD2019's "Barriers to Housing and Services" is named
        ``housing_and_services`` (the export calls it ``Housing_and_Access``).

    Raises
    ------
    MissingColumnsError
        A file lacks the columns that make it what it claims to be.
    InvalidValueError
        No file given; a bad or duplicate LSOA code; a value that is not a number; a rank
        outside ``1..32,844`` or decile outside ``1..10``; two files that disagree.
    """
    domain_rd = [f"{k}_{kind}" for k in DOMAINS for kind in ("rank", "decile")]
    parts: list[tuple[pd.DataFrame, Path]] = []
    sources: list[Path] = []

    def add(frame: pd.DataFrame, src: dict[str, str], path: Path) -> None:
        _check_measures(frame, path, src, ENGLAND_LSOA11, complete=True)
        parts.append((frame, path))
        sources.append(path)

    if file1 is not None:
        p = Path(file1)
        add(*_read_official(p, ["lsoa11_code", "imd_rank", "imd_decile"], "LSOA code (2011)"), p)
    if file2 is not None:
        p = Path(file2)
        add(
            *_read_official(
                p, ["lsoa11_code", *domain_rd], "Income Rank (where 1 is most deprived)"
            ),
            p,
        )
    if file6 is not None:
        p = Path(file6)
        frame, src = _read_official(p, ["lsoa11_code", *_FILE6.values()], next(iter(_FILE6)))
        pops = list(_FILE6.values())
        for col in pops:
            values = frame[col]
            bad = (values.isna() | (values < 0) | (values % 1 != 0)).to_numpy()
            check_rows(bad, p, "population must be a whole number >= 0", column=src[col])
        add(frame, src, p)
    if ranks is not None:
        p = Path(ranks)
        frame = _read(p, required=["lsoa11_code"])
        mapping = {"lsoa11_code": "lsoa11_code"}
        mapping.update(_snake_domain_mapping(list(frame.columns), _SNAKE_DOMAINS))
        missing = [c for c in domain_rd if c not in mapping.values()]
        if missing:
            raise MissingColumnsError(
                p,
                f"missing column(s) for {missing} (e.g. 'IMD_rank', 'Housing_and_Access_"
                f"decile'); found {list(frame.columns)[:20]}",
            )
        add(*_rename_numeric(frame, mapping, p, "lsoa11_code", _LSOA11, keep_others=True), p)
    if indicators is not None:
        p = Path(indicators)
        frame = _read(p, required=["lsoa11_code"])
        mapping = {"lsoa11_code": "lsoa11_code"}
        add(*_rename_numeric(frame, mapping, p, "lsoa11_code", _LSOA11, keep_others=True), p)
    if subdomains is not None:
        p = Path(subdomains)
        frame = _read(p, required=["lsoa11_code"])
        mapping = {"lsoa11_code": "lsoa11_code"}
        mapping.update(_snake_domain_mapping(list(frame.columns), _SNAKE_SUBDOMAINS))
        wanted = [f"{k}_{kind}" for k in SUBDOMAINS for kind in ("rank", "decile")]
        missing = [c for c in wanted if c not in mapping.values()]
        if missing:
            raise MissingColumnsError(
                p,
                f"missing column(s) for {missing} (e.g. 'Children_and_young_people_rank'); "
                f"found {list(frame.columns)[:20]}",
            )
        add(*_rename_numeric(frame, mapping, p, "lsoa11_code", _LSOA11, keep_others=True), p)
    if not parts:
        raise InvalidValueError("IoD2019", "no IoD2019 file given")
    report = LoadReport(source=", ".join(str(s) for s in sources))
    report.rows_read = sum(len(f) for f, _ in parts)
    data = _finish_types(_merge_parts(parts, "lsoa11_code", report, base_first=False))
    order = [c for c in ("lsoa11_code", "lsoa11_name", "lad19_code", "lad19_name") if c in data]
    data = data[order + [c for c in data.columns if c not in order]]
    report.rows_kept = len(data)
    report.notes.append("rank 1 and decile 1 = most deprived (as published)")
    return Loaded(data, report)
