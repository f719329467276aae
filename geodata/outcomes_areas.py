"""Which police force area a region's districts are in, and how many people live in each.

The ONS tables are by police force area (PFA); a VRU is configured by its districts. The ONS
district -> community safety partnership -> PFA lookup (2024) maps one to the other, and the
Census 2021 usual residents by LSOA, summed by PFA, give each force area's population on
census day (21 March 2021), the later end of the interpolation in :mod:`sna.outcomes.series`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import InputFileError, MissingColumnsError, MissingFileError

__all__ = ["read_pfa_lookup", "forces_of_districts", "census_population_by_pfa"]


def _csv(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.exists():
        raise MissingFileError(path)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise MissingColumnsError(path, absent, list(frame.columns))
    return frame


def read_pfa_lookup(path: str | Path) -> pd.DataFrame:
    """District (LTLA 2024) -> PFA: ``ltla24_code``, ``pfa24_code``, ``pfa24_name``."""
    return _csv(Path(path), ["ltla24_code", "pfa24_code", "pfa24_name"])


def forces_of_districts(
    path: str | Path,
    districts: list[str],
    *,
    lsoa_lookup: str | Path | None = None,
    lsoas: pd.DataFrame | None = None,
) -> dict[str, str]:
    """The force areas (code -> name) covering ``districts``, in district order.

    A district code older than the lookup's (LAD 2022: the Cumbria, North Yorkshire and
    Somerset districts merged in 2023) is placed through its LSOAs: ``lsoas`` (the region's
    ``lsoa21_code`` and ``district_code``) and ``lsoa_lookup`` (LSOA21 -> LTLA24). Raises
    ``InputFileError`` naming the districts that cannot be placed.
    """
    lookup = read_pfa_lookup(path).drop_duplicates("ltla24_code").set_index("ltla24_code")
    now: dict[str, list[str]] = {d: [d] for d in districts if d in lookup.index}
    older = [d for d in districts if d not in lookup.index]
    if older and lsoa_lookup is not None and lsoas is not None:
        l24 = _csv(Path(lsoa_lookup), ["lsoa21_code", "ltla24_code"])
        l24 = l24.drop_duplicates("lsoa21_code").set_index("lsoa21_code")["ltla24_code"]
        for d in older:
            codes = lsoas.loc[lsoas["district_code"] == d, "lsoa21_code"]
            found = sorted(set(codes.map(l24).dropna()) & set(lookup.index))
            if found:
                now[d] = found
    missing = [d for d in districts if d not in now]
    if missing:
        raise InputFileError(path, f"no police force area for districts {missing[:5]}")
    out: dict[str, str] = {}
    for d in districts:
        for code in now[d]:
            out.setdefault(str(lookup.at[code, "pfa24_code"]), str(lookup.at[code, "pfa24_name"]))
    return out


def census_population_by_pfa(
    population: str | Path, lsoa_lookup: str | Path, pfa_lookup: str | Path
) -> pd.Series:
    """Census 2021 usual residents per PFA code (every age), summed over its LSOAs.

    ``population`` is the long Census file (``lsoa21_code``, ``usual_residents``);
    ``lsoa_lookup`` maps ``lsoa21_code`` -> ``ltla24_code``.
    """
    pop = _csv(Path(population), ["lsoa21_code", "usual_residents"])
    per_lsoa = pd.to_numeric(pop["usual_residents"], errors="coerce").groupby(pop["lsoa21_code"])
    lsoa = _csv(Path(lsoa_lookup), ["lsoa21_code", "ltla24_code"])
    pfa = read_pfa_lookup(pfa_lookup)
    district = lsoa.drop_duplicates("lsoa21_code").set_index("lsoa21_code")["ltla24_code"]
    force = pfa.drop_duplicates("ltla24_code").set_index("ltla24_code")["pfa24_code"]
    totals = per_lsoa.sum()
    frame = pd.DataFrame({"n": totals, "pfa": totals.index.map(district).map(force)})
    return frame.dropna(subset=["pfa"]).groupby("pfa")["n"].sum()
