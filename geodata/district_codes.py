"""District codes of two vintages: LAD 2022 (the LSOA lookup's) and LTLA 2024 (today's).

The LSOA21 lookup the stores are prepared from names LAD 2022 districts; a VRU types the codes
its councils use today. They differ where councils merged in April 2023: Cumberland
(E06000063), Westmorland and Furness (E06000064), North Yorkshire (E06000065) and Somerset
(E06000066). A 2024 code that is not a 2022 one stands for the 2022 districts its LSOAs were
in (``lookups/lookup_lsoa21_ward24_ltla24.csv.gz`` places every LSOA21 in an LTLA 2024).
The files are read once per process (cached by path and modification time), with the
standard library's csv reader: a server resolving its views' districts imports no pandas.
"""

from __future__ import annotations

import csv
import gzip
from functools import lru_cache
from pathlib import Path

from .errors import InputFileError, MissingColumnsError, MissingFileError

__all__ = ["csv_rows", "lad22_districts", "ltla24_predecessors"]

_LAD22 = ("LSOA21CD", "LAD22CD", "LAD22NM")
_LTLA24 = ("lsoa21_code", "ltla24_code", "ltla24_name")


def csv_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The ``columns`` of every row of a (gzipped) CSV, stripped, in file order.

    Raises ``MissingFileError``, ``MissingColumnsError`` or ``InputFileError`` (empty)
    naming the file; a corrupt gzip is the ``OSError`` gzip raises.
    """
    if not path.exists():
        raise MissingFileError(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise InputFileError(path, "is empty (no header line)")
        absent = [c for c in columns if c not in header]
        if absent:
            raise MissingColumnsError(
                path, f"missing column(s) {absent}; the file has {header[:12]}"
            )
        at = [header.index(c) for c in columns]
        return [tuple(row[i].strip() for i in at) for row in reader if row]


@lru_cache(maxsize=8)
def _lad22(path: str, _mtime: int) -> tuple[dict[str, str], dict[str, str]]:
    """(LSOA21 -> LAD 2022 code, LAD 2022 code -> name)."""
    rows = csv_rows(Path(path), _LAD22)
    return {r[0]: r[1] for r in rows}, {r[1]: r[2] for r in rows}


def _stamp(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else 0


def lad22_districts(lsoa_lookup: Path) -> dict[str, str]:
    """LAD 2022 code -> name, from the LSOA21 -> ward -> LAD 2022 lookup."""
    return _lad22(str(lsoa_lookup), _stamp(lsoa_lookup))[1]


@lru_cache(maxsize=8)
def _predecessors(lad22: str, ltla24: str, _m1: int, _m2: int) -> dict[str, list[str]]:
    old = _lad22(lad22, _m1)[0]
    known = set(old.values())
    out: dict[str, set[str]] = {}
    for lsoa, code, _name in csv_rows(Path(ltla24), _LTLA24):
        if code not in known and lsoa in old:
            out.setdefault(code, set()).add(old[lsoa])
    return {code: sorted(found) for code, found in sorted(out.items())}


def ltla24_predecessors(lsoa_lookup: Path, ltla24_lookup: Path) -> dict[str, list[str]]:
    """LTLA 2024 codes that are not LAD 2022 codes -> the LAD 2022 districts of their LSOAs.

    ``{"E06000066": ["E07000187", "E07000188", "E07000189", "E07000246"], ...}`` (Somerset).
    """
    return _predecessors(
        str(lsoa_lookup), str(ltla24_lookup), _stamp(lsoa_lookup), _stamp(ltla24_lookup)
    )
