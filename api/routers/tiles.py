"""Map tiles: raster surfaces (PNG), LSOA vector tiles and the bearings (outlines and names,
MVT, plus the name points as JSON for the page's labels), cached and ETagged."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sna.answers import BuildReader
from sna.builds.watcher import BuildWatcher
from sna.tiles.specs import MAX_ZOOM, TileCache, check_tile

from ..dependencies import current_build
from ..models import ErrorDetail
from ..responses import envelope

if TYPE_CHECKING:
    from sna.tiles.vector import OutlineTiles

__all__ = ["create_tiles_router", "MVT_MEDIA_TYPE", "SURFACE_TILE_URL"]

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
SURFACE_TILE_URL = "/tiles/{layer}/{{z}}/{{x}}/{{y}}.png"
"""The tile URL template of a surface layer, as the layer catalogue publishes it."""
Z = Path(ge=0, le=MAX_ZOOM, description="Zoom level.", examples=[12])
X = Path(ge=0, description="Column (WebMercatorQuad).", examples=[2020])
Y = Path(ge=0, description="Row (WebMercatorQuad).", examples=[1345])


class _Outlines:
    """The outline tiles of the current build, cut from the shapes the build stored (made on
    first use, kept for that build only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._for: tuple[str, OutlineTiles] | None = None

    def get(self, build: BuildReader) -> OutlineTiles:
        """The outline tiles of ``build``, cut from the shapes the build stored."""
        with self._lock:
            if self._for is None or self._for[0] != build.build_id:
                from sna.tiles.vector import outline_tiles  # on first use; no raster stack

                got = build.outline_sources()
                tiles = outline_tiles(got["district"], got["ward"], got["lsoa"])
                self._for = (build.build_id, tiles)
            return self._for[1]


def create_tiles_router(watcher: BuildWatcher, cache: TileCache, max_age: int = 3600) -> APIRouter:
    """``/tiles/areas/{z}/{x}/{y}.pbf``, ``/tiles/outlines/{z}/{x}/{y}.pbf``,
    ``/tiles/labels.json`` and ``/tiles/{layer}/{z}/{x}/{y}.png``."""
    router = APIRouter(prefix="/tiles", tags=["tiles"])
    cache_control = f"public, max-age={max_age}"
    outlines = _Outlines()

    async def serve(
        request: Request,
        build: BuildReader,
        key: tuple,
        render: Callable[[], bytes],
        media_type: str,
    ) -> Response:
        etag = '"' + "-".join(str(k) for k in (build.build_id, *key)) + '"'
        headers = {"ETag": etag, "Cache-Control": cache_control}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        ckey = (build.build_id, *key)
        data = cache.get(ckey)
        if data is None:
            data = await run_in_threadpool(render)
            cache.put(ckey, data)
        return Response(data, media_type=media_type, headers=headers)

    @router.get(
        "/areas/{z}/{x}/{y}.pbf",
        response_class=Response,
        responses={
            200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "Mapbox Vector Tile."},
            404: {"model": ErrorDetail},
        },
        summary="LSOA polygons with their public indices",
    )
    async def area_tile(request: Request, z: int = Z, x: int = X, y: int = Y) -> Response:
        """Layer ``lsoa``: code, names, index values, bands and deciles, open-layer scores
        and partner-layer bands (extent 4096). Empty body where no LSOA touches the tile."""
        check_tile(z, x, y)
        build = await current_build(watcher)
        return await serve(
            request,
            build,
            ("areas", z, x, y),
            lambda: build.area_tiles.tile(z, x, y),
            MVT_MEDIA_TYPE,
        )

    @router.get(
        "/outlines/{z}/{x}/{y}.pbf",
        response_class=Response,
        responses={
            200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "Mapbox Vector Tile."},
            404: {"model": ErrorDetail},
        },
        summary="District and ward outlines and area name points",
    )
    async def outline_tile(request: Request, z: int = Z, x: int = X, y: int = Y) -> Response:
        """Layers ``districts`` and ``wards`` (outlines as lines; wards from zoom 11) and
        ``district_labels``, ``ward_labels`` (zoom 12+), ``lsoa_labels`` (zoom 15+): one
        point inside each area, with ``code`` and ``name``. From the build's own boundary
        files; empty body where nothing is drawn."""
        check_tile(z, x, y)
        build = await current_build(watcher)
        tiles = await run_in_threadpool(outlines.get, build)
        return await serve(
            request, build, ("outlines", z, x, y), lambda: tiles.tile(z, x, y), MVT_MEDIA_TYPE
        )

    @router.get(
        "/labels.json",
        response_class=Response,
        responses={200: {"content": {"application/json": {}}, "description": "Name points."}},
        summary="Name points of every district, ward and place (MSOA), for map labels",
    )
    async def labels(request: Request) -> Response:
        """``{"zooms": {"district": 0, "ward": 12, "place": 14}, "district": [{"code",
        "name", "lon", "lat"}], "ward": [...], "place": [...]}``: where the map writes each
        area's name, and from which zoom (a place is an MSOA, named as the area panel names
        it: :func:`sna.answers.outlines.place_labels`)."""
        build = await current_build(watcher)
        body = envelope(build.labels_json)  # made at build time
        etag = f'"{build.build_id}-labels"'
        headers = {"ETag": etag, "Cache-Control": cache_control}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    @router.get(
        "/{layer}/{z}/{x}/{y}.png",
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}}, "description": "PNG tile (transparent nodata)."},
            404: {"model": ErrorDetail},
        },
        summary="A kernel-density surface",
    )
    async def surface_tile(
        request: Request,
        layer: str = Path(description="Layer id with a surface.", examples=["faith_access"]),
        z: int = Z,
        x: int = X,
        y: int = Y,
    ) -> Response:
        """Colour ramp for open data; five classes only for partner data."""
        check_tile(z, x, y)
        build = await current_build(watcher)
        style = build.surface(layer)
        return await serve(
            request,
            build,
            (layer, z, x, y),
            lambda: _render_surface_tile(style, z, x, y),
            "image/png",
        )

    return router


def _render_surface_tile(style, z: int, x: int, y: int) -> bytes:
    """:func:`sna.tiles.render.render_surface_tile`, imported on the first tile drawn (rasterio and
    rio-tiler stay out of a server that only answers lookups)."""
    from sna.tiles.render import render_surface_tile

    return render_surface_tile(style, z, x, y)
