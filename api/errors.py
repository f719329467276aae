"""One table maps library errors to HTTP status codes; every error answers
``{"status": <code>, "error": "<why>"}`` (postcodes.io's shape), request validation included.

Only unexpected 5xx errors are logged with a traceback. No answer carries a filesystem path
or an internal error: 500s say only "internal server error", other details have any
absolute path reduced to its last part, and a 422 echoes at most a short, truncated piece of
the input (so a huge or non-finite input cannot blow up or break the answer).
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geodata.errors import GeodataError
from sna.errors import (
    AreaNotFound,
    BuildNotFound,
    InvalidParameter,
    InvalidPostcode,
    LayerNotFound,
    OutsideCoverage,
    PostcodeNotFound,
    SnaError,
    StoreNotPrepared,
    TileNotFound,
)

__all__ = [
    "STATUS_CODES",
    "add_exception_handlers",
    "error_body",
    "public_detail",
    "validation_errors",
    "validation_message",
]

log = logging.getLogger(__name__)

STATUS_CODES: dict[type[Exception], int] = {
    InvalidPostcode: 404,  # as postcodes.io: an invalid postcode is not found
    PostcodeNotFound: 404,
    AreaNotFound: 404,
    LayerNotFound: 404,
    TileNotFound: 404,
    OutsideCoverage: 404,
    BuildNotFound: 503,
    StoreNotPrepared: 503,
    InvalidParameter: 400,
    SnaError: 500,
    GeodataError: 500,  # a bad input file met while serving: JSON, logged, no detail
}


# an absolute POSIX path (two or more parts) or a Windows drive path
_PATH = re.compile(r"(?<![\w:/.])(?:/[^\s/'\"():;,]+){2,}/?|\b[A-Za-z]:\\[^\s'\"]+")
MAX_ECHO = 40  # characters of input echoed in a 422
MAX_ERRORS = 10  # validation errors listed in a 422


def public_detail(text: str) -> str:
    """``text`` with every absolute path cut to its last part (``/a/b/c.csv`` -> ``c.csv``)."""
    return _PATH.sub(lambda m: m.group(0).rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1], text)


def _short(value: Any) -> Any:
    """A JSON-safe, short stand-in for an input value."""
    if value is None or isinstance(value, bool | int):
        return value if not isinstance(value, int) or abs(value) < 10**15 else str(value)[:MAX_ECHO]
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "..."
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return f"an object with {len(value)} key(s)"
    return type(value).__name__


def validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors as short JSON-safe records: type, loc, msg and a truncated input."""
    out = []
    for e in errors[:MAX_ERRORS]:
        loc = [x if isinstance(x, int) else str(x)[:MAX_ECHO] for x in e.get("loc", ())]
        # a tagged union repeats its tag before the field of that name: said once
        loc = [x for i, x in enumerate(loc) if i == 0 or x != loc[i - 1]]
        out.append(
            {
                "type": str(e.get("type", "")),
                "loc": loc,
                "msg": public_detail(str(e.get("msg", "")))[:200],
                "input": _short(e.get("input")),
            }
        )
    if len(errors) > MAX_ERRORS:
        out.append({"type": "more", "loc": [], "msg": f"{len(errors) - MAX_ERRORS} more errors"})
    return out


def error_body(status: int, error: str) -> dict[str, Any]:
    """The one error shape: ``{"status": 404, "error": "Postcode not found"}``."""
    return {"status": int(status), "error": str(error)}


def validation_message(errors: list[dict[str, Any]]) -> str:
    """Request validation errors in one line: ``query.limit: Input should be ... (got 0)``."""
    parts = []
    for e in validation_errors(errors):
        where = ".".join(str(x) for x in e["loc"])
        got = f" (got {e['input']!r})" if "input" in e and e["input"] is not None else ""
        parts.append(f"{where}: {e['msg']}{got}" if where else e["msg"])
    return "Invalid request: " + "; ".join(parts)


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(error_body(422, validation_message(list(exc.errors()))), status_code=422)


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else "request refused"
    if exc.status_code == 404 and detail == "Not Found":
        detail = "Resource not found"
    return JSONResponse(
        error_body(exc.status_code, detail), status_code=exc.status_code, headers=exc.headers
    )


def add_exception_handlers(app: FastAPI, status_codes: dict[type[Exception], int]) -> None:
    """Install one handler per exception class of ``status_codes``, the 422 handler and the
    HTTP error handler, all answering :func:`error_body`."""

    def handler_for(status: int):
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            if status >= 500 and status != 503:
                log.error("error on %s", request.url.path, exc_info=exc)
                detail = "internal server error"
            else:
                detail = public_detail(str(exc))
            headers = {"Retry-After": "5"} if status == 503 else None
            return JSONResponse(error_body(status, detail), status_code=status, headers=headers)

        return handler

    for exc_class, status in status_codes.items():
        app.add_exception_handler(exc_class, handler_for(status))
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
