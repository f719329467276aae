"""Layers and build provenance."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from sna.answers import BuildReader
from sna.builds.registry import list_builds
from sna.builds.watcher import BuildWatcher

from ..models import BuildInfo, LayerList
from ..responses import BuildAnswers, envelope
from .tiles import SURFACE_TILE_URL

__all__ = ["create_meta_router"]


def create_meta_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """``/api/v1/layers`` and ``/api/v1/builds``."""
    api = BuildAnswers(watcher, max_age, prefix="/api/v1", tags=["metadata"])

    @api.get("/layers", LayerList, summary="Layers of the current build")
    async def layers(request: Request) -> Response:
        """Titles, socio-ecological levels, sources, licences, vintages, synthetic flags
        and map styling (tile URL and legend of each surface)."""
        return await api.answer(request, layers_body)

    @api.get("/builds", BuildInfo, summary="Provenance of the current build")
    async def builds() -> Response:
        """The current build (code version, sources, vintages, checks) and every build."""
        build = await api.build()
        info = BuildInfo(**build.info(), builds=list_builds(watcher.region, watcher.data_dir))
        return Response(envelope(info.model_dump_json().encode()), media_type="application/json")

    return api.router


_LAYERS: dict[str, bytes] = {}


def layers_body(build: BuildReader) -> bytes:
    """The build's layer catalogue with each surface's tile URL first in its ``surface``
    (computed once per build)."""
    got = _LAYERS.get(build.build_id)
    if got is None:
        body = orjson.loads(build.layers_json())
        for layer in body["layers"]:
            if layer.get("surface") is not None:
                url = SURFACE_TILE_URL.format(layer=layer["id"])
                layer["surface"] = {"tiles": url, **layer["surface"]}
        got = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
        _LAYERS.clear()  # one build is served at a time
        _LAYERS[build.build_id] = got
    return got
