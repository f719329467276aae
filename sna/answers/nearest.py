"""Where postcodes are: reverse geocoding, nearest postcodes and outcodes, random postcodes.

The reader's part for postcodes.io's geographic routes. A list of postcodes answers with
*compact entries* (:meth:`NearestPostcodes._entry`: postcodes.io's position and area fields,
the distance, the area codes and the two bands the map leads with), so a reverse lookup of
100 postcodes stays about 40 kB; the full answer of each is one request away
(``/api/v1/postcodes/{postcode}``). Distances are straight lines on the British National
Grid, in metres.
"""

from __future__ import annotations

import math
import random
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from sna.answers.query import normalise, to_grid
from sna.answers.schema import NEAREST_MARK
from sna.errors import InvalidPostcode, PostcodeNotFound

__all__ = [
    "NearestPostcodes",
    "Geolocation",
    "WIDE_RADIUS_M",
    "WIDE_LIMIT",
    "OUTCODE_RADIUS_M",
]

#: postcodes.io's ``wideSearch``: up to 20 km, at most 10 postcodes
WIDE_RADIUS_M = 20_000.0
WIDE_LIMIT = 10
#: postcodes.io's default radius for nearest outcodes (metres)
OUTCODE_RADIUS_M = 5_000.0
_FIRST_RADIUS_M = 200.0  # the search widens from here (x4) until it holds enough postcodes
_OUTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_POSITION = ("postcode", "outcode", "incode", "longitude", "latitude", "eastings", "northings")
_AREA = ("lsoa", "msoa", "admin_ward", "admin_district", "codes")
_RANDOM = random.Random()
_AREA_CACHE = 4096  # LSOA parts kept per reader
_RANDOM_TRIES = 64  # random row ids tried before counting


@dataclass(frozen=True)
class Geolocation:
    """One point of a bulk reverse lookup: where, how far and how many."""

    longitude: float
    latitude: float
    radius: float = 100.0
    limit: int = 10
    wide: bool = False

    @property
    def search(self) -> tuple[float, int]:
        """``(radius, limit)`` as searched: ``wideSearch`` is 20 km and at most 10."""
        if self.wide:
            return WIDE_RADIUS_M, min(self.limit, WIDE_LIMIT)
        return self.radius, self.limit


