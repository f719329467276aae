"""Area boundaries and the LSOA 2021 → ward → district lookup.

Boundaries arrive as GeoParquet (the bundle), GeoPackage, GeoJSON or Shapefile in
EPSG:4326 or EPSG:27700; they leave as ``code``, ``name``, ``geometry`` in British National
Grid with every geometry valid. The lookup arrives either as the official ONS file
(``LSOA21CD, LSOA21NM, WD22CD, ...``) or as a snake_case export (``lsoa21_code, ward24_code,
...``); it leaves with one set of names whatever the vintage, plus the MSOA name that the
small-area shrinkage uses as the parent of each LSOA.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._archive import check_file
from ._checks import check_rows
from ._io import BNG, check_codes, read_csv, require_columns, to_bng
from .codes import LSOA_PATTERN, WARD_PATTERN
from .errors import (
    CorruptArchiveError,
    CRSError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
)
from .report import Loaded, LoadReport

__all__ = ["read_boundaries", "read_lsoa21_lookup", "region_lsoa21", "LOOKUP_COLUMNS"]

#: Columns of the frame returned by :func:`read_lsoa21_lookup`, in order.
LOOKUP_COLUMNS = [
    "lsoa21_code",
    "lsoa21_name",
    "msoa21_name",
    "ward_code",
    "ward_name",
    "ward_vintage",
    "district_code",
    "district_name",
]

DISTRICT_PATTERN = re.compile(r"^(E0[6-9]|W06)\d{6}$")
# An LSOA name is its MSOA name plus one letter: "Birmingham 001A" belongs to "Birmingham 001".
LSOA_NAME_PATTERN = re.compile(r"^(?P<msoa>.+ \d{3})[A-Z]$")

# British National Grid coordinates of anything in the UK (Northern Ireland included) fall in
# this box, with a generous margin; features outside it mean the declared CRS is wrong.
_BNG_EXTENT = (-250_000.0, -150_000.0, 900_000.0, 1_400_000.0)
_POLYGONAL = {"Polygon", "MultiPolygon"}

PathLike_ = str | PathLike[str]


# --- boundaries ----------------------------------------------------------------------------


def _read_raw(path: Path, layer: str | None, columns: Sequence[str]) -> gpd.GeoDataFrame:
    """Read a vector file as stored (no reprojection), with the errors of ``read_vector``.

    Same dispatch and errors as :func:`geodata._io.read_vector`; the reprojection and repair
    are left to :func:`_to_bng_repaired` so that they run on the features kept only, and so
    that the repairs can be counted (``read_vector`` does not expose the count).
    """
    check_file(path)
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            gdf = gpd.read_parquet(path, columns=[*columns, "geometry"])
        else:
            gdf = gpd.read_file(path, layer=layer, columns=list(columns), engine="pyogrio")
    except (ValueError, KeyError) as exc:
        raise MissingColumnsError(path, f"cannot read columns {list(columns)}: {exc}") from exc
    except Exception as exc:  # pyogrio/pyarrow raise many types for unreadable files
        raise CorruptArchiveError(path, f"not a readable vector file ({exc})") from exc
    require_columns(gdf.columns, columns, path)
    if gdf.empty:
        raise EmptyFileError(path, "no features")
    if gdf.crs is None:
        raise CRSError(path, f"no coordinate reference system; expected {BNG} or EPSG:4326")
    return gdf.reset_index(drop=True)


def _to_bng_repaired(gdf: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, int]:
    """Reproject to EPSG:27700, check the result lies in the UK, and repair geometries.

    Repairs use ``make_valid(method="structure", keep_collapsed=False)``, which keeps a
    polygon layer polygonal (the default ``linework`` method can turn a self-intersecting
    polygon into a GeometryCollection). Returns the frame and the number repaired.
    """
    declared = gdf.crs.to_string()
    if gdf.crs.to_epsg() == 27700:
        _check_not_degrees(gdf, path)
    gdf = to_bng(gdf, path)
    _check_extent(gdf, path, declared)
    present = gdf.geometry.notna() & ~gdf.geometry.is_empty
    invalid = present & ~gdf.geometry.is_valid
    if invalid.any():
        fixed = gdf.geometry[invalid].make_valid(method="structure", keep_collapsed=False)
        gdf.loc[invalid, "geometry"] = fixed
    return gdf, int(invalid.sum())


def _check_not_degrees(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Refuse longitude/latitude coordinates labelled as British National Grid metres."""
    minx, miny, maxx, maxy = gdf.total_bounds
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90 and maxx - minx < 50:
        raise CRSError(
            path,
            f"the file declares {BNG} but its coordinates look like longitude/latitude "
            f"degrees (bounds {minx:.3f}, {miny:.3f}, {maxx:.3f}, {maxy:.3f}); "
            "declare EPSG:4326 instead",
        )


