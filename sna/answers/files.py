"""Opening a build's files for reading: a small, fixed pool of immutable SQLite
connections to ``answers.sqlite`` and a check that a Parquet table is complete, which needs
no Parquet reader.

Why no memory map: a connection maps the file on its own, so a server whose 40 threads
each held one mapped it 40 times (RSS 2.7 GB against a PSS of 502 MB), and even one map
counts every page the kernel maps around a read (64 KB per fault) as the process's memory.
Read with ``pread``, the file's pages stay in the OS page cache, shared by every worker
process and reclaimable, and what the process holds is its heap plus each connection's own
page cache (:data:`CACHE_KIB`): RSS reads true. A lookup costs about 5 microseconds more
than through a map (10 against 16 on this machine, one indexed read of the West Midlands).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "CACHE_KIB",
    "limit_heap",
    "MMAP_BYTES",
    "POOL_SIZE",
    "SERVER_HEAP_MIB",
    "ConnectionPool",
    "check_parquet_ends",
    "connect",
]

#: No memory map (see the module's docstring).
MMAP_BYTES = 0
#: Each connection's page cache (SQLite's default size): the B-tree's upper levels stay in it.
CACHE_KIB = 2048
#: Connections per file, shared by every thread: a read takes one and gives it back.
POOL_SIZE = 4


#: SQLite's heap in a server process, all files and connections together (see limit_heap).
SERVER_HEAP_MIB = 32


def limit_heap(mib: int = SERVER_HEAP_MIB) -> None:
    """Bound the memory SQLite holds in this process (``PRAGMA soft_heap_limit``): past it,
    each page cache reuses its oldest pages instead of growing.

    For a server: a national front door reads 39 files through up to four connections each,
    whose 2 MB caches could otherwise hold 300 MB between them (with 32 MB, 78 connections
    after random reads held 34 MB instead of 166 MB). Process-wide, so only the server
    calls it (:func:`api.app.serve`), never a build, which writes through SQLite.
    """
    con = sqlite3.connect(":memory:")
    try:
        con.execute(f"PRAGMA soft_heap_limit = {int(mib) << 20}")
    finally:
        con.close()


def connect(path: Path) -> sqlite3.Connection:
    """A read-only, immutable connection (no locking, no journal, no memory map)."""
    con = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
    )
    con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    con.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return con


class ConnectionPool:
    """At most ``size`` connections to one file, opened when reads overlap and reused
    last-in first-out (the warmest cache first); a read waits for one when all are busy.

    Whatever the number of threads asking, the process holds ``size`` page caches of the
    file, not one per thread. Taking and giving back a connection is a ``deque`` pop and
    append (atomic, no lock: a lookup is a few microseconds); only a read that finds every
    connection busy takes the lock.
    """

    def __init__(self, path: Path, size: int = POOL_SIZE) -> None:
        self.path = Path(path)
        self.size = max(int(size), 1)
        self._idle: deque[sqlite3.Connection] = deque()
        self._all: list[sqlite3.Connection] = []
        self._freed = threading.Condition()
        self._waiting = 0

    def take(self) -> sqlite3.Connection:
        """A connection for one read; give it back with :meth:`give`."""
        try:
            return self._idle.pop()
        except IndexError:
            return self._open_or_wait()

    def give(self, con: sqlite3.Connection) -> None:
        """Give back a connection from :meth:`take` (its rows all fetched)."""
        self._idle.append(con)
        if self._waiting:
            with self._freed:
                self._freed.notify()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection of the pool for one read (fetch its rows inside the block)."""
        con = self.take()
        try:
            yield con
        finally:
            self.give(con)

    def _open_or_wait(self) -> sqlite3.Connection:
        with self._freed:
            if len(self._all) < self.size:
                con = connect(self.path)
                self._all.append(con)
                return con
            self._waiting += 1
            try:
                while True:
                    try:
                        return self._idle.pop()
                    except IndexError:
                        self._freed.wait(0.05)  # the timeout covers a give() just missed
            finally:
                self._waiting -= 1

    def __len__(self) -> int:
        """Connections opened so far."""
        return len(self._all)

    def close(self) -> None:
        """Close every connection (a reader's finaliser: see ``BuildReader``)."""
        for con in self._all:
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
