"""Postcode answers: each postcode's own part, its LSOA's part, outcodes and terminated ones.

A postcode answer is three pre-serialised JSON fragments joined when it is served: the
postcode's own part (status, location, postcode index, support nearby), its LSOA's part
(indices with rank intervals, drivers in words; shared by every postcode of the LSOA) and
the build's tail (vintages, synthetic flags, attribution). Storing the LSOA part once keeps
the answers store small (about 1.5 kB per postcode instead of 6 kB).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pandas as pd
import shapely
from pyproj import Transformer

from sna.answers import support
from sna.answers._json import dumps, inner, int_list, num_list, to_int, to_str
from sna.answers.areas import INDEX_UNIT, VIOLENCE_UNIT
from sna.answers.nearby import asset_entries, asset_fragments
from sna.answers.words import driver
from sna.disclosure.public_tables import public_postcode_table

if TYPE_CHECKING:
    from sna.answers.areas import AreaAnswers
    from sna.answers.context import BuildContext

__all__ = ["PostcodeAnswers", "postcode_answers", "TO_WGS84"]

TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
_EMPTY_AREA = {
    "lsoa": None,
    "msoa": None,
    "admin_ward": None,
    "admin_district": None,
    "codes": {"lsoa": None, "msoa": None, "admin_ward": None, "admin_district": None},
    "lsoa21": None,
    "place": None,
    "ward": None,
    "district": None,
    "violence_risk": None,
    "indices": None,
    "drivers": [],
    "explanation": None,
}


@dataclass
class PostcodeAnswers:
    """Every postcode answer of a build, ready to store.

    ``rows``: ``(postcode, compact key, status, fragment index, head bytes, nearest picks,
    easting, northing, terminated answer)`` with the picks of support nearby packed as in
    :class:`~sna.answers.nearby.AssetAnswers` (their entries are ``asset_entries``), the grid
    reference only for live postcodes that have one (for the reverse lookup) and the
    terminated answer (postcodes.io's ``/terminated_postcodes``) only for a terminated one;
    ``fragments``: the LSOA parts (the last one is for "no LSOA"); ``outcodes``: code ->
    answer bytes. ``rows`` is made lazily,
    a chunk at a time, and can be read once: nothing of a chunk outlives it (a dict of the
    terminated answers, filled on the way, held all of England's heap pages: 6 GiB).
    """

    rows: Iterable[
        tuple[str, str, str, int, bytes, bytes, float | None, float | None, bytes | None]
    ]
    fragments: list[bytes]
    outcodes: dict[str, bytes]
    asset_entries: list[bytes]


def _year_month(text: str | None) -> tuple[int | None, int | None]:
    """``(year, month)`` of a ``YYYY-MM`` date (``None`` parts when missing)."""
    m = re.match(r"^(\d{4})-(\d{2})", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def _area_fragments(ctx: BuildContext, areas: AreaAnswers) -> tuple[list[bytes], dict[str, int]]:
    frags: list[bytes] = []
    pos: dict[str, int] = {}
    for code in ctx.lsoa_public["lsoa21_code"].tolist():
        area = orjson.loads(areas.bodies[code][2])
        ward, district = area["ward"] or {}, area["district"] or {}
        frag = {
            "lsoa": area["name"],
            "msoa": area.get("msoa_name"),
            "admin_ward": ward.get("name"),
            "admin_district": district.get("name"),
            "codes": {
                "lsoa": area["code"],
                "msoa": None,
                "admin_ward": ward.get("code"),
                "admin_district": district.get("code"),
            },
            "lsoa21": {"code": area["code"], "name": area["name"]},
            "place": area.get("place"),
            "ward": area["ward"],
            "district": area["district"],
            "violence_risk": area.get("violence_risk"),
            "indices": area["indices"],
            "drivers": area["drivers"],
            "explanation": area["explanation"],
        }
        pos[code] = len(frags)
        frags.append(inner(frag))
    frags.append(inner(_EMPTY_AREA))
    return frags, pos


def _postcode_drivers(ctx: BuildContext, pc: pd.DataFrame) -> list[orjson.Fragment]:
    """Top three postcode contributions as pre-serialised JSON lists: above the regional
    average what raises the postcode most, below it what lowers it most."""
    ids = [s.id for s in ctx.specs if f"pc_c_{s.id}" in pc.columns]
    if not ids:
        return [orjson.Fragment(b"[]")] * len(pc)
    mat = pc[[f"pc_c_{lid}" for lid in ids]].to_numpy(float)
    sign = np.where(np.nansum(mat, axis=1) >= 0, 1.0, -1.0)[:, None]
    filled = np.where(np.isfinite(mat), sign * mat, -np.inf)
    order = np.argsort(-filled, axis=1)[:, :3]
    rounded = np.round(np.take_along_axis(mat, order, axis=1), 4)
    cache: dict[tuple[int, float], bytes] = {}
    out = []
    for i in range(len(pc)):
        items = []
        for j, c in zip(order[i].tolist(), rounded[i].tolist(), strict=True):
            if not np.isfinite(c) or (sign[i, 0] * c <= 0 and items):
                continue
            b = cache.get((j, c))
            if b is None:
                b = cache[(j, c)] = dumps(driver(ids[j], c, ctx.meta_by_id, ctx.synthetic))
            items.append(b)
        out.append(orjson.Fragment(b"[" + b",".join(items) + b"]"))
    return out


def _outcode_answers(ctx: BuildContext, frame: pd.DataFrame) -> dict[str, bytes]:
    """postcodes.io outcode answers: mean grid reference of the live postcodes, with the
    wards and districts they fall in."""
    frame = frame[frame["live"]]
    names = pd.DataFrame(ctx.lsoa_public.drop(columns="geometry")).set_index("lsoa21_code")
    out = {}
    for oc, g in frame.groupby("outcode", sort=True):
        e, nn = g["e"].mean(), g["n"].mean()
        lon = lat = None
        if np.isfinite(e) and np.isfinite(nn):
            lon, lat = (round(float(v), 6) for v in TO_WGS84.transform(e, nn))
        rows = names.reindex(g["lsoa"].unique())
        out[str(oc)] = dumps(
            {
                "outcode": str(oc),
                "longitude": lon,
                "latitude": lat,
                "eastings": to_int(e),
                "northings": to_int(nn),
                "admin_district": sorted(rows["district_name"].dropna().unique().tolist()),
                "admin_ward": sorted(rows["ward_name"].dropna().unique().tolist()),
                "country": ["England"],
                "postcodes": int(len(g)),
                "region": ctx.region,
                "build_id": ctx.build_id,
            }
        )
    return out


def postcode_answers(ctx: BuildContext, areas: AreaAnswers) -> PostcodeAnswers:
    """Every postcode answer of the build (see :class:`PostcodeAnswers`)."""
    pc = public_postcode_table(ctx.postcodes_raw, ctx.specs).reset_index(drop=True)
    n = len(pc)
    frags, pos = _area_fragments(ctx, areas)
    lsoa_idx = np.array([pos.get(c, len(frags) - 1) for c in pc["lsoa21_code"]], dtype=int)

    # Coordinates: the postcode's grid reference, else its LSOA's representative point.
    east = pc["easting"].to_numpy(float)
    north = pc["northing"].to_numpy(float)
    has_xy = np.isfinite(east) & np.isfinite(north)
    rep = shapely.point_on_surface(ctx.lsoa_raw.geometry.to_numpy())
    rep_xy = np.vstack(
        [np.column_stack([shapely.get_x(rep), shapely.get_y(rep)]), [np.nan, np.nan]]
    )
    use_e = np.where(has_xy, east, rep_xy[lsoa_idx, 0])
    use_n = np.where(has_xy, north, rep_xy[lsoa_idx, 1])
    ok = np.isfinite(use_e) & np.isfinite(use_n)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    lon[ok], lat[ok] = TO_WGS84.transform(use_e[ok], use_n[ok])

    codes_all = pc["postcode"].astype(str).tolist()
    # the assets reduced once: every chunk's picks index the one list of entries stored
    points = support.support_points(ctx.store_table("assets"))
    rows = _rows(ctx, pc, lsoa_idx, east, north, has_xy, use_e, use_n, ok, lon, lat, points)
    frame = pd.DataFrame(
        {
            "outcode": [c.partition(" ")[0] for c in codes_all],
            "live": (pc["status"].astype(str) != "terminated").to_numpy()
            if "status" in pc.columns
            else np.ones(len(pc), bool),
            "e": np.where(has_xy, east, np.nan),
            "n": np.where(has_xy, north, np.nan),
            "lsoa": pc["lsoa21_code"].astype(str).tolist(),
        }
    )
    return PostcodeAnswers(rows, frags, _outcode_answers(ctx, frame), asset_entries(points))


# postcodes are serialised this many at a time, so that memory stays bounded for all of
# England (2.2M postcodes) and the writer stores each chunk before the next is made
CHUNK = 100_000


def _rows(
    ctx: BuildContext,
    pc_all: pd.DataFrame,
    lsoa_idx_all: np.ndarray,
    east_all: np.ndarray,
    north_all: np.ndarray,
    has_xy_all: np.ndarray,
    use_e_all: np.ndarray,
    use_n_all: np.ndarray,
    ok_all: np.ndarray,
    lon_all: np.ndarray,
    lat_all: np.ndarray,
    points: support.SupportPoints | None,
) -> Iterator[tuple[str, str, str, int, bytes, bytes, float | None, float | None, bytes | None]]:
    """The postcode rows, made ``CHUNK`` at a time."""
    local_cols = {
        lid: (f"band_local_{lid}" if lid in ctx.partner else f"local_{lid}") for lid in ctx.surfaces
    }
    local_units = {lid: ctx.surfaces[lid].unit or "density" for lid in local_cols}
    for first in range(0, len(pc_all), CHUNK):
        sl = slice(first, first + CHUNK)
        pc = pc_all.iloc[sl].reset_index(drop=True)
        n = len(pc)
        lsoa_idx, east, north = lsoa_idx_all[sl], east_all[sl], north_all[sl]
        has_xy, use_e, use_n, ok = has_xy_all[sl], use_e_all[sl], use_n_all[sl], ok_all[sl]
        lon, lat = lon_all[sl], lat_all[sl]
        yield from _chunk_rows(
            ctx,
            pc,
            n,
            lsoa_idx,
            east,
            north,
            has_xy,
            use_e,
            use_n,
            ok,
            lon,
            lat,
            points,
            local_cols,
            local_units,
        )


def _chunk_rows(
    ctx, pc, n, lsoa_idx, east, north, has_xy, use_e, use_n, ok, lon, lat,
    points, local_cols, local_units,
):  # fmt: skip
    """One chunk of postcode rows (the body of :func:`_rows`)."""
    assets = asset_fragments(
        points,
        use_e,
        use_n,
        ok,
        radius=ctx.asset_radius_m,
        max_assets=ctx.max_assets,
    )
    pc_drivers = _postcode_drivers(ctx, pc)

    def column(name: str, kind: str = "str", nd: int = 4) -> list[Any]:
        if name not in pc.columns:
            return [None] * n
        if kind == "num":
            return num_list(pc[name].to_numpy(float), nd)
        if kind == "int":
            return int_list(pc[name].to_numpy(float))
        return [to_str(v) for v in pc[name].tolist()]

    codes = pc["postcode"].astype(str).tolist()
    status = [s or "live" for s in column("status")]
    introduced = column("date_introduced")
    terminated_on = column("date_terminated")
    pvr = column("pc_violence_risk", "num", 1)
    pvr_factor = column("pc_violence_local_factor", "num", 2)
    pvr_decile = column("pc_violence_risk_decile", "int")
    pvr_band = column("pc_violence_risk_band")
    has_pvr = "pc_violence_risk" in pc.columns
    need = column("pc_need", "num")
    need_decile = column("pc_need_decile", "int")
    need_band = column("pc_need_band")
    local = {
        lid: column(col) if lid in ctx.partner else column(col, "num")
        for lid, col in local_cols.items()
    }
    east_r, north_r = num_list(use_e, 1), num_list(use_n, 1)
    lon_r, lat_r = num_list(lon, 6), num_list(lat, 6)
    for i in range(n):
        code = codes[i]
        gone = status[i] == "terminated"
        note = gone_answer = None
        if gone:
            when = f" in {terminated_on[i]}" if terminated_on[i] else ""
            note = f"{code} was terminated{when}; the area shown is the last one it belonged to."
            year, month = _year_month(terminated_on[i])
            gone_answer = dumps(
                {
                    "postcode": code,
                    "year_terminated": year,
                    "month_terminated": month,
                    "longitude": lon_r[i] if has_xy[i] else None,
                    "latitude": lat_r[i] if has_xy[i] else None,
                }
            )
        out_code, _, in_code = code.partition(" ")
        real = bool(has_xy[i] and ok[i])
        head = {
            "postcode": code,
            "outcode": out_code,
            "incode": in_code,
            "longitude": lon_r[i] if real else None,
            "latitude": lat_r[i] if real else None,
            "eastings": int(round(east[i])) if real else None,
            "northings": int(round(north[i])) if real else None,
            "status": status[i],
            "date_introduced": introduced[i],
            "date_terminated": terminated_on[i],
            "note": note,
            "location": {
                "easting": east_r[i],
                "northing": north_r[i],
                "longitude": lon_r[i],
                "latitude": lat_r[i],
                "source": "postcode" if has_xy[i] else "area",
            }
            if ok[i]
            else None,
            "postcode_violence_risk": {
                "value": pvr[i],
                "unit": VIOLENCE_UNIT,
                "local_factor": pvr_factor[i],
                "decile": pvr_decile[i],
                "band": pvr_band[i],
            }
            if has_pvr
            else None,
            "postcode_need": {
                "value": need[i],
                "unit": INDEX_UNIT,
                "decile": need_decile[i],
                "band": need_band[i],
                "drivers": pc_drivers[i],
            },
            "local": {
                lid: {"band": vals[i], "value": None, "unit": "band"}
                if lid in ctx.partner
                else {"band": None, "value": vals[i], "unit": local_units[lid]}
                for lid, vals in local.items()
            },
            "assets": assets.fragments[i],
            "support_note": ctx.support_note,
        }
        xy = has_xy[i] and not gone
        yield (
            code,
            code.replace(" ", ""),
            status[i],
            int(lsoa_idx[i]),
            inner(head),
            assets.picks[i],
            float(east[i]) if xy else None,
            float(north[i]) if xy else None,
            gone_answer,
        )
