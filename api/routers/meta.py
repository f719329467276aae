"""Layers and build provenance."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sna.lookup import list_builds
from sna.watcher import BuildWatcher

from ..dependencies import current_build
from ..models import BuildInfo, ErrorDetail, LayerList

__all__ = ["create_meta_router"]


def create_meta_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """``/api/v1/layers`` and ``/api/v1/builds``."""
    router = APIRouter(prefix="/api/v1", tags=["metadata"])
    headers = {"Cache-Control": f"public, max-age={max_age}"}

    @router.get(
        "/layers",
        response_model=LayerList,
        responses={503: {"model": ErrorDetail}},
        summary="Layers of the current build",
    )
    async def layers() -> Response:
        """Titles, socio-ecological levels, sources, licences, vintages, synthetic flags
        and map styling (tile URL and legend of each surface)."""
        build = await current_build(watcher)
        return Response(build.layers_json(), media_type="application/json", headers=headers)

    @router.get(
        "/builds",
        response_model=BuildInfo,
        responses={503: {"model": ErrorDetail}},
        summary="Provenance of the current build",
    )
    async def builds() -> BuildInfo:
        """The current build (code version, sources, vintages, checks) and every build."""
        build = await current_build(watcher)
        return BuildInfo(**build.info(), builds=list_builds(watcher.region, watcher.data_dir))

    return router
