"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sna.builds.watcher import BuildWatcher

from ..models import Envelope, ErrorDetail, Health, Readiness

__all__ = ["create_health_router"]


def create_health_router(watcher: BuildWatcher) -> APIRouter:
    """``/health`` (the process answers) and ``/ready`` (a build is loaded)."""
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Envelope[Health], summary="Liveness")
    async def health() -> Envelope[Health]:
        """Always ok while the process answers."""
        return Envelope[Health](result=Health(status="ok"))

    @router.get(
        "/ready",
        response_model=Envelope[Readiness],
        responses={503: {"model": ErrorDetail, "description": "No build loaded yet."}},
        summary="Readiness",
    )
    async def ready() -> JSONResponse:
        """200 once a build is loaded; 503 while loading or when there is no build."""
        build = watcher.build
        if build is not None:
            ready = Readiness(status="ready", build_id=build.build_id)
            return JSONResponse({"status": 200, "result": ready.model_dump()})
        if watcher.loading:
            body = Readiness(status="loading", build_id=None, detail="loading the build")
        else:
            target = watcher.target()
            wait = watcher.backing_off(target)
            if target is None:
                detail = f"no published build for {watcher.region!r}"
            elif wait:
                # the error itself stays in the server log: it may name files
                detail = f"the build could not be loaded; retrying in {wait:.0f} s"
            else:
                detail = "build not loaded yet"
                watcher.start()
            body = Readiness(status="unavailable", build_id=None, detail=detail)
        return JSONResponse(
            {"status": 503, "error": f"{body.status}: {body.detail}"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    return router
