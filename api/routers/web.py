"""The public map page (``/``) and its static files, served with a same-origin-only CSP."""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from sna.theme import web_theme

__all__ = ["STATIC_DIR", "create_web_router", "content_security_policy", "basemap_sources"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


#: The subdomains Leaflet puts in a template's ``{s}`` (its default, which the page keeps).
BASEMAP_SUBDOMAINS: tuple[str, ...] = ("a", "b", "c")


def basemap_sources(basemap_url: str) -> list[str]:
    """The CSP source expressions for exactly the hosts a base-map template reaches.

    ``https://tiles.data.example.org/{z}/{x}/{y}.png`` gives ``https://tiles.data.example.org``;
    a port is kept (``http://localhost:8080``); ``{s}`` anywhere in the host is expanded to
    the subdomains Leaflet uses (``a``, ``b``, ``c``), one source each, so nothing wider than
    the tiles' own hosts is allowed. A ``/path`` template is this origin (``'self'``): none.

    Raises
    ------
    ValueError
        When the host holds a placeholder other than ``{s}``, or no host at all: no CSP
        source could allow just its tiles.
    """
    if not basemap_url.startswith(("http://", "https://")):
        return []
    scheme, rest = basemap_url.split("://", 1)
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    netloc = netloc.rsplit("@", 1)[-1]  # user:password@ is never part of a CSP source
    hosts = [netloc.replace("{s}", s) for s in BASEMAP_SUBDOMAINS] if "{s}" in netloc else [netloc]
    out: list[str] = []
    for host in hosts:
        parts = urlsplit(f"{scheme}://{host}")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"basemap_url {basemap_url!r}: bad port in {host!r}") from exc
        if not parts.hostname or any(c in host for c in "{}*"):
            raise ValueError(
                f"basemap_url {basemap_url!r}: the host {netloc!r} must be a plain host name "
                "(optionally with {s} and a port)"
            )
        name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        source = f"{scheme.lower()}://{name}" + (f":{port}" if port is not None else "")
        if source not in out:
            out.append(source)
    return out


def content_security_policy(basemap_url: str = "") -> str:
    """Only this origin (plus exactly the configured base-map hosts, if any) may be contacted."""
    img = ["'self'", "data:", "blob:", *basemap_sources(basemap_url)]
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
    config = {
        "basemapUrl": basemap_url,
        "basemapAttribution": basemap_attribution,
        # the one theme table (bands, colours, labels) the printed maps use too
        "theme": web_theme(),
    }
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    page = template.replace("{{ title }}", html.escape(title)).replace(
        "{{ config }}", json.dumps(config).replace("<", "\\u003c")
    )
    headers = {
        "Content-Security-Policy": content_security_policy(basemap_url),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }

    favicon = (STATIC_DIR / "favicon.svg").read_bytes()

    @router.get("/favicon.ico", include_in_schema=False)
    async def favicon_ico() -> Response:
        """The page links ``/static/favicon.svg``; this answers browsers that ask anyway."""
        return Response(
            favicon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )

    @router.get("/", response_class=HTMLResponse, summary="The interactive map")
    async def index() -> HTMLResponse:
        """The public map: postcode search, layer switcher, legend and area panel."""
        return HTMLResponse(page, headers=headers)

    return router
