"""Pick the archive engine the settings name (:mod:`geodata.archive.settings`).

Kept apart from :mod:`geodata.archive.engine`, which the engines import, so that the choice
of engine does not make the protocol import its implementations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["get_engine"]


def get_engine(name: str | None = None, **settings: Any) -> Engine:
    """The engine named (default: the ``SNA_ARCHIVE_ENGINE`` setting), built from settings.

    ``settings`` override :class:`geodata.archive.settings.ArchiveSettings` fields.
    """
    from .settings import ArchiveSettings

    cfg = ArchiveSettings(**({"engine": name} if name else {}), **settings)
    if cfg.engine == "duckdb":
        from .duckdb_engine import DuckDBEngine

        return DuckDBEngine(
            memory_limit=cfg.duckdb_memory_limit,
            threads=cfg.threads,
            temp_directory=cfg.duckdb_temp_directory,
        )
    from .dask_engine import DaskEngine

    return DaskEngine(
        scheduler=cfg.dask_scheduler, workers=cfg.dask_workers, memory_limit=cfg.dask_memory_limit
    )
