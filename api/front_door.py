"""One server, one front door: the national build at ``/`` and every VRU view under
``/vru/<id>/``, in one process.

- Each view is a whole app of its own (:func:`api.app.create_app`) over its own build, made
  on the first request under its path, and its build opened then too: a server of all
  England and 38 views holds only what it has been asked for. The views share the nation's
  tile cache and its national postcode index (a file every reader maps, not a copy each).
- A national postcode answer names the VRU whose view covers its district (``"vru"``:
  id, names, path, whether that view is served, and a note when it is not).
- A view's postcode answer carries the national ranks beside its regional ones
  (``"national"``), read from the national build the server holds.
- ``/api/v1/vrus`` lists every view (:mod:`api.vru_catalogue`) with its data status, and
  ``/api/v1/vrus/outlines`` their boundaries (the union of their districts) for the map.

Nothing here imports pandas: the district-to-view map is SQL over the national build's
``answers.sqlite`` (and, for 2024 district codes, the bundle's LSOA lookup read with
:mod:`csv`), and the outlines use shapely on first request only.
"""

from __future__ import annotations

import csv
import gzip
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from fastapi.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from sna.answers import BuildReader
from sna.builds import current_target
from sna.settings import source_dir
from sna.watcher import BuildWatcher

from .vru_catalogue import ViewInfo, view_catalogue

if TYPE_CHECKING:
    from fastapi import FastAPI

    from sna.tile_specs import TileCache

    from .settings import ApiSettings

__all__ = ["AnsweringReader", "FrontDoor", "LTLA24_LOOKUP", "district_views", "front_door"]

#: LSOA21 -> 2024 district (LTLA24): resolves a view's 2024 codes of districts merged in 2023.
LTLA24_LOOKUP = "lookups/lookup_lsoa21_ward24_ltla24.csv.gz"
_DISTRICT = re.compile(rb'"admin_district":"(E0\d{7})"')
_INDICES = ("need", "risk", "protective")
_RANK_KEYS = ("rank", "of", "decile", "band")
#: Outline simplification, in degrees (~100 m): boundaries for a national map, not surveying.
OUTLINE_TOLERANCE = 0.001


def front_door(
    settings: ApiSettings, national: BuildWatcher, tile_cache: TileCache
) -> FrontDoor | None:
    """The views of ``settings.region`` and which to serve: those ``settings.views`` names
    (ids or TOML paths), else every view whose build is published. None when there are
    neither views nor named regions (a regional server, as before)."""
    from sna.config import load_region

    named = list(dict.fromkeys(settings.views))
    tomls = [v for v in named if v.endswith(".toml")]
    views = view_catalogue(settings.region, settings.view_configs, others=tomls)
    if named:
        served = [load_region(v).id if v.endswith(".toml") else v for v in named]
    else:
        served = [v.id for v in views if current_target(v.id, settings.data_dir) is not None]
    served = [v for v in served if v != settings.region]
    if not views and not served:
        return None
    return FrontDoor(settings, views, served, national, tile_cache)


def district_views(
    lsoa_districts: list[tuple[str, str]], views: list[ViewInfo], lookup: Path | None = None
) -> dict[str, str]:
    """District code (as the national build's LSOAs carry it, LAD 2022) -> view id.

    A view may list 2022 or 2024 district codes; a 2024 code the build does not carry (a
    district merged in 2023: Cumberland, North Yorkshire, Somerset ...) is resolved through
    the LSOAs it holds in ``lookup`` (:data:`LTLA24_LOOKUP`, read only when needed).
    """
    known = {d for _, d in lsoa_districts}
    out: dict[str, str] = {}
    pending: dict[str, str] = {}  # 2024 code -> view id
    for view in views:
        for code in view.districts:
            if code in known:
                out.setdefault(code, view.id)
            else:
                pending.setdefault(code, view.id)
    if pending:
        path = lookup or source_dir() / LTLA24_LOOKUP
        lsoa_view: dict[str, str] = {}
        try:
            with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    vid = pending.get(row.get("ltla24_code", ""))
                    if vid is not None:
                        lsoa_view[row["lsoa21_code"]] = vid
        except OSError:
            lsoa_view = {}
        for lsoa, district in lsoa_districts:
            vid = lsoa_view.get(lsoa)
            if vid is not None:
                out.setdefault(district, vid)
    return out


