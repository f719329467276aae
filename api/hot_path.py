"""The lookup's hot path, and a bound on requests in flight.

:class:`HotPath` is the app's entry for HTTP (``api.app.ServedApp``), ahead of FastAPI's. A plain
``GET /api/v1/postcodes/{postcode}`` (the lookup the map makes on every search) is answered
here, from the current build, with headers made once per build: no router, no middleware
stack, no Request or Response objects, and no thread hop for an indexed read that takes
tens of microseconds. The answer is the same, byte for byte and header for header, as the
full app's (``tests/test_api_hot_path.py`` compares them).

A client that accepts gzip gets the answer compressed here exactly as the full app's gzip
middleware would (same level, same bytes, same headers). Anything the hot path does not
fully understand goes to the full app, which answers as it always has: another method, a
``Host`` the exact check would refuse, a CORS request (an ``Origin`` header, when CORS is
on), a body, a mounted view, a postcode not found, or no build loaded yet.

Every request for the full app counts against ``max_in_flight``: past it, the server
answers ``503`` with ``Retry-After`` at once instead of queueing work it cannot start
(``/health`` and ``/ready`` are never refused).
"""

from __future__ import annotations

import logging
import zlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sna.builds.watcher import BuildWatcher

from .answer_cache import AnswerCache
from .answering import validator
from .middleware import SECURITY_HEADERS, ExactHostMiddleware

__all__ = ["HotPath", "LOOKUP_PREFIX"]

log = logging.getLogger(__name__)

LOOKUP_PREFIX = "/api/v1/postcodes/"
_NEVER_REFUSED = frozenset(("/health", "/ready"))
_GZIP_IN_THREAD = 128 * 1024  # Starlette compresses bodies from this size in a thread
_BUSY = b'{"status":503,"error":"server busy: too many requests in flight, retry shortly"}'


class _BuildHeaders:
    """The response headers of one build's lookups, made once: ETag, Cache-Control, Vary,
    content type and the security headers, in the order the full app sends them."""

    __slots__ = ("validator", "etag", "head", "tail", "bare", "head_gzip", "tail_gzip")

    def __init__(self, validator: str, cache_control: bytes, vary: bytes) -> None:
        # the text, not the build: a swapped-out build is let go at once
        self.validator = validator  # api.answering.validator: the build id, and more
        self.etag = f'W/"{validator}"'
        security = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        self.head = [
            (b"etag", self.etag.encode()),
            (b"cache-control", cache_control),
            (b"vary", vary),
        ]
        self.tail = [(b"content-type", b"application/json"), *security]
        # gzip: as Starlette's GZipMiddleware leaves them (it adds Accept-Encoding to Vary
        # again, and Content-Encoding after the content type)
        vary_gzip = vary.replace(b"Accept-Encoding", b"Accept-Encoding, Accept-Encoding", 1)
        self.head_gzip = [*self.head[:2], (b"vary", vary_gzip)]
        self.tail_gzip = [self.tail[0], (b"content-encoding", b"gzip"), *security]
        self.bare = [*self.head, *security]  # a 304's


class HotPath:
    """Answer plain postcode lookups directly; pass every other request to ``app``, at most
    ``max_in_flight`` at a time (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        watcher: BuildWatcher,
        *,
        cache_control: str,
        trusted_hosts: list[str],
        cors: bool,
        max_in_flight: int,
        retry_after: int = 1,
        gzip_min_bytes: int = 1024,
        gzip_level: int = 5,
        answer_cache_bytes: int = 0,
    ) -> None:
        self.app = app
        self.watcher = watcher
        self.cache_control = cache_control.encode()
        self.host = None if "*" in trusted_hosts else ExactHostMiddleware(app, trusted_hosts)
        self.cors = cors
        # CORS on: the full app's CORS middleware adds Origin to Vary of every answer
        self.vary = b"Accept-Encoding, Origin" if cors else b"Accept-Encoding"
        self.gzip_min_bytes = int(gzip_min_bytes)
        self.gzip_level = int(gzip_level)
        self.max_in_flight = int(max_in_flight)
        self.in_flight = 0
        self.answers = AnswerCache(answer_cache_bytes) if answer_cache_bytes > 0 else None
        self._headers: _BuildHeaders | None = None
        security = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        self._busy_start = {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_BUSY)).encode()),
                (b"retry-after", str(int(retry_after)).encode()),
                *security,
            ],
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The lookup, answered here; anything else, through the full app."""
        if scope["type"] == "http":
            path = scope["path"]
            if scope["method"] == "GET" and path.startswith(LOOKUP_PREFIX):
                answer = self._lookup(scope, path)  # no await: one indexed read, tens of us
                if answer is not None:
                    await send(answer[0])
                    await send(answer[1])
                    return
            if self.in_flight >= self.max_in_flight and path not in _NEVER_REFUSED:
                await send(self._busy_start)
                await send({"type": "http.response.body", "body": _BUSY})
                return
            self.in_flight += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.in_flight -= 1
            return
        await self.app(scope, receive, send)

    def _lookup(self, scope: Scope, path: str) -> tuple[Message, Message] | None:
        """The two messages answering ``GET /api/v1/postcodes/{postcode}``; None when the
        full app must answer."""
        postcode = path[len(LOOKUP_PREFIX) :]
        if not postcode or "/" in postcode or scope.get("root_path"):
            return None
        build = self.watcher.build
        if build is None:
            return None
        if_none_match = None
        host = b""
        gzip = False
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"accept-encoding":
                gzip = gzip or b"gzip" in value
            elif name == b"if-none-match":
                if if_none_match is None:
                    if_none_match = value
            elif name in (b"content-length", b"transfer-encoding"):
                return None  # a GET with a body: the full app's size limit judges it
            elif name == b"origin" and self.cors:
                return None
        if self.host is not None:
            server = scope.get("server")
            if not self.host.allowed(host, server[1] if server else None):
                return None  # the full app answers 400
        build = self.watcher.get()  # the current build, reloaded when a new one is published
        # the build id, and the state of a member made at request time (a front door's served
        # views, a view's national build): what the ETag names is what the answers are kept by
        tag = validator(build)
        cache = self.answers
        kept = None if cache is None else cache.get(tag, postcode)
        if kept is None:
            try:
                result = build.postcode_json(postcode)
            except Exception:  # not found, not a postcode, or a read error: the full app says
                return None
            body = b'{"status":200,"result":' + result + b"}"
            if cache is not None:
                kept = cache.put(tag, postcode, body)
        else:
            body = kept.body
        headers = self._headers
        if headers is None or headers.validator != tag:
            headers = _BuildHeaders(tag, self.cache_control, self.vary)
            self._headers = headers
        if if_none_match is not None:
            given = if_none_match.decode("latin-1")
            if given == "*" or headers.etag in {t.strip() for t in given.split(",")}:
                start = {"type": "http.response.start", "status": 304, "headers": headers.bare}
                return start, {"type": "http.response.body", "body": b""}
        if gzip and len(body) >= self.gzip_min_bytes:
            if len(body) >= _GZIP_IN_THREAD:
                return None  # the full app compresses it in a worker thread
            packed = None if kept is None else kept.gzipped
            if packed is None:
                packer = zlib.compressobj(self.gzip_level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                packed = packer.compress(body) + packer.flush()
                if kept is not None:
                    cache.add_gzip(kept, packed)
            body = packed
            head, tail = headers.head_gzip, headers.tail_gzip
        else:
            head, tail = headers.head, headers.tail
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [*head, (b"content-length", b"%d" % len(body)), *tail],
        }
        return start, {"type": "http.response.body", "body": body}
