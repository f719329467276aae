"""District codes of two vintages: LAD 2022 (the LSOA lookup's) and LTLA 2024 (today's).

The LSOA21 lookup the stores are prepared from names LAD 2022 districts; a VRU types the codes
its councils use today. They differ where councils merged in April 2023: Cumberland
(E06000063), Westmorland and Furness (E06000064), North Yorkshire (E06000065) and Somerset
(E06000066). A 2024 code that is not a 2022 one stands for the 2022 districts its LSOAs were
in (``lookups/lookup_lsoa21_ward24_ltla24.csv.gz`` places every LSOA21 in an LTLA 2024).
The files are read once per process (cached by path and modification time).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from .errors import MissingColumnsError, MissingFileError

__all__ = ["lad22_districts", "ltla24_predecessors"]

_LAD22 = ("LSOA21CD", "LAD22CD", "LAD22NM")
_LTLA24 = ("lsoa21_code", "ltla24_code", "ltla24_name")


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise MissingFileError(path)
    wanted = set(columns)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", usecols=lambda c: c in wanted)
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise MissingColumnsError(path, absent, list(frame.columns))
    return frame[list(columns)].apply(lambda s: s.str.strip())


@lru_cache(maxsize=8)
def _lad22(path: str, _mtime: int) -> tuple[pd.DataFrame, dict[str, str]]:
    frame = _read(Path(path), _LAD22)
    names = dict(zip(frame["LAD22CD"], frame["LAD22NM"], strict=True))
    return frame, names


def _stamp(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else 0


def lad22_districts(lsoa_lookup: Path) -> dict[str, str]:
    """LAD 2022 code -> name, from the LSOA21 -> ward -> LAD 2022 lookup."""
    return _lad22(str(lsoa_lookup), _stamp(lsoa_lookup))[1]


@lru_cache(maxsize=8)
def _predecessors(lad22: str, ltla24: str, _m1: int, _m2: int) -> dict[str, list[str]]:
    old = _lad22(lad22, _m1)[0][["LSOA21CD", "LAD22CD"]]
    new = _read(Path(ltla24), _LTLA24)
    both = new.merge(old, left_on="lsoa21_code", right_on="LSOA21CD", how="inner")
    newer = both[~both["ltla24_code"].isin(set(old["LAD22CD"]))]
    return {code: sorted(set(group["LAD22CD"])) for code, group in newer.groupby("ltla24_code")}


def ltla24_predecessors(lsoa_lookup: Path, ltla24_lookup: Path) -> dict[str, list[str]]:
    """LTLA 2024 codes that are not LAD 2022 codes -> the LAD 2022 districts of their LSOAs.

    ``{"E06000066": ["E07000187", "E07000188", "E07000189", "E07000246"], ...}`` (Somerset).
    """
    return _predecessors(
        str(lsoa_lookup), str(ltla24_lookup), _stamp(lsoa_lookup), _stamp(ltla24_lookup)
    )
