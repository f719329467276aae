"""The serving bench's ceiling: a raw ASGI app under the same uvicorn, sending the same bytes.

No framework, no middleware, no headers beyond ``content-type`` and ``content-length``: one
dictionary lookup by the request's raw path, two ASGI messages. Whatever ``sna serve`` costs
above this app is the cost of our routing, middleware, headers and the read itself, so the
ratio of the two (``bench/bench_serving.py``) says how near the stack's ceiling we are.

It runs under :func:`api.app.uvicorn_config` with the same settings ``sna serve`` uses
(logging, keep-alive, connection limit, no server header), pinned to the same core.

Usage::

    python -m bench.ceiling_asgi BODIES.json PORT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NOT_FOUND = b'{"status":404,"error":"Postcode not found"}'


def ceiling_app(bodies: dict[bytes, bytes]):
    """The raw ASGI app over ``bodies`` (raw request path -> body)."""
    json_type = (b"content-type", b"application/json")
    answers = {
        path: ([json_type, (b"content-length", str(len(body)).encode())], body)
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
    config = uvicorn_config(ceiling_app(bodies), "127.0.0.1", port, ApiSettings())
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
