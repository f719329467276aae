"""Open state-funded schools as support nearby, and OSM places of worship that are schools.

:func:`school_assets` turns the GIAS register (read by :func:`geodata.gias.read_gias`) into
asset points of type ``school``: state-funded schools only (academies, free schools, local
authority maintained schools, maintained special schools and pupil referral units);
independent schools, non-maintained and independent special schools, colleges, universities
and the other GIAS types are left out, as are schools without a grid reference.

:func:`drop_worship_at_schools` removes OpenStreetMap places of worship that are a school:
a feature named like a school ("Hawkesley Academy": a school word, no worship word) lying
within ``within`` metres of a GIAS school that shares a distinctive word of its name. A
church next to its church school keeps its record (its name is a church's).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._asset_frame import ASSET_COLUMNS, SOURCE_GIAS, SOURCE_PLACES_OF_WORSHIP, asset_points
from .report import Loaded, LoadReport

__all__ = ["STATE_FUNDED_GROUPS", "school_assets", "school_phase", "drop_worship_at_schools"]

#: GIAS establishment type groups that are state-funded schools.
STATE_FUNDED_GROUPS = frozenset({"Academies", "Free Schools", "Local authority maintained schools"})
#: The state-funded members of GIAS's "Special schools" group.
_MAINTAINED_SPECIAL = frozenset({"Community special school", "Foundation special school"})

_SCHOOL_WORD = re.compile(r"\b(?:academy|school|college)\b", re.IGNORECASE)
_WORSHIP_WORD = re.compile(
    r"(?:church|chapel|mosque|masjid|gurdwara|gurudwara|temple|mandir|synagogue|cathedral|"
    r"meeting house|kingdom hall|abbey|minster|parish|mission|tabernacle|oratory|priory|"
    r"convent|vihara|prayer|worship|fellowship|ministr)",
    re.IGNORECASE,
)
_COMMON = frozenset(
    "the of and st saint s c e ce cofe rc school academy primary secondary junior infant "
    "infants nursery college high catholic church england community trust free".split()
)


def school_phase(phase: object, establishment_type: object) -> str:
    """GIAS's phase in words a parent uses; "Not applicable" becomes the kind of school.

    >>> school_phase("Primary", "Academy converter")
    'Primary'
    >>> school_phase("Not applicable", "Community special school")
    'Special'
    """
    p = str(phase or "").strip()
    t = str(establishment_type or "").lower()
    if p and p != "Not applicable":
        return {"16 plus": "Sixth form", "Middle deemed primary": "Middle"}.get(
            p, "Middle" if p.startswith("Middle") else p
        )
    if "special" in t:
        return "Special"
    if "alternative provision" in t or "pupil referral" in t:
        return "Alternative provision"
    if "16" in t:
        return "Sixth form"
    return "Other"


def school_assets(gias: pd.DataFrame) -> Loaded:
    """Open state-funded schools from a GIAS frame, as asset points (type ``school``).

    Parameters
    ----------
    gias
        :func:`geodata.gias.read_gias` data (``urn``, ``establishment_name``,
        ``establishment_type``, ``establishment_type_group``, ``education_phase``,
        ``easting``, ``northing``, ``has_coordinates``).

    Returns
    -------
    Loaded
        :data:`ASSET_COLUMNS` with ``asset_id`` ``gias:<urn>``, ``subtype`` the phase
        (:func:`school_phase`), ``source`` ``gias_schools``, then ``urn`` and
        ``establishment_type``. The report counts the schools left out and why.

    Notes
    -----
    The bundle's GIAS extract lists open establishments only (its name says so, and it has
    no status column), so closed schools are already absent. A full GIAS download's
    ``establishment_status`` column, when present, is honoured: only "Open" rows are kept.
    """
    report = LoadReport(source="GIAS schools (state-funded)", rows_read=len(gias))
    group = gias["establishment_type_group"].astype("string").fillna("")
    etype = gias["establishment_type"].astype("string").fillna("")
    state = group.isin(STATE_FUNDED_GROUPS) | etype.isin(_MAINTAINED_SPECIAL)
    keep = state.to_numpy(dtype=bool).copy()
    for g, n in group[~state].value_counts().items():
        report.reject(f"not state-funded ({g or 'no type group'})", int(n))
    if "establishment_status" in gias.columns:
        status = gias["establishment_status"].astype("string").fillna("")
        is_open = status.str.startswith("Open").to_numpy(dtype=bool)
        report.reject("not open (establishment_status)", int((keep & ~is_open).sum()))
        keep &= is_open
    located = gias["has_coordinates"].to_numpy(dtype=bool)
    report.reject("no grid reference", int((keep & ~located).sum()))
    keep &= located
    kept = gias.loc[keep].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "asset_id": "gias:" + kept["urn"].astype("int64").astype(str),
            "asset_type": "school",
            "name": kept["establishment_name"].astype(str).str.strip().to_numpy(),
            "subtype": [
                school_phase(p, t)
                for p, t in zip(kept["education_phase"], kept["establishment_type"], strict=True)
            ],
            "source": SOURCE_GIAS,
            "urn": kept["urn"].astype("int64").to_numpy(),
            "establishment_type": kept["establishment_type"].astype(str).to_numpy(),
        }
    )
    gdf = asset_points(kept["easting"].to_numpy(), kept["northing"].to_numpy(), out)
    gdf = gdf[ASSET_COLUMNS + ["urn", "establishment_type"]].sort_values(
        "asset_id", ignore_index=True
    )
    report.rows_kept = len(gdf)
    report.notes.append("open state-funded schools from Get Information About Schools (DfE)")
    return Loaded(gdf, report)


def _words(name: object) -> set[str]:
    return set(re.findall(r"[a-z]+", str(name or "").lower())) - _COMMON


def drop_worship_at_schools(
    worship: gpd.GeoDataFrame, schools: pd.DataFrame, *, within: float = 250.0
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Remove OSM places of worship that are a GIAS school; return (kept, dropped).

    A place of worship is dropped when its name has a school word (academy, school,
    college) and no worship word (church, chapel, mosque, ...), and a school of ``schools``
    (any GIAS establishment with coordinates, independent ones included) within ``within``
    metres shares a distinctive word of its name. ``dropped`` lists each with the school
    it coincides with (``school_name``, ``distance_m``), for the load report.
    """
    empty = pd.DataFrame(columns=["asset_id", "name", "school_name", "distance_m"])
    if worship is None or len(worship) == 0 or schools is None or len(schools) == 0:
        return worship, empty
    is_pow = (worship["source"] == SOURCE_PLACES_OF_WORSHIP).to_numpy()
    names = worship["name"].astype("string").fillna("")
    schoolish = (names.str.contains(_SCHOOL_WORD) & ~names.str.contains(_WORSHIP_WORD)).to_numpy(
        dtype=bool
    ) & is_pow
    if not schoolish.any():
        return worship, empty
    s = schools[np.isfinite(schools["easting"]) & np.isfinite(schools["northing"])]
    s = s.reset_index(drop=True)
    tree = shapely.STRtree(shapely.points(s["easting"].to_numpy(), s["northing"].to_numpy()))
    name_col = "establishment_name" if "establishment_name" in s.columns else "name"
    drop = np.zeros(len(worship), dtype=bool)
    rows = []
    for i in np.flatnonzero(schoolish):
        here = shapely.Point(worship["easting"].iloc[i], worship["northing"].iloc[i])
        words = _words(names.iloc[i])
        for j in tree.query(here, predicate="dwithin", distance=within):
            if words & _words(s[name_col].iloc[j]):
                drop[i] = True
                rows.append(
                    {
                        "asset_id": worship["asset_id"].iloc[i],
                        "name": names.iloc[i],
                        "school_name": s[name_col].iloc[j],
                        "distance_m": round(float(here.distance(tree.geometries[j]))),
                    }
                )
                break
    return worship.loc[~drop].reset_index(drop=True), pd.DataFrame(rows, columns=empty.columns)
