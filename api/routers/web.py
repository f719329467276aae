"""The public map page (``/``) and its static files, served with a same-origin-only CSP."""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["STATIC_DIR", "create_web_router", "content_security_policy"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def content_security_policy(basemap_url: str = "") -> str:
    """Only this origin (plus the configured base-map host, if any) may be contacted."""
    img = ["'self'", "data:", "blob:"]
    if basemap_url.startswith(("http://", "https://")):
        parts = urlsplit(basemap_url.replace("{s}", "a"))
        img.append(f"{parts.scheme}://{parts.netloc.replace('a.', '*.', 1)}")
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src {' '.join(img)}",
            "style-src 'self'",
            "script-src 'self'",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def create_web_router(
    title: str, basemap_url: str = "", basemap_attribution: str = ""
) -> APIRouter:
    """``GET /``: the map page, with the base-map settings embedded as JSON data."""
    router = APIRouter(tags=["map"])
    config = {"basemapUrl": basemap_url, "basemapAttribution": basemap_attribution}
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    page = template.replace("{{ title }}", html.escape(title)).replace(
        "{{ config }}", json.dumps(config).replace("<", "\\u003c")
    )
    headers = {
        "Content-Security-Policy": content_security_policy(basemap_url),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }

    @router.get("/", response_class=HTMLResponse, summary="The interactive map")
    async def index() -> HTMLResponse:
        """The public map: postcode search, layer switcher, legend and area panel."""
        return HTMLResponse(page, headers=headers)

    return router
