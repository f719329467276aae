"""Names shared by the writer and the reader of ``answers.sqlite`` (docs/build-format.md)."""

from __future__ import annotations

import struct

__all__ = [
    "ANSWERS_FILE",
    "FORMAT_VERSION",
    "AREA_LEVELS",
    "SORT_COLUMNS",
    "SCHEMA",
    "NEAREST_MARK",
    "pack_picks",
    "nearest_items",
]

ANSWERS_FILE = "answers.sqlite"
FORMAT_VERSION = 3
AREA_LEVELS: tuple[str, ...] = ("lsoa", "ward", "district")
SORT_COLUMNS: tuple[str, ...] = ("violence_risk", "need", "risk", "protective", "name")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
CREATE TABLE fragments (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE postcodes (
    id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, compact TEXT NOT NULL,
    live INTEGER NOT NULL, frag INTEGER NOT NULL, head BLOB NOT NULL, near BLOB);
CREATE TABLE asset_entries (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE INDEX postcodes_compact ON postcodes (compact) WHERE live = 1;
CREATE INDEX postcodes_live ON postcodes (code) WHERE live = 1;
CREATE VIRTUAL TABLE postcode_points USING rtree (id, e0, e1, n0, n1);
CREATE TABLE terminated (code TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE outcodes (code TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE areas (
    code TEXT PRIMARY KEY, level TEXT NOT NULL, name TEXT, body BLOB NOT NULL,
    restricted BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE area_list (
    level TEXT NOT NULL, pos INTEGER NOT NULL, code TEXT NOT NULL, district_code TEXT,
    violence_risk REAL, need REAL, risk REAL, protective REAL, name TEXT, row BLOB NOT NULL,
    PRIMARY KEY (level, pos)) WITHOUT ROWID;
CREATE TABLE geometry (
    level TEXT NOT NULL, code TEXT NOT NULL, geojson BLOB NOT NULL,
    PRIMARY KEY (level, code)) WITHOUT ROWID;
CREATE TABLE tile_shapes (pos INTEGER PRIMARY KEY, wkb BLOB, props BLOB NOT NULL);
CREATE TABLE trends (code TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE outline_shapes (
    level TEXT NOT NULL, pos INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
    wkb BLOB NOT NULL, PRIMARY KEY (level, pos)) WITHOUT ROWID;
"""

#: Where a postcode's ``head`` holds its support-nearby entries; the reader puts them back
#: from ``asset_entries`` (orjson escapes a NUL inside any string, so it is never JSON's own).
NEAREST_MARK = b"\x00"


def pack_picks(picks: list[tuple[int, int]]) -> bytes:
    """``(asset entry id, distance in metres)`` pairs as a postcode's ``near`` column."""
    return struct.pack(f"<{2 * len(picks)}I", *(x for pair in picks for x in pair))


def nearest_items(near: bytes, entries: list[bytes]) -> bytes:
    """The support-nearby entries of a packed ``near`` (:func:`pack_picks`), as JSON.

    >>> nearest_items(pack_picks([(1, 140), (0, 300)]), [b'{"name":"A","distance_m":',
    ...                                                  b'{"name":"B","distance_m":'])
    b'{"name":"B","distance_m":140},{"name":"A","distance_m":300}'
    """
    pairs = iter(struct.unpack(f"<{len(near) // 4}I", near))
    # a list, not a generator, and one bytes format per entry: a lookup's hot loop
    return b",".join(
        [b"%b%d}" % (entries[i], metres) for i, metres in zip(pairs, pairs, strict=False)]
    )
