"""Postcode lookups: one, bulk (up to 100) and prefix autocomplete."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sna.watcher import BuildWatcher

from ..dependencies import current_build
from ..models import Autocomplete, BulkQuery, BulkResult, ErrorDetail, PostcodeResult

__all__ = ["create_postcodes_router"]

ERRORS = {
    404: {"model": ErrorDetail, "description": "A well-formed postcode not in the region."},
    422: {"model": ErrorDetail, "description": "Not a valid postcode (the detail says why)."},
    503: {"model": ErrorDetail, "description": "No build is loaded yet."},
}


def create_postcodes_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """Routes under ``/api/v1/postcodes``; answers are pre-serialised by the build."""
    router = APIRouter(prefix="/api/v1/postcodes", tags=["postcodes"])
    headers = {"Cache-Control": f"public, max-age={max_age}"}

    @router.get(
        "/{postcode}",
        response_model=PostcodeResult,
        responses=ERRORS,
        summary="Look up a postcode",
    )
    async def postcode(
        postcode: str = Path(
            description="Any case and spacing, e.g. 'b11ay' or 'B1 1AY'.",
            examples=["B1 1AY"],
        ),
    ) -> Response:
        """Indices, drivers, nearby support and provenance for one postcode.

        A terminated postcode answers with the last area it belonged to and says so.
        """
        build = await current_build(watcher)
        return Response(
            build.postcode_json(postcode), media_type="application/json", headers=headers
        )

    @router.post(
        "",
        response_model=BulkResult,
        responses={
            400: {"model": ErrorDetail, "description": "The body could not be parsed."},
            413: {"model": ErrorDetail, "description": "The body is larger than the limit."},
            422: {"model": ErrorDetail, "description": "Not a list of 1 to 100 strings."},
            503: ERRORS[503],
        },
        summary="Look up to 100 postcodes",
    )
    async def bulk(query: BulkQuery) -> Response:
        """Each postcode answers on its own (status 200, 404 or 422 per item)."""
        build = await current_build(watcher)
        # up to 100 lookups: in a worker thread, so other requests keep being answered
        body = await run_in_threadpool(build.postcodes_json, query.postcodes)
        return Response(body, media_type="application/json")

    @router.get(
        "",
        response_model=Autocomplete,
        responses={422: ERRORS[422], 503: ERRORS[503]},
        summary="Postcodes starting with a prefix",
    )
    async def autocomplete(
        q: str = Query(
            min_length=1,
            max_length=8,
            description="The start of a postcode; a space ends the outward code.",
            examples=["B1 1"],
        ),
        limit: int = Query(10, ge=1, le=100, description="At most this many.", examples=[10]),
    ) -> Autocomplete:
        """Sorted postcodes (live and terminated) that start with ``q``."""
        build = await current_build(watcher)
        return Autocomplete(**build.autocomplete(q, limit))

    return router
