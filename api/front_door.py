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
import functools
import gzip
import hashlib
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from fastapi.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from sna.answers import BuildReader
from sna.builds.registry import current_target
from sna.builds.watcher import BuildWatcher
from sna.errors import PostcodeError
from sna.settings import source_dir

from .answering import AnsweringReader, ViewTileProperties
from .vru_catalogue import ViewInfo, view_catalogue

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI

    from sna.tiles.specs import TileCache
    from sna.tiles.vector import AreaTiles

    from .settings import ApiSettings

__all__ = ["FrontDoor", "LTLA24_LOOKUP", "district_views", "front_door"]

#: LSOA21 -> 2024 district (LTLA24): resolves a view's 2024 codes of districts merged in 2023.
LTLA24_LOOKUP = "lookups/lookup_lsoa21_ward24_ltla24.csv.gz"
_DISTRICT = re.compile(rb'"admin_district":"(E0\d{7})"')
_INDICES = ("need", "risk", "protective")
_RANK_KEYS = ("rank", "of", "decile", "band")
#: Outline simplification, in degrees (~100 m): boundaries for a national map, not surveying.
OUTLINE_TOLERANCE = 0.001


def front_door(
    settings: ApiSettings,
    national: BuildWatcher,
    tile_cache: TileCache,
    make_app: Callable[..., FastAPI],
) -> FrontDoor | None:
    """The views of ``settings.region`` and which to serve: those ``settings.views`` names
    (ids or TOML paths), else every view whose build is published. None when there are
    neither views nor named regions (a regional server, as before)."""
    from sna.config.region import load_region

    given = list(dict.fromkeys(settings.views))
    tomls = [v for v in given if v.endswith(".toml")]
    views = view_catalogue(settings.region, settings.view_configs, others=tomls)
    named = None
    if given:
        named = [load_region(v).id if v.endswith(".toml") else v for v in given]
        named = [v for v in named if v != settings.region]
    if not views and not named:
        return None
    return FrontDoor(settings, views, named, national, tile_cache, make_app)


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