def _check_extent(gdf: gpd.GeoDataFrame, path: Path, declared: str) -> None:
    """Refuse features that do not land in the UK once in EPSG:27700 (a mislabelled CRS)."""
    bounds = gdf.total_bounds
    x0, y0, x1, y1 = _BNG_EXTENT
    ok = (
        np.isfinite(bounds).all()
        and bounds[0] >= x0
        and bounds[1] >= y0
        and bounds[2] <= x1
        and bounds[3] <= y1
    )
    if not ok:
        raise CRSError(
            path,
            f"features fall outside the UK after reprojecting from the declared CRS "
            f"{declared} to {BNG} (bounds {np.round(bounds, 1).tolist()}); the declared CRS "
            "is probably wrong (a GeoJSON without a 'crs' member is read as EPSG:4326)",
        )


def _dissolve_parts(
    gdf: gpd.GeoDataFrame, path: Path, code_col: str, name_col: str
) -> tuple[gpd.GeoDataFrame, int]:
    """Merge rows that repeat a code *and* its name; refuse a code with two names.

    Some published files store one area in several rows (ONS wards Dec 2022 hold
    E05014284 "Hunmanby & Sherburn (part Scarborough)" as two disjoint polygons); the area
    is their union. A code that comes with two different names is a real conflict.
    Returns the frame (first row of each code kept, geometry unioned) and the number of
    extra rows merged away.
    """
    dup = gdf[code_col].duplicated(keep=False).to_numpy()
    if not dup.any():
        return gdf, 0
    rows = gdf.loc[dup]
    names = rows.groupby(code_col)[name_col].nunique(dropna=False)
    if (names > 1).any():
        code = names.index[(names > 1).to_numpy()][0]
        where = np.flatnonzero((gdf[code_col] == code).to_numpy()) + 1
        raise InvalidValueError(
            path,
            f"duplicate code {code!r} with different names (rows {where[:5].tolist()})",
            row=int(where[0]),
            column=code_col,
        )
    first = ~gdf[code_col].duplicated().to_numpy()
    merged = rows.geometry.groupby(rows[code_col].to_numpy()).agg(
        lambda g: shapely.union_all(g.to_numpy())
    )
    out = gdf.loc[first].copy()
    idx = np.flatnonzero(out[code_col].isin(merged.index).to_numpy())
    out.iloc[idx, out.columns.get_loc(out.geometry.name)] = merged.loc[
        out[code_col].iloc[idx]
    ].to_numpy()
    return out.reset_index(drop=True), int(dup.sum() - len(merged))


