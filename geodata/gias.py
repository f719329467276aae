"""Schools as points: the open Get Information About Schools (GIAS) register.

:func:`read_gias` reads one row per school, with its grid reference and LSOA 2021 code, into
a GeoDataFrame in EPSG:27700 (schools without a usable grid reference keep an empty geometry
and ``has_coordinates`` False). GIAS has no district code: filtering by district needs an LSOA
2021 -> district lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ._checks import check_names, check_rows
from ._io import BNG, read_csv
from .errors import MissingColumnsError
from .report import Loaded, LoadReport

__all__ = ["GIAS_COLUMNS", "read_gias"]

PathLike_ = str | PathLike[str]

GIAS_COLUMNS: tuple[str, ...] = (
    "urn",
    "la_code",
    "la_name",
    "establishment_name",
    "establishment_type",
    "establishment_type_group",
    "education_phase",
    "number_of_pupils",
    "percentage_fsm",
    "easting",
    "northing",
    "lsoa_code",
    "longitude",
    "latitude",
)
"""Columns read from the bundle's GIAS extract (``la_code`` is DfE's 3-digit LA number)."""

_GIAS_PLACEHOLDER_LSOA = re.compile(r"^(9{9}|[A-Z]9{8})$")


def read_gias(
    path: PathLike_,
    districts: Iterable[str] | None = None,
    la_names: Iterable[str] | None = None,
    *,
    lsoa_lookup: pd.DataFrame | Mapping[str, str] | None = None,
) -> Loaded:
    """Read the GIAS schools extract as points in EPSG:27700.

    Parameters
    ----------
    path
        The bundle's GIAS CSV (``.csv`` or ``.csv.gz``) with :data:`GIAS_COLUMNS`.
    districts
        GSS district codes to keep. GIAS has no district code, so this needs ``lsoa_lookup``:
        a school is kept when its LSOA 2021 lies in one of the districts.
    la_names
        DfE local-authority names to keep (``la_name``, as DfE spells them, e.g.
        ``'Birmingham'``). When both filters are given a school must pass both.
    lsoa_lookup
        LSOA 2021 -> district: a mapping, or a frame with ``lsoa21_code`` and
        ``district_code`` (or ``ltla24_code``/``lad22cd``-style) columns. When given, a
        ``district_code`` column is added.

    Returns
    -------
    Loaded
        ``data`` is a GeoDataFrame: ``urn`` (int), ``la_code`` (DfE number, string),
        ``la_name``, ``establishment_name``, ``establishment_type``,
        ``establishment_type_group``, ``education_phase``, ``number_of_pupils`` (Int64),
        ``percentage_fsm`` (float), ``easting``, ``northing``, ``lsoa_code`` (LSOA 2021; null for
        GIAS placeholders such as ``999999999``), ``longitude``, ``latitude``,
        ``has_coordinates`` and geometry. Schools without a grid reference (blank, or GIAS's
        ``0, 0`` placeholder for offshore establishments) are kept with no geometry and
        flagged.
    """
    path = Path(path)
    frame = read_csv(path, usecols=GIAS_COLUMNS, dtype=str)
    report = LoadReport(source=f"GIAS ({path.name})", rows_read=len(frame))

    urn = pd.to_numeric(frame["urn"], errors="coerce")
    bad = urn.isna() | (urn != np.floor(urn))
    check_rows(bad, path, lambda i: f"URN {frame['urn'].iloc[i]!r} is not a number", column="urn")
    numbers = {}
    for col in ("number_of_pupils", "percentage_fsm", "easting", "northing"):
        num = pd.to_numeric(frame[col], errors="coerce")
        nonnum = num.isna() & frame[col].notna()
        check_rows(
            nonnum, path, lambda i, col=col: f"{frame[col].iloc[i]!r} is not a number", column=col
        )
        numbers[col] = num
    lon = pd.to_numeric(frame["longitude"], errors="coerce")
    lat = pd.to_numeric(frame["latitude"], errors="coerce")

    e, n = numbers["easting"], numbers["northing"]
    placeholder = (e == 0) & (n == 0)
    in_gb = e.between(1, 700_000) & n.between(1, 1_300_000)
    has_xy = in_gb.fillna(False).to_numpy(dtype=bool)
    report.flag("no coordinates (kept, no geometry)", int((e.isna() | n.isna()).sum()))
    report.flag("placeholder coordinates 0,0 (kept, no geometry)", int(placeholder.sum()))
    outside = ~has_xy & e.notna() & n.notna() & ~placeholder
    report.flag("coordinates outside Great Britain (kept, no geometry)", int(outside.sum()))

    lsoa = frame["lsoa_code"].str.strip().str.upper()
    lsoa = lsoa.where(~lsoa.str.fullmatch(_GIAS_PLACEHOLDER_LSOA.pattern).fillna(True))
    report.flag("no LSOA code (GIAS placeholder)", int(lsoa.isna().sum()))

    data = pd.DataFrame(
        {
            "urn": urn.astype("int64"),
            "la_code": frame["la_code"].str.strip().astype("string"),
            "la_name": frame["la_name"].str.strip().astype("string"),
            "establishment_name": frame["establishment_name"].astype("string"),
            "establishment_type": frame["establishment_type"].astype("string"),
            "establishment_type_group": frame["establishment_type_group"].astype("string"),
            "education_phase": frame["education_phase"].astype("string"),
            "number_of_pupils": numbers["number_of_pupils"].round().astype("Int64"),
            "percentage_fsm": numbers["percentage_fsm"].astype("float64"),
            "easting": e.where(has_xy).astype("float64"),
            "northing": n.where(has_xy).astype("float64"),
            "lsoa_code": lsoa.astype("string"),
            "longitude": lon.where(has_xy).astype("float64"),
            "latitude": lat.where(has_xy).astype("float64"),
            "has_coordinates": has_xy,
        }
    )

    if lsoa_lookup is not None:
        data["district_code"] = data["lsoa_code"].map(_lookup_series(lsoa_lookup)).astype("string")
    if la_names is not None:
        names = check_names(la_names, data["la_name"].dropna(), "GIAS la_name(s)")
        keep = data["la_name"].isin(names).to_numpy(dtype=bool)
        report.reject("outside the requested local authorities", int((~keep).sum()))
        data = data.loc[keep]
    if districts is not None:
        if lsoa_lookup is None:
            raise ValueError(
                "read_gias(districts=...) needs lsoa_lookup (LSOA 2021 -> district): "
                "GIAS has no district code"
            )
        wanted = [districts] if isinstance(districts, str) else list(districts)
        keep = data["district_code"].isin(wanted).fillna(False).to_numpy(dtype=bool)
        report.reject("outside the requested districts", int((~keep).sum()))
        data = data.loc[keep]

    data = data.reset_index(drop=True)
    geometry = gpd.points_from_xy(data["easting"], data["northing"], crs=BNG)
    geometry[~data["has_coordinates"].to_numpy()] = None
    out = gpd.GeoDataFrame(data, geometry=geometry, crs=BNG)
    report.rows_kept = len(out)
    return Loaded(out, report)


def _lookup_series(lookup: pd.DataFrame | Mapping[str, str]) -> pd.Series:
    """LSOA 2021 code -> district code, from a mapping or a lookup frame."""
    if isinstance(lookup, pd.DataFrame):
        if "lsoa21_code" not in lookup.columns:
            raise MissingColumnsError("lsoa_lookup", f"no 'lsoa21_code'; has {list(lookup)}")
        for col in ("district_code", "ltla24_code", "lad24cd", "ltla22_code", "lad22cd"):
            if col in lookup.columns:
                return lookup.drop_duplicates("lsoa21_code").set_index("lsoa21_code")[col]
        raise MissingColumnsError(
            "lsoa_lookup", f"no district column (district_code, ltla24_code...); has {list(lookup)}"
        )
    return pd.Series(dict(lookup))
