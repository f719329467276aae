"""One table maps library errors to HTTP status codes; handlers answer ``{"detail": ...}``.

Only unexpected 5xx errors are logged with a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
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

__all__ = ["STATUS_CODES", "add_exception_handlers"]

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


def add_exception_handlers(app: FastAPI, status_codes: dict[type[Exception], int]) -> None:
    """Install one handler per exception class of ``status_codes``."""

    def handler_for(status: int):
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            if status >= 500 and status != 503:
                log.error("error on %s", request.url.path, exc_info=exc)
            headers = {"Retry-After": "5"} if status == 503 else None
            return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

        return handler

    for exc_class, status in status_codes.items():
        app.add_exception_handler(exc_class, handler_for(status))