def read_boundaries(
    path: PathLike_,
    *,
    code_col: str,
    name_col: str,
    codes: Iterable[str] | None = None,
    layer: str | None = None,
    allow_missing: bool = False,
) -> Loaded:
    """Read area polygons (LSOA, ward, district, police force area) into EPSG:27700.

    Parameters
    ----------
    path
        GeoParquet (``.parquet``/``.geoparquet``), GeoPackage, GeoJSON or Shapefile. The file
        must declare its CRS (EPSG:4326 or EPSG:27700 in the bundle; any CRS with an EPSG
        code is reprojected).
    code_col, name_col
        Columns holding the GSS code and the name, e.g. ``"lsoa21_code"``, ``"lsoa21_name"``.
    codes
        Keep only these codes. Every requested code must be present, unless
        ``allow_missing``: then the absent codes are listed in ``report.notes`` and the
        caller makes their polygons (e.g. districts abolished since the file's vintage,
        dissolved from their LSOAs).
    layer
        Layer of a multi-layer GeoPackage; default the first.

    Returns
    -------
    Loaded
        ``data`` is a GeoDataFrame with ``code``, ``name``, ``geometry`` (EPSG:27700, every
        geometry valid, polygons only), sorted by code. Invalid geometries are repaired with
        ``make_valid(method="structure")`` and counted in ``report.flagged``; features
        without a geometry are dropped and counted in ``report.rejected``.

    Raises
    ------
    CRSError
        No CRS, a CRS without an EPSG code, or coordinates that do not fall in the UK once
        reprojected (the declared and expected CRSs are named).
    MissingColumnsError, InvalidValueError
        A missing column; a code that is not a GSS code, a code repeated with different
        names, a requested code that is absent, or a geometry that is not a polygon.

    Notes
    -----
    Rows repeating both code and name are parts of one area and are dissolved into one
    (the extra rows are counted in ``report.rejected``).
    """
    path = Path(path)
    report = LoadReport(source=str(path))
    gdf = _read_raw(path, layer, [code_col, name_col])
    report.rows_read = len(gdf)
    check_codes(gdf[code_col], path, code_col)
    gdf, n_parts = _dissolve_parts(gdf, path, code_col, name_col)
    report.reject("extra part of an area stored in several rows (dissolved into one)", n_parts)
    no_geom = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    types = gdf.geometry.geom_type.to_numpy()
    wrong = ~no_geom & ~np.isin(types, list(_POLYGONAL))
    check_rows(
        wrong,
        path,
        lambda row: f"expected polygon boundaries, found a {types[row]} geometry",
        column="geometry",
    )
    keep = np.ones(len(gdf), dtype=bool)
    if codes is not None:
        wanted = pd.Index(pd.unique(pd.Series(list(codes), dtype="str")))
        absent = wanted.difference(pd.Index(gdf[code_col]))
        if len(absent) and allow_missing:
            report.notes.append(f"absent from the file: {', '.join(sorted(absent))}")
        elif len(absent):
            raise InvalidValueError(
                path,
                f"{len(absent)} requested code(s) not in the file, e.g. {sorted(absent)[:5]}",
                column=code_col,
            )
        keep = wanted.get_indexer(gdf[code_col].to_numpy()) >= 0
        report.reject("not among the requested codes", int((~keep).sum()))
    report.reject("no geometry", int((keep & no_geom).sum()))
    keep = keep & ~no_geom
    if not keep.any():
        if codes is not None and allow_missing:  # every requested area is the caller's
            empty = gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=BNG)
            return Loaded(empty.astype({"code": "str", "name": "str"}), report)
        raise EmptyFileError(path, "no features with a geometry")
    declared = gdf.crs.to_string()
    kept, repaired = _to_bng_repaired(gdf.loc[keep], path)
    if gdf.crs.to_epsg() != 27700:
        report.notes.append(f"reprojected from {declared} to {BNG}")
    report.flag("invalid geometry repaired (make_valid, structure method)", repaired)
    out = gpd.GeoDataFrame(
        {
            "code": kept[code_col].astype("str").to_numpy(),
            "name": kept[name_col].astype("str").to_numpy(),
        },
        geometry=kept.geometry.to_numpy(),
        crs=BNG,
    )
    out = out.sort_values("code", ignore_index=True)
    report.rows_kept = len(out)
    return Loaded(out, report)


# --- LSOA21 lookup -------------------------------------------------------------------------

