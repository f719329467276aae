"""Dependencies: the current build, the analyst key check and grouped query parameters."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Path, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader
from pydantic import SecretStr

from sna.answers import BuildReader
from sna.builds.watcher import BuildWatcher

__all__ = [
    "current_build",
    "api_key_dependency",
    "FailedAttempts",
    "DefaultDependency",
    "AreaListParams",
    "AreaCode",
]

AreaCode = Annotated[
    str, Path(description="LSOA21, ward (WD22) or district code.", examples=["E01033620"])
]
"""The ``{code}`` of an area route: an LSOA21, ward or district code."""


async def current_build(watcher: BuildWatcher) -> BuildReader:
    """The current build; the first load runs in a worker thread so the loop stays free."""
    if watcher.build is not None:
        return watcher.get()
    return await run_in_threadpool(watcher.get)


_KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Analyst key (setting SNA_API_KEY)."
)


class FailedAttempts:
    """Failed key attempts per client over a sliding window; past ``limit`` the client waits.

    In memory, per process: enough to stop a key being guessed through one server.
    """

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit = int(limit)
        self.window = float(window)
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        q = self._seen.setdefault(client, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def retry_after(self, client: str) -> int:
        """Seconds the client must wait (0: it may try)."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(client, now)
            if len(q) < self.limit:
                if not q:
                    self._seen.pop(client, None)
                return 0
            return max(1, int(self.window - (now - q[0]) + 0.999))

    def record(self, client: str) -> None:
        """Count one failed attempt (and forget clients whose attempts are all old)."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                for c in [c for c, q in self._seen.items() if now - q[-1] > self.window]:
                    del self._seen[c]
            self._recent(client, now).append(now)


def api_key_dependency(key: SecretStr | None, attempts: FailedAttempts | None = None):
    """A dependency answering 401 unless the request carries the analyst key.

    The correct key is always answered: failures are counted per client *and* per presented
    key (a salted digest, never the key), and only a wrong key is refused with 429 and
    ``Retry-After`` once its client or the key itself has too many failures in the window.
    A request with no key gets 401 always: it guesses nothing, so it is not counted.
    So analysts behind one proxy address are never locked out by one another's typos, and a
    client repeating a stale key is slowed. What stops guessing is the key's length (a
    random key of 32 characters or more; see the README), not the count.
    """
    attempts = attempts or FailedAttempts()
    salt = secrets.token_bytes(16)

    async def check(request: Request, given: str | None = Security(_KEY_HEADER)) -> None:
        if key is None or not key.get_secret_value():
            raise HTTPException(
                401, "analyst endpoints are disabled: no API key is configured (SNA_API_KEY)"
            )
        if given and hmac.compare_digest(given.encode(), key.get_secret_value().encode()):
            return
        if not given:  # no key is no guess: always a plain 401, never counted or locked out
            raise HTTPException(
                401, "a valid X-API-Key header is required", headers={"WWW-Authenticate": "API-Key"}
            )
        client = "client:" + (request.client.host if request.client else "unknown")
        presented = "key:" + hmac.new(salt, (given or "").encode(), hashlib.sha256).hexdigest()
        wait = max(attempts.retry_after(client), attempts.retry_after(presented))
        if wait:
            raise HTTPException(
                429,
                "too many failed key attempts; try again later",
                headers={"Retry-After": str(wait)},
            )
        attempts.record(client)
        attempts.record(presented)
        raise HTTPException(
            401, "a valid X-API-Key header is required", headers={"WWW-Authenticate": "API-Key"}
        )

    return check


@dataclass
class DefaultDependency:
    """Query parameters as a dataclass; ``as_dict()`` drops None for library keywords."""

    def as_dict(self, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
        """Non-None fields, minus ``exclude``."""
        return {k: v for k, v in asdict(self).items() if v is not None and k not in exclude}


@dataclass
class AreaListParams(DefaultDependency):
    """Filter, order and page the list of priority places."""

    district: str | None = Query(
        None,
        max_length=100,
        description="District code or name (case-insensitive); all districts when omitted.",
        examples=["E08000025", "Birmingham"],
    )
    level: Literal["lsoa", "ward", "district"] = Query(
        "lsoa", description="Which areas to list.", examples=["lsoa"]
    )
    sort: Literal["violence_risk", "need", "risk", "protective", "name"] = Query(
        "violence_risk",
        description="What to sort by: violence risk (expected offences) or an index.",
        examples=["violence_risk"],
    )
    order: Literal["desc", "asc"] = Query(
        "desc", description="desc: highest first (the priority order).", examples=["desc"]
    )
    limit: int = Query(50, ge=1, le=10000, description="How many areas.", examples=[20])
    offset: int = Query(0, ge=0, le=1_000_000, description="Skip this many.", examples=[0])
    format: Literal["json", "csv", "geojson"] = Query(
        "json", description="json, csv or geojson (EPSG:4326) download.", examples=["csv"]
    )
