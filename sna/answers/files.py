"""Opening a build's files for reading: the immutable SQLite connection to
``answers.sqlite`` (memory-mapped, so worker processes share its pages) and a check that a
Parquet table is complete, which needs no Parquet reader.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["MMAP_BYTES", "check_parquet_ends", "close_all", "connect"]

MMAP_BYTES = 1 << 30


def connect(path: Path) -> sqlite3.Connection:
    """A read-only, immutable connection with a memory map (no locking, no journal)."""
    con = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
    )
    con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    return con


def close_all(connections: list[sqlite3.Connection]) -> None:
    """Close every connection (a reader's finaliser: see ``BuildReader``)."""
    for con in connections:
        con.close()


def check_parquet_ends(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` starts with Parquet's magic and ends with a
    footer that fits in the file (a truncated copy does not).

    The footer's length and magic are the file's last 8 bytes, so this reads 12 bytes and
    needs no Parquet reader: the server loads a build without pyarrow.
    """
    with open(path, "rb") as f:
        head = f.read(4)
        size = f.seek(0, 2)
        if size < 12:
            raise ValueError(f"{path.name}: not a Parquet file ({size} bytes)")
        f.seek(size - 8)
        tail = f.read(8)
    footer = int.from_bytes(tail[:4], "little")
    if head != b"PAR1" or tail[4:] != b"PAR1" or footer + 12 > size:
        raise ValueError(f"{path.name}: not a complete Parquet file")
