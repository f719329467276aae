"""The VRU's service directory as a map layer: ``GET /api/v1/services`` (GeoJSON)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sna.answers import BuildReader
from sna.builds.watcher import BuildWatcher

from ..models import ServiceCollection
from ..responses import BuildAnswers

__all__ = ["create_services_router"]


def create_services_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """``/api/v1/services``: the directory's services, drawn by ``/static/services.js``."""
    api = BuildAnswers(watcher, max_age, prefix="/api/v1", tags=["services"])

    @api.get(
        "/services", ServiceCollection, summary="The VRU's service directory, as GeoJSON points"
    )
    async def services(request: Request) -> Response:
        """The services the VRU commissions (``[services]`` in the region file), each a
        GeoJSON point (EPSG:4326) with name, type, ages, website, phone and opening times.
        An empty FeatureCollection when the region has no directory."""
        # read once, then cached
        return await api.answer(request, BuildReader.services_geojson, in_thread=True)

    return api.router
