"""Pure ASGI middleware: body-size limit, security headers, analyst access log, HEAD and
OPTIONS, CORS for the public routes, exact Host checks and redirects from the public origin.

Pure ASGI (not ``BaseHTTPMiddleware``) so that a refused body is never read, responses are
not buffered, and the checks cost a header lookup.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "BodySizeLimitMiddleware",
    "SecurityHeadersMiddleware",
    "AccessLogMiddleware",
    "MethodsMiddleware",
    "PublicCORSMiddleware",
    "GZipWhenAskedMiddleware",
    "ExactHostMiddleware",
    "PublicOriginRedirectMiddleware",
    "SECURITY_HEADERS",
    "app_path",
    "view_mount",
]

log = logging.getLogger(__name__)
access_log = logging.getLogger("sna.api.access")

SECURITY_HEADERS: dict[str, str] = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    # pages that set their own policy (the map) keep it; it holds frame-ancestors too
    "content-security-policy": "frame-ancestors 'none'",
}


#: A VRU view's app is mounted at /vru/<id> (api.front_door); the middleware of the main app
#: sees its requests and judges them by the path within the view's app.
_VIEW_MOUNT = re.compile(r"^/vru/[^/]+(?=/)")


def view_mount(scope: Scope) -> str:
    """``/vru/<id>`` when the request is for a VRU view's app, else ""."""
    m = _VIEW_MOUNT.match(scope["path"])
    return m.group(0) if m else ""


def app_path(scope: Scope) -> str:
    """The path within the app that answers the request: ``/vru/<id>/api/v1/x`` is
    ``/api/v1/x`` of that view's app, as ``/api/v1/x`` is of the main app's."""
    path = scope["path"]
    mount = view_mount(scope)
    return path[len(mount) :] if mount else path


