"""Community assets that protect against violence: places of worship and public libraries.

Three open sources, one point table. OpenStreetMap places of worship (read in
:mod:`geodata.places_of_worship`, re-exported here) come as longitude and
latitude; the public libraries list (Libraries Hacked schema) has only postcodes, so it is
placed through a postcode table supplied by the caller; Ordnance Survey library buildings
are polygons in British National Grid, reduced to centroids. :func:`combine_assets` stacks
them with one schema and drops an OS building that is the same library as one on the list.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._asset_frame import (
    ASSET_COLUMNS,
    DETAIL_COLUMNS,
    SOURCE_LIBRARIES,
    SOURCE_LIBRARY_BUILDINGS,
    SOURCE_PLACES_OF_WORSHIP,
    asset_points,
)
from ._checks import check_rows
from ._io import BNG, read_csv, require_columns
from .errors import InvalidValueError
from .places_of_worship import read_places_of_worship  # re-exported
from .report import Loaded, LoadReport

__all__ = [
    "ASSET_COLUMNS",
    "DETAIL_COLUMNS",
    "SOURCE_PLACES_OF_WORSHIP",
    "SOURCE_LIBRARIES",
    "SOURCE_LIBRARY_BUILDINGS",
    "normalise_postcode",
    "read_places_of_worship",
    "read_libraries",
    "read_library_buildings",
    "combine_assets",
]

PathLike_ = str | PathLike[str]

_YEAR = re.compile(r"^\d{4}$")


# --- libraries -----------------------------------------------------------------------------

_LIB_REQUIRED = [
    "Local authority",
    "Library name",
    "Postcode",
    "Statutory",
    "Type of library",
    "Year closed",
]


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Put postcodes in the ``pcds`` form: upper case, one space before the last 3 characters.

    ``" b1  1aa"`` → ``"B1 1AA"``; ``"b11aa"`` → ``"B1 1AA"``. Empty values stay missing; no
    check is made that the result is a real postcode (the lookup decides that).
    """
    compact = values.astype("str").str.upper().str.replace(r"\s+", "", regex=True)
    compact = compact.where(values.notna() & (compact != ""))
    return (compact.str[:-3] + " " + compact.str[-3:]).where(compact.str.len() >= 5)


def _match_authorities(names: pd.Series, wanted: Sequence[str]) -> np.ndarray:
    """Rows whose authority contains one of ``wanted`` as whole words (case-insensitive).

    ``"Birmingham"`` matches ``"Birmingham City Council"``; ``"Bedford"`` matches ``"Bedford
    Borough Council"`` but not ``"Central Bedfordshire Council"``. Every wanted name must
    match at least one authority.
    """
    keep = np.zeros(len(names), dtype=bool)
    for w in wanted:
        pattern = r"\b" + re.escape(w.strip()) + r"\b"
        hit = names.str.contains(pattern, case=False, regex=True).fillna(False).to_numpy()
        if not hit.any():
            raise InvalidValueError(
                "local_authorities argument",
                f"{w!r} matches no local authority in the libraries file; authorities look "
                f"like {sorted(names.dropna().unique())[:5]}",
            )
        keep |= hit
    return keep


def _library_ids(frame: pd.DataFrame) -> pd.Series:
    """``library:<12 hex>``, a hash of authority, name and postcode.

    Not the UPRN: the file gives one UPRN to libraries at different postcodes (e.g.
    Clifton and Dales Centre, Nottingham), so it does not identify a library.
    """
    text = frame["Local authority"] + "|" + frame["Library name"] + "|" + frame["_postcode"]
    return text.map(lambda s: "library:" + hashlib.sha1(s.encode()).hexdigest()[:12])


