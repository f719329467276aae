"""The FastAPI app: ``create_app(settings)`` wires routers over one build watcher.

``serve(region, host, port, data_dir)`` runs it with uvicorn (``sna serve`` calls it).
"""

from __future__ import annotations

import copy
import gc
import hmac
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from sna.answers.files import limit_heap
from sna.builds.watcher import BuildWatcher
from sna.tiles.specs import TileCache

from .dependencies import FailedAttempts
from .errors import STATUS_CODES, add_exception_handlers
from .front_door import front_door
from .hot_path import HotPath
from .middleware import (
    AccessLogMiddleware,
    BodySizeLimitMiddleware,
    ExactHostMiddleware,
    GZipWhenAskedMiddleware,
    MethodsMiddleware,
    PublicCORSMiddleware,
    PublicOriginRedirectMiddleware,
    SecurityHeadersMiddleware,
)
from .routers.analyst import create_analyst_router
from .routers.areas import create_areas_router
from .routers.health import create_health_router
from .routers.meta import create_meta_router
from .routers.nearest import REQUIRED_IN_SCHEMA, create_nearest_router
from .routers.outcomes import create_outcomes_router
from .routers.postcodes import create_postcodes_router
from .routers.services import create_services_router
from .routers.tiles import create_tiles_router
from .routers.vrus import create_vrus_router
from .routers.web import STATIC_DIR, create_web_router
from .settings import ApiSettings

__all__ = ["create_app", "serve", "uvicorn_config"]

log = logging.getLogger(__name__)
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 5

DESCRIPTION = """
Public lookups over the current build of a region's strategic needs assessment: postcodes,
areas (LSOA21, ward, district), layers, provenance and map tiles.

Postcode routes follow postcodes.io: every JSON answer is `{"status": 200, "result": ...}`
and every error `{"status": 404, "error": "..."}`; postcodes carry postcodes.io's field names
(postcode, outcode, incode, longitude, latitude, eastings, northings, lsoa, msoa, admin_ward,
admin_district, codes) beside this service's own (violence_risk, indices, drivers, assets,
vintages, flags). `assets` (support nearby) lists the VRU's own service directory first;
`/api/v1/services` gives that directory as GeoJSON for the map.

Partner data (hospital admissions, pupil exclusions) is disclosure-controlled: no count
below 8 and no exact rate is ever returned; partner rates appear only as bands. Layers built
from synthetic stand-in data are flagged `synthetic` with a notice. Restricted values are
served only under `/api/v1/analyst`, with an `X-API-Key` header.
"""


