"""One table maps library errors to HTTP status codes; handlers answer ``{"detail": ...}``.

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

from geodata.postcodes import InvalidPostcodeError
from sna.errors import (
    AreaNotFound,
    BuildNotFound,
    InvalidPostcode,
    LayerNotFound,
    OutsideCoverage,
    PostcodeNotFound,
    SnaError,
    StoreNotPrepared,
)
from sna.tiles import TileNotFound

__all__ = ["STATUS_CODES", "add_exception_handlers", "public_detail", "validation_errors"]

log = logging.getLogger(__name__)

STATUS_CODES: dict[type[Exception], int] = {
    InvalidPostcode: 422,
    InvalidPostcodeError: 422,
    PostcodeNotFound: 404,
    AreaNotFound: 404,
    LayerNotFound: 404,
    TileNotFound: 404,
    OutsideCoverage: 404,
    BuildNotFound: 503,
    StoreNotPrepared: 503,
    SnaError: 500,
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


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": validation_errors(list(exc.errors()))}, status_code=422)


def add_exception_handlers(app: FastAPI, status_codes: dict[type[Exception], int]) -> None:
    """Install one handler per exception class of ``status_codes``, and the 422 handler."""

    def handler_for(status: int):
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            if status >= 500 and status != 503:
                log.error("error on %s", request.url.path, exc_info=exc)
                detail = "internal server error"
            else:
                detail = public_detail(str(exc))
            headers = {"Retry-After": "5"} if status == 503 else None
            return JSONResponse({"detail": detail}, status_code=status, headers=headers)

        return handler

    for exc_class, status in status_codes.items():
        app.add_exception_handler(exc_class, handler_for(status))
    app.add_exception_handler(RequestValidationError, _validation_handler)
