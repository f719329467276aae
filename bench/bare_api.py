"""The reference for the API benchmark: a bare FastAPI app that returns the same bytes.

One route, ``/api/v1/postcodes/{postcode}``, answering from a dict of the exact bodies the
real API sent (read from a JSON file of ``{path: body}``), with no middleware. Run by
``bench/bench_api.py`` under the same uvicorn settings as ``sna serve``, so that the ratio
of the two runs is what the real app's routing, middleware and headers cost.

Usage::

    python -m bench.bare_api BODIES.json PORT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response


def create_bare_app(bodies: dict[str, bytes]) -> FastAPI:
    """The bare app over ``bodies`` (request path -> response body)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/api/v1/postcodes/{postcode}")
    async def postcode(postcode: str) -> Response:
        body = bodies.get("/api/v1/postcodes/" + quote(postcode))
        if body is None:
            return Response(b'{"status":404,"error":"Postcode not found"}', status_code=404)
        return Response(body, media_type="application/json")

    @app.get("/ready")
    async def ready() -> Response:
        return Response(b'{"status":200,"result":{"status":"ready"}}')

    return app


def main() -> None:
    """Serve the bare app on 127.0.0.1."""
    path, port = Path(sys.argv[1]), int(sys.argv[2])
    bodies = {k: v.encode("utf-8") for k, v in json.loads(path.read_text()).items()}
    config = uvicorn.Config(
        create_bare_app(bodies),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
