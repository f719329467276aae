"""Postcode lookups in postcodes.io's conventions: one, validate, autocomplete, bulk (up to
100 postcodes, or bulk reverse geocoding of up to 100 points), reverse (nearest to a
point), outward codes and terminated postcodes. Nearest, random and not-served routes:
:mod:`api.routers.nearest`.

Every answer is ``{"status": 200, "result": ...}``; every error ``{"status": 404,
"error": "..."}``. The results are pre-serialised by the build.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sna.answers import BuildReader
from sna.answers.nearest import Geolocation
from sna.builds.watcher import BuildWatcher
from sna.errors import PostcodeError

from ..answering import validator
from ..dependencies import current_build
from ..models import (
    MAX_BULK,
    MAX_BULK_ENTRIES,
    MAX_RADIUS_M,
    BulkBody,
    BulkItem,
    BulkReverseItem,
    BulkReverseQuery,
    Envelope,
    ErrorDetail,
    NearbyPostcode,
    Outcode,
    PostcodeResult,
    TerminatedPostcode,
)
from ..responses import cached_answer, json_answer, send_cached_answer
from .nearest import (
    REQUIRED_IN_SCHEMA,
    hidden_lon_lat,
    limit_query,
    point,
    search_size,
    wide_query,
)

__all__ = ["create_postcodes_router", "bulk_items", "PostcodeAnswer"]

ERRORS = {
    404: {
        "model": ErrorDetail,
        "description": "Not a postcode, or not one of the region (the error says which).",
    },
    422: {"model": ErrorDetail, "description": "A parameter out of range."},
    503: {"model": ErrorDetail, "description": "No build is loaded yet."},
}
POSTCODE = Path(description="Any case and spacing, e.g. 'b11ay' or 'B1 1AY'.", examples=["B1 1AY"])


def create_postcodes_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """Routes under ``/api/v1/postcodes``, ``/api/v1/outcodes`` and
    ``/api/v1/terminated_postcodes``."""
    router = APIRouter(prefix="/api/v1", tags=["postcodes"])
    cache_control = f"public, max-age={max_age}"
    # the lookup itself, matched before the documented route below (which gives the schema)
    router.routes.append(
        Route(
            "/api/v1/postcodes/{postcode}",
            PostcodeAnswer(watcher, cache_control),
            methods=["GET"],
            include_in_schema=False,
        )
    )

    @router.get(
        "/postcodes/{postcode}",
        response_model=Envelope[PostcodeResult],
        responses=ERRORS,
        summary="Look up a postcode",
    )
    async def postcode(request: Request, postcode: str = POSTCODE) -> Response:
        """Indices, drivers, nearby support and provenance for one postcode, with
        postcodes.io's fields (postcode, outcode, incode, longitude, latitude, eastings,
        northings, lsoa, msoa, admin_ward, admin_district, codes).

        A terminated postcode answers with the last area it belonged to and says so.
        """
        build = await current_build(watcher)
        return cached_answer(
            request, build.postcode_json(postcode), validator(build), cache_control
        )

    @router.get(
        "/postcodes/{postcode}/validate",
        response_model=Envelope[bool],
        responses={503: ERRORS[503]},
        summary="Is this a postcode of the region?",
    )
    async def validate(request: Request, postcode: str = POSTCODE) -> Response:
        """``true`` for a postcode of the region (live or terminated), else ``false``."""
        build = await current_build(watcher)
        body = b"true" if build.validate(postcode) else b"false"
        return cached_answer(request, body, build.build_id, cache_control)

    @router.get(
        "/postcodes/{postcode}/autocomplete",
        response_model=Envelope[list[str]],
        responses={422: ERRORS[422], 503: ERRORS[503]},
        summary="Live postcodes starting with this one",
    )
    async def autocomplete_path(
        request: Request,
        postcode: str = Path(description="The start of a postcode.", examples=["B1 1"]),
        limit: int = Query(10, ge=1, le=100, description="At most this many.", examples=[10]),
    ) -> Response:
        """As postcodes.io: sorted live postcodes that start with ``postcode`` ([] if none)."""
        build = await current_build(watcher)
        got = build.autocomplete(postcode[:8], limit)["result"]
        return cached_answer(request, _dumps(got), build.build_id, cache_control)

    @router.post(
        "/postcodes",
        response_model=Envelope[list[BulkItem] | list[BulkReverseItem]],
        responses={
            400: {"model": ErrorDetail, "description": "The body could not be parsed."},
            413: {"model": ErrorDetail, "description": "The body is larger than the limit."},
            422: {
                "model": ErrorDetail,
                "description": f"Not 1 to {MAX_BULK} postcodes or points, or the points' "
                f"limits add up to more than {MAX_BULK_ENTRIES}.",
            },
            503: ERRORS[503],
        },
        summary=f"Look up to {MAX_BULK} postcodes, or the postcodes near up to {MAX_BULK} points",
    )
    async def bulk(query: BulkBody) -> Response:
        """postcodes.io's bulk lookups, in the order asked.

        ``{"postcodes": [...]}``: ``[{"query", "result"}, ...]``, ``result`` the full
        answer (null, with ``status`` 404 and ``error``, for a postcode not found). Each
        distinct postcode is answered once, at its first place in the list.

        ``{"geolocations": [{"longitude", "latitude", "radius"?, "limit"?,
        "widesearch"?}, ...]}`` (bulk reverse geocoding): ``[{"query", "result"}, ...]``,
        ``result`` the live postcodes near each point as compact entries, nearest first
        (``[]`` when none); at most 1,000 entries in all.
        """
        build = await current_build(watcher)
        # up to 100 lookups: in a worker thread, so other requests keep being answered
        if isinstance(query, BulkReverseQuery):
            points = [
                Geolocation(g.longitude, g.latitude, g.radius, g.limit, g.widesearch)
                for g in query.geolocations
            ]
            return json_answer(await run_in_threadpool(build.bulk_reverse_json, points))
        body = await run_in_threadpool(bulk_items, build, query.postcodes)
        return json_answer(body)

    @router.get(
        "/postcodes",
        response_model=Envelope[list[str]],
        responses={
            400: {
                "model": ErrorDetail,
                "description": "No q (nor a point, in postcodes.io's reverse form below), "
                "or both spellings of a coordinate with different values.",
            },
            422: ERRORS[422],
            503: ERRORS[503],
        },
        summary="Autocomplete: live postcodes starting with q",
        openapi_extra={REQUIRED_IN_SCHEMA: ["q"]},
    )
    async def search(
        request: Request,
        q: str | None = Query(
            None,
            min_length=1,
            max_length=8,
            description="The start of a postcode; a space ends the outward code.",
            examples=["B1 1"],
        ),
        limit: int = limit_query(),
        lon: float | None = hidden_lon_lat(-180, 180),
        lat: float | None = hidden_lon_lat(-90, 90),
        longitude: float | None = hidden_lon_lat(-180, 180),
        latitude: float | None = hidden_lon_lat(-90, 90),
        radius: float = Query(100, gt=0, le=MAX_RADIUS_M, include_in_schema=False),
        wide_search: bool = Query(False, alias="wideSearch", include_in_schema=False),
        widesearch: bool = Query(False, include_in_schema=False),
    ) -> Response:
        """Live postcodes starting with ``q``, sorted (``[]`` when none match).

        postcodes.io's reverse form of this path (``?lon=&lat=``, or ``longitude`` and
        ``latitude``, with ``radius``, ``limit`` and ``wideSearch``) is answered too, as
        :code:`GET /api/v1/reverse/postcodes`, which documents it; a point, when given,
        is used instead of ``q``."""
        build = await current_build(watcher)
        at = point(lon, lat, longitude, latitude)
        if at is not None:
            r, n = search_size(radius, limit, wide_search or widesearch)
            body = build.nearest_json(at[0], at[1], r, n)
        elif q is not None:
            body = _dumps(build.autocomplete(q, limit)["result"])
        else:
            raise HTTPException(400, "Give q, or both lon and lat (or longitude and latitude)")
        return cached_answer(request, body, build.build_id, cache_control)

    @router.get(
        "/reverse/postcodes",
        response_model=Envelope[list[NearbyPostcode]],
        responses={422: ERRORS[422], 503: ERRORS[503]},
        summary="Reverse lookup: live postcodes nearest a point (lon, lat)",
    )
    async def reverse(
        request: Request,
        lon: float = Query(ge=-180, le=180, description="Longitude (WGS84).", examples=[-1.8998]),
        lat: float = Query(ge=-90, le=90, description="Latitude (WGS84).", examples=[52.4796]),
        radius: float = Query(100, gt=0, le=MAX_RADIUS_M, description="Metres around the point."),
        limit: int = limit_query(),
        wide_search: bool = wide_query("wideSearch"),
        widesearch: bool = wide_query(),
    ) -> Response:
        """The live postcodes within ``radius`` metres of the point, nearest first, as
        compact entries with their ``distance`` (postcodes.io's reverse geocoding, which
        postcodes.io answers at ``/postcodes?lon=&lat=``: answered there too).
        ``wideSearch``: up to 20 km, at most 10. ``[]`` when none. The full answer of
        each: ``/api/v1/postcodes/{postcode}``."""
        build = await current_build(watcher)
        r, n = search_size(radius, limit, wide_search or widesearch)
        body = build.nearest_json(lon, lat, r, n)
        return cached_answer(request, body, build.build_id, cache_control)

    @router.get(
        "/outcodes/{outcode}",
        response_model=Envelope[Outcode],
        responses={404: ERRORS[404], 503: ERRORS[503]},
        summary="An outward code",
    )
    async def outcode(
        request: Request,
        outcode: str = Path(description="An outward code, e.g. 'B1'.", examples=["B1"]),
    ) -> Response:
        """As postcodes.io's outcode lookup: mean position of its live postcodes, and the
        wards and districts they fall in."""
        build = await current_build(watcher)
        return cached_answer(request, build.outcode_json(outcode), build.build_id, cache_control)

    @router.get(
        "/terminated_postcodes/{postcode}",
        response_model=Envelope[TerminatedPostcode],
        responses={404: ERRORS[404], 503: ERRORS[503]},
        summary="A terminated postcode",
    )
    async def terminated(request: Request, postcode: str = POSTCODE) -> Response:
        """As postcodes.io: when a postcode of the region was terminated, and where it was."""
        build = await current_build(watcher)
        return cached_answer(
            request, build.terminated_json(postcode), build.build_id, cache_control
        )

    return router


class PostcodeAnswer:
    """``GET /api/v1/postcodes/{postcode}`` as a bare ASGI endpoint.

    The answer is bytes read by key, so FastAPI's per-request work (solving the
    parameters, a Request and a Response object) was a third of a lookup's time. This
    endpoint sends the same status, headers and body as the documented route
    (:func:`~api.responses.cached_answer`); errors are raised as the same typed errors,
    which the app's exception handlers answer.
    """

    def __init__(self, watcher: BuildWatcher, cache_control: str) -> None:
        self.watcher = watcher
        self.cache_control = cache_control.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Look up ``path_params["postcode"]`` in the current build and send the answer."""
        build = await current_build(self.watcher)
        result = build.postcode_json(scope["path_params"]["postcode"])
        await send_cached_answer(scope, send, result, validator(build), self.cache_control)


def _dumps(value: object) -> bytes:
    return orjson.dumps(value)


def bulk_items(build: BuildReader, texts: list[str]) -> bytes:
    """Bulk lookup in postcodes.io's shape: ``[{"query", "result", "status", "error"}]``.

    Each item answers on its own: ``result`` is the postcode answer, or ``null`` with
    ``status`` 404 and the reason in ``error``. A postcode asked more than once (in any
    spacing or case) is answered once, at its first place, so a request's answer is bounded
    by its distinct postcodes, not by how often one is repeated.
    """
    parts = []
    seen: set[str] = set()
    for q in texts:
        key = "".join(q.split()).upper()
        if key in seen:
            continue
        seen.add(key)
        qb = orjson.dumps(q)
        try:
            body = build.postcode_json(q)
            parts.append(b'{"query":' + qb + b',"result":' + body + b',"status":200}')
        except PostcodeError as exc:
            err = orjson.dumps(str(exc))
            parts.append(b'{"query":' + qb + b',"result":null,"status":404,"error":' + err + b"}")
    return b"[" + b",".join(parts) + b"]"