class NearestPostcodes:
    """The geographic part of :class:`~sna.answers.reader.BuildReader` (needs its ``_db``,
    ``_one``, ``postcode_json``, ``outcode_json``, ``_not_found`` and ``region_name``)."""

    region_name: str

    def _db(self) -> sqlite3.Connection:  # pragma: no cover - BuildReader's
        raise NotImplementedError

    def _one(self, sql: str, args: tuple) -> Any:  # pragma: no cover - BuildReader's
        raise NotImplementedError

    # ----------------------------------------------------------------- the search

    def _nearest_ids(
        self, e: float, n: float, radius: float, limit: int
    ) -> list[tuple[float, int]]:
        """``(distance m, postcode row id)`` of the live postcodes within ``radius`` metres
        of grid point ``(e, n)``, nearest first, at most ``limit``.

        The box searched widens from 200 m (x4) up to ``radius`` until it holds ``limit``
        postcodes: once it does, no postcode outside it can be nearer, so a 20 km
        ``wideSearch`` in a city reads a few hundred points, not a county's.
        """
        if limit < 1 or not (math.isfinite(e) and math.isfinite(n)):
            return []
        r = min(float(radius), _FIRST_RADIUS_M)
        while True:
            rows = self._rows(
                "SELECT id, e0, n0 FROM postcode_points "
                "WHERE e0 >= ? AND e1 <= ? AND n0 >= ? AND n1 <= ?",
                (e - r, e + r, n - r, n + r),
            )
            hits = sorted((d, i) for i, x, y in rows if (d := math.hypot(x - e, y - n)) < r)
            if len(hits) >= limit or r >= radius:
                return hits[: int(limit)]
            r = min(float(radius), r * 4)

    def nearest(
        self, longitude: float, latitude: float, radius: float = 100.0, limit: int = 10
    ) -> list[tuple[float, str]]:
        """Reverse lookup: ``(distance m, postcode)`` of the live postcodes within ``radius``
        metres of a point, nearest first."""
        e, n = to_grid(longitude, latitude)
        hits = self._nearest_ids(e, n, radius, limit)
        return [(d, self._one("SELECT code FROM postcodes WHERE id = ?", (i,))) for d, i in hits]

    # ----------------------------------------------------------------- compact entries

    def _area_part(self, frag: int) -> dict[str, Any]:
        """An LSOA's part of the compact entry: names, codes and bands, kept for the
        last few thousand LSOAs asked (bounded: a worker's memory does not grow with the
        region)."""
        cache: dict[int, dict[str, Any]] = self.__dict__.setdefault("_area_parts", {})
        got = cache.get(frag)
        if got is None:
            body = self._one("SELECT body FROM fragments WHERE id = ?", (frag,))
            area = orjson.loads(b"{" + body + b"}")
            need = ((area.get("indices") or {}).get("need") or {}).get("band")
            violence = (area.get("violence_risk") or {}).get("band")
            got = {
                **{k: area.get(k) for k in _AREA},
                "bands": {"violence_risk": violence, "need": need},
            }
            if len(cache) >= _AREA_CACHE:
                cache.clear()
            cache[frag] = got
        return got

    def _entry(self, row_id: int, distance: float | None = None) -> dict[str, Any]:
        """The compact entry of one postcode row: postcodes.io's ``postcode``, ``outcode``,
        ``incode``, ``longitude``, ``latitude``, ``eastings``, ``northings``, ``lsoa``,
        ``msoa``, ``admin_ward``, ``admin_district`` and ``codes``, the ``distance`` when a
        point was asked, and ``bands``: the violence-risk and needs bands of its LSOA, as
        the map leads with."""
        head, frag = self._row("SELECT head, frag FROM postcodes WHERE id = ?", (row_id,))
        own = orjson.loads(b"{" + head.replace(NEAREST_MARK, b"") + b"}")
        out: dict[str, Any] = {k: own.get(k) for k in _POSITION}
        if distance is not None:
            out["distance"] = round(distance, 1)
        return {**out, **self._area_part(frag)}

    def _entries(self, hits: Iterable[tuple[float, int]]) -> list[dict[str, Any]]:
        return [self._entry(i, d) for d, i in hits]

    def nearest_json(
        self, longitude: float, latitude: float, radius: float = 100.0, limit: int = 10
    ) -> bytes:
        """Reverse lookup as a JSON list of compact entries, nearest first, each with its
        ``distance`` (metres)."""
        e, n = to_grid(longitude, latitude)
        return orjson.dumps(self._entries(self._nearest_ids(e, n, radius, limit)))

    def nearest_to_postcode_json(self, text: str, radius: float = 100.0, limit: int = 10) -> bytes:
        """postcodes.io's ``/postcodes/{postcode}/nearest``: live postcodes within ``radius``
        metres of a postcode of the region (itself first, at 0 m), as compact entries.

        ``PostcodeNotFound`` for a postcode not of the region, or one with no grid reference
        (terminated, or never given one), which has no position to measure from.
        """
        code = normalise(text)
        row = self._row(
            "SELECT q.e0, q.n0 FROM postcodes p JOIN postcode_points q ON q.id = p.id "
            "WHERE p.code = ?",
            (code,),
        )
        if row is None:
            if self._one("SELECT 1 FROM postcodes WHERE code = ?", (code,)) is None:
                raise self._not_found(code)
            raise PostcodeNotFound(f"{code} has no grid reference: it has no nearest postcodes")
        return orjson.dumps(self._entries(self._nearest_ids(row[0], row[1], radius, limit)))

    def bulk_reverse_json(self, points: list[Geolocation]) -> bytes:
        """postcodes.io's bulk reverse geocoding: ``[{"query", "result"}]`` in the order
        asked, ``result`` the compact entries near each point (``[]`` when none)."""
        out = []
        for p in points:
            radius, limit = p.search
            e, n = to_grid(p.longitude, p.latitude)
            query: dict[str, Any] = {"longitude": p.longitude, "latitude": p.latitude}
            query.update({"radius": radius, "limit": limit})
            if p.wide:
                query["wideSearch"] = True
            hits = self._nearest_ids(e, n, radius, limit)
            out.append({"query": query, "result": self._entries(hits)})
        return orjson.dumps(out)

    # ----------------------------------------------------------------- random

    def random_json(self, outcode: str | None = None) -> bytes:
        """postcodes.io's ``/random/postcodes``: the full answer of a live postcode of the
        region drawn at random, or of the outward code ``outcode`` when given
        (``PostcodeNotFound`` when it has none here)."""
        if outcode is None or not str(outcode).strip():
            # row ids run from 0 with no gaps: a few draws find a live one
            top = self._one("SELECT max(id) FROM postcodes", ())
            for _ in range(_RANDOM_TRIES if top is not None else 0):
                row_id = _RANDOM.randint(0, top)
                code = self._one("SELECT code FROM postcodes WHERE id = ? AND live = 1", (row_id,))
                if code is not None:
                    return self.postcode_json(code)
            where, args = "live = 1", ()
        else:
            oc = _outcode(outcode)
            where, args = "live = 1 AND code >= ? AND code < ?", (oc + " ", oc + " ~")
        n = self._one(f"SELECT count(*) FROM postcodes WHERE {where}", args)
        if not n:
            raise PostcodeNotFound(
                f"No live postcode of {self.region_name}"
                + (f" in outcode {_outcode(outcode)}" if args else "")
            )
        code = self._one(
            f"SELECT code FROM postcodes WHERE {where} ORDER BY code LIMIT 1 OFFSET ?",
            (*args, _RANDOM.randrange(n)),
        )
        return self.postcode_json(code)

    # ----------------------------------------------------------------- outcodes

    @cached_property
    def _outcode_points(self) -> list[tuple[str, float, float]]:
        """``(outcode, easting, northing)`` of every outcode with a position (a few
        thousand for all of England; read on first use)."""
        out = []
        for code, body in self._rows("SELECT code, body FROM outcodes ORDER BY code"):
            o = orjson.loads(body)
            if o.get("eastings") is not None and o.get("northings") is not None:
                out.append((code, float(o["eastings"]), float(o["northings"])))
        return out

    def _outcodes_near(self, e: float, n: float, radius: float, limit: int) -> bytes:
        hits = sorted(
            (d, code)
            for code, x, y in self._outcode_points
            if (d := math.hypot(x - e, y - n)) <= radius
        )[: max(int(limit), 0)]
        parts = [
            b'{"distance":' + orjson.dumps(round(d, 1)) + b"," + self.outcode_json(code)[1:]
            for d, code in hits
        ]
        return b"[" + b",".join(parts) + b"]"

    def nearest_outcodes_json(
        self, text: str, radius: float = OUTCODE_RADIUS_M, limit: int = 10
    ) -> bytes:
        """postcodes.io's ``/outcodes/{outcode}/nearest``: outcodes of the region whose mean
        position is within ``radius`` metres of this one's (itself first, at 0 m), each as
        the outcode answer with its ``distance`` (``PostcodeNotFound`` for an outcode
        without live postcodes here)."""
        o = orjson.loads(self.outcode_json(text))
        if o.get("eastings") is None or o.get("northings") is None:
            raise PostcodeNotFound(f"{o['outcode']} has no position: it has no nearest outcodes")
        return self._outcodes_near(float(o["eastings"]), float(o["northings"]), radius, limit)

    def outcodes_at_json(
        self, longitude: float, latitude: float, radius: float = OUTCODE_RADIUS_M, limit: int = 10
    ) -> bytes:
        """postcodes.io's outcode reverse geocoding: outcodes within ``radius`` metres of
        a point, nearest first, each with its ``distance``."""
        e, n = to_grid(longitude, latitude)
        if not (math.isfinite(e) and math.isfinite(n)):
            return b"[]"
        return self._outcodes_near(e, n, radius, limit)


def _outcode(text: str) -> str:
    """An outward code in capitals (``InvalidPostcode`` saying why when it is not one)."""
    oc = re.sub(r"\s+", "", str(text)).upper()
    if not _OUTCODE.match(oc):
        raise InvalidPostcode(f"{str(text)[:12]!r} is not an outward code (e.g. 'B1' or 'CV10')")
    return oc
