"""Police recorded crime at street level, in the police.uk monthly file formats.

police.uk publishes one CSV per force per month (``YYYY-MM/YYYY-MM-<force>-street.csv`` in its
archive, next to ``-outcomes.csv`` and ``-stop-and-search.csv`` files that we ignore). Two
layouts have been used:

* **current** (since late 2011), 12 columns: ``Crime ID, Month, Reported by, Falls within,
  Longitude, Latitude, Location, LSOA code, LSOA name, Crime type, Last outcome category,
  Context``;
* **legacy** (the first releases of 2011), 8 columns: ``Month, Reported by, Falls within,
  Easting, Northing, Location, Crime type, Context``, with British National Grid coordinates, no
  Crime ID and no LSOA.

:func:`read_police_uk` reads any mix of both into one tidy GeoDataFrame of points in EPSG:27700
and :func:`crime_counts_by_lsoa` counts them per LSOA 2021 by point in polygon. The points are
anonymised by police.uk to "snap points" over a street or public place serving at least eight
addresses, so nothing below about 100-200 m means anything.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from ._checks import check_rows
from ._io import BNG, to_bng
from ._police_files import Source, discover, read_source
from .crime_types import CURRENT_CRIME_TYPES
from .errors import (
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
)
from .report import Loaded, LoadReport

__all__ = [
    "CURRENT_COLUMNS",
    "LEGACY_COLUMNS",
    "CURRENT_CRIME_TYPES",
    "LEGACY_CRIME_TYPES",
    "CRIME_TYPES",
    "VIOLENCE_TYPES",
    "LEGACY_VIOLENCE_TYPES",
    "OUTPUT_COLUMNS",
    "read_police_uk",
    "crime_counts_by_lsoa",
]

CURRENT_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
"""Header of the current street-level format (police.uk since late 2011)."""

LEGACY_COLUMNS: tuple[str, ...] = (
    "Month",
    "Reported by",
    "Falls within",
    "Easting",
    "Northing",
    "Location",
    "Crime type",
    "Context",
)
"""Header of the first (2011) street-level format: BNG coordinates, no Crime ID, no LSOA."""

LEGACY_CRIME_TYPES: tuple[str, ...] = ("Violent crime", "Public disorder and weapons")
"""Categories used only before May 2013: 'Violent crime' (to April 2013) and 'Public disorder
and weapons' (September 2011 to April 2013, later split into 'Public order' and 'Possession of
weapons'). The 2011 files also use 'Anti-social behaviour', 'Burglary', 'Robbery',
'Vehicle crime' and 'Other crime', which are still current."""

CRIME_TYPES: tuple[str, ...] = CURRENT_CRIME_TYPES + LEGACY_CRIME_TYPES
"""Every category police.uk has published; ``crime_types`` arguments are checked against it."""

VIOLENCE_TYPES: tuple[str, ...] = (
    "Violence and sexual offences",
    "Robbery",
    "Possession of weapons",
    "Public order",
)
"""Current categories that make up the violence layer (serious violence and its precursors)."""

LEGACY_VIOLENCE_TYPES: tuple[str, ...] = (
    "Violent crime",
    "Robbery",
    "Public disorder and weapons",
)
"""The nearest equivalents of :data:`VIOLENCE_TYPES` in files before May 2013."""

OUTPUT_COLUMNS: tuple[str, ...] = (
    "crime_id",
    "month",
    "force",
    "crime_type",
    "easting",
    "northing",
    "lsoa_code_file",
    "location",
    "last_outcome",
    "source_file",
    "format",
    "has_coordinates",
    "geometry",
)
"""Columns of the frame returned by :func:`read_police_uk`, in order."""

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_WGS84_TO_BNG = Transformer.from_crs("EPSG:4326", BNG, always_xy=True)

PathLike_ = str | PathLike[str]


def read_street_file(src: Source) -> tuple[pd.DataFrame, str]:
    """Read one CSV as strings and tell its format from the header."""
    raw = read_source(src)
    encoding = "utf-8-sig"
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        encoding = "latin-1"
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
            engine="c",
        )
    except pd.errors.EmptyDataError as exc:
        raise EmptyFileError(src.label, "file has no header row") from exc
    except pd.errors.ParserError as exc:
        raise InvalidValueError(src.label, f"not a readable CSV ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    cols = tuple(frame.columns)
    if set(CURRENT_COLUMNS) <= set(cols):
        return frame, "current"
    if set(LEGACY_COLUMNS) <= set(cols):
        return frame, "legacy"
    near = CURRENT_COLUMNS if len(set(cols) & set(CURRENT_COLUMNS)) >= 5 else LEGACY_COLUMNS
    missing = [c for c in near if c not in cols]
    raise MissingColumnsError(
        src.label,
        "not a police.uk street-level header: missing column(s) "
        f"{missing} of the {'current' if near is CURRENT_COLUMNS else 'legacy (2011)'} "
        f"format; found {list(cols)}",
    )


def _numeric(values: pd.Series, label: str, column: str) -> np.ndarray:
    """Coordinates as floats; blanks become NaN, anything else that is not a number is an error."""
    out = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", copy=True)
    bad = np.isnan(out) & values.notna().to_numpy()
    check_rows(bad, label, lambda i: f"{values.iloc[i]!r} is not a number", column=column)
    return out


def tidy_rows(frame: pd.DataFrame, fmt: str, src: Source) -> pd.DataFrame:
    """One file's rows in the output columns (geometry added later, once for all files)."""
    month = frame["Month"]
    ok = month.str.strip().str.fullmatch(_MONTH.pattern).fillna(False).to_numpy(dtype=bool)
    check_rows(
        ~ok, src.label, lambda i: f"month {month.iloc[i]!r} is not a YYYY-MM month", column="Month"
    )
    if fmt == "current":
        lon = _numeric(frame["Longitude"], src.label, "Longitude")
        lat = _numeric(frame["Latitude"], src.label, "Latitude")
        x, y = _WGS84_TO_BNG.transform(lon, lat)
        x, y = np.array(x, dtype="float64"), np.array(y, dtype="float64")
        x[~np.isfinite(x)] = np.nan
        y[~np.isfinite(y)] = np.nan
        crime_id = frame["Crime ID"]
        lsoa = frame["LSOA code"]
        outcome = frame["Last outcome category"]
    else:
        x = _numeric(frame["Easting"], src.label, "Easting")
        y = _numeric(frame["Northing"], src.label, "Northing")
        crime_id = pd.Series(pd.NA, index=frame.index, dtype="string")
        lsoa = pd.Series(pd.NA, index=frame.index, dtype="string")
        outcome = pd.Series(pd.NA, index=frame.index, dtype="string")
    has_xy = ~(np.isnan(x) | np.isnan(y))
    x[~has_xy] = np.nan
    y[~has_xy] = np.nan
    return pd.DataFrame(
        {
            "crime_id": crime_id.astype("string").str.strip(),
            "month": month.str.strip().astype("string"),
            "force": frame["Falls within"].astype("string"),
            "crime_type": frame["Crime type"].astype("string").str.strip(),
            "easting": x,
            "northing": y,
            "lsoa_code_file": lsoa.astype("string"),
            "location": frame["Location"].astype("string"),
            "last_outcome": outcome.astype("string"),
            "source_file": src.short,
            "format": fmt,
            "has_coordinates": has_xy,
        }
    )


