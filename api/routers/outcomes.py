"""The Home Office success measures: ``GET /api/v1/outcomes``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sna.answers import BuildReader
from sna.watcher import BuildWatcher

from ..models import Outcomes
from ..responses import BuildAnswers

__all__ = ["create_outcomes_router"]


def create_outcomes_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """``/api/v1/outcomes``: computed by ``sna build`` and stored in the build."""
    api = BuildAnswers(watcher, max_age, prefix="/api/v1", tags=["outcomes"])

    @api.get(
        "/outcomes",
        Outcomes,
        404,
        503,
        summary="Home Office success measures of the region, over time",
    )
    async def outcomes(request: Request) -> Response:
        """Knife-enabled serious violence and homicide (ONS police force area tables: counts
        and rates per 100,000, the region's force area against its English region and
        England and Wales, one point per year ending March), hospital admissions for
        assault with a sharp object (partner data, or "awaiting partner data"), the closest
        police.uk monthly series, and what the open tables cannot give. 404 for a build made
        without the ONS tables."""
        return await api.answer(request, BuildReader.outcomes_json)

    return api.router
