"""The police.uk street files' counts, made once by the archive engine and shared by every reader.

The bundle's street files (``[violence_risk] pooled_from``: Bedfordshire and the 16 forces of
``crime/police-uk-2022``) are ingested into the police.uk archive (:mod:`geodata.archive`)
and counted by its DuckDB engine, once per set of files and code:

- ``<shared>/police-archive-<key>/``: the ingested GeoParquet archive (``force=/month=``), so
  another engine (Dask) or a test can run on it without parsing the CSVs again;
- ``<shared>/street-counts-<key>.parquet``: ``force, month, crime_type, lsoa21_code, count``,
  the rows the archive placed in an LSOA21 (repeated Crime IDs within a force and month
  dropped; LSOA21 by the archive's rule, ``docs/police-archive.md``: the file's code where it
  is an LSOA21 code, the 2021 code of a merged 2011 code through the ONS lookup, the point
  inside the children of a split 2011 code, the point alone where a row has no code).

``key`` hashes the files' checksums and this code, so a new file or a code change counts
again. The pooled panel (:mod:`sna.violence.force_panel`) and every view with street files
(:mod:`sna.violence.region_street`) read the same table.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata._io import sha256_file
from sna.config.region import RegionConfig
from sna.errors import ConfigError
from sna.fingerprint import code_fingerprint, package_sources
from sna.settings import PROJECT_ROOT

__all__ = [
    "StreetCounts",
    "counts_as_points",
    "street_counts",
    "street_folders",
    "street_placement",
]

COUNT_COLUMNS = ["force", "month", "crime_type", "lsoa21_code", "count"]


@dataclass
class StreetCounts:
    """The cached counts of every force's street files, and where their archive is."""

    counts: pd.DataFrame
    key: str
    archive: Path

    @property
    def forces(self) -> list[str]:
        """police.uk force ids with counts, sorted."""
        return sorted(self.counts["force"].unique())

    def of(self, forces: list[str], lsoas: pd.Index | None = None) -> pd.DataFrame:
        """The counts of ``forces`` (police.uk ids), in ``lsoas`` when given."""
        c = self.counts[self.counts["force"].isin(forces)]
        if lsoas is not None:
            c = c[c["lsoa21_code"].isin(lsoas)]
        return c.reset_index(drop=True)


def street_folders(config: RegionConfig) -> list[Path]:
    """The police.uk folders of ``[violence_risk] pooled_from`` (checked to exist)."""
    paths = [config.source_path(p) for p in config.violence_risk.pooled_from]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ConfigError(f"{config.id}: violence_risk.pooled_from not found: {missing}")
    return paths


def _files(folders: list[Path]) -> list[Path]:
    return sorted(q for p in folders for q in (p.rglob("*.csv*") if p.is_dir() else [p]))


def _key(folders: list[Path]) -> str:
    blob = {
        "files": {f"{q.parent.name}/{q.name}": sha256_file(q) for q in _files(folders)},
        "code": code_fingerprint(
            [
                PROJECT_ROOT / "sna" / "violence" / "street_counts.py",
                *package_sources("geodata/archive"),
            ]
        ),
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:16]


def street_placement(config: RegionConfig):
    """The archive's LSOA21 placement from ``config``'s lookup and LSOA21 polygons."""
    from geodata.archive import load_placement

    return load_placement(
        config.source_path(config.sources.lsoa11_lsoa21_lookup.paths[0]),
        config.source_path(config.sources.lsoa21_boundaries.paths[0]),
    )


def _ingest(folders: list[Path], target: Path) -> None:
    """Ingest into a temporary folder next to ``target``, then rename (atomic, once)."""
    from geodata.archive import ingest_archive

    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        ingest_archive(folders, tmp)
        os.replace(tmp, target)
    except OSError:
        if not target.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _count(config: RegionConfig, archive: Path, path: Path) -> pd.DataFrame:
    """DuckDB counts of the archive (into a temporary results folder); cached at ``path``."""
    from geodata.archive import RunOptions, get_engine

    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".street-counts-") as tmp:
        get_engine("duckdb").run(
            archive, street_placement(config), RunOptions.checked(), out=Path(tmp) / "results"
        )
        counts = pd.read_parquet(Path(tmp) / "results" / "counts")
    counts["force"] = counts["force"].astype(str)
    counts["month"] = counts["month"].astype(str)
    counts = counts[counts["lsoa21_code"].notna()]
    counts = counts[COUNT_COLUMNS].sort_values(COUNT_COLUMNS[:4], ignore_index=True)
    tmp_file = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    counts.to_parquet(tmp_file, index=False)
    os.replace(tmp_file, path)
    return counts


def street_counts(config: RegionConfig, shared_dir: Path) -> StreetCounts:
    """The counts of ``config``'s ``pooled_from`` street files (module docstring), cached."""
    folders = street_folders(config)
    key = _key(folders)
    shared_dir.mkdir(parents=True, exist_ok=True)
    archive = shared_dir / f"police-archive-{key}"
    path = shared_dir / f"street-counts-{key}.parquet"
    if path.exists():
        return StreetCounts(pd.read_parquet(path), key, archive)
    if not archive.exists():
        _ingest(folders, archive)
    return StreetCounts(_count(config, archive, path), key, archive)


def counts_as_points(counts: pd.DataFrame) -> pd.DataFrame:
    """One row per offence (``month``, ``crime_type``, ``lsoa21_code``): the shape the violence
    model (:func:`sna.violence.model.fit_violence`) and its history terms read."""
    rep = counts["count"].to_numpy(int)
    return pd.DataFrame(
        {
            "month": np.repeat(counts["month"].astype(str).to_numpy(), rep),
            "crime_type": np.repeat(counts["crime_type"].to_numpy(), rep),
            "lsoa21_code": np.repeat(counts["lsoa21_code"].to_numpy(), rep),
        }
    )
