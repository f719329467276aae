"""Priority places: per district, the LSOAs of highest violence risk (or need), with what drives
them and what is near.

A navigator or commissioner asks "where first, why, and what is already there?". For each
district this module takes the top ``N`` LSOAs by violence risk (the offences expected in the
next 12 months) or, with ``by="need"``, by the needs index (the build's regional rank, so
places compare across districts), with their Monte Carlo rank interval (5th-95th
percentile rank, from the build), the drivers in plain words (worded as the API's answers
word them, :func:`sna.needs.drivers.driver_text`) and the community assets near them: the number
within
``radius_m`` of the LSOA centroid and the three nearest by straight-line distance,

.. math::

    A_j = \\#\\{a : \\lVert p_a - \\bar{x}_j \\rVert \\le r\\}

with :math:`\\bar{x}_j` the centroid of LSOA *j* in EPSG:27700 metres and :math:`p_a` the
asset points of the store's ``assets`` table.

Everything here is built from the public view of a build (:class:`PublicBuild`, via
:func:`sna.disclosure.public_tables.public_lsoa_table`): partner counts and exact partner rates
never enter.
The same reader is used by the report (:mod:`maps.report`) and the static maps (``maps``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sna.answers import support
from sna.answers.public_build import PublicBuild
from sna.builds.registry import load_public_build
from sna.priority import table

__all__ = [
    "nearby_assets",
    "priority_places",
    "write_priority_places",
]

log = logging.getLogger(__name__)


def _type_word(kind: str, n: int = 1) -> str:
    return support.type_words(kind, n)  # one vocabulary with the postcode answer


def _km_label(radius_m: float) -> str:
    return f"{radius_m / 1000:g}km".replace(".", "_")


def nearby_assets(
    x: np.ndarray,
    y: np.ndarray,
    assets: pd.DataFrame | None,
    *,
    radius_m: float = 1000.0,
    k: int = 3,
) -> pd.DataFrame:
    """Count the assets within ``radius_m`` of each point and name the ``k`` nearest.

    Parameters
    ----------
    x, y : numpy.ndarray
        Points in EPSG:27700 metres (e.g. LSOA centroids).
    assets : pandas.DataFrame or None
        The store's ``assets`` table (``easting``, ``northing``, ``name``, ``asset_type``).
    radius_m : float
        Search radius in metres.
    k : int
        How many nearest assets to name.

    Returns
    -------
    pandas.DataFrame
        ``assets_within_<r>km`` (int), ``assets_by_type`` ("3 places of worship, 1 library"),
        ``nearest_assets`` ("St Mary's (place of worship, 0.3 km); ...") and
        ``nearest_asset_km``, one row per point.
    """
    col = f"assets_within_{_km_label(radius_m)}"
    n = len(x)
    points = support.support_points(assets)
    if points is None:
        return pd.DataFrame(
            {
                col: np.zeros(n, int),
                "assets_by_type": [""] * n,
                "nearest_assets": [""] * n,
                "nearest_asset_km": np.full(n, np.nan),
            }
        )
    # sna.answers.support decides the order (directory services within the radius first, then the
    # nearest others however far) and the names (unnamed records by their type)
    found = support.nearby(
        points,
        np.asarray(x, float),
        np.asarray(y, float),
        radius=radius_m,
        limit=k,
        others_within=None,
    )
    from scipy.spatial import cKDTree  # lazy, as before

    nearest_m = cKDTree(points.xy).query(np.column_stack([x, y]).astype(float), k=1)[0]
    types = np.asarray(points.types)
    counts, by_type, nearest = [], [], []
    for i in range(n):
        hits = found.within[i]
        counts.append(len(hits))
        tally = pd.Series(types[hits]).value_counts() if hits else pd.Series(dtype=int)
        by_type.append(", ".join(f"{c} {_type_word(t, c)}" for t, c in tally.items()))
        parts = []
        for j, d in found.picks[i]:
            e = points.entries[j]
            parts.append(f"{e['name']} ({_type_word(e['type'])}, {d / 1000:.1f} km)")
        nearest.append("; ".join(parts))
    return pd.DataFrame(
        {
            col: np.asarray(counts, int),
            "assets_by_type": by_type,
            "nearest_assets": nearest,
            "nearest_asset_km": np.round(np.asarray(nearest_m, float).reshape(n) / 1000, 2),
        }
    )


PRIORITY_COLUMNS = [
    "district_code",
    "district_name",
    "district_rank",
    "lsoa21_code",
    "lsoa21_name",
    "msoa21_code",
    "ward_name",
    "violence_risk",
    "violence_risk_lo",
    "violence_risk_hi",
    "violence_risk_band",
    "violence_risk_rank",
    "violence_risk_rank_lo",
    "violence_risk_rank_hi",
    "violence_risk_p_top_decile",
    "violence_prior",
    "violence_risk_explanation",
    "need",
    "need_band",
    "need_decile",
    "need_rank",
    "need_rank_lo",
    "need_rank_hi",
    "need_p_top_decile",
    "risk_band",
    "protective_band",
    "gi_label",
    "drivers",
    "explanation",
]


PRIORITY_BY: tuple[str, ...] = ("violence_risk", "need")


def priority_places(
    build: PublicBuild,
    top: int = 10,
    *,
    radius_m: float = 1000.0,
    by: str = "violence_risk",
    map_url: str | None = None,
) -> gpd.GeoDataFrame:
    """The ``top`` LSOAs per district by violence risk (or need), with drivers and assets.

    Parameters
    ----------
    build : PublicBuild
        From :func:`load_public_build`.
    top : int
        LSOAs per district (fewer when a district has fewer).
    by : {'violence_risk', 'need'}
        Which output picks the places: the expected offences of the next 12 months (places
        where violence is recorded) or the needs index (places whose residents carry the
        risk factors). Builds made before violence risk existed fall back to need.
    radius_m : float
        Radius for counting assets around each LSOA centroid.
    map_url : str, optional
        The public map's address for the links (default :func:`sna.priority.table.map_url_base`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per selected LSOA (districts in build order, then ``district_rank``), the
        columns of ``PRIORITY_COLUMNS`` present in the build, the asset columns of
        :func:`nearby_assets`, ``centroid_easting``/``centroid_northing``, ``synthetic``
        and the LSOA polygon (EPSG:27700). ``drivers`` is in plain words. After
        ``ward_name``: ``place_name`` (the House of Commons Library MSOA name), ``postcode``
        (the live postcode nearest the LSOA's centre) and ``map_url`` (the public map opened
        there): :mod:`sna.priority.table`.
    """
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    if by not in PRIORITY_BY:
        raise ValueError(f"by must be one of {list(PRIORITY_BY)}, got {by!r}")
    lsoa = build.lsoa
    if f"{by}_rank" not in lsoa.columns:
        by = "need"
    order = {c: i for i, c in enumerate(build.districts["district_code"])}
    picked = (
        lsoa.assign(_d=lsoa["district_code"].map(order))
        .sort_values(["_d", f"{by}_rank", "lsoa21_code"])
        .groupby("district_code", sort=False)
        .head(top)
        .drop(columns="_d")
        .copy()
    )
    picked["district_rank"] = picked.groupby("district_code", sort=False).cumcount() + 1
    if "drivers" in picked.columns:
        picked["drivers"] = [build.driver_words(d) for d in picked["drivers"]]
    cols = [c for c in PRIORITY_COLUMNS if c in picked.columns]
    out = picked[[*cols, "geometry"]].reset_index(drop=True)
    cent = out.geometry.centroid
    near = nearby_assets(cent.x.to_numpy(), cent.y.to_numpy(), build.assets(), radius_m=radius_m)
    out = pd.concat([out.drop(columns="geometry"), near, out[["geometry"]]], axis=1)
    out["centroid_easting"] = np.round(cent.x.to_numpy()).astype(int)
    out["centroid_northing"] = np.round(cent.y.to_numpy()).astype(int)
    at = out.columns.get_loc("ward_name") + 1 if "ward_name" in out.columns else 0
    postcodes = table.representative_postcodes(
        build.postcodes(), out["lsoa21_code"], cent.x.to_numpy(), cent.y.to_numpy()
    )
    out.insert(at, "place_name", table.place_names(build, out).to_numpy())
    out.insert(at + 1, "postcode", postcodes)
    out.insert(at + 2, "map_url", table.map_links(table.map_url_base(map_url), postcodes))
    out["need"] = out["need"].round(4)
    for c in ("violence_risk", "violence_risk_lo", "violence_risk_hi", "violence_prior"):
        if c in out.columns:
            out[c] = out[c].round(1)
    out.insert(0, "picked_by", by)
    for c in (
        "need_rank",
        "need_rank_lo",
        "need_rank_hi",
        "need_decile",
        "violence_risk_rank",
        "violence_risk_rank_lo",
        "violence_risk_rank_hi",
    ):
        if c in out.columns:
            out[c] = out[c].round().astype("Int64")
    out["synthetic"] = build.synthetic
    return gpd.GeoDataFrame(out, geometry="geometry", crs=build.lsoa.crs)


def write_priority_places(
    region: str | Path,
    data_dir: Path | None = None,
    top: int = 10,
    out_dir: Path | None = None,
    *,
    build: str | Path | None = None,
    radius_m: float = 1000.0,
    by: str = "violence_risk",
    map_url: str | None = None,
) -> list[Path]:
    """Write the priority list (default into ``<build>/exports``); ``sna priority``.

    ``priority_places.csv`` is the list a navigator opens (headers in words:
    :func:`sna.priority.table.readable`); ``priority_places_data.csv`` and
    ``priority_places.gpkg`` (with the LSOA polygons, EPSG:27700) are the same rows under
    the machine column names of :func:`priority_places`. Returns the three paths.
    """
    view = load_public_build(region, data_dir, build)
    places = priority_places(view, top, radius_m=radius_m, by=by, map_url=map_url)
    folder = Path(out_dir) if out_dir else view.path / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "priority_places.csv"
    data = folder / "priority_places_data.csv"
    gpkg = folder / "priority_places.gpkg"
    # UTF-8 with a byte-order mark, so a spreadsheet opens "©" and "–" as written
    table.readable(places, view).to_csv(csv, index=False, encoding="utf-8-sig")
    places.drop(columns="geometry").to_csv(data, index=False)
    if gpkg.exists():
        gpkg.unlink()
    places.to_file(gpkg, layer="priority_places", driver="GPKG", engine="pyogrio")
    return [csv, data, gpkg]
