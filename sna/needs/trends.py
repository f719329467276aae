"""Trends for each area: monthly recorded violence, and the move between IoD2019 and IoD2025.

Two kinds of change are published with a build, because they answer different questions:

- **Monthly recorded violence** (where police.uk street-level files exist): the number of
  "Violence and sexual offences" recorded each month in the area, counted from the prepared
  crime points (the police.uk rows after the loader's documented cleaning: rows outside the
  region and repeated Crime IDs within a month are dropped). Months with no offence count 0;
  every month of the loaded window is present, so a gap in the chart is a real zero. A view
  of a national build takes them from the police.uk archive's cached counts of its forces
  (:func:`monthly_from_counts`), and publishes only the months its forces have files for.
  Wards and districts are sums of their LSOAs. These are published open data (police.uk),
  not partner records, so the small-number rule for partner data does not apply.
- **IoD deciles, 2019 and 2025**: the national deciles of the Index of Multiple Deprivation
  and of its crime domain (1 = the most deprived 10% of England's LSOAs). IoD2019 is on
  LSOA 2011 and arrives here already carried to LSOA21 by the prepare step. A decile is an
  LSOA's own ranking, so for a ward or district we publish how many of its LSOAs sit in the
  most deprived national decile in each edition instead of an average of deciles.

``monthly_counts`` and ``iod_deciles`` compute the tables; ``trend_tables`` puts them into the
two files the build publishes (``trends_monthly.parquet`` and ``trends_iod.parquet``, see
``docs/build-format.md``); ``TrendReader`` answers one area from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "TREND_OFFENCE",
    "TrendReader",
    "iod_deciles",
    "monthly_counts",
    "monthly_from_counts",
    "trend_tables",
    "write_trends",
]

TREND_OFFENCE = "Violence and sexual offences"
"""The police.uk crime type the monthly trend counts."""

TREND_SOURCE = "police.uk street-level crime"
MONTHLY_FILE = "trends_monthly.parquet"
IOD_FILE = "trends_iod.parquet"
_IOD_DOMAINS = ("imd", "crime")


def _month_range(months: pd.Series) -> list[str]:
    """Every month from the first to the last present, as ``YYYY-MM``."""
    periods = pd.PeriodIndex(months.dropna().unique(), freq="M")
    if periods.empty:
        return []
    return [str(p) for p in pd.period_range(periods.min(), periods.max(), freq="M")]


def _police_lsoa(points: pd.DataFrame, areas: pd.DataFrame) -> pd.Series:
    """Each row's LSOA21: police.uk's own code where it is one of the region's, else ours.

    police.uk files carry the LSOA21 of the offence's true location; the published point is
    snapped to a nearby anonymous map point, often on a road that is itself an LSOA
    boundary, so point-in-polygon on the snapped point disagrees with the file for about
    13% of Bedfordshire's rows. The trend counts what police.uk says (a code from outside
    the region is outside it); only rows without a code keep the point-in-polygon placement.
    """
    region = set(areas["lsoa21_code"])
    own = points["lsoa_code_file"] if "lsoa_code_file" in points else None
    placed = points["lsoa21_code"].astype("object")
    if own is None:
        return placed
    own = own.astype("object")
    return own.where(own.notna(), placed).where(lambda c: c.isin(region))


def monthly_counts(
    crime_points: pd.DataFrame,
    areas: pd.DataFrame,
    offence: str = TREND_OFFENCE,
) -> pd.DataFrame:
    """Recorded offences per area and month, long: ``code, level, month, count``.

    Parameters
    ----------
    crime_points
        The prepared police.uk rows (``month``, ``crime_type``, ``lsoa21_code`` and the
        file's own ``lsoa_code_file``, preferred where it is in the region).
    areas
        The region's LSOAs with ``lsoa21_code``, ``ward_code``, ``district_code``; rows for
        every LSOA, ward and district are returned, zeros included.
    offence
        The crime type to count.

    Returns
    -------
    pandas.DataFrame
        Empty when there are no crime points (a region without street-level files).
    """
    cols = ["code", "level", "month", "count"]
    if crime_points is None or crime_points.empty:
        return pd.DataFrame(columns=cols)
    months = _month_range(crime_points["month"])
    hits = crime_points.loc[crime_points["crime_type"].eq(offence)]
    hits = pd.DataFrame({"lsoa21_code": _police_lsoa(hits, areas), "month": hits["month"]})
    hits = hits.dropna(subset=["lsoa21_code"])
    table = (
        pd.crosstab(hits["lsoa21_code"], hits["month"])
        .reindex(index=areas["lsoa21_code"], columns=months, fill_value=0)
        .fillna(0)
        .astype("int64")
    )
    return _by_level(table, areas)


def monthly_from_counts(
    counts: pd.DataFrame,
    areas: pd.DataFrame,
    months: list[str],
    offence: str = TREND_OFFENCE,
) -> pd.DataFrame:
    """:func:`monthly_counts` from counts already made (a view's police.uk archive counts).

    ``counts`` has ``month``, ``crime_type``, ``lsoa21_code`` and ``count`` (the archive's
    placement and de-duplication, :mod:`sna.violence.street_counts`); ``months`` are the months the
    forces have files for: only those are published (a month with no file is absent, not 0).
    """
    hits = counts.loc[counts["crime_type"].eq(offence)]
    wide = hits.groupby(["lsoa21_code", "month"])["count"].sum().unstack(fill_value=0)
    table = (
        wide.reindex(index=areas["lsoa21_code"], columns=list(months), fill_value=0)
        .fillna(0)
        .astype("int64")
    )
    return _by_level(table, areas)


def _by_level(table: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """An LSOA x month count table, long, with its wards and districts summed."""
    cols = ["code", "level", "month", "count"]
    out = []
    geography = (("lsoa", "lsoa21_code"), ("ward", "ward_code"), ("district", "district_code"))
    for level, key in geography:
        if key not in areas.columns:
            continue
        if key == "lsoa21_code":
            grouped = table
        else:
            parent = areas.set_index("lsoa21_code")[key].reindex(table.index).to_numpy()
            grouped = table.groupby(parent).sum()
        long = grouped.stack().rename("count").reset_index()
        long.columns = ["code", "month", "count"]
        long["level"] = level
        out.append(long[cols])
    frame = pd.concat(out, ignore_index=True)
    frame["count"] = frame["count"].astype("int64")
    return frame


def iod_deciles(
    areas: pd.DataFrame,
    iod2019: pd.DataFrame | None,
    iod2025: pd.DataFrame | None,
) -> pd.DataFrame:
    """National IMD and crime-domain deciles per LSOA in each IoD edition, plus area counts.

    Returns one row per LSOA (``level = 'lsoa'``, columns ``imd_decile_2019`` ...), and one
    per ward and district with ``lsoas`` and ``imd_most_deprived_2019`` / ``_2025`` (how many
    of its LSOAs are in national decile 1) and the same for crime.
    """
    base = areas[["lsoa21_code"] + [c for c in ("ward_code", "district_code") if c in areas]]
    frame = base.copy()
    for year, table in (("2019", iod2019), ("2025", iod2025)):
        for dom in _IOD_DOMAINS:
            col = f"{dom}_decile"
            if table is not None and col in table.columns:
                values = table.set_index("lsoa21_code")[col]
                frame[f"{col}_{year}"] = frame["lsoa21_code"].map(values).astype("Float64")
            else:
                frame[f"{col}_{year}"] = pd.Series(pd.NA, index=frame.index, dtype="Float64")
    decile_cols = [c for c in frame.columns if c.endswith(("_2019", "_2025"))]
    lsoa = frame.rename(columns={"lsoa21_code": "code"})[["code", *decile_cols]]
    lsoa.insert(1, "level", "lsoa")
    parts = [lsoa]
    for level, key in (("ward", "ward_code"), ("district", "district_code")):
        if key not in frame.columns:
            continue
        first = frame[decile_cols].eq(1)
        counts = first.groupby(frame[key]).sum().astype("int64")
        counts.columns = [c.replace("_decile_", "_most_deprived_") for c in counts.columns]
        counts["lsoas"] = frame.groupby(key).size()
        counts = counts.reset_index().rename(columns={key: "code"})
        counts.insert(1, "level", level)
        parts.append(counts)
    return pd.concat(parts, ignore_index=True)


def trend_tables(
    crime_points: pd.DataFrame | None,
    areas: pd.DataFrame,
    iod2019: pd.DataFrame | None,
    iod2025: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both trend tables for a region: (monthly counts, IoD deciles)."""
    return monthly_counts(crime_points, areas), iod_deciles(areas, iod2019, iod2025)


def write_trends(folder: Path, monthly: pd.DataFrame, iod: pd.DataFrame) -> None:
    """Write the two trend tables into a (staging) build folder."""
    monthly.to_parquet(folder / MONTHLY_FILE, index=False)
    iod.to_parquet(folder / IOD_FILE, index=False)


def _int_or_none(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


@dataclass
class TrendReader:
    """One area's trend answer from a build folder's trend tables.

    The tables are small (areas × months integers), so they are held as one integer matrix
    with a row per area; an answer is a slice of it.
    """

    months: list[str]
    rows: dict[str, int]
    counts: np.ndarray
    iod: dict[str, dict[str, Any]]

    @classmethod
    def open(cls, folder: Path) -> TrendReader | None:
        """Read the trend tables of a build; ``None`` for a build made before they existed."""
        monthly_path, iod_path = Path(folder) / MONTHLY_FILE, Path(folder) / IOD_FILE
        if not monthly_path.exists() or not iod_path.exists():
            return None
        monthly = pd.read_parquet(monthly_path)
        iod = pd.read_parquet(iod_path)
        if monthly.empty:
            months: list[str] = []
            rows: dict[str, int] = {}
            counts = np.zeros((0, 0), dtype=np.int64)
        else:
            wide = monthly.pivot_table(
                index="code", columns="month", values="count", aggfunc="sum", fill_value=0
            )
            months = [str(m) for m in wide.columns]
            rows = {code: i for i, code in enumerate(wide.index)}
            counts = wide.to_numpy(dtype=np.int64)
        records = {
            str(r["code"]): {k: v for k, v in r.items() if k not in ("code",)}
            for r in iod.to_dict(orient="records")
        }
        return cls(months=months, rows=rows, counts=counts, iod=records)

    def answer(self, code: str) -> dict[str, Any] | None:
        """The trend body for an area code, or ``None`` when the code has no trend rows."""
        iod = self.iod.get(code)
        if iod is None and code not in self.rows:
            return None
        monthly = None
        if code in self.rows:
            series = self.counts[self.rows[code]]
            monthly = {
                "offence": TREND_OFFENCE,
                "source": TREND_SOURCE,
                "months": self.months,
                "counts": [int(v) for v in series],
            }
        out: dict[str, Any] = {"monthly": monthly, "iod": _iod_block(iod or {})}
        return out


def _iod_block(row: dict[str, Any]) -> dict[str, Any]:
    """IoD part of a trend answer: deciles for an LSOA, most-deprived counts for larger areas."""
    block: dict[str, Any] = {}
    if row.get("level", "lsoa") == "lsoa":
        for dom in _IOD_DOMAINS:
            block[f"{dom}_decile"] = {
                year: _int_or_none(row.get(f"{dom}_decile_{year}")) for year in ("2019", "2025")
            }
        return block
    block["lsoas"] = _int_or_none(row.get("lsoas"))
    for dom in _IOD_DOMAINS:
        block[f"{dom}_most_deprived_lsoas"] = {
            year: _int_or_none(row.get(f"{dom}_most_deprived_{year}")) for year in ("2019", "2025")
        }
    return block
