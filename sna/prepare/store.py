"""The geodata store: prepared GeoParquet tables plus a provenance manifest, per region.

Layout under the data directory::

    <data_dir>/<region>/store            -> symlink to the current prepared copy
    <data_dir>/<region>/store.<stamp>/   one prepared copy: <table>.parquet + manifest.json

A new copy is written into a temporary folder and published by atomically replacing the
``store`` symlink, so a failed or interrupted prepare never leaves a half-written store and the
previous one stays readable.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sna.errors import StoreError, StoreNotPrepared
from sna.fingerprint import code_fingerprint, package_sources
from sna.settings import data_dir as default_data_dir

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PREPARE_STEPS",
    "PrepareResult",
    "prepare_result",
    "publish_store",
    "store_code_fingerprint",
    "MANIFEST",
    "region_dir",
    "write_table",
    "read_table",
    "staging_dir",
    "clean_staging",
    "publish_dir",
    "Store",
]

MANIFEST = "manifest.json"


def region_dir(region_id: str, data_dir: Path | None = None) -> Path:
    """``<data_dir>/<region_id>``."""
    return Path(data_dir or default_data_dir()) / region_id


def write_table(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as ``<folder>/<name>.parquet`` (GeoParquet when it has geometry)."""
    import geopandas as gpd  # here: the server imports this module but reads no tables

    path = folder / f"{name}.parquet"
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, index=False, compression="zstd", write_covering_bbox=False)
    else:
        frame.to_parquet(path, index=False, compression="zstd")
    return path


def read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a table written by :func:`write_table`, as a GeoDataFrame when it has geometry."""
    import geopandas as gpd
    import pandas as pd
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    if b"geo" in meta and (columns is None or "geometry" in columns):
        return gpd.read_parquet(path, columns=columns)
    return pd.read_parquet(path, columns=columns)  # attribute columns only: a plain frame


@contextmanager
def staging_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A temporary folder beside the target, removed if the body raises.

    Its name, ``.<prefix>.tmp-<pid>-<random>``, says which process writes it, so that
    :func:`clean_staging` can remove the leftovers of a process that was killed.
    """
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{prefix}.tmp-{os.getpid()}-", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def clean_staging(parent: Path, prefix: str) -> list[str]:
    """Remove what interrupted runs left in ``parent``: staging folders and pointer links.

    A staging folder (:func:`staging_dir`) or a temporary ``.<link>.link-<pid>-*`` symlink
    is removed when the process that made it is gone (a build killed with ``kill -9``);
    those of live processes (a build running now) are left alone. Returns the names removed.
    """
    removed: list[str] = []
    if not parent.is_dir():
        return removed
    for entry in parent.iterdir():
        name = entry.name
        if name.startswith(f".{prefix}.tmp-"):
            rest = name[len(f".{prefix}.tmp-") :]
        elif name.startswith(".") and ".link-" in name and entry.is_symlink():
            rest = name.split(".link-", 1)[1]
        else:
            continue
        pid_text = rest.split("-", 1)[0]
        if pid_text.isdigit() and (int(pid_text) == os.getpid() or _alive(int(pid_text))):
            continue
        if entry.is_symlink() or entry.is_file():
            entry.unlink(missing_ok=True)
        else:
            shutil.rmtree(entry, ignore_errors=True)
        removed.append(name)
    return sorted(removed)


def publish_dir(tmp: Path, link: Path, final_name: str) -> Path:
    """Rename ``tmp`` to ``link.parent/final_name`` and atomically point ``link`` at it.

    An existing folder of that name is never replaced (it may be the one being served):
    :class:`~sna.errors.StoreError` is raised instead and ``tmp`` is left to the caller.
    """
    final = link.parent / final_name
    if link.exists() and not link.is_symlink():
        raise StoreError(f"{link} exists and is not a symlink; move it away and re-run")
    if final.exists() or final.is_symlink():
        raise StoreError(f"{final} already exists; it is never replaced")
    os.rename(tmp, final)
    tmp_link = link.parent / f".{link.name}.link-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(final.name, tmp_link)
    os.replace(tmp_link, link)
    return final


class Store:
    """Read access to a region's prepared store."""

    def __init__(self, region_id: str, data_dir: Path | None = None) -> None:
        self.region_id = region_id
        self.link = region_dir(region_id, data_dir) / "store"

    @property
    def path(self) -> Path:
        """The resolved folder of the current store."""
        if not self.exists():
            raise StoreNotPrepared(
                f"no prepared store for {self.region_id!r} at {self.link}; "
                f"run: sna data prepare --region {self.region_id}"
            )
        return self.link.resolve()

    def exists(self) -> bool:
        """True when a published store with a manifest exists."""
        return (self.link / MANIFEST).exists()

    def manifest(self) -> dict[str, Any]:
        """The provenance manifest of the current store."""
        return json.loads((self.path / MANIFEST).read_text())

    def tables(self) -> list[str]:
        """Names of the tables in the store."""
        return sorted(p.stem for p in self.path.glob("*.parquet"))

    def read(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Read one table by name (e.g. ``lsoa21``, ``postcodes``, ``iod2025``)."""
        path = self.path / f"{name}.parquet"
        if not path.exists():
            raise StoreError(f"{self.path}: no table {name!r}; tables: {self.tables()}")
        return read_table(path, columns)

    def has(self, name: str) -> bool:
        """True when the store holds table ``name``."""
        return self.exists() and (self.path / f"{name}.parquet").exists()


# ------------------------------------------------------------ what prepare_region made


#: the prepare steps' modules (with the package docstring), whose code the store's key covers
PREPARE_STEPS = (
    "__init__",
    "areas",
    "assets",
    "crime",
    "deprivation",
    "partner",
    "postcodes",
    "schools",
    "steps",
)


def store_code_fingerprint() -> str:
    """The loaders' and the prepare code's fingerprint, so their changes invalidate the store."""
    here = Path(__file__).parent
    steps = sorted(here / f"{m}.py" for m in PREPARE_STEPS)
    loaders = package_sources("geodata", patterns=("*.py",))
    exposure = [here.parent / "needs" / "at_risk.py", here.parent / "needs" / "national_at_risk.py"]
    return code_fingerprint([*loaders, here / "pipeline.py", *steps, *exposure])


@dataclass
class PrepareResult:
    """What ``prepare_region`` did: where the store is and whether it was rebuilt."""

    region: str
    path: Path
    rebuilt: bool
    seconds: float
    tables: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def prepare_result(
    region: str, path: Path, manifest: dict, rebuilt: bool, t0: float
) -> PrepareResult:
    """A :class:`PrepareResult` from a store's manifest."""
    return PrepareResult(
        region,
        path,
        rebuilt=rebuilt,
        seconds=time.perf_counter() - t0,
        tables={k: v["rows"] for k, v in manifest["tables"].items()},
        metrics=manifest.get("metrics", {}),
        warnings=manifest.get("warnings", []),
    )


def publish_store(tmp: Path, store: Store, key: str, manifest: dict) -> Path:
    """Write ``manifest`` into the staging folder, switch ``store`` to it, drop the old copy."""
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f") + f"-{key[:8]}"
    old = store.link.resolve() if store.link.is_symlink() else None
    final = publish_dir(tmp, store.link, f"store.{stamp}")
    if old and old.exists() and old != final:
        import shutil

        shutil.rmtree(old, ignore_errors=True)
    return final
