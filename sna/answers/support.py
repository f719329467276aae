"""Support nearby: what each asset is called, which are listed first, and the services layer.

One place for the rules that the postcode answer (:mod:`sna.lookup`), the priority places
(:mod:`sna.priority.places`) and the map's services layer share:

- **names**: an asset without a name is shown by its type ("Place of worship (Christian)",
  "Sports centre"), never as "Unnamed ..." (:func:`display_name`);
- **order**: the services in the VRU's own directory (``source == "service_directory"``)
  within the radius come first, nearest first, then every other asset by distance
  (:func:`nearby`); one entry per name and type, so an asset two sources record is listed
  once;
- **the services layer**: the directory's services as GeoJSON points with the details a
  popup shows (:func:`services_geojson`).

Pure functions over the store's ``assets`` table: no I/O, no web code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geodata._asset_frame import DETAIL_COLUMNS, SOURCE_SERVICE_DIRECTORY
from geodata.services import SERVICE_TYPES

__all__ = [
    "DIRECTORY_SOURCE",
    "TYPE_LABELS",
    "type_label",
    "type_words",
    "display_name",
    "SupportPoints",
    "Nearby",
    "support_points",
    "nearby",
    "services_geojson",
]

DIRECTORY_SOURCE = SOURCE_SERVICE_DIRECTORY

#: How each asset type reads (singular). Types not listed read as their id in words.
TYPE_LABELS: dict[str, str] = {
    "place_of_worship": "Place of worship",
    "library": "Library",
    "library_building": "Library building",
    "school": "School",
    **SERVICE_TYPES,
    # OpenStreetMap amenity/leisure types a future extract may bring
    "sports_centre": "Sports centre",
    "community_centre": "Community centre",
    "youth_centre": "Youth centre",
    "playground": "Playground",
    "park": "Park",
}
_PLURALS: dict[str, str] = {
    "place_of_worship": "places of worship",
    "library": "libraries",
    "library_building": "library buildings",
    "mentoring": "mentoring services",
    "safe_routes": "safe routes to school",
    "holiday_activities": "holiday activities",
    "sport": "sport services",
    "family_support": "family support services",
    "other": "other services",
}
#: Types whose subtype is a word people use (faith, school phase): shown with the type.
_SUBTYPE_SHOWN = {"place_of_worship", "school"}
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def type_label(asset_type: str) -> str:
    """``"place_of_worship"`` -> ``"Place of worship"``; unknown ids read as words."""
    return TYPE_LABELS.get(asset_type, str(asset_type).replace("_", " ").capitalize())


def type_words(asset_type: str, n: int = 1) -> str:
    """The type in running text, singular or plural: ``"library"``, ``"libraries"``."""
    if n != 1:
        return _PLURALS.get(asset_type, type_label(asset_type).lower() + "s")
    return type_label(asset_type).lower()


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    s = str(value).strip()
    return s or None


def display_name(name: Any, asset_type: str, subtype: Any = None) -> str:
    """The asset's name, or, without one, its type: "Place of worship (Christian)".

    >>> display_name(None, "place_of_worship", "Christian")
    'Place of worship (Christian)'
    >>> display_name("", "sports_centre"), display_name(" St Mary's ", "place_of_worship")
    ('Sports centre', "St Mary's")
    """
    given = _text(name)
    if given:
        return given
    label = type_label(asset_type)
    sub = _text(subtype)
    return f"{label} ({sub})" if sub and asset_type in _SUBTYPE_SHOWN else label


def what_words(asset_type: str, subtype: Any = None, source: Any = None) -> str:
    """What a place is, for a resident: "School (Primary)", "Place of worship (Muslim)" or
    "Youth centre: a service the partnership lists" (the answer's ``support_note`` says
    whether the region has a directory at all)."""
    label = type_label(asset_type)
    sub = _text(subtype)
    if sub and asset_type in _SUBTYPE_SHOWN:
        label += f" ({sub})"
    if _text(source) == DIRECTORY_SOURCE:
        return f"{label}: a service the partnership lists"
    return label


@dataclass(frozen=True)
class SupportPoints:
    """The assets table reduced to what support nearby needs, one row per located asset.

    ``entries[j]`` is asset ``j``'s JSON-ready entry without its distance: ``name`` (never
    empty), ``type``, ``subtype``, ``source`` and the directory details it has (``ages``,
    ``website``, ``phone``, ``opening_times``; left out where blank, as for every open-data
    asset: four nulls on each of ten assets were a fifth of a postcode answer).
    """

    xy: np.ndarray
    types: list[str]
    directory: np.ndarray
    entries: list[dict[str, Any]]
    ident: list[tuple[str, str]]


@dataclass(frozen=True)
class Nearby:
    """For each query point: the assets to list, ``(row, distance_m)`` in order, and the
    rows of every asset within the radius (for counts by type)."""

    picks: list[list[tuple[int, float]]]
    within: list[list[int]]


def support_points(table: pd.DataFrame | None) -> SupportPoints | None:
    """Reduce the store's ``assets`` table; None when there is no located asset."""
    if table is None or len(table) == 0:
        return None
    t = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
    t = t[np.isfinite(t["easting"].astype(float)) & np.isfinite(t["northing"].astype(float))]
    t = t.reset_index(drop=True)
    if t.empty:
        return None
    n = len(t)

    def col(name: str) -> list[Any]:
        return t[name].tolist() if name in t.columns else [None] * n

    types = [str(x) for x in t["asset_type"].tolist()]
    sources = [_text(x) for x in col("source")]
    entries = []
    for i, (nm, kind, sub, src) in enumerate(
        zip(col("name"), types, col("subtype"), sources, strict=True)
    ):
        entry: dict[str, Any] = {
            "name": display_name(nm, kind, sub),
            "type": kind,
            "subtype": _text(sub),
            "source": src,
            "what": what_words(kind, sub, src),
        }
        for d in DETAIL_COLUMNS:  # only the details a record has: most have none
            value = _text(t[d].iloc[i]) if d in t.columns else None
            if value is not None:
                entry[d] = value
        entries.append(entry)
    return SupportPoints(
        xy=t[["easting", "northing"]].to_numpy(float),
        types=types,
        directory=np.array([s == DIRECTORY_SOURCE for s in sources], dtype=bool),
        entries=entries,
        ident=[(e["name"].lower(), e["type"]) for e in entries],
    )


