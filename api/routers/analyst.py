"""Analyst endpoints: restricted columns (partner counts and rates), behind an API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path
from pydantic import SecretStr

from sna.builds.watcher import BuildWatcher

from ..dependencies import FailedAttempts, api_key_dependency, current_build
from ..models import Envelope, ErrorDetail

__all__ = ["create_analyst_router"]


def create_analyst_router(
    watcher: BuildWatcher, key: SecretStr | None, attempts: FailedAttempts | None = None
) -> APIRouter:
    """Routes under ``/api/v1/analyst``; every one answers 401 without ``X-API-Key``, and
    429 after too many failed attempts (``attempts``)."""
    router = APIRouter(
        prefix="/api/v1/analyst",
        tags=["analyst"],
        dependencies=[Depends(api_key_dependency(key, attempts))],
        responses={
            401: {"model": ErrorDetail},
            404: {"model": ErrorDetail},
            429: {"model": ErrorDetail, "description": "Too many failed key attempts."},
        },
    )

    @router.get(
        "/areas/{code}",
        response_model=Envelope[dict[str, Any]],
        summary="An area with restricted values",
    )
    async def area(
        code: str = Path(description="LSOA21, ward or district code.", examples=["E01033620"]),
    ) -> dict[str, Any]:
        """Partner counts, raw and shrunk rates (sums and weighted means for wards and
        districts), with the public answer alongside. Not disclosure-controlled."""
        build = await current_build(watcher)
        return {"status": 200, "result": build.analyst_area(code)}

    @router.get(
        "/postcodes/{postcode}",
        response_model=Envelope[dict[str, Any]],
        summary="A postcode with restricted values",
    )
    async def postcode(
        postcode: str = Path(description="Any case and spacing.", examples=["B1 1AY"]),
    ) -> dict[str, Any]:
        """Raw local surface values (partner ones included) and the public answer."""
        build = await current_build(watcher)
        return {"status": 200, "result": build.analyst_postcode(postcode)}

    return router
