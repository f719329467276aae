"""Answers on the wire: the postcodes.io envelope, ETags and Cache-Control.

The library pre-serialises each answer's ``result``; :func:`envelope` wraps those bytes as
``{"status":200,"result":...}`` with two byte joins, so a lookup stays a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.types import Scope, Send

from sna.answers import BuildReader
from sna.builds.watcher import BuildWatcher

from .dependencies import current_build
from .models import Envelope, ErrorDetail

__all__ = [
    "envelope",
    "json_answer",
    "cached_answer",
    "not_modified",
    "send_cached_answer",
    "error_responses",
    "BuildAnswers",
]

_HEAD = b'{"status":200,"result":'


def envelope(result: bytes) -> bytes:
    """``result`` (JSON bytes) inside ``{"status":200,"result":...}``."""
    return _HEAD + result + b"}"


def json_answer(result: bytes, headers: dict[str, str] | None = None) -> Response:
    """An enveloped JSON answer, not cached (e.g. a POST)."""
    return Response(envelope(result), media_type="application/json", headers=headers)


def cached_answer(
    request: Request,
    result: bytes,
    build_id: str,
    cache_control: str,
    media_type: str | None = None,
) -> Response:
    """An enveloped (JSON) answer with ``Cache-Control`` and a weak ETag naming the build,
    ``304 Not Modified`` when ``If-None-Match`` matches.

    Every answer is a function of the build and the request alone, so the build id is a
    correct validator for every resource, and costs nothing to compute; a postcode answer with
    a member added at request time passes :func:`api.answering.validator` instead (the build
    id and that member's state).

    ``media_type`` set: ``result`` is sent as it is (a CSV or GeoJSON download).
    """
    body = envelope(result) if media_type is None else result
    etag = f'W/"{build_id}"'
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if not_modified(request.scope, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type or "application/json", headers=headers)


def not_modified(scope: Scope, etag: str) -> bool:
    """Whether the request's ``If-None-Match`` names ``etag`` (or is ``*``)."""
    for name, value in scope["headers"]:  # no Headers object for one lookup
        if name == b"if-none-match":
            given = value.decode("latin-1")
            return given == "*" or etag in {t.strip() for t in given.split(",")}
    return False


async def send_cached_answer(
    scope: Scope, send: Send, result: bytes, build_id: str, cache_control: bytes
) -> None:
    """:func:`cached_answer` for a bare ASGI endpoint: the same status, headers and body,
    sent as two ASGI messages with no Request or Response objects (see
    :class:`api.routers.postcodes.PostcodeAnswer`)."""
    etag = f'W/"{build_id}"'
    headers = [
        (b"etag", etag.encode()),
        (b"cache-control", cache_control),
        (b"vary", b"Accept-Encoding"),
    ]
    if not_modified(scope, etag):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body = envelope(result)
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route's error answers, each an :class:`ErrorDetail`."""
    return {code: {"model": ErrorDetail} for code in codes}


class BuildAnswers:
    """A router whose GETs answer from the current build, each cached by the build's id.

    Every GET of the areas, layers and services routers is "the current build, one reader
    call, :func:`cached_answer`", documented as an enveloped model with its error answers:
    this holds the watcher, the ``APIRouter`` and ``Cache-Control`` once.
    """

    def __init__(self, watcher: BuildWatcher, max_age: int = 60, **router: Any) -> None:
        self.watcher = watcher
        self.cache_control = f"public, max-age={max_age}"
        self.router = APIRouter(**router)

    def get(self, path: str, model: Any, *errors: int, **route: Any) -> Callable:
        """``router.get(path)`` answering ``Envelope[model]``, documenting ``errors`` (each
        an :class:`ErrorDetail`; 503, no build loaded, when none are named)."""
        route.setdefault("responses", error_responses(*(errors or (503,))))
        return self.router.get(path, response_model=Envelope[model], **route)

    async def build(self) -> BuildReader:
        """The current build (503 while none is loaded)."""
        return await current_build(self.watcher)

    async def answer(
        self,
        request: Request,
        render: Callable[[BuildReader], bytes],
        *,
        in_thread: bool = False,
    ) -> Response:
        """``render(build)`` as a cached, enveloped answer; ``in_thread`` for a first read
        that touches the disk (it runs in a worker thread so the loop stays free)."""
        build = await self.build()
        body = await run_in_threadpool(render, build) if in_thread else render(build)
        return cached_answer(request, body, build.build_id, self.cache_control)
