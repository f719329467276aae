"""Answers on the wire: the postcodes.io envelope, ETags and Cache-Control.

The library pre-serialises each answer's ``result``; :func:`envelope` wraps those bytes as
``{"status":200,"result":...}`` with two byte joins, so a lookup stays a dictionary lookup.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

__all__ = ["envelope", "json_answer", "cached_answer"]

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
    given = None
    for name, value in request.scope["headers"]:  # no Headers object for one lookup
        if name == b"if-none-match":
            given = value.decode("latin-1")
            break
    if given and etag in {t.strip() for t in given.split(",")} | (
        {etag} if given == "*" else set()
    ):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type or "application/json", headers=headers)
