"""The VRUs of a national server: ``/api/v1/vrus`` (every view, served or not, with its
data status) and ``/api/v1/vrus/outlines`` (their boundaries, for the map at ``/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sna.builds.watcher import BuildWatcher

from ..dependencies import current_build
from ..models import Envelope, VruEntry, VruOutlines
from ..responses import cached_answer, error_responses, json_answer

if TYPE_CHECKING:
    from ..front_door import FrontDoor

__all__ = ["create_vrus_router"]


def create_vrus_router(
    watcher: BuildWatcher, front: FrontDoor | None, max_age: int = 60
) -> APIRouter:
    """``/api/v1/vrus`` and ``/api/v1/vrus/outlines`` (``front``: None when the server
    has no views)."""
    router = APIRouter(prefix="/api/v1", tags=["metadata"])
    cache_control = f"public, max-age={max_age}"

    @router.get(
        "/vrus",
        response_model=Envelope[list[VruEntry]],
        summary="The region at / and every VRU view, with its data status",
    )
    async def vrus() -> Response:
        """The region served at ``/`` (``main``), then every VRU view of it: names, path
        (``/vru/<id>/``), whether this server serves it, its published build, and its data:
        police.uk street files (force folder, months), partner extracts, service directory."""
        build = watcher.build
        main = {
            "id": watcher.region,
            "name": build.region_name if build is not None else watcher.region,
            "vru": "",
            "path": "/",
            "served": True,
            "main": True,
            "build_id": build.build_id if build is not None else None,
            "data": None,
        }
        rest = await run_in_threadpool(front.vrus) if front is not None else []
        return json_answer(orjson.dumps([main, *rest]))

    @router.get(
        "/vrus/outlines",
        response_model=Envelope[VruOutlines],
        summary="Every VRU view's boundary (GeoJSON)",
        responses=error_responses(503),
    )
    async def outlines(request: Request) -> Response:
        """Each view's boundary, the union of its districts' outlines in the national
        build, simplified to about 100 m (EPSG:4326), with its id, names, path and whether
        it is served. Empty without views."""
        build = await current_build(watcher)
        if front is None:
            body = b'{"type":"FeatureCollection","features":[]}'
        else:
            body = await run_in_threadpool(front.outlines, build)
        return cached_answer(request, body, build.build_id, cache_control)

    return router
