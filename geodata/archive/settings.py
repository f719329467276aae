"""Archive engine settings: environment (``SNA_ARCHIVE_*``) or ``.env``, overridden by flags.

``SNA_ARCHIVE_ENGINE=duckdb`` (default) runs the steps in embedded DuckDB on this machine;
``SNA_ARCHIVE_ENGINE=dask`` runs the same steps as a Dask graph on ``SNA_ARCHIVE_DASK_SCHEDULER``:
``synchronous`` or ``threads`` (in process), ``local`` (a ``LocalCluster`` of
``SNA_ARCHIVE_DASK_WORKERS`` worker processes) or a scheduler address (``tcp://host:8786``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ArchiveSettings"]


class ArchiveSettings(BaseSettings):
    """Which engine runs the archive steps, and its resource limits."""

    model_config = SettingsConfigDict(
        env_prefix="SNA_ARCHIVE_", env_file=".env", extra="ignore", frozen=True
    )

    engine: Literal["duckdb", "dask"] = "duckdb"
    threads: int = Field(2, ge=1, description="DuckDB threads")
    duckdb_memory_limit: str = Field("2GB", description="DuckDB SET memory_limit")
    duckdb_temp_directory: str | None = Field(None, description="where DuckDB spills")
    dask_scheduler: str = Field("local", description="synchronous, threads, local or an address")
    dask_workers: int = Field(2, ge=1, description="LocalCluster worker processes")
    dask_memory_limit: str = Field("2GiB", description="memory limit per LocalCluster worker")