def _query(
    xy: np.ndarray, pts: np.ndarray, k: int, bound: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest of ``xy`` to each of ``pts`` (rows ``len(xy)``, distance inf past bound)."""
    n = len(pts)
    if len(xy) == 0 or k == 0:
        return np.full((n, 0), np.inf), np.zeros((n, 0), dtype=int)
    k = min(k, len(xy))
    ub = np.inf if bound is None else bound
    dist, idx = cKDTree(xy).query(pts, k=k, distance_upper_bound=ub)
    return np.asarray(dist).reshape(n, k), np.asarray(idx).reshape(n, k)


def nearby(
    points: SupportPoints,
    east: np.ndarray,
    north: np.ndarray,
    ok: np.ndarray | None = None,
    *,
    radius: float,
    limit: int,
    others_within: float | None = -1.0,
) -> Nearby:
    """The assets to list around each point: directory services first, then the rest.

    Parameters
    ----------
    points
        From :func:`support_points`.
    east, north, ok
        Query points in EPSG:27700 metres; where ``ok`` is False nothing is listed.
    radius
        Directory services are listed, and every asset counted, within this many metres.
    limit
        At most this many entries per point (directory services included).
    others_within
        How far the other assets are looked for: the default (-1) means ``radius``; None
        means no bound (the nearest are named however far, as the priority table does).
    """
    n = len(east)
    ok = np.ones(n, dtype=bool) if ok is None else np.asarray(ok, dtype=bool)
    pts = np.column_stack([np.where(ok, east, 0.0), np.where(ok, north, 0.0)]).astype(float)
    bound = radius if others_within is not None and others_within < 0 else others_within
    d_rows = np.flatnonzero(points.directory)
    o_rows = np.flatnonzero(~points.directory)
    d_dist, d_idx = _query(points.xy[d_rows], pts, 2 * limit, radius)
    o_dist, o_idx = _query(points.xy[o_rows], pts, 2 * limit, bound)
    within = cKDTree(points.xy).query_ball_point(pts, radius) if n else []
    picks: list[list[tuple[int, float]]] = []
    for i in range(n):
        if not ok[i] or limit <= 0:
            picks.append([])
            continue
        seen: set[tuple[str, str]] = set()
        chosen: list[tuple[int, float]] = []
        for rows, dist, idx in ((d_rows, d_dist, d_idx), (o_rows, o_dist, o_idx)):
            for d, j in zip(dist[i].tolist(), idx[i].tolist(), strict=True):
                if d == np.inf or len(chosen) >= limit:
                    break
                row = int(rows[j])
                if points.ident[row] in seen:
                    continue
                seen.add(points.ident[row])
                chosen.append((row, d))
        picks.append(chosen)
    within_l = [list(w) if ok[i] else [] for i, w in enumerate(within)]
    return Nearby(picks=picks, within=within_l)


def services_geojson(table: pd.DataFrame | None) -> bytes:
    """The directory's services as a GeoJSON FeatureCollection (EPSG:4326), by name.

    Each feature's properties: ``name``, ``type``, ``type_label``, ``ages``, ``website``,
    ``phone``, ``opening_times`` and ``postcode`` (null where the directory leaves it blank).
    An empty collection when the store has no directory.
    """
    features: list[dict[str, Any]] = []
    if table is not None and len(table) and "source" in table.columns:
        t = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
        t = t[t["source"] == DIRECTORY_SOURCE]
        t = t.sort_values(["name", "asset_id"]) if "asset_id" in t.columns else t
        if len(t):
            lon, lat = _TO_WGS84.transform(
                t["easting"].to_numpy(float), t["northing"].to_numpy(float)
            )
            for k, r in enumerate(t.to_dict("records")):
                props = {
                    "id": _text(r.get("asset_id")),
                    "name": display_name(r.get("name"), str(r["asset_type"])),
                    "type": str(r["asset_type"]),
                    "type_label": type_label(str(r["asset_type"])),
                    **{d: _text(r.get(d)) for d in DETAIL_COLUMNS},
                    "postcode": _text(r.get("postcode")),
                }
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Point",
                            "coordinates": [round(float(lon[k]), 6), round(float(lat[k]), 6)],
                        },
                        "properties": props,
                    }
                )
    return orjson.dumps({"type": "FeatureCollection", "features": features})
