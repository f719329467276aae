"""Areas: one LSOA, ward or district, and the list of priority places (JSON/CSV/GeoJSON)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sna.answers import BuildReader
from sna.builds.watcher import BuildWatcher

from ..dependencies import AreaCode, AreaListParams
from ..models import AreaList, AreaResult, AreaTrend, ErrorDetail
from ..responses import BuildAnswers, cached_answer

__all__ = ["create_areas_router", "EXPORTS"]

EXPORTS = {
    "csv": ("text/csv; charset=utf-8", BuildReader.areas_csv),
    "geojson": ("application/geo+json", BuildReader.areas_geojson),
}
"""Download formats of the area list: media type and the reader method that renders it."""


def create_areas_router(watcher: BuildWatcher, max_age: int = 60) -> APIRouter:
    """Routes under ``/api/v1/areas``."""
    api = BuildAnswers(watcher, max_age, prefix="/api/v1/areas", tags=["areas"])

    @api.get("/{code}", AreaResult, 404, 503, summary="An LSOA21, ward or district")
    async def area(request: Request, code: AreaCode) -> Response:
        """Layer values, indices, drivers and comparison with the district and region.

        Ward and district indices are population-weighted means of their LSOAs.
        """
        return await api.answer(request, lambda build: build.area_json(code))

    @api.get("/{code}/trend", AreaTrend, 404, 503, summary="How an area has changed")
    async def area_trend(request: Request, code: AreaCode) -> Response:
        """Violence and sexual offences recorded each month (where police.uk street-level
        files exist; wards and districts are sums of their LSOAs), and the national IMD and
        crime-domain deciles in IoD2019 and IoD2025."""
        return await api.answer(request, lambda build: build.trend_json(code))

    @api.get(
        "",
        AreaList,
        responses={
            200: {
                "content": {"text/csv": {}, "application/geo+json": {}},
                "description": "JSON, CSV or GeoJSON (EPSG:4326) by ``format``.",
            },
            404: {"model": ErrorDetail, "description": "Unknown district."},
        },
        summary="Priority places for navigators",
    )
    async def areas(request: Request, params: AreaListParams = Depends()) -> Response:
        """Areas sorted by violence risk (highest first) or an index, optionally in one
        district; ``sorted_by`` says what the sort measures and which columns explain it.
        ``format=csv`` or ``format=geojson`` for a download (not enveloped)."""
        fmt = params.format
        query = params.as_dict(exclude=("format",))
        if fmt == "json":
            return await api.answer(request, lambda build: build.areas_json(**query))
        build = await api.build()
        media, render = EXPORTS[fmt]
        body = render(build, **query)
        response = cached_answer(request, body, build.build_id, api.cache_control, media)
        stem = f"{build.region}-{params.level}-{params.sort}"
        response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
        return response

    return api.router