async def _send_json(send: Send, status: int, body: dict, headers: dict[str, str] | None = None):
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class BodySizeLimitMiddleware:
    """Answer 413 to a request body above ``max_bytes``, before anything parses it.

    A ``Content-Length`` above the limit is refused from the header alone, without reading
    the body; a chunked body is counted as it streams and refused as soon as it passes.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = int(max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the streamed bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared_body = False
        for name, _ in scope["headers"]:
            if name in (b"content-length", b"transfer-encoding"):
                declared_body = True
                break
        if not declared_body:  # no body to read (a GET): nothing to count
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(
                        send, 400, {"status": 400, "error": "invalid Content-Length header"}
                    )
                    return
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
                break
        seen = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    # the app sees the client go away and its answer is dropped
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted, tracked)

    async def _refuse(self, send: Send) -> None:
        await _send_json(
            send,
            413,
            {"status": 413, "error": f"request body larger than {self.max_bytes} bytes"},
            {"connection": "close"},
        )


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every response and drop any ``server`` header.

    It is the outermost of the app's own middleware, so it also turns an unhandled error
    into a plain JSON 500 that says nothing about the internals (the traceback is logged).
    """

    def __init__(self, app: ASGIApp, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in (headers or SECURITY_HEADERS).items()]
        self.names = frozenset(k for k, _ in self.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite the response start message; answer 500 on an unhandled error."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                if b"server" in have:
                    headers = [(k, v) for k, v in headers if k.lower() != b"server"]
                if have.isdisjoint(self.names):
                    headers.extend(self.headers)
                else:
                    headers.extend((k, v) for k, v in self.headers if k not in have)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _send_json(
                with_headers,
                500,
                {"status": 500, "error": "internal server error"},
                {"connection": "close"},
            )


class AccessLogMiddleware:
    """One structured line per analyst request: key id, route, time, status, duration.

    No values: the route is the template (``/api/v1/analyst/areas/{code}``), never the path,
    and no query string, body or key is logged. ``key_id(header_value)`` names the key
    (``None`` when no key was given).
    """

    def __init__(
        self, app: ASGIApp, prefix: str, key_id: Callable[[str | None], str | None]
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.key_id = key_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through; log after the response has started."""
        if scope["type"] != "http" or not app_path(scope).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        mount = view_mount(scope)  # a view's analyst routes are logged as its own
        t0 = time.perf_counter()
        when = datetime.now(UTC).isoformat(timespec="milliseconds")
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            given = None
            for name, value in scope["headers"]:
                if name == b"x-api-key":
                    given = value.decode("latin-1")
            route = scope.get("route")
            record = {
                "event": "analyst_access",
                "time": when,
                "key_id": self.key_id(given),
                "method": scope.get("method"),
                "route": mount + (getattr(route, "path", None) or f"{self.prefix} (unmatched)"),
                "status": status,
                "ms": round((time.perf_counter() - t0) * 1000, 1),
            }
            access_log.info(json.dumps(record))


class MethodsMiddleware:
    """HEAD on every GET route, ``OPTIONS`` answered with the path's real ``Allow``, and
    405 with the full ``Allow`` for any other method a path does not take.

    HEAD runs the GET route and sends its headers (``Content-Length`` included) without the
    body. GET and POST pass straight through, so lookups pay nothing. A CORS preflight
    (``OPTIONS`` with ``Access-Control-Request-Method``) goes on to the CORS middleware.
    """

    def __init__(self, app: ASGIApp, routes: Callable[[], dict[str, set[str]]]) -> None:
        self.app = app
        self.routes = routes  # path template -> methods, read on first use
        self._table: list[tuple[re.Pattern[str], set[str]]] | None = None

    def _compiled(self) -> list[tuple[re.Pattern[str], set[str]]]:
        if self._table is None:
            table = []
            for template, methods in self.routes().items():
                parts = re.split(r"(\{[^}]+\})", template)
                rx = "".join(
                    "[^/]+" if p.startswith("{") else ".*" if p == "*" else re.escape(p)
                    for p in parts
                )
                table.append((re.compile(f"^{rx}$"), {m.upper() for m in methods}))
            self._table = table
        return self._table

    def allowed(self, scope: Scope) -> list[str]:
        """Methods the path of ``scope`` answers (with HEAD and OPTIONS), or [] if none."""
        path = app_path(scope)
        methods: set[str] = set()
        for rx, got in self._compiled():
            if rx.match(path):
                methods |= got
        if not methods:
            return []
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        return sorted(methods, key=lambda m: order.index(m) if m in order else 99)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch on the method; see the class docstring."""
        method = scope.get("method") if scope["type"] == "http" else None
        if method in (None, "GET", "POST"):
            await self.app(scope, receive, send)
            return
        if method == "HEAD":

            async def no_body(message: Message) -> None:
                if message["type"] == "http.response.body":
                    if not message.get("more_body", False):
                        await send({"type": "http.response.body", "body": b""})
                    return
                await send(message)

            await self.app({**scope, "method": "GET"}, receive, no_body)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        if method == "OPTIONS" and b"access-control-request-method" in headers:
            await self.app(scope, receive, send)  # CORS preflight
            return
        allowed = self.allowed(scope)
        if not allowed:
            await _send_json(send, 404, {"status": 404, "error": "Resource not found"})
            return
        allow = {"allow": ", ".join(allowed)}
        if method == "OPTIONS":
            raw = [(b"allow", allow["allow"].encode()), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 204, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
            return
        await _send_json(send, 405, {"status": 405, "error": "Method not allowed"}, allow)


class PublicCORSMiddleware:
    """CORS for the public read-only routes only: the analyst routes never get CORS
    headers, whatever ``allow_origins`` says."""

    def __init__(self, app: ASGIApp, allow_origins: list[str], private_prefix: str) -> None:
        from starlette.middleware.cors import CORSMiddleware

        self.app = app
        self.private_prefix = private_prefix
        self.cors = CORSMiddleware(
            app,
            allow_origins=allow_origins,
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "If-None-Match"],
            expose_headers=["ETag"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """CORS unless the path is private."""
        if scope["type"] == "http" and app_path(scope).startswith(self.private_prefix):
            await self.app(scope, receive, send)
            return
        await self.cors(scope, receive, send)


class GZipWhenAskedMiddleware:
    """Starlette's ``GZipMiddleware`` for requests that accept gzip; every other request
    goes straight to the app, untouched (a lookup from a client that does not ask for gzip
    pays one header scan)."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024, compresslevel: int = 5) -> None:
        from starlette.middleware.gzip import GZipMiddleware

        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Compress only when ``Accept-Encoding`` names gzip."""
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"accept-encoding" and b"gzip" in value:
                    await self.gzip(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class ExactHostMiddleware:
    """Serve only requests whose ``Host`` is exactly an allowed name and port; 400 otherwise.

    ``Host`` must be ``name`` or ``name:port`` and nothing else: userinfo (``a@b``), a path, a
    second colon outside an IPv6 literal or an empty port is refused, whatever its prefix.
    ``name`` must be one of ``allowed_hosts`` (``*.example.org`` matches any sub-domain), and
    the port, when given, the port the server listens on or one listed with the name
    (``maps.example.org:8443``). Starlette's ``TrustedHostMiddleware`` keeps what is before
    the last colon, so ``127.0.0.1:8111@evil.com`` passed as ``127.0.0.1``.
    """

    _HOST = re.compile(rb"^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::([0-9]{1,5}))?$")

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.names: set[bytes] = set()
        self.suffixes: list[bytes] = []
        self.ports: dict[bytes, set[int]] = {}
        for entry in allowed_hosts:
            name, _, port = entry.strip().lower().partition(":")
            if name.startswith("*."):
                self.suffixes.append(name[1:].encode())
            else:
                self.names.add(name.encode())
            if port:
                self.ports.setdefault(name.encode(), set()).add(int(port))
        self._seen: dict[tuple[bytes, int | None], bool] = {}

    def allowed(self, host: bytes, listening: int | None) -> bool:
        """Whether a ``Host`` value is served (cached: a server sees few distinct values)."""
        key = (host, listening)
        hit = self._seen.get(key)
        if hit is None:
            hit = self._judge(host.lower(), listening)
            if len(self._seen) < 1024:
                self._seen[key] = hit
        return hit

    def _judge(self, host: bytes, listening: int | None) -> bool:
        m = self._HOST.match(host)
        if not m:
            return False
        name, port = m.group(1), m.group(2)
        if name in self.names:
            pattern = name
        else:
            pattern = next((b"*" + s for s in self.suffixes if name.endswith(s)), None)
            if pattern is None:
                return False
        if port is None:
            return True
        return int(port) == listening or int(port) in self.ports.get(pattern, set())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass an allowed ``Host`` on; answer anything else with 400."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope["headers"] if k == b"host"), b"")
        server = scope.get("server")
        if self.allowed(host, server[1] if server else None):
            await self.app(scope, receive, send)
            return
        body = b"Invalid host header"
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class PublicOriginRedirectMiddleware:
    """Build every redirect's ``Location`` from the configured public origin, never from the
    request: an absolute ``Location`` keeps its path and query, under ``public_origin``
    (``https://maps.example.org``) or, when none is set, as a relative reference."""

    def __init__(self, app: ASGIApp, public_origin: str = "") -> None:
        self.app = app
        self.origin = public_origin.rstrip("/").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite the ``Location`` of a 3xx response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_relocated(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [
                    (k, self._relocate(v) if k.lower() == b"location" else v)
                    for k, v in message["headers"]
                ]
            await send(message)

        await self.app(scope, receive, send_relocated)

    def _relocate(self, location: bytes) -> bytes:
        m = re.match(rb"^[a-z][a-z0-9+.-]*://[^/?#]*(.*)$", location, re.IGNORECASE)
        if not m:
            return location
        path = m.group(1) or b"/"
        return self.origin + path