def read_libraries(
    path: PathLike_,
    postcodes: pd.DataFrame,
    local_authorities: Iterable[str] | None = None,
) -> Loaded:
    """Read open public libraries and place them at their postcode's grid reference.

    Parameters
    ----------
    path
        Public libraries list in the Libraries Hacked schema (``Local authority``,
        ``Library name``, ``Postcode``, ``Statutory``, ``Type of library``, ``Year
        closed``; optionally ``Unique property reference number``, ``Year opened``).
    postcodes
        Postcode table with ``postcode`` (``pcds`` form, e.g. ``"B1 1AA"``), ``easting``,
        ``northing`` (EPSG:27700), e.g. the region's postcodes from ``geodata.postcodes``.
        Postcodes on both sides are normalised with :func:`normalise_postcode`.
    local_authorities
        Keep only these authorities, matched as whole words in ``Local authority``
        (``"Birmingham"`` → ``"Birmingham City Council"``).

    Returns
    -------
    Loaded
        ``data``: :data:`ASSET_COLUMNS` with ``asset_type = "library"``, ``subtype`` = the
        ``Type of library`` code (``LAL`` local-authority run, ``CRL`` community run, ``CL``
        commissioned, ``ICL`` independent community library, ``LAL-`` as coded), then
        ``local_authority``, ``postcode``, ``statutory`` (bool), ``year_opened``, ``uprn``;
        ``asset_id`` is ``library:`` and a hash of authority, name and postcode. Closed
        libraries (``Year closed`` given), libraries without a postcode and those whose
        postcode is not in ``postcodes`` (outside the region, or retired) are rejected and
        counted.

    Raises
    ------
    MissingColumnsError
        A required column is absent from the file or the postcode table.
    InvalidValueError
        ``Year closed`` that is not a year, ``Statutory`` other than Yes/No, a postcode
        table coordinate that is not a number, or a ``local_authorities`` name that matches
        nothing.

    Notes
    -----
    A postcode is a point for about 15 addresses, so a library is placed within roughly
    100 m of its door in towns, more in the country.
    """
    path = Path(path)
    report = LoadReport(source=str(path))
    frame = read_csv(path, required=_LIB_REQUIRED)
    report.rows_read = len(frame)
    pc = _postcode_table(postcodes)

    closed_text = frame["Year closed"].str.strip()
    bad_year = closed_text.notna() & ~closed_text.str.fullmatch(_YEAR.pattern).fillna(False)
    check_rows(
        bad_year, path, lambda row: f"{closed_text.iloc[row]!r} is not a year", column="Year closed"
    )
    statutory = frame["Statutory"].str.strip().str.lower()
    bad_stat = ~statutory.isin(["yes", "no"]).to_numpy()
    check_rows(
        bad_stat,
        path,
        lambda row: f"{frame['Statutory'].iloc[row]!r} is not Yes or No",
        column="Statutory",
    )
    keep = np.ones(len(frame), dtype=bool)
    if local_authorities is not None:
        keep = _match_authorities(frame["Local authority"], list(local_authorities))
        report.reject("outside the requested local authorities", int((~keep).sum()))
    closed = closed_text.notna().to_numpy()
    report.reject("closed (Year closed given)", int((keep & closed).sum()))
    keep &= ~closed
    frame["_postcode"] = normalise_postcode(frame["Postcode"])
    no_pc = frame["_postcode"].isna().to_numpy()
    report.reject("no postcode", int((keep & no_pc).sum()))
    keep &= ~no_pc
    at = pd.Index(pc["postcode"]).get_indexer(frame["_postcode"].fillna(""))
    unknown = at < 0
    report.reject(
        "postcode not in the postcode table (outside the region, or retired)",
        int((keep & unknown).sum()),
    )
    keep &= ~unknown

    kept = frame.loc[keep].reset_index(drop=True)
    at = at[keep]
    asset_id = _library_ids(kept)
    repeat = asset_id.duplicated().to_numpy()
    report.reject("listed twice (same authority, name and postcode)", int(repeat.sum()))
    kept, asset_id, at = kept.loc[~repeat], asset_id[~repeat], at[~repeat]
    year_opened = (
        pd.to_numeric(kept["Year opened"], errors="coerce").astype("Int64")
        if "Year opened" in kept
        else pd.Series(pd.NA, index=kept.index, dtype="Int64")
    )
    out = pd.DataFrame(
        {
            "asset_id": asset_id.to_numpy(),
            "asset_type": "library",
            "name": kept["Library name"].str.strip().to_numpy(),
            "subtype": kept["Type of library"].str.strip().to_numpy(),
            "source": SOURCE_LIBRARIES,
            "local_authority": kept["Local authority"].to_numpy(),
            "postcode": kept["_postcode"].to_numpy(),
            "statutory": (kept["Statutory"].str.strip().str.lower() == "yes").to_numpy(),
            "year_opened": year_opened.to_numpy(),
            "uprn": (
                kept["Unique property reference number"].str.strip().to_numpy()
                if "Unique property reference number" in kept
                else pd.NA
            ),
        }
    )
    gdf = asset_points(pc["easting"].to_numpy()[at], pc["northing"].to_numpy()[at], out)
    gdf = gdf[ASSET_COLUMNS + [c for c in gdf.columns if c not in ASSET_COLUMNS]]
    gdf = gdf.sort_values("asset_id", ignore_index=True)
    report.rows_kept = len(gdf)
    report.notes.append("located at the postcode's grid reference")
    return Loaded(gdf, report)


