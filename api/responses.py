"""Answers on the wire: the postcodes.io envelope, ETags and Cache-Control.

The library pre-serialises each answer's ``result``; :func:`envelope` wraps those bytes as
``{"status":200,"result":...}`` with two byte joins, so a lookup stays a dictionary lookup.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.types import Scope, Send

__all__ = ["envelope", "json_answer", "cached_answer", "not_modified", "send_cached_answer"]

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
    correct validator for every resource, and costs nothing to compute.

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
