"""Every UK postcode, keyed on disk, so a 404 can say "outside the region".

Built once per geocode wheel into ``<data_dir>/_shared/national-postcodes-<sha>.sqlite``
(one table of postcodes without spaces) and shared by every build and region made from that
wheel; the server opens it read-only and asks one key per unknown postcode, instead of
holding 2.7 million postcodes in memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

__all__ = ["national_index", "write_national", "index_path"]

log = logging.getLogger(__name__)


def index_path(wheel: Path, shared_dir: Path) -> Path:
    """Where the index of ``wheel`` lives (named by the wheel's size and mtime hash)."""
    st = wheel.stat()
    key = hashlib.sha256(f"{wheel.name}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()
    return shared_dir / f"national-postcodes-{key[:16]}.sqlite"


def write_national(codes: Iterable[str], path: Path) -> Path:
    """Write the postcodes ``codes`` (any spacing) to a keyed SQLite file, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE postcodes (compact TEXT PRIMARY KEY) WITHOUT ROWID")
        keys = sorted({str(c).replace(" ", "").upper() for c in codes})
        con.executemany("INSERT INTO postcodes VALUES (?)", ((k,) for k in keys))
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def national_index(wheel: Path | None, shared_dir: Path) -> Path | None:
    """The national postcode index of ``wheel``, building it on first use (None without a
    wheel, or when it cannot be read: only the wording of a 404 depends on it)."""
    if wheel is None or not wheel.exists():
        return None
    path = index_path(wheel, shared_dir)
    if path.exists():
        return path
    from geodata.postcodes import read_geocode_wheel

    try:
        data = read_geocode_wheel(wheel).data
    except Exception:  # noqa: BLE001 - optional, see above
        log.warning("could not read the national postcode list from %s", wheel, exc_info=True)
        return None
    return write_national(data["postcode"].astype(str), path)