def _postcode_table(postcodes: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise the caller's postcode table; one row per postcode with a location."""
    name = "postcodes table"
    if not isinstance(postcodes, pd.DataFrame):
        raise TypeError(f"postcodes must be a pandas DataFrame, not {type(postcodes).__name__}")
    require_columns(postcodes.columns, ["postcode", "easting", "northing"], name)
    pc = pd.DataFrame(
        {
            "postcode": normalise_postcode(postcodes["postcode"]).to_numpy(),
            "easting": pd.to_numeric(postcodes["easting"], errors="coerce").to_numpy(),
            "northing": pd.to_numeric(postcodes["northing"], errors="coerce").to_numpy(),
        }
    )
    for col in ("easting", "northing"):
        bad = postcodes[col].notna().to_numpy() & np.isnan(pc[col].to_numpy())
        check_rows(
            bad,
            name,
            lambda row, col=col: f"{postcodes[col].iloc[row]!r} is not a number",
            column=col,
        )
    located = pc["postcode"].notna() & pc["easting"].notna() & pc["northing"].notna()
    return pc[located].drop_duplicates("postcode").reset_index(drop=True)


# --- OS library buildings ------------------------------------------------------------------

_BLD_REQUIRED = ["WKT", "id", "distinctive_name", "classification"]


def _merge_parts(centroids: np.ndarray, names: pd.Series, within: float) -> np.ndarray:
    """Label polygons that are parts of one building: same name (or both unnamed), close.

    Two polygons are linked when their centroids are within ``within`` metres and their
    ``distinctive_name`` is equal (missing counts as equal to missing); parts are the
    connected components of that graph.
    """
    from scipy.sparse import coo_matrix  # lazy: only this reader needs scipy
    from scipy.sparse.csgraph import connected_components

    n = len(centroids)
    if within <= 0 or n == 0:
        return np.arange(n)
    tree = shapely.STRtree(centroids)
    i, j = tree.query(centroids, predicate="dwithin", distance=within)
    key = names.fillna("\x00").to_numpy()
    same = (i < j) & (key[i] == key[j])
    graph = coo_matrix((np.ones(int(same.sum())), (i[same], j[same])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def read_library_buildings(
    path: PathLike_,
    bbox: tuple[float, float, float, float] | None = None,
    *,
    merge_within: float = 50.0,
) -> Loaded:
    """Read Ordnance Survey library building polygons as one point per building.

    Parameters
    ----------
    path
        CSV with ``WKT`` (polygons in EPSG:27700), ``id``, ``distinctive_name`` and
        ``classification`` (only ``Library`` rows are kept).
    bbox
        ``(minx, miny, maxx, maxy)`` in EPSG:27700; keep buildings whose centroid is inside.
    merge_within
        Polygons with the same ``distinctive_name`` (or both unnamed) whose centroids are
        within this many metres are parts of one building and become one point, at the
        area-weighted centroid of the parts; 0 keeps every polygon.

    Returns
    -------
    Loaded
        ``data``: :data:`ASSET_COLUMNS` with ``asset_type = "library"``, ``subtype =
        "building"``, ``asset_id = "os:<id>"`` (of the largest part), ``name`` =
        ``distinctive_name`` (often missing), then ``footprint_m2`` and ``n_parts``.

    Raises
    ------
    MissingColumnsError
        A required column is absent.
    InvalidValueError
        WKT that cannot be parsed, or a bounding box that is not four increasing numbers.
    """
    path = Path(path)
    report = LoadReport(source=str(path))
    if bbox is not None:
        bbox = tuple(float(v) for v in bbox)  # type: ignore[assignment]
        if len(bbox) != 4 or not (bbox[0] < bbox[2] and bbox[1] < bbox[3]):
            raise InvalidValueError("bbox argument", f"{bbox} is not (minx, miny, maxx, maxy)")
    frame = read_csv(path, required=_BLD_REQUIRED)
    report.rows_read = len(frame)
    wkt = frame["WKT"].str.strip()
    no_wkt = wkt.isna().to_numpy()
    geoms = shapely.from_wkt(wkt.fillna("").to_numpy(), on_invalid="ignore")
    unparsed = ~no_wkt & (shapely.is_missing(geoms) | shapely.is_empty(geoms))
    check_rows(
        unparsed,
        path,
        lambda row: f"cannot read the WKT geometry {str(wkt.iloc[row])[:60]!r}",
        column="WKT",
    )
    xs, ys = shapely.get_x(shapely.centroid(geoms)), shapely.get_y(shapely.centroid(geoms))
    if (~no_wkt).any() and (np.nanmax(np.abs(xs)) < 181 and np.nanmax(np.abs(ys)) < 91):
        raise InvalidValueError(
            path,
            f"coordinates look like longitude/latitude; expected {BNG} metres",
            column="WKT",
        )
    keep = ~no_wkt
    report.reject("no geometry", int(no_wkt.sum()))
    is_library = (frame["classification"].str.strip() == "Library").to_numpy()
    report.reject("not classified as Library", int((keep & ~is_library).sum()))
    keep &= is_library
    if bbox is not None:
        inside = (xs >= bbox[0]) & (ys >= bbox[1]) & (xs <= bbox[2]) & (ys <= bbox[3])
        report.reject("outside the bounding box", int((keep & ~inside).sum()))
        keep &= inside

    kept = frame.loc[keep].reset_index(drop=True)
    parts = geoms[keep]
    area = shapely.area(parts)
    cx, cy = xs[keep], ys[keep]
    names = kept["distinctive_name"].str.strip()
    label = _merge_parts(shapely.points(cx, cy), names, merge_within)
    tbl = pd.DataFrame({"label": label, "area": area, "wx": cx * area, "wy": cy * area})
    tbl["order"] = np.arange(len(tbl))
    grouped = tbl.groupby("label", sort=False)
    total = grouped["area"].transform("sum").to_numpy()
    lead = tbl.sort_values(["label", "area"], ascending=[True, False]).drop_duplicates("label")
    lead_idx = lead["order"].to_numpy()
    sums = grouped[["area", "wx", "wy"]].sum().loc[lead["label"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        ex = np.where(sums["area"] > 0, sums["wx"] / sums["area"], cx[lead_idx])
        ny = np.where(sums["area"] > 0, sums["wy"] / sums["area"], cy[lead_idx])
    n_parts = grouped.size().loc[lead["label"]].to_numpy()
    report.reject(
        f"part of a building already counted (same name, within {merge_within:g} m)",
        int(len(kept) - len(lead_idx)),
    )
    out = pd.DataFrame(
        {
            "asset_id": ("os:" + kept["id"].str.strip()).to_numpy()[lead_idx],
            "asset_type": "library",
            "name": names.to_numpy()[lead_idx],
            "subtype": "building",
            "source": SOURCE_LIBRARY_BUILDINGS,
            "footprint_m2": total[lead_idx],
            "n_parts": n_parts.astype("int64"),
        }
    )
    gdf = asset_points(np.asarray(ex), np.asarray(ny), out)
    gdf = gdf[ASSET_COLUMNS + [c for c in gdf.columns if c not in ASSET_COLUMNS]]
    gdf = gdf.sort_values("asset_id", ignore_index=True)
    report.rows_kept = len(gdf)
    report.notes.append("Contains OS data © Crown copyright and database right")
    return Loaded(gdf, report)


# --- combine -------------------------------------------------------------------------------


def combine_assets(*frames: pd.DataFrame, dedupe_within: float = 300.0) -> gpd.GeoDataFrame:
    """Stack asset tables into one, dropping OS buildings that duplicate listed libraries.

    Parameters
    ----------
    *frames
        ``Loaded.data`` of :func:`read_places_of_worship`, :func:`read_libraries`,
        :func:`read_library_buildings`, :func:`geodata.school_assets.school_assets` and
        :func:`geodata.services.read_service_directory` (any subset, any order).
    dedupe_within
        An OS library building (source ``os_library_buildings``) whose point lies within
        this many metres of a library from the list (source ``libraries_uk_schema``) is the
        same library: the listed library is kept (it carries the name, type and opening
        status) and moved onto the nearest such building, which locates it better than its
        postcode; the building row is dropped. Buildings that match no listed library (a
        closed, academic or private library) are kept with ``asset_type``
        ``'library_building'``, so they do not count as open public libraries.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`ASSET_COLUMNS` then :data:`DETAIL_COLUMNS` (ages, website, phone,
        opening times: missing for the sources that have none), points in EPSG:27700,
        sorted by ``asset_type`` and ``asset_id``. ``attrs["duplicates_dropped"]`` holds
        the number of buildings dropped.

    Raises
    ------
    MissingColumnsError
        A frame lacks an asset column.
    InvalidValueError
        A frame not in EPSG:27700, or an ``asset_id`` found twice.

    Notes
    -----
    Listed libraries are placed at their postcode, which in the West Midlands lies 60-270 m
    from the library's own building, hence the 300 m default; public libraries are rarely
    closer than that to each other.
    """
    parts = []
    for i, frame in enumerate(frames, start=1):
        name = f"asset table {i}"
        require_columns(frame.columns, ASSET_COLUMNS, name)
        crs = getattr(frame, "crs", None)
        if crs is None or crs.to_epsg() != 27700:
            raise InvalidValueError(name, f"CRS is {crs}; expected {BNG}", column="geometry")
        part = pd.DataFrame(frame[ASSET_COLUMNS])
        for col in DETAIL_COLUMNS:
            part[col] = frame[col].astype(object) if col in frame.columns else None
        parts.append(part)
    if not parts:
        return gpd.GeoDataFrame(
            {c: [] for c in ASSET_COLUMNS + DETAIL_COLUMNS if c != "geometry"},
            geometry=gpd.GeoSeries([], crs=BNG),
            crs=BNG,
        )[ASSET_COLUMNS + DETAIL_COLUMNS]
    stacked = pd.concat(parts, ignore_index=True)
    dup = stacked["asset_id"].duplicated().to_numpy()
    if dup.any():
        raise InvalidValueError(
            "combined assets",
            f"asset_id {stacked['asset_id'][dup].iloc[0]!r} appears twice "
            "(was a table passed twice?)",
            column="asset_id",
        )
    gdf = gpd.GeoDataFrame(stacked, geometry="geometry", crs=BNG)
    listed = (gdf["source"] == SOURCE_LIBRARIES).to_numpy()
    building = (gdf["source"] == SOURCE_LIBRARY_BUILDINGS).to_numpy()
    drop = np.zeros(len(gdf), dtype=bool)
    if listed.any() and building.any() and dedupe_within > 0:
        lib_idx, bld_idx = np.flatnonzero(listed), np.flatnonzero(building)
        tree = shapely.STRtree(gdf.geometry.to_numpy()[bld_idx])
        near_lib, near_bld = tree.query_nearest(
            gdf.geometry.to_numpy()[lib_idx], max_distance=dedupe_within
        )
        # each listed library moves onto its nearest building; matched buildings go
        original = gdf.geometry.to_numpy()
        geom = original.copy()
        seen: set[int] = set()
        for li, bi in zip(near_lib, near_bld, strict=True):
            row = lib_idx[li]
            if row in seen:
                continue
            seen.add(row)
            geom[row] = geom[bld_idx[bi]]
        gdf = gdf.set_geometry(gpd.GeoSeries(geom, crs=BNG))
        gdf["easting"] = gdf.geometry.x
        gdf["northing"] = gdf.geometry.y
        hits, _ = shapely.STRtree(original[lib_idx]).query(
            original[bld_idx], predicate="dwithin", distance=dedupe_within
        )
        drop[bld_idx[np.unique(hits)]] = True
    unmatched = building & ~drop
    gdf.loc[unmatched, "asset_type"] = "library_building"
    out = gdf.loc[~drop].sort_values(["asset_type", "asset_id"], ignore_index=True)
    out.attrs["duplicates_dropped"] = int(drop.sum())
    return out
