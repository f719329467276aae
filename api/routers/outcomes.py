"""The Home Office success measures: ``GET /api/v1/outcomes``."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sna.answers import BuildReader
from sna.builds.watcher import BuildWatcher
from sna.errors import OutcomesNotFound

from ..models import Outcomes
from ..responses import BuildAnswers
from .web import STATIC_DIR, content_security_policy

__all__ = ["create_outcomes_router"]


def create_outcomes_router(watcher: BuildWatcher, max_age: int = 60, title: str = "") -> APIRouter:
    """``/api/v1/outcomes`` (computed by ``sna build`` and stored in the build) and the
    public page ``/outcomes`` that draws it (``static/outcomes.js``: no outside code)."""
    api = BuildAnswers(watcher, max_age, prefix="/api/v1", tags=["outcomes"])
    page = (STATIC_DIR / "outcomes.html").read_text(encoding="utf-8")
    page = page.replace("{{ title }}", html.escape(title or "SNA risk mapper"))
    headers = {
        "Content-Security-Policy": content_security_policy(),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }

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
        return await api.answer(request, _outcomes)

    router = APIRouter()
    router.include_router(api.router)

    @router.get("/outcomes", response_class=HTMLResponse, include_in_schema=False)
    async def outcomes_page() -> HTMLResponse:
        """One chart per measure, the region against England and Wales, in plain words."""
        return HTMLResponse(page, headers=headers)

    return router


def _outcomes(build: BuildReader) -> bytes:
    """The answer ``sna build`` stored (404 for a build made without the ONS tables)."""
    if build.outcomes_json is None:
        raise OutcomesNotFound(
            f"the current build of {build.region_name} has no outcome series (the ONS police "
            "force area tables were not found when it was built)"
        )
    return build.outcomes_json