_ONS_LSOA = ("LSOA21CD", "LSOA21NM")
_ONS_WARD = re.compile(r"^WD(\d{2})CD$")
_ONS_DISTRICT = re.compile(r"^LAD(\d{2})CD$")
_SNAKE_LSOA = ("lsoa21_code", "lsoa21_name")
_SNAKE_WARD = re.compile(r"^(?:ward|wd)(\d{2})_code$")
_SNAKE_DISTRICT = re.compile(r"^(?:ltla|lad)(\d{2})_code$")


def _pick(columns: list[str], pattern: re.Pattern[str]) -> tuple[str, str] | None:
    """The one column matching ``pattern`` and its two-digit year, or None."""
    hits = [(c, m.group(1)) for c in columns if (m := pattern.match(c))]
    return hits[0] if len(hits) == 1 else None


def _lookup_layout(columns: list[str], path: Path) -> tuple[dict[str, str], str]:
    """Map the file's headers to the output names; return the mapping and the ward vintage."""
    if set(_ONS_LSOA) <= set(columns):
        ward, district = _pick(columns, _ONS_WARD), _pick(columns, _ONS_DISTRICT)
        if ward is None or district is None:
            raise MissingColumnsError(
                path,
                "ONS layout needs exactly one WDyyCD and one LADyyCD column "
                f"(e.g. WD22CD, LAD22CD); found {columns}",
            )
        wcd, wyy = ward
        dcd, _ = district
        mapping = {
            "LSOA21CD": "lsoa21_code",
            "LSOA21NM": "lsoa21_name",
            wcd: "ward_code",
            f"WD{wyy}NM": "ward_name",
            dcd: "district_code",
            dcd[:-2] + "NM": "district_name",
        }
        return mapping, f"WD{wyy}"
    if set(_SNAKE_LSOA) <= set(columns):
        ward, district = _pick(columns, _SNAKE_WARD), _pick(columns, _SNAKE_DISTRICT)
        if ward is None or district is None:
            raise MissingColumnsError(
                path,
                "snake_case layout needs exactly one wardYY_code and one ltlaYY_code column "
                f"(e.g. ward24_code, ltla24_code); found {columns}",
            )
        wcd, wyy = ward
        dcd, _ = district
        mapping = {
            "lsoa21_code": "lsoa21_code",
            "lsoa21_name": "lsoa21_name",
            wcd: "ward_code",
            wcd[: -len("_code")] + "_name": "ward_name",
            dcd: "district_code",
            dcd[: -len("_code")] + "_name": "district_name",
        }
        return mapping, f"WD{wyy}"
    raise MissingColumnsError(
        path,
        "not an LSOA21 lookup: expected the ONS headers LSOA21CD, LSOA21NM, WD22CD, WD22NM, "
        "LAD22CD, LAD22NM or the snake_case lsoa21_code, lsoa21_name, ward24_code, "
        f"ward24_name, ltla24_code, ltla24_name; found {columns[:12]}",
    )


