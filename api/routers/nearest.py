"""postcodes.io's routes by position: nearest postcodes to a postcode, random postcodes,
nearest outcodes (to an outcode or a point), and the routes of data this server does not
hold (Scottish postcodes, places), which answer 404 saying so.

Lists are compact entries (:mod:`sna.answers.nearest`); the reverse lookup itself
(``GET /api/v1/reverse/postcodes``, and postcodes.io's ``GET /api/v1/postcodes?lon=&lat=``)
and bulk reverse geocoding are in :mod:`api.routers.postcodes`, which shares :func:`point`
and the parameters here.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from sna.answers.nearest import OUTCODE_RADIUS_M, WIDE_LIMIT, WIDE_RADIUS_M
from sna.builds.watcher import BuildWatcher

from ..dependencies import current_build
from ..models import (
    MAX_LIMIT,
    MAX_OUTCODE_RADIUS_M,
    MAX_RADIUS_M,
    Envelope,
    ErrorDetail,
    NearbyOutcode,
    NearbyPostcode,
    PostcodeResult,
)
from ..responses import cached_answer, json_answer

__all__ = [
    "create_nearest_router",
    "point",
    "search_size",
    "hidden_lon_lat",
    "NOT_SERVED",
    "REQUIRED_IN_SCHEMA",
]

#: An operation's ``openapi_extra`` key: these query parameters are required in the schema
#: (the app's ``openapi()`` marks them so) while the route also takes postcodes.io's other
#: spellings of them, which the schema does not list (``api.app.SnaFastAPI``).
REQUIRED_IN_SCHEMA = "x-sna-required"

_503 = {"model": ErrorDetail, "description": "No build is loaded yet."}
_404 = {"model": ErrorDetail, "description": "Not a postcode (or outcode) of the region."}
_422 = {"model": ErrorDetail, "description": "A parameter out of range."}
_400 = {"model": ErrorDetail, "description": "No point: give lon and lat (or longitude and "
        "latitude), not both spellings with different values."}  # fmt: skip


def lon_query(name: str) -> float | None:
    """A longitude query parameter (``lon`` or postcodes.io's other spelling)."""
    return Query(None, ge=-180, le=180, description=f"Longitude (WGS84); or {name}.")


def lat_query(name: str) -> float | None:
    """A latitude query parameter (``lat`` or postcodes.io's other spelling)."""
    return Query(None, ge=-90, le=90, description=f"Latitude (WGS84); or {name}.")


def hidden_lon_lat(low: float, high: float) -> float | None:
    """postcodes.io's other spelling of a coordinate (or a reverse form of an operation
    that documents another one): accepted, checked, not listed in the schema."""
    return Query(None, ge=low, le=high, include_in_schema=False)


def limit_query(default: int = 10) -> int:
    """``limit``: at most this many (1 to 100, as postcodes.io)."""
    return Query(default, ge=1, le=MAX_LIMIT, description="At most this many.", examples=[10])


def wide_query(alias: str | None = None) -> bool:
    """postcodes.io's ``wideSearch`` (also spelt ``widesearch``)."""
    return Query(
        False,
        alias=alias,
        description=f"Search up to {WIDE_RADIUS_M / 1000:.0f} km for at most {WIDE_LIMIT} "
        "postcodes (radius, and a limit above 10, are then ignored).",
    )


def point(
    lon: float | None, lat: float | None, longitude: float | None, latitude: float | None
) -> tuple[float, float] | None:
    """The point asked, from ``lon``/``lat`` or ``longitude``/``latitude`` (mixed too);
    None when it is incomplete; a 400 when both spellings disagree."""
    x = _one_of(lon, longitude, "lon", "longitude")
    y = _one_of(lat, latitude, "lat", "latitude")
    return None if x is None or y is None else (x, y)


def _one_of(a: float | None, b: float | None, name_a: str, name_b: str) -> float | None:
    if a is not None and b is not None and a != b:
        raise HTTPException(400, f"Give {name_a} or {name_b}, not both with different values")
    return a if a is not None else b


def search_size(radius: float, limit: int, wide: bool) -> tuple[float, int]:
    """``(radius, limit)`` as searched: ``wideSearch`` is 20 km and at most 10."""
    return (WIDE_RADIUS_M, min(limit, WIDE_LIMIT)) if wide else (radius, limit)


#: postcodes.io routes of data this server does not hold, and why (README: differences)
NOT_SERVED: dict[str, tuple[str, str]] = {
    "/scotland/postcodes/{postcode}": (
        "Scottish postcodes",
        "Scottish postcodes (postcodes.io's Scottish Postcode Directory data) are not served: "
        "this server answers for the postcodes of its own English region only",
    ),
    "/places": (
        "Places search",
        "Places (OS Open Names) are not served: look up a postcode or an outcode instead",
    ),
    "/places/{code}": (
        "A place",
        "Places (OS Open Names) are not served: look up a postcode or an outcode instead",
    ),
    "/random/places": (
        "A random place",
        "Places (OS Open Names) are not served: try /api/v1/random/postcodes",
    ),
}


def create_nearest_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """Routes under ``/api/v1``: ``/postcodes/{postcode}/nearest``, ``/random/postcodes``,
    ``/outcodes`` (by point), ``/outcodes/{outcode}/nearest`` and the not-served ones."""
    router = APIRouter(prefix="/api/v1", tags=["postcodes"])
    cache_control = f"public, max-age={max_age}"

    @router.get(
        "/postcodes/{postcode}/nearest",
        response_model=Envelope[list[NearbyPostcode]],
        responses={404: _404, 422: _422, 503: _503},
        summary="Postcodes nearest a postcode",
    )
    async def nearest_postcodes(
        request: Request,
        postcode: str = Path(description="A postcode of the region.", examples=["B1 1AY"]),
        limit: int = limit_query(),
        radius: float = Query(
            100, gt=0, le=MAX_RADIUS_M, description="Metres around the postcode."
        ),
        wide_search: bool = wide_query("wideSearch"),
        widesearch: bool = wide_query(),
    ) -> Response:
        """As postcodes.io: the live postcodes within ``radius`` metres of this one (itself
        first, at 0 m), nearest first, as compact entries with their ``distance``. The full
        answer of each: ``GET /api/v1/postcodes/{postcode}``. 404 for a postcode without a
        grid reference (it has no position)."""
        build = await current_build(watcher)
        r, n = search_size(radius, limit, wide_search or widesearch)
        body = build.nearest_to_postcode_json(postcode, r, n)
        return cached_answer(request, body, build.build_id, cache_control)

    @router.get(
        "/random/postcodes",
        response_model=Envelope[PostcodeResult],
        responses={404: _404, 503: _503},
        summary="A random postcode of the region",
    )
    async def random_postcode(
        outcode: str | None = Query(
            None, max_length=8, description="Only within this outcode.", examples=["B1"]
        ),
    ) -> Response:
        """As postcodes.io: the full answer of a live postcode of the region drawn at random,
        optionally within ``outcode`` (404 when the region has none in it). Not cached."""
        build = await current_build(watcher)
        return json_answer(build.random_json(outcode), headers={"Cache-Control": "no-store"})

    @router.get(
        "/outcodes",
        response_model=Envelope[list[NearbyOutcode]],
        responses={400: _400, 422: _422, 503: _503},
        summary="Outcodes nearest a point",
        openapi_extra={REQUIRED_IN_SCHEMA: ["lon", "lat"]},
    )
    async def outcodes_at(
        request: Request,
        lon: float | None = lon_query("longitude"),
        lat: float | None = lat_query("latitude"),
        longitude: float | None = hidden_lon_lat(-180, 180),
        latitude: float | None = hidden_lon_lat(-90, 90),
        limit: int = limit_query(),
        radius: float = Query(
            OUTCODE_RADIUS_M, gt=0, le=MAX_OUTCODE_RADIUS_M, description="Metres around the point."
        ),
    ) -> Response:
        """As postcodes.io's outcode reverse geocoding: the region's outcodes whose mean
        position is within ``radius`` metres, nearest first, each with its ``distance``."""
        at = point(lon, lat, longitude, latitude)
        if at is None:
            raise HTTPException(400, "Give lon and lat (or longitude and latitude)")
        build = await current_build(watcher)
        body = build.outcodes_at_json(at[0], at[1], radius, limit)
        return cached_answer(request, body, build.build_id, cache_control)

    @router.get(
        "/outcodes/{outcode}/nearest",
        response_model=Envelope[list[NearbyOutcode]],
        responses={404: _404, 422: _422, 503: _503},
        summary="Outcodes nearest an outcode",
    )
    async def nearest_outcodes(
        request: Request,
        outcode: str = Path(description="An outward code of the region.", examples=["B1"]),
        limit: int = limit_query(),
        radius: float = Query(
            OUTCODE_RADIUS_M, gt=0, le=MAX_OUTCODE_RADIUS_M, description="Metres around it."
        ),
    ) -> Response:
        """As postcodes.io: the region's outcodes within ``radius`` metres of this one
        (itself first, at 0 m), nearest first, each with its ``distance``."""
        build = await current_build(watcher)
        body = build.nearest_outcodes_json(outcode, radius, limit)
        return cached_answer(request, body, build.build_id, cache_control)

    def not_served(path: str):
        summary, reason = NOT_SERVED[path]
        return router.get(
            path,
            status_code=404,
            response_model=ErrorDetail,
            responses={404: {"model": ErrorDetail, "description": reason + "."}},
            summary=f"{summary}: not served",
            tags=["not served"],
        )

    @not_served("/scotland/postcodes/{postcode}")
    async def scottish_postcode(postcode: str = Path(description="A Scottish postcode.")) -> None:
        """Not served: always 404, saying why (README: the differences from postcodes.io)."""
        raise HTTPException(404, NOT_SERVED["/scotland/postcodes/{postcode}"][1])

    @not_served("/places")
    async def places() -> None:
        """Not served: always 404, saying why (README: the differences from postcodes.io)."""
        raise HTTPException(404, NOT_SERVED["/places"][1])

    @not_served("/places/{code}")
    async def place(code: str = Path(description="An OS Open Names place code.")) -> None:
        """Not served: always 404, saying why (README: the differences from postcodes.io)."""
        raise HTTPException(404, NOT_SERVED["/places/{code}"][1])

    @not_served("/random/places")
    async def random_place() -> None:
        """Not served: always 404, saying why (README: the differences from postcodes.io)."""
        raise HTTPException(404, NOT_SERVED["/random/places"][1])

    return router
