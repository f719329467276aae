"""The VRU's service directory as a map layer: ``GET /api/v1/services`` (GeoJSON)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sna.watcher import BuildWatcher

from ..dependencies import current_build
from ..models import Envelope, ErrorDetail, ServiceCollection
from ..responses import cached_answer

__all__ = ["create_services_router"]


def create_services_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """``/api/v1/services``: the directory's services, drawn by ``/static/services.js``."""
    router = APIRouter(prefix="/api/v1", tags=["services"])
    cache_control = f"public, max-age={max_age}"

    @router.get(
        "/services",
        response_model=Envelope[ServiceCollection],
        responses={503: {"model": ErrorDetail}},
        summary="The VRU's service directory, as GeoJSON points",
    )
    async def services(request: Request) -> Response:
        """The services the VRU commissions (``[services]`` in the region file), each a
        GeoJSON point (EPSG:4326) with name, type, ages, website, phone and opening times.
        An empty FeatureCollection when the region has no directory."""
        build = await current_build(watcher)
        body = await run_in_threadpool(build.services_geojson)  # read once, then cached
        return cached_answer(request, body, build.build_id, cache_control)

    return router
