"""The priority list of a build: areas of one level, filtered by district, sorted, paged,
as JSON, CSV or GeoJSON; sorting and filtering run in SQL over ``area_list``."""

from __future__ import annotations

import csv
import io
import sqlite3
from typing import Any

import orjson

from sna.answers.schema import AREA_LEVELS, SORT_COLUMNS
from sna.errors import AreaNotFound, InvalidParameter

__all__ = ["AreaLists", "SORTS"]

SORTS: tuple[str, ...] = SORT_COLUMNS


class AreaLists:
    """The area-list part of :class:`~sna.answers.reader.BuildReader` (needs its ``_db``,
    ``_one``, ``build_id``, ``region_name``, ``synthetic`` and district names)."""

    build_id: str
    region_name: str
    synthetic: set[str]
    _district_names: dict[str, str]
    _district_codes: set[str]
    _list_sorts: dict[str, dict[str, Any]]

    def _db(self) -> sqlite3.Connection:  # pragma: no cover - BuildReader's
        raise NotImplementedError

    def _one(self, sql: str, args: tuple) -> Any:  # pragma: no cover - BuildReader's
        raise NotImplementedError

    def district_code(self, district: str | None) -> str | None:
        """The code of a district given by code or name (any case); None for all."""
        if district is None or not str(district).strip():
            return None
        text = str(district).strip()
        if text.upper() in self._district_codes:
            return text.upper()
        code = self._district_names.get(text.lower())
        if code is None:
            raise AreaNotFound(
                f"{district!r} is not a district of {self.region_name}; districts: "
                f"{sorted(self._district_names)}"
            )
        return code

    def _list_query(
        self, level: str, district: str | None, sort: str, order: str
    ) -> tuple[str, tuple]:
        if level not in AREA_LEVELS:
            raise InvalidParameter(f"level must be one of {list(AREA_LEVELS)}, got {level!r}")
        if sort not in SORTS:
            raise InvalidParameter(f"sort must be one of {list(SORTS)}, got {sort!r}")
        if order not in ("asc", "desc"):
            raise InvalidParameter(f"order must be 'asc' or 'desc', got {order!r}")
        where, args = "level = ?", [level]
        code = self.district_code(district)
        if code is not None:
            where += " AND district_code = ?"
            args.append(code)
        return where, tuple(args)

    def area_rows(
        self,
        *,
        level: str = "lsoa",
        district: str | None = None,
        sort: str = "violence_risk",
        order: str = "desc",
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[bytes]:
        """Priority places: the list rows (JSON bytes) of ``level`` in ``district``, sorted.

        ``sort`` is ``violence_risk``, an index (``need``, ``risk``, ``protective``) or
        ``name``; ``order`` ``desc`` puts the highest values first (the priority order);
        missing values last, ties by code. Bad values raise :class:`InvalidParameter`.
        """
        where, args = self._list_query(level, district, sort, order)
        direction = "ASC" if order == "asc" else "DESC"
        sql = (
            f"SELECT row FROM area_list WHERE {where} "
            f"ORDER BY {sort} {direction} NULLS LAST, code ASC LIMIT ? OFFSET ?"
        )
        lim = -1 if limit is None else int(limit)
        return [r for (r,) in self._rows(sql, (*args, lim, int(offset)))]

    def area_count(self, *, level: str = "lsoa", district: str | None = None) -> int:
        """How many areas of ``level`` (in ``district``) the list holds."""
        where, args = self._list_query(level, district, "name", "asc")
        return int(self._one(f"SELECT count(*) FROM area_list WHERE {where}", args))

    def area_table(self, **params: Any):
        """:meth:`area_rows` as a pandas DataFrame (for notebooks and tests)."""
        import pandas as pd

        rows = [orjson.loads(r) for r in self.area_rows(**params)]
        return pd.DataFrame(rows)

    def sorted_by(self, sort: str, order: str) -> dict[str, Any] | None:
        """What the list is sorted by, in words: the build's own (made with the answers,
        :func:`sna.answers.list_rows.list_sorts`) and which way; None for a build made
        before lists said so."""
        meaning = self._list_sorts.get(sort)
        if meaning is None:
            return None
        if sort == "name":
            way = "Z to A" if order == "desc" else "A to Z"
        else:
            way = "highest first" if order == "desc" else "lowest first"
        return {**meaning, "order": way}

    def areas_json(self, **params: Any) -> bytes:
        """The list answer: build, filter, sort (and what it means), total and the rows."""
        rows = self.area_rows(**params)
        sort, order = params.get("sort", "violence_risk"), params.get("order", "desc")
        head = {
            "build_id": self.build_id,
            "level": params.get("level", "lsoa"),
            "district": self.district_code(params.get("district")),
            "sort": sort,
            "order": order,
            "sorted_by": self.sorted_by(sort, order),
            "total": self.area_count(
                level=params.get("level", "lsoa"), district=params.get("district")
            ),
        }
        tail = orjson.dumps({"synthetic_layers": sorted(self.synthetic)})
        return orjson.dumps(head)[:-1] + b',"items":[' + b",".join(rows) + b"]," + tail[1:]

    def areas_csv(self, **params: Any) -> bytes:
        """The list rows as CSV (UTF-8, a header line)."""
        rows = [orjson.loads(r) for r in self.area_rows(**params)]
        first = rows[0] if rows else self._first_row(params.get("level", "lsoa"))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(first), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue().encode("utf-8")

    def _first_row(self, level: str) -> dict[str, Any]:
        got = self._one("SELECT row FROM area_list WHERE level = ? LIMIT 1", (level,))
        return orjson.loads(got) if got else {}

    def areas_geojson(self, **params: Any) -> bytes:
        """The list rows as a GeoJSON FeatureCollection (EPSG:4326), rows as properties."""
        level = params.get("level", "lsoa")
        rows = self.area_rows(**params)
        codes = [orjson.loads(r)["code"] for r in rows]
        geoms = (
            dict(
                self._rows(
                    f"SELECT code, geojson FROM geometry WHERE level = ? AND code IN "
                    f"({','.join('?' * len(codes))})",
                    (level, *codes),
                )
            )
            if codes
            else {}
        )
        feats = [
            b'{"type":"Feature","id":'
            + orjson.dumps(code)
            + b',"geometry":'
            + geoms.get(code, b"null")
            + b',"properties":'
            + row
            + b"}"
            for code, row in zip(codes, rows, strict=True)
        ]
        return b'{"type":"FeatureCollection","features":[' + b",".join(feats) + b"]}"