def create_app(
    settings: ApiSettings | None = None,
    *,
    watcher: BuildWatcher | None = None,
    tile_cache: TileCache | None = None,
    mounted: bool = False,
) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment).

    Parameters
    ----------
    settings
        App settings; tests pass them directly.
    watcher
        The build source; by default a :class:`~sna.builds.watcher.BuildWatcher` of
        ``settings.region`` under ``settings.data_dir`` that reloads when a new build is
        published.
    tile_cache
        The tile cache (default: a new one); a view's app shares the main app's.
    mounted
        A view's app, made by :class:`~api.front_door.FrontDoor`: no views of its own, and
        no middleware (the main app's serves its requests too).
    """
    settings = settings or ApiSettings()
    own_watcher = watcher is None
    if watcher is None:
        watcher = BuildWatcher(
            settings.region,
            settings.data_dir,
            interval=settings.reload_interval,
            retry_after=settings.build_retry_seconds,
        )
    cache = tile_cache if tile_cache is not None else TileCache(settings.tile_cache_size)

    # VRU views of this region under /vru/<id>/, each a whole app over its own build, made
    # on its first request (api.front_door)
    front = None if mounted else front_door(settings, watcher, cache, create_app)
    if front is not None and own_watcher:
        watcher.loader = front.national_reader

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher.start()  # load in the background; /ready says when it is done
        # what start-up made (modules, the app, its routes) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it (pauses at
        # 128 connections were full collections over this heap)
        gc.collect()
        gc.freeze()
        yield

    app = (SnaFastAPI if mounted else ServedApp)(
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
    # the postcode routes first and flat on the app: an included router costs each request
    # a level of route matching (~10 us of a ~60 us lookup)
    _include_flat(app, create_postcodes_router(watcher, settings.api_max_age))
    app.include_router(create_nearest_router(watcher, settings.api_max_age))
    app.include_router(create_health_router(watcher))
    app.include_router(create_areas_router(watcher, settings.api_max_age))
    app.include_router(create_meta_router(watcher, settings.api_max_age))
    app.include_router(create_services_router(watcher, settings.api_max_age))
    app.include_router(create_outcomes_router(watcher, settings.api_max_age, settings.title))
    attempts = FailedAttempts(settings.key_attempts, settings.key_attempt_window)
    app.state.key_attempts = attempts
    app.include_router(create_analyst_router(watcher, settings.api_key, attempts))
    app.include_router(create_tiles_router(watcher, cache, settings.tile_max_age))
    app.include_router(
        create_web_router(settings.title, settings.basemap_url, settings.basemap_attribution)
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(create_vrus_router(watcher, front, settings.api_max_age))
    app.state.front_door = front
    if front is not None:
        app.router.routes.append(Mount("/vru/{vid}", app=front, name="vru"))

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

    if mounted:  # the main app's middleware serves a view's requests (api.middleware.app_path)
        return app
    key, key_id = settings.api_key, settings.key_id()

    def access_key_id(given: str | None) -> str | None:
        if not given:
            return None
        ok = key is not None and hmac.compare_digest(
            given.encode(), key.get_secret_value().encode()
        )
        return key_id if ok else "invalid"

    # add_middleware puts each new one outside the ones before: the last is outermost
    app.add_middleware(AccessLogMiddleware, prefix="/api/v1/analyst", key_id=access_key_id)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # JSON, CSV, GeoJSON (and tiles) above 1 kB, when the client accepts gzip
    app.add_middleware(
        GZipWhenAskedMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL
    )
    if settings.cors_origins:
        app.add_middleware(
            PublicCORSMiddleware,
            allow_origins=settings.cors_origins,
            private_prefix="/api/v1/analyst",
        )
    app.add_middleware(MethodsMiddleware, routes=lambda: _route_methods(app))
    app.add_middleware(PublicOriginRedirectMiddleware, public_origin=settings.public_origin)
    if "*" not in settings.trusted_hosts:
        app.add_middleware(ExactHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(SecurityHeadersMiddleware)
    if isinstance(app, ServedApp):
        app.hot = HotPath(
            super(ServedApp, app).__call__,  # FastAPI's own entry: telemetry, the stack
            watcher,
            cache_control=f"public, max-age={settings.api_max_age}",
            trusted_hosts=settings.trusted_hosts,
            cors=bool(settings.cors_origins),
            max_in_flight=settings.max_in_flight,
            retry_after=settings.busy_retry_seconds,
            gzip_min_bytes=GZIP_MIN_BYTES,
            gzip_level=GZIP_LEVEL,
            answer_cache_bytes=int(settings.answer_cache_mb * 1024 * 1024),
        )
    return app


class SnaFastAPI(FastAPI):
    """FastAPI whose schema marks the query parameters an operation names under
    :data:`~api.routers.nearest.REQUIRED_IN_SCHEMA` as required: the route needs them (or
    postcodes.io's other spelling, which the schema does not list) and answers 400 without."""

    def openapi(self) -> dict[str, Any]:
        """The schema, made once, with those parameters required."""
        if self.openapi_schema is None:
            schema = super().openapi()
            for ops in schema["paths"].values():
                for op in ops.values():
                    names = op.pop(REQUIRED_IN_SCHEMA, None) if isinstance(op, dict) else None
                    for param in op.get("parameters", []) if names else []:
                        if param["in"] == "query" and param["name"] in names:
                            param["required"] = True
                            param["schema"] = _not_null(param["schema"])
        return self.openapi_schema


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without its ``null`` alternative (``anyOf: [X, null]`` -> X)."""
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**options[0], **rest}


class ServedApp(SnaFastAPI):
    """The served app: every HTTP request enters through :class:`~api.hot_path.HotPath`,
    which answers plain postcode lookups itself and bounds the requests in flight before
    FastAPI's own entry (its telemetry check alone cost a lookup 6 us) and the middleware."""

    hot: HotPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP through the hot path (set by :func:`create_app`); the rest as FastAPI."""
        hot = self.hot
        if hot is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if self.root_path:
            scope["root_path"] = self.root_path
        await hot(scope, receive, send)


def _include_flat(app: FastAPI, router: APIRouter) -> None:
    """Add ``router``'s routes (prefix, tags and dependencies already applied) to the app's
    own route list, so they are matched without a nested router."""
    for route in router.routes:
        app.router.routes.append(route)


def _route_methods(app: FastAPI) -> dict[str, set[str]]:
    """Path template -> methods: every operation of the schema, the docs and static files."""
    out = {p: set(ops) for p, ops in app.openapi()["paths"].items()}
    out.update({"/openapi.json": {"GET"}, "/docs": {"GET"}, "/static/*": {"GET"}})
    return out


def uvicorn_config(app: FastAPI | str, host: str, port: int, settings: ApiSettings, **extra: Any):
    """The uvicorn config ``serve`` runs: no ``server`` banner, forwarded headers
    (``X-Forwarded-For``/``-Proto``) trusted only from ``settings.forwarded_allow_ips``, and
    at most ``settings.max_connections`` connections (503 past it).

    ``app`` may be an import string (with ``factory=True`` in ``extra`` for worker
    processes); ``extra`` goes to :class:`uvicorn.Config` as it is."""
    import uvicorn

    proxies = settings.forwarded_allow_ips
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        log_config=_log_config(settings),
        access_log=False,
        server_header=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else "",
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_seconds,
        **extra,
    )


def _log_config(settings: ApiSettings) -> dict[str, Any]:
    """uvicorn's logging, plus the analyst access log: JSON lines on stderr, or appended to
    ``settings.access_log_file``."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["sna_access"] = {"format": "%(message)s"}
    if settings.access_log_file is not None:
        handler = {"class": "logging.FileHandler", "filename": str(settings.access_log_file)}
    else:
        handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    config["handlers"]["sna_access"] = {**handler, "formatter": "sna_access"}
    config["loggers"]["sna.api.access"] = {"handlers": ["sna_access"], "level": "INFO"}
    return config


def serve(
    region: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    data_dir: Path | None = None,
    workers: int = 1,
    **settings: Any,
) -> None:
    """Serve the region's current build with uvicorn until interrupted.

    Extra keyword arguments are :class:`ApiSettings` fields (e.g. ``basemap_url``). With
    ``workers`` > 1 uvicorn runs that many processes, each building the app from
    :func:`create_app` with the same settings (passed through the environment); they share
    the build's ``answers.sqlite`` pages through the OS page cache.
    """
    import uvicorn

    overrides = {"region": region, **settings}
    if data_dir is not None:
        overrides["data_dir"] = Path(data_dir)
    api_settings = ApiSettings(**overrides)
    if host not in ("0.0.0.0", "::", "") and "*" not in api_settings.trusted_hosts:
        # the address it listens on is always a valid Host
        hosts = [*api_settings.trusted_hosts, host]
        api_settings = api_settings.model_copy(update={"trusted_hosts": list(dict.fromkeys(hosts))})
    if workers <= 1:
        limit_heap()  # SQLite's page caches, all files together
        app = create_app(api_settings)
        uvicorn.Server(uvicorn_config(app, host, port, api_settings)).run()
        return
    from uvicorn.supervisors import Multiprocess

    _export_settings(api_settings)
    config = uvicorn_config(
        "api.app:worker_app", host, port, api_settings, factory=True, workers=int(workers)
    )
    sockets = [config.bind_socket()]
    if "target" in inspect.signature(Multiprocess.__init__).parameters:  # uvicorn < 0.50
        Multiprocess(config, target=uvicorn.Server(config).run, sockets=sockets).run()
    else:
        Multiprocess(config, sockets=sockets).run()


def worker_app() -> FastAPI:
    """One worker's app (``--workers`` > 1): :func:`create_app` from the settings
    :func:`serve` put in the environment, with SQLite's heap bounded as :func:`serve` does."""
    limit_heap()
    return create_app()


def _export_settings(settings: ApiSettings) -> None:
    """Put ``settings`` in the environment (``SNA_API_*``), where each worker process's
    :class:`ApiSettings` reads them."""
    import os

    for name, value in settings.model_dump(exclude_none=True).items():
        if name == "api_key_file":  # already read into api_key
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        env = "SNA_API_KEY" if name == "api_key" else f"SNA_API_{name.upper()}"
        os.environ[env] = str(value)