# --------------------------------------------------------------------------------------------
# public API


def check_crime_types(crime_types: Iterable[str] | None) -> list[str] | None:
    if crime_types is None:
        return None
    if isinstance(crime_types, str):
        crime_types = [crime_types]
    wanted = list(crime_types)
    unknown = [t for t in wanted if t not in CRIME_TYPES]
    if unknown:
        raise ValueError(
            f"unknown police.uk crime type(s) {unknown}; valid types are {list(CRIME_TYPES)}"
        )
    return wanted


def check_month_range(months: tuple[str, str] | None) -> tuple[str, str] | None:
    if months is None:
        return None
    if len(months) != 2:
        raise ValueError(f"months must be (start, end) as 'YYYY-MM' strings, got {months!r}")
    start, end = months
    for m in (start, end):
        if not isinstance(m, str) or not _MONTH.fullmatch(m):
            raise ValueError(f"months must be (start, end) as 'YYYY-MM' strings, got {m!r}")
    if start > end:
        raise ValueError(f"months start {start} is after end {end}")
    return start, end


_FILE_MONTH = re.compile(r"(?<!\d)(\d{4}-\d{2})(?!\d)")


def months_present(months: pd.Series | Iterable[str]) -> list[str]:
    """The distinct ``YYYY-MM`` months with at least one row, sorted."""
    return sorted({str(m) for m in pd.Series(list(months), dtype="object").dropna()})


def missing_months(present: Iterable[str], window: tuple[str, str] | None = None) -> list[str]:
    """Months inside ``window`` (default: first to last present) with no rows."""
    have = sorted(set(present))
    if not have:
        return []
    start, end = window or (have[0], have[-1])
    return [m for m in _month_range([start, end]) if m not in set(have)]


