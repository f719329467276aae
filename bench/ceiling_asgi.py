"""The serving bench's ceiling: a raw ASGI app under the same uvicorn, sending the same bytes.

No framework, no middleware, no headers beyond ``content-type`` and ``content-length``: one
dictionary lookup by the request's raw path, two ASGI messages. Whatever ``sna serve`` costs
above this app is the cost of our routing, middleware, headers and the read itself, so the
ratio of the two (``bench/bench_serving.py``) says how near the stack's ceiling we are.

It runs under :func:`api.app.uvicorn_config` with the same settings ``sna serve`` uses
(logging, keep-alive, connection limit, no server header), pinned to the same core.

Two variants take the difference apart (``bench_serving.py --decompose``): ``headers``
sends the nine headers ``sna serve`` sends with a lookup (ETag, Cache-Control, Vary and the
security headers) and ``read`` also reads each answer from the build, as ``sna serve`` does,
before sending the same stored bytes.

Usage::

    python -m bench.ceiling_asgi BODIES.json PORT [plain|headers|read REGION DATA_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NOT_FOUND = b'{"status":404,"error":"Postcode not found"}'


#: the headers ``sna serve`` sends with a lookup beside content type and length
LOOKUP_HEADERS = [
    (b"etag", b'W/"20261207T000000.000000Z-000000"'),  # a build id's length
    (b"cache-control", b"public, max-age=60"),
    (b"vary", b"Accept-Encoding"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
]


def ceiling_app(bodies: dict[bytes, bytes], headers: bool = False, read=None):
    """The raw ASGI app over ``bodies`` (raw request path -> body); ``headers``: with
    :data:`LOOKUP_HEADERS`; ``read``: a function of the decoded path called first."""
    json_type = (b"content-type", b"application/json")
    more = LOOKUP_HEADERS if headers else []
    answers = {
        path: ([json_type, (b"content-length", str(len(body)).encode()), *more], body)
        for path, body in bodies.items()
    }
    ready = b'{"status":200,"result":{"status":"ready"}}'
    answers[b"/ready"] = ([json_type, (b"content-length", str(len(ready)).encode())], ready)
    missing = ([json_type, (b"content-length", str(len(NOT_FOUND)).encode())], NOT_FOUND)

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to start
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await send({"type": "lifespan.shutdown.complete"})
            return
        if read is not None:
            read(scope["path"])
        headers, body = answers.get(scope["raw_path"], missing)
        await send(
            {
                "type": "http.response.start",
                "status": 200 if body is not NOT_FOUND else 404,
                "headers": headers,
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    """Serve the ceiling app on 127.0.0.1 with ``sna serve``'s uvicorn settings."""
    import uvicorn

    from api.app import uvicorn_config
    from api.settings import ApiSettings

    path, port = Path(sys.argv[1]), int(sys.argv[2])
    bodies = {k.encode(): v.encode("utf-8") for k, v in json.loads(path.read_text()).items()}
    mode = sys.argv[3] if len(sys.argv) > 3 else "plain"
    read = None
    if mode == "read":
        from sna.builds.registry import open_build

        build = open_build(sys.argv[4], Path(sys.argv[5]))
        prefix = len("/api/v1/postcodes/")

        def read(path: str) -> None:
            if path.startswith("/api/v1/postcodes/"):
                build.postcode_json(path[prefix:])

    app = ceiling_app(bodies, headers=mode in ("headers", "read"), read=read)
    config = uvicorn_config(app, "127.0.0.1", port, ApiSettings())
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