class AnsweringReader(BuildReader):
    """A build whose postcode answers carry one member more: ``postcode_extra(answer,
    postcode)`` gives its JSON bytes (``"key":value``), or None for nothing."""

    postcode_extra: Callable[[bytes, str], bytes | None] | None = None

    def postcode_json(self, text: str, *, extra: bool = True) -> bytes:
        """The answer of :meth:`BuildReader.postcode_json`, with the extra member unless
        ``extra`` is false."""
        body = super().postcode_json(text)
        more = self.postcode_extra(body, text) if extra and self.postcode_extra else None
        return body[:-1] + b"," + more + b"}" if more else body


class FrontDoor:
    """The views of the served (national) region: which are served, their apps (made on
    first use), and the answer hooks that tie the nation and its views together.

    Parameters
    ----------
    settings
        The main app's settings (each view's app gets a copy with its own region).
    views
        Every view of the region (:func:`api.vru_catalogue.view_catalogue`).
    served
        Ids served under ``/vru/<id>/``.
    national
        The main app's watcher (the national build).
    tile_cache
        The main app's tile cache, shared (tiles are keyed by build id).
    """

    def __init__(
        self,
        settings: ApiSettings,
        views: list[ViewInfo],
        served: list[str],
        national: BuildWatcher,
        tile_cache: TileCache,
    ) -> None:
        self.settings = settings
        self.views = {v.id: v for v in views}
        self.served = list(dict.fromkeys(served))
        self.national = national
        self.tile_cache = tile_cache
        self._apps: dict[str, FastAPI] = {}
        self._lock = threading.Lock()
        self._by_district: tuple[str, dict[str, bytes]] | None = None  # (build id, answers)
        self._outlines: tuple[str, bytes] | None = None

    # ------------------------------------------------------------------ readers

    def national_reader(self, path: Path) -> BuildReader:
        """Open the national build with its answers naming each postcode's VRU (the map
        of districts to views made now, in the loader's thread)."""
        reader = AnsweringReader(path)
        self._vru_members(reader)
        reader.postcode_extra = self._vru_of
        return reader

    def view_reader(self, path: Path) -> BuildReader:
        """Open a view's build with its answers carrying the national ranks."""
        reader = AnsweringReader(path)
        reader.postcode_extra = self._national_ranks
        return reader

    def _vru_members(self, national: BuildReader) -> dict[str, bytes]:
        """District code -> the ``"vru":{...}`` member of its answers (per national build)."""
        got = self._by_district
        if got is not None and got[0] == national.build_id:
            return got[1]
        rows = national._db().execute(
            "SELECT code, district_code FROM area_list WHERE level = 'lsoa'"
        )
        pairs = [(str(c), str(d)) for c, d in rows if d]
        mapping = district_views(pairs, list(self.views.values()))
        name = national.region_name
        members = {
            d: b'"vru":' + orjson.dumps(self.vru_entry(vid, name)) for d, vid in mapping.items()
        }
        self._by_district = (national.build_id, members)
        return members

    def vru_entry(self, vid: str, region: str) -> dict[str, Any]:
        """A VRU as a national answer names it; a note when its view is not served
        (``region``: the national build's name)."""
        view = self.views[vid]
        served = vid in self.served
        note = None
        if not served:
            note = (
                f"{view.name}'s own view is not built on this server yet, so this answer is "
                f"{region}'s: ranks among all {region}'s neighbourhoods, not {view.name}'s, "
                "and no VRU service directory."
            )
        return {
            "id": vid,
            "name": view.name,
            "vru": view.vru,
            "path": view.path,
            "served": served,
            "note": note,
        }

    def _vru_of(self, body: bytes, code: str) -> bytes | None:
        """The ``"vru"`` member of a national postcode answer (None: no view covers it)."""
        got = self._by_district
        m = _DISTRICT.search(body)
        if got is None or m is None:
            return None
        return got[1].get(m.group(1).decode())

    def _national_ranks(self, body: bytes, code: str) -> bytes | None:
        """The ``"national"`` member of a view's postcode answer: the same postcode's ranks
        among every LSOA of the national build."""
        national = self.national.build
        if national is None:
            return None
        try:
            plain = national.postcode_json(code, extra=False)  # type: ignore[call-arg]
            answer = orjson.loads(plain)
        except Exception:  # noqa: BLE001 - a postcode the national build lacks: none
            return b'"national":null'
        return b'"national":' + orjson.dumps(national_ranks(answer, national))

    # ------------------------------------------------------------------ apps

    def app_for(self, vid: str) -> FastAPI | None:
        """The app of a served view (made on first use), None for any other id."""
        app = self._apps.get(vid)
        if app is not None or vid not in self.served:
            return app
        with self._lock:
            if vid not in self._apps:
                from .app import create_app

                s = self.settings
                watcher = BuildWatcher(
                    vid,
                    s.data_dir,
                    interval=s.reload_interval,
                    retry_after=s.build_retry_seconds,
                    loader=self.view_reader,
                )
                sub = s.model_copy(update={"region": vid, "views": [], "view_configs": []})
                self._apps[vid] = create_app(
                    sub, watcher=watcher, tile_cache=self.tile_cache, mounted=True
                )
            return self._apps[vid]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Mounted at ``/vru/{vid}``: hand the request to that view's app."""
        vid = scope.get("path_params", {}).get("vid", "")
        app = self._apps.get(vid) or await run_in_threadpool(self.app_for, vid)
        if app is None:
            from starlette.responses import Response

            error = f"no VRU view {vid!r} is served here; the list: /api/v1/vrus"
            body = orjson.dumps({"status": 404, "error": error})
            await Response(body, 404, media_type="application/json")(scope, receive, send)
            return
        await app(scope, receive, send)

    # ------------------------------------------------------------------ lists

    def vrus(self) -> list[dict[str, Any]]:
        """Every view: names, path, served or not, its build and data status."""
        out = []
        for vid, view in self.views.items():
            entry = view.status(self.settings.data_dir)
            entry["served"] = vid in self.served
            out.append(entry)
        for vid in self.served:  # served by id without a config in the catalogue
            if vid not in self.views:
                target = current_target(vid, self.settings.data_dir)
                out.append(
                    {
                        "id": vid,
                        "name": vid,
                        "vru": "",
                        "path": f"/vru/{vid}/",
                        "build_id": target.name if target else None,
                        "served": True,
                        "data": None,
                    }
                )
        return out

    def outlines(self, national: BuildReader) -> bytes:
        """The views' boundaries as GeoJSON (EPSG:4326): each the union of its districts'
        outlines in the national build, simplified for a national map (made once a build)."""
        got = self._outlines
        if got is not None and got[0] == national.build_id:
            return got[1]
        import shapely

        members = self._vru_members(national)
        by_view: dict[str, list] = {}
        rows = national._db().execute("SELECT code, geojson FROM geometry WHERE level='district'")
        for code, geojson in rows:
            member = members.get(str(code))
            if member is not None:
                vid = orjson.loads(member[len(b'"vru":') :])["id"]
                by_view.setdefault(vid, []).append(shapely.from_geojson(geojson))
        features = []
        for vid, geoms in sorted(by_view.items()):
            shape = shapely.simplify(shapely.union_all(geoms), OUTLINE_TOLERANCE)
            shape = shapely.set_precision(shape, 1e-5)
            entry = self.vru_entry(vid, national.region_name)
            props = {k: entry[k] for k in ("id", "name", "vru", "path", "served")}
            features.append(
                b'{"type":"Feature","properties":'
                + orjson.dumps(props)
                + b',"geometry":'
                + shapely.to_geojson(shape).encode()
                + b"}"
            )
        body = b'{"type":"FeatureCollection","features":[' + b",".join(features) + b"]}"
        self._outlines = (national.build_id, body)
        return body


def national_ranks(answer: dict[str, Any], national: BuildReader) -> dict[str, Any]:
    """Rank, count, decile and band of violence risk and each index in a national answer."""

    def pick(item: Any) -> dict[str, Any] | None:
        if not isinstance(item, dict):
            return None
        return {k: item.get(k) for k in _RANK_KEYS}

    indices = answer.get("indices") or {}
    return {
        "region": national.region,
        "region_name": national.region_name,
        "build_id": national.build_id,
        "violence_risk": pick(answer.get("violence_risk")),
        **{k: pick(indices.get(k)) for k in _INDICES},
    }