def _check_month_gaps(month: pd.Series, window: tuple[str, str] | None, report: LoadReport) -> None:
    """Warn about months missing inside the period read (rates must count months present)."""
    present = months_present(month)
    gaps = missing_months(present, window)
    if gaps:
        span = f"{window[0]}..{window[1]}" if window else f"{present[0]}..{present[-1]}"
        shown = ", ".join(gaps[:12]) + (f" and {len(gaps) - 12} more" if len(gaps) > 12 else "")
        report.warn(
            f"police.uk: {len(gaps)} month(s) missing inside {span}: {shown}; "
            f"rates use the {len(present)} month(s) present"
        )


def read_police_uk(
    paths: PathLike_ | Iterable[PathLike_],
    *,
    crime_types: Iterable[str] | None = None,
    months: tuple[str, str] | None = None,
) -> Loaded:
    """Read police.uk street-level crime files into one tidy point layer.

    Parameters
    ----------
    paths
        Files (``.csv`` or ``.csv.gz``), folders (searched recursively for
        ``*-street.csv[.gz]``) or ``.zip`` archives in the police.uk layout; one or more
        forces and months. Outcomes and stop-and-search files inside folders and archives are
        ignored. Each file's format (current or 2011 legacy) is told from its header.
    crime_types
        Keep only these police.uk categories (exact names from :data:`CRIME_TYPES`).
    months
        ``(start, end)`` as ``'YYYY-MM'``, both inclusive.

    Returns
    -------
    Loaded
        ``data`` is a GeoDataFrame in EPSG:27700 with :data:`OUTPUT_COLUMNS`. Rows without
        coordinates are kept with ``geometry`` None and ``has_coordinates`` False, and counted
        in ``report.flagged``. ``report.rejected`` counts repeated Crime IDs and rows outside
        the requested months or types.

    Raises
    ------
    MissingFileError, EmptyFileError, CorruptArchiveError
        A path does not exist, a file is empty, or an archive cannot be read.
    MissingColumnsError
        A file's header is neither police.uk format (the message names the file).
    InvalidValueError
        A ``Month`` that is not ``YYYY-MM`` or a coordinate that is not a number (file, row and
        column named).
    ValueError
        An unknown crime type or a malformed ``months`` argument.

    Notes
    -----
    Longitude/latitude (WGS84) are projected to British National Grid with pyproj; legacy
    easting/northing are already BNG and used as they are.

    A Crime ID identifies one crime; police.uk occasionally repeats a row within a month, so
    the second and later rows with the same ``(Crime ID, month)`` are dropped (counted as
    ``'duplicate Crime ID'``). Anti-social behaviour incidents have no Crime ID and are never
    de-duplicated: two identical ASB rows are two incidents at the same snap point.
    """
    wanted_types = check_crime_types(crime_types)
    window = check_month_range(months)
    report = LoadReport(source="police.uk street-level crime")
    sources = discover(paths, report)
    parts: list[pd.DataFrame] = []
    formats: dict[str, int] = {}
    for src in sources:
        frame, fmt = read_street_file(src)
        formats[fmt] = formats.get(fmt, 0) + 1
        if frame.empty:
            month = _FILE_MONTH.search(src.short)
            report.warn(
                f"{src.short}: header only, no rows"
                + (f" (month {month.group(1)} has no data)" if month else "")
            )
            continue
        parts.append(tidy_rows(frame, fmt, src))
    if not parts:
        raise EmptyFileError(sources[0].label, "no crime rows in any of the files given")
    data = pd.concat(parts, ignore_index=True)
    report.rows_read = len(data)
    report.notes.append(
        f"read {len(sources)} file(s): "
        + ", ".join(f"{n} {fmt}" for fmt, n in sorted(formats.items()))
    )

    has_id = data["crime_id"].notna().to_numpy()
    dup = np.zeros(len(data), dtype=bool)
    dup[has_id] = data.loc[has_id].duplicated(["crime_id", "month"], keep="first").to_numpy()
    report.reject("duplicate Crime ID", int(dup.sum()))
    data = data.loc[~dup]

    if window is not None:
        inside = data["month"].between(window[0], window[1]).to_numpy(dtype=bool)
        report.reject("outside the requested months", int((~inside).sum()))
        data = data.loc[inside]
    if wanted_types is not None:
        keep = data["crime_type"].isin(wanted_types).to_numpy(dtype=bool)
        report.reject("crime type not requested", int((~keep).sum()))
        data = data.loc[keep]

    _check_month_gaps(data["month"], window, report)
    unknown = ~data["crime_type"].isin(CRIME_TYPES).to_numpy(dtype=bool)
    report.flag("crime type not in the police.uk list", int(unknown.sum()))
    no_xy = int((~data["has_coordinates"]).sum())
    report.flag("no coordinates (kept, no geometry)", no_xy)

    data = data.reset_index(drop=True)
    geometry = gpd.points_from_xy(data["easting"], data["northing"], crs=BNG)
    geometry[~data["has_coordinates"].to_numpy()] = None
    out = gpd.GeoDataFrame(data, geometry=geometry, crs=BNG)
    for col in ("source_file", "format", "force", "crime_type"):
        out[col] = out[col].astype("string")
    report.rows_kept = len(out)
    return Loaded(out[list(OUTPUT_COLUMNS)], report)