class FrontDoor:
    """The views of the served (national) region: which are served, their apps (made on
    first use), and the answer hooks that tie the nation and its views together.

    Parameters
    ----------
    settings
        The main app's settings (each view's app gets a copy with its own region).
    views
        Every view of the region (:func:`api.vru_catalogue.view_catalogue`).
    named
        Ids to serve under ``/vru/<id>/``; None: every view whose build is published,
        looked at again every ``settings.reload_interval`` seconds (a view built while the
        server runs is served without a restart).
    national
        The main app's watcher (the national build).
    tile_cache
        The main app's tile cache, shared (tiles are keyed by build id).
    make_app
        :func:`api.app.create_app`, passed in (that module imports this one).
    """

    def __init__(
        self,
        settings: ApiSettings,
        views: list[ViewInfo],
        named: list[str] | None,
        national: BuildWatcher,
        tile_cache: TileCache,
        make_app: Callable[..., FastAPI],
    ) -> None:
        self.settings = settings
        self.views = {v.id: v for v in views}
        self.named = list(dict.fromkeys(named)) if named is not None else None
        self.national = national
        self.tile_cache = tile_cache
        self.make_app = make_app
        self._apps: dict[str, FastAPI] = {}
        self._lock = threading.Lock()
        self._served: list[str] = []
        self._checked = -1e9
        # district -> view id, the national build's name (from the last national build read)
        self._mapping: tuple[dict[str, str], str] = ({}, "")
        self._version = 0  # of the mapping
        self._members: tuple[tuple, dict[str, bytes]] = ((), {})  # key, district -> member
        self._outlines: tuple[tuple, bytes] | None = None
        self._codes: tuple[str, list[str]] | None = None  # (national build id, codes)

    @property
    def served(self) -> list[str]:
        """Ids served under ``/vru/<id>/`` now."""
        if self.named is not None:
            return self.named
        now = time.monotonic()
        if now - self._checked >= self.settings.reload_interval:
            self._checked = now
            data_dir = self.settings.data_dir
            self._served = [v for v in self.views if current_target(v, data_dir) is not None]
        return self._served

    # ------------------------------------------------------------------ readers

    def national_reader(self, path: Path) -> BuildReader:
        """Open the national build with its answers naming each postcode's VRU (the map
        of districts to views made now, in the loader's thread)."""
        reader = AnsweringReader(path)
        rows = reader._rows("SELECT code, district_code FROM area_list WHERE level='lsoa'")
        pairs = [(str(c), str(d)) for c, d in rows if d]
        self._mapping = (district_views(pairs, list(self.views.values())), reader.region_name)
        self._version += 1
        reader.postcode_extra = self._vru_of
        reader.answer_state = self._served_state
        return reader

    def _served_state(self) -> str:
        """A short tag of the views served now (the national answers' VRU members)."""
        served = ",".join(sorted(self.served)).encode()
        return hashlib.blake2s(served, digest_size=4).hexdigest()

    def view_reader(self, path: Path) -> BuildReader:
        """Open a view's build with its answers carrying the national ranks, its "not
        found" naming the VRU a postcode elsewhere in the nation is answered by, and its
        tiles cut from the nation's polygons."""
        reader = AnsweringReader(path)
        reader.postcode_extra = self._national_ranks
        reader.answer_state = lambda: self.national.get().build_id  # the ranks' build
        reader.not_found_hint = functools.partial(self._elsewhere, reader.region_name)
        reader.tiles_from = self.view_tiles
        return reader

    def view_tiles(self, view: BuildReader) -> AreaTiles:
        """A view's LSOA tiles: the national build's polygons (one projected, indexed copy
        for the nation and all its views) with the view's own attributes."""
        national = self.national.get()
        codes = self._national_codes(national)
        rows = view._rows("SELECT pos, props FROM tile_shapes")
        own = {str(orjson.loads(props)["code"]): int(pos) for pos, props in rows}
        positions = {i: own[c] for i, c in enumerate(codes) if c in own}
        return national.area_tiles.sharing(ViewTileProperties(view, positions))

    def _national_codes(self, national: BuildReader) -> list[str]:
        """The LSOA code at each tile position of the national build (once a build)."""
        got = self._codes
        if got is None or got[0] != national.build_id:
            rows = national._rows("SELECT props FROM tile_shapes ORDER BY pos")
            got = self._codes = (national.build_id, [str(orjson.loads(p)["code"]) for (p,) in rows])
        return got[1]

    def _vru_members(self) -> dict[str, bytes]:
        """District code -> the ``"vru":{...}`` member of its national answers."""
        mapping, region = self._mapping
        key = (self._version, tuple(self.served))
        if self._members[0] != key:
            members = {
                d: b'"vru":' + orjson.dumps(self.vru_entry(vid, region))
                for d, vid in mapping.items()
            }
            self._members = (key, members)
        return self._members[1]

    def vru_entry(self, vid: str, region: str) -> dict[str, Any]:
        """A VRU as a national answer names it; a note when its view is not served
        (``region``: the national build's name)."""
        view = self.views[vid]
        served = vid in self.served
        note = None
        if not served:
            note = (
                f"{_of(view.name)} own view is not built on this server yet, so this answer "
                f"is {_of(region)}: ranks among all {_of(region)} neighbourhoods, not "
                f"{_of(view.name)}, "
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
        m = _DISTRICT.search(body)
        return None if m is None else self._vru_members().get(m.group(1).decode())

    def _national_answer(self, code: str) -> dict[str, Any] | None:
        national = self.national.build
        if national is None:
            return None
        try:
            return orjson.loads(national.postcode_json(code, extra=False))  # type: ignore[call-arg]
        except PostcodeError:
            return None

    def _national_ranks(self, body: bytes, code: str) -> bytes | None:
        """The ``"national"`` member of a view's postcode answer: the same postcode's ranks
        among every LSOA of the national build."""
        answer = self._national_answer(code)
        national = self.national.build
        if answer is None or national is None:
            return b'"national":null'
        return b'"national":' + orjson.dumps(national_ranks(answer, national))

    def _elsewhere(self, name: str, code: str) -> str | None:
        """Where a postcode that is not ``name``'s is answered, when the nation has it."""
        answer = self._national_answer(code)
        district = ((answer or {}).get("codes") or {}).get("admin_district")
        vid = self._mapping[0].get(str(district))
        if vid is None:
            return None
        view, pc = self.views[vid], answer["postcode"]
        if vid in self.served:  # no paths in an error: they are scrubbed (api.errors)
            return f"{pc} is outside {name}: it is in {_of(view.name)} area, VRU view {vid!r} here"
        return (
            f"{pc} is outside {name}: it is in {_of(view.name)} area, whose view is not served "
            "here (the map at / answers it)"
        )

    # ------------------------------------------------------------------ apps

    def app_for(self, vid: str) -> FastAPI | None:
        """The app of a served view (made on first use), None for any other id."""
        app = self._apps.get(vid)
        if app is not None or vid not in self.served:
            return app
        with self._lock:
            if vid not in self._apps:
                s = self.settings
                watcher = BuildWatcher(
                    vid,
                    s.data_dir,
                    interval=s.reload_interval,
                    retry_after=s.build_retry_seconds,
                    loader=self.view_reader,
                )
                sub = s.model_copy(update={"region": vid, "views": [], "view_configs": []})
                self._apps[vid] = self.make_app(
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
        outlines in the national build, simplified for a national map (made once a build,
        and again when the views served change)."""
        key = (national.build_id, tuple(self.served))
        got = self._outlines
        if got is not None and got[0] == key:
            return got[1]
        import shapely

        mapping, region = self._mapping
        by_view: dict[str, list] = {}
        rows = national._rows("SELECT code, geojson FROM geometry WHERE level='district'")
        for code, geojson in rows:
            vid = mapping.get(str(code))
            if vid is not None:
                by_view.setdefault(vid, []).append(shapely.from_geojson(geojson))
        features = []
        for vid, geoms in sorted(by_view.items()):
            shape = shapely.simplify(shapely.union_all(geoms), OUTLINE_TOLERANCE)
            shape = shapely.set_precision(shape, 1e-5)
            entry = self.vru_entry(vid, region)
            props = {k: entry[k] for k in ("id", "name", "vru", "path", "served")}
            features.append(
                b'{"type":"Feature","properties":'
                + orjson.dumps(props)
                + b',"geometry":'
                + shapely.to_geojson(shape).encode()
                + b"}"
            )
        body = b'{"type":"FeatureCollection","features":[' + b",".join(features) + b"]}"
        self._outlines = (key, body)
        return body


def _of(name: str) -> str:
    """The possessive of a place name: Merseyside's, the West Midlands'."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


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
