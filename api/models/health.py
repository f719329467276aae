"""Liveness and readiness (``/health``, ``/ready``)."""

from __future__ import annotations

from typing import Literal

from ._common import _Model

__all__ = ["Health", "Readiness"]


class Health(_Model):
    """Liveness."""

    status: Literal["ok"]


class Readiness(_Model):
    """Readiness: a build is loaded."""

    status: Literal["ready", "loading", "unavailable"]
    build_id: str | None
    detail: str | None = None