def _month_range(months: Sequence[str]) -> list[str]:
    start = pd.Period(min(months), freq="M")
    end = pd.Period(max(months), freq="M")
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def crime_counts_by_lsoa(
    points: gpd.GeoDataFrame,
    lsoa_polygons: gpd.GeoDataFrame,
    *,
    crime_types: Iterable[str] | None = None,
    by_month: bool = False,
) -> Loaded:
    """Count crimes per LSOA 2021 by point in polygon, per crime type (and month).

    Parameters
    ----------
    points
        The frame from :func:`read_police_uk` (needs ``crime_type``, ``month`` and geometry).
    lsoa_polygons
        LSOA polygons with an ``lsoa21_code`` column; reprojected to EPSG:27700 if needed.
    crime_types
        Types to count (default: every type present in ``points``). Each is validated
        against :data:`CRIME_TYPES`.
    by_month
        Also split the counts by month; every month from the first to the last in ``points``
        is listed, so months with no crime show zeros.

    Returns
    -------
    Loaded
        ``data`` is long and complete: one row per ``lsoa21_code`` x ``crime_type``
        (x ``month``) including zero counts, with a ``count`` column. ``report.rejected``
        counts the points not assigned: ``'outside all LSOA polygons'`` and
        ``'no coordinates'``.

    Notes
    -----
    The file's own ``LSOA code`` is not used: police.uk has switched LSOA vintages over time,
    so assigning every point to the polygons passed in gives one consistent geography. A point
    on a shared boundary goes to the first polygon it touches.
    """
    for col in ("crime_type", "month"):
        if col not in points.columns:
            raise ValueError(f"points have no {col!r} column; pass the read_police_uk frame")
    if "lsoa21_code" not in lsoa_polygons.columns:
        raise MissingColumnsError(
            "lsoa_polygons", f"missing column 'lsoa21_code'; found {list(lsoa_polygons.columns)}"
        )
    wanted = check_crime_types(crime_types)
    polys = to_bng(lsoa_polygons[["lsoa21_code", "geometry"]], "lsoa_polygons")
    pts = points
    if pts.crs is not None and pts.crs.to_epsg() != 27700:
        pts = to_bng(pts, "points")
    report = LoadReport(source="crime counts by LSOA21", rows_read=len(pts))
    types = wanted if wanted is not None else sorted(pts["crime_type"].dropna().unique())
    pts = pts.loc[pts["crime_type"].isin(types).to_numpy(dtype=bool)]
    if wanted is not None:
        report.notes.append(f"counted types: {types}")
    located = pts.geometry.notna().to_numpy() & ~pts.geometry.is_empty.to_numpy()
    report.reject("no coordinates", int((~located).sum()))
    pts = pts.loc[located, ["crime_type", "month", "geometry"]].reset_index(drop=True)
    joined = gpd.sjoin(pts, polys, how="left", predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")]
    outside = joined["lsoa21_code"].isna().to_numpy()
    report.reject("outside all LSOA polygons", int(outside.sum()))
    inside = joined.loc[~outside]
    keys = ["lsoa21_code", "crime_type"] + (["month"] if by_month else [])
    counts = inside.groupby(keys, observed=True).size()
    levels: list[Sequence[str]] = [sorted(polys["lsoa21_code"].unique()), list(types)]
    if by_month:
        months = pts["month"].dropna().tolist()
        levels.append(_month_range(months) if months else [])
    full = pd.MultiIndex.from_product(levels, names=keys)
    data = counts.reindex(full, fill_value=0).rename("count").astype("int64").reset_index()
    for col in keys:
        data[col] = data[col].astype("string")
    report.rows_kept = int(data["count"].sum())
    return Loaded(data, report)
