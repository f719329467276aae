"""The FastAPI app: ``create_app(settings)`` wires routers over one build watcher.

``serve(region, host, port, data_dir)`` runs it with uvicorn (``sna serve`` calls it).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from sna.lookup import load_build
from sna.tiles import TileCache
from sna.watcher import BuildWatcher

from .errors import STATUS_CODES, add_exception_handlers
from .routers.analyst import create_analyst_router
from .routers.areas import create_areas_router
from .routers.health import create_health_router
from .routers.meta import create_meta_router
from .routers.postcodes import create_postcodes_router
from .routers.tiles import create_tiles_router
from .routers.web import STATIC_DIR, create_web_router
from .settings import ApiSettings

__all__ = ["create_app", "serve"]

log = logging.getLogger(__name__)

DESCRIPTION = """
Public lookups over the current build of a region's strategic needs assessment: postcodes,
areas (LSOA21, ward, district), layers, provenance and map tiles.

Partner data (hospital admissions, pupil exclusions) is disclosure-controlled: no count
below 8 and no exact rate is ever returned; partner rates appear only as bands. Layers built
from synthetic stand-in data are flagged `synthetic` with a notice. Restricted values are
served only under `/api/v1/analyst`, with an `X-API-Key` header.
"""


def create_app(
    settings: ApiSettings | None = None, *, watcher: BuildWatcher | None = None
) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment).

    Parameters
    ----------
    settings
        App settings; tests pass them directly.
    watcher
        The build source; by default a :class:`~sna.lookup.BuildWatcher` of
        ``settings.region`` under ``settings.data_dir`` that reloads when a new build is
        published.
    """
    settings = settings or ApiSettings()
    if watcher is None:
        loader = partial(
            load_build, asset_radius_m=settings.asset_radius_m, max_assets=settings.max_assets
        )
        watcher = BuildWatcher(
            settings.region, settings.data_dir, interval=settings.reload_interval, loader=loader
        )
    cache = TileCache(settings.tile_cache_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher.start()  # load in the background; /ready says when it is done
        yield

    app = FastAPI(
        title="SNA risk mapper API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from vendored Swagger UI: no CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.watcher = watcher
    app.state.tile_cache = cache
    add_exception_handlers(app, STATUS_CODES)
    app.include_router(create_health_router(watcher))
    app.include_router(create_postcodes_router(watcher, settings.api_max_age))
    app.include_router(create_areas_router(watcher, settings.api_max_age))
    app.include_router(create_meta_router(watcher, settings.api_max_age))
    app.include_router(create_analyst_router(watcher, settings.api_key))
    app.include_router(create_tiles_router(watcher, cache, settings.tile_max_age))
    app.include_router(
        create_web_router(settings.title, settings.basemap_url, settings.basemap_attribution)
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """OpenAPI docs with Swagger UI served from this app, so they work offline."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="SNA risk mapper API: docs",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"]
        )
    return app


def serve(
    region: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    data_dir: Path | None = None,
    **settings: Any,
) -> None:
    """Serve the region's current build with uvicorn until interrupted.

    Extra keyword arguments are :class:`ApiSettings` fields (e.g. ``basemap_url``).
    """
    import uvicorn

    overrides = {"region": region, **settings}
    if data_dir is not None:
        overrides["data_dir"] = Path(data_dir)
    app = create_app(ApiSettings(**overrides))
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