def read_lsoa21_lookup(path: PathLike_) -> Loaded:
    """Read the LSOA 2021 → ward → local authority district lookup.

    Two layouts are recognised by their headers: the official ONS file
    (``LSOA21CD, LSOA21NM, WD22CD, WD22NM, LAD22CD, LAD22NM``, UTF-8 with a byte-order
    mark; any ``WDyy``/``LADyy`` vintage) and the snake_case export (``lsoa21_code,
    lsoa21_name, ward24_code, ward24_name, ltla24_code, ltla24_name``).

    Parameters
    ----------
    path
        CSV, gzip CSV or zip holding one CSV.

    Returns
    -------
    Loaded
        ``data`` has the columns :data:`LOOKUP_COLUMNS`, one row per LSOA21, sorted by
        ``lsoa21_code``. ``msoa21_name`` is the LSOA name without its final letter
        ("Birmingham 001A" → "Birmingham 001"): LSOAs are built inside MSOAs and named after
        them, so this identifies the MSOA (the parent used for empirical-Bayes shrinkage)
        although MSOA codes are not in the file. ``ward_vintage`` is e.g. ``"WD22"``.

    Raises
    ------
    MissingColumnsError
        Neither layout is recognised.
    InvalidValueError
        A code that is not an LSOA/ward/district GSS code, a duplicate LSOA, a missing name
        or an LSOA name that does not end in three digits and a letter.
    """
    path = Path(path)
    report = LoadReport(source=str(path))
    frame = read_csv(path)
    mapping, vintage = _lookup_layout(list(frame.columns), path)
    require_columns(frame.columns, mapping, path)
    report.rows_read = len(frame)
    src = {v: k for k, v in mapping.items()}
    frame = frame[list(mapping)].rename(columns=mapping)
    for col in ("lsoa21_code", "lsoa21_name", "ward_code", "district_code", "district_name"):
        frame[col] = frame[col].str.strip()
    frame["ward_name"] = frame["ward_name"].str.strip()
    check_codes(frame["lsoa21_code"], path, src["lsoa21_code"], pattern=LSOA_PATTERN)
    check_codes(frame["ward_code"], path, src["ward_code"], pattern=WARD_PATTERN)
    check_codes(frame["district_code"], path, src["district_code"], pattern=DISTRICT_PATTERN)
    for col in ("lsoa21_name", "ward_name", "district_name"):
        missing = frame[col].isna().to_numpy()
        check_rows(missing, path, "missing name", column=src[col])
    dup = frame["lsoa21_code"].duplicated().to_numpy()
    check_rows(
        dup,
        path,
        lambda row: f"LSOA {frame['lsoa21_code'].iloc[row]!r} appears more than once",
        column=src["lsoa21_code"],
    )
    msoa = frame["lsoa21_name"].str.extract(LSOA_NAME_PATTERN)["msoa"]
    bad = msoa.isna().to_numpy()
    check_rows(
        bad,
        path,
        lambda row: (
            f"LSOA name {frame['lsoa21_name'].iloc[row]!r} is not '<MSOA name> <3 digits>"
            "<letter>', so its MSOA cannot be derived"
        ),
        column=src["lsoa21_name"],
    )
    frame["msoa21_name"] = msoa
    frame["ward_vintage"] = vintage
    out = frame[LOOKUP_COLUMNS].sort_values("lsoa21_code", ignore_index=True)
    report.rows_kept = len(out)
    report.notes.append(f"ward vintage {vintage}; district names as in the file")
    return Loaded(out, report)


def region_lsoa21(lookup_frame: pd.DataFrame, districts: Iterable[str]) -> pd.DataFrame:
    """Rows of the LSOA21 lookup whose district is one of ``districts``.

    Parameters
    ----------
    lookup_frame
        ``Loaded.data`` of :func:`read_lsoa21_lookup` (needs ``district_code``).
    districts
        District GSS codes, e.g. the seven West Midlands metropolitan districts.

    Returns
    -------
    pandas.DataFrame
        The matching rows, sorted by ``lsoa21_code`` with a fresh index.

    Raises
    ------
    InvalidValueError
        No districts were given, or a district code matches no LSOA (a typo, or a district
        of another vintage than the lookup's).
    """
    name = "LSOA21 lookup"
    require_columns(lookup_frame.columns, ["lsoa21_code", "district_code"], name)
    wanted = list(dict.fromkeys(districts))
    if not wanted:
        raise InvalidValueError(name, "no district codes given", column="district_code")
    present = set(lookup_frame["district_code"])
    unknown = [d for d in wanted if d not in present]
    if unknown:
        raise InvalidValueError(
            name,
            f"district code(s) {unknown} match no LSOA in the lookup",
            column="district_code",
        )
    out = lookup_frame[lookup_frame["district_code"].isin(wanted)]
    return out.sort_values("lsoa21_code", ignore_index=True)
