"""Read a published build: every public answer by key from its ``answers.sqlite``.

The server only reads, through a small fixed pool of connections per file
(:class:`~sna.answers.files.ConnectionPool`), read-only and immutable
(``file:...?mode=ro&immutable=1``) and without a memory map, so several worker processes
share the file's pages through the OS page cache, the process's memory is what it holds
(not one map per thread), and a request costs one indexed read; nothing per postcode is
held as Python objects. The answers were computed by ``sna build``
(:mod:`sna.answers.writer`).

Disclosure control: the public answers come only from the public tables; the analyst
answers (:meth:`BuildReader.analyst_area`, :meth:`BuildReader.analyst_postcode`) carry the
restricted columns and must only be served behind an access check.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from sna.answers.files import ConnectionPool, check_parquet_ends
from sna.answers.lists import SORTS, AreaLists
from sna.answers.nearest import NearestPostcodes
from sna.answers.query import clean_query, normalise
from sna.answers.schema import (
    ANSWERS_FILE,
    AREA_LEVELS,
    FORMAT_VERSION,
    NEAREST_MARK,
    nearest_items,
)
from sna.errors import (
    AreaNotFound,
    BuildLoadError,
    InvalidPostcode,
    LayerNotFound,
    PostcodeNotFound,
)

EMPTY_SERVICES = b'{"type":"FeatureCollection","features":[]}'  # a build without a directory

__all__ = ["BuildReader", "TileProperties", "AREA_LEVELS", "SORTS", "REQUIRED_FILES"]

REQUIRED_FILES: tuple[str, ...] = ("manifest.json", "lsoa.parquet", "postcodes.parquet")


class BuildReader(NearestPostcodes, AreaLists):
    """One published build, read by key; create with :func:`sna.builds.registry.open_build`.

    Attributes: ``path``, ``build_id``, ``region``, ``region_name``, ``manifest``, ``specs``,
    ``partner`` and ``synthetic`` (layer ids), ``surfaces``
    (:class:`~sna.tiles.render.SurfaceStyle` per surface layer), ``bounds`` (WGS84), ``n_lsoa``,
    ``n_postcodes``; ``area_tiles`` is made on first use.
    """

    def __init__(
        self,
        path: Path,
        *,
        national_postcodes: Iterable[str] | None = None,
        answers: bool = True,
    ) -> None:
        t0 = time.perf_counter()
        self.path = Path(path).resolve()
        for name in REQUIRED_FILES:
            if not (self.path / name).is_file():
                raise BuildLoadError(f"{self.path}: cannot read build (no {name})")
        try:
            for name in ("lsoa.parquet", "postcodes.parquet"):  # complete, not truncated
                check_parquet_ends(self.path / name)
            self.manifest: dict[str, Any] = json.loads((self.path / "manifest.json").read_text())
            self.build_id: str = str(self.manifest["build_id"])
        except (OSError, ValueError, KeyError) as exc:
            raise BuildLoadError(f"{self.path}: cannot read build ({exc})") from exc
        from sna.config.region import manifest_specs

        self.region: str = str(self.manifest.get("region", ""))
        self.region_name: str = str(self.manifest.get("region_name", self.region))
        self.layer_meta: list[dict[str, Any]] = list(self.manifest.get("layers", []))
        self.specs = manifest_specs(self.layer_meta)
        self.partner = [s.id for s in self.specs if s.partner]
        self.synthetic = set(self.manifest.get("synthetic_layers", []))
        self._tiles_lock = threading.Lock()
        # the pools' connections are closed when this reader goes: a sqlite3 connection
        # sits in a reference cycle (with its statement cache), so it would otherwise wait
        # for a full collection, and keep its page cache, after a swap
        self._pool = ConnectionPool(self.path / ANSWERS_FILE)
        weakref.finalize(self, self._pool.close)
        self._national_pool: ConnectionPool | None = None
        self.has_answers = (self.path / ANSWERS_FILE).is_file()
        if answers or self.has_answers:
            self._open_answers(national_postcodes)
        self.loaded_at = time.time()
        self.load_seconds = time.perf_counter() - t0

    def _open_answers(self, national_postcodes: Iterable[str] | None) -> None:
        """Read ``answers.sqlite``'s small tables (meta, the LSOA fragments)."""
        if not self.has_answers:
            raise BuildLoadError(
                f"{self.path}: cannot read build (no {ANSWERS_FILE}; rebuild it with this "
                "version: sna build)"
            )
        try:
            with self.reading() as con:
                meta = dict(con.execute("SELECT key, value FROM meta"))
                version = orjson.loads(meta.get("format_version", b"0"))
                if version != FORMAT_VERSION:
                    raise ValueError(
                        f"format version {version}, this version reads {FORMAT_VERSION}: "
                        "rebuild it with sna build"
                    )
                con.execute("SELECT 1 FROM fragments LIMIT 1").fetchall()  # it is there
                # each asset's entry once (a few MB for all of England), for support nearby
                self._asset_entries: list[bytes] = [
                    b for (b,) in con.execute("SELECT body FROM asset_entries ORDER BY id")
                ]
                con.execute("PRAGMA shrink_memory")  # the scan's pages: not kept
        except (ValueError, sqlite3.Error) as exc:
            raise BuildLoadError(f"{self.path / ANSWERS_FILE}: cannot read ({exc})") from exc
        self._tail: bytes = meta["tail"]
        self._layers_body: bytes = meta["layers"]
        self._services: bytes = meta.get("services") or EMPTY_SERVICES
        self.outcomes_json: bytes | None = meta.get("outcomes")  # sna.outcomes.answer
        self.labels_json: bytes = meta["labels"]
        raw = ("tail", "layers", "services", "labels", "outcomes")
        m = {k: orjson.loads(v) for k, v in meta.items() if k not in raw}
        self.bounds = tuple(m["bounds"])
        self.n_lsoa, self.n_postcodes = int(m["n_lsoa"]), int(m["n_postcodes"])
        self.threshold = int(m["threshold"])
        self.asset_radius_m, self.max_assets = float(m["asset_radius_m"]), int(m["max_assets"])
        self._district_names: dict[str, str] = m["district_names"]
        self._list_sorts: dict[str, dict[str, Any]] = m.get("list_sorts") or {}
        self._district_codes = set(self._district_names.values())
        from sna.tiles.specs import SurfaceStyle

        self.surfaces: dict[str, SurfaceStyle] = {}
        for lid, s in m["surfaces"].items():
            s = {**s, "path": self.path / s["path"], "dataset": str(self.path / s["dataset"])}
            s.update({k: tuple(s[k]) for k in ("breaks", "bounds") if k in s})
            s["legend"] = tuple(s.get("legend", ()))
            self.surfaces[lid] = SurfaceStyle(**s)
        self._national_keys: frozenset[str] | None = None
        self._national_path: Path | None = None
        if national_postcodes is not None:
            self._national_keys = frozenset(
                str(c).replace(" ", "").upper() for c in national_postcodes
            )
        elif m.get("national_postcodes") and Path(m["national_postcodes"]).exists():
            self._national_path = Path(m["national_postcodes"])

    def public(self, data_dir: Path | None = None):
        """The public tabular view the maps, report and priority lists draw from
        (:class:`sna.answers.public_build.PublicBuild`: manifest, specs, the public LSOA table)."""
        import geopandas as gpd

        from sna.answers.public_build import PublicBuild
        from sna.disclosure.public_tables import public_lsoa_table

        public = public_lsoa_table(self.lsoa_raw, self.specs)
        if not isinstance(public, gpd.GeoDataFrame):  # pragma: no cover - builds are GeoParquet
            raise BuildLoadError(f"{self.path / 'lsoa.parquet'}: no geometry")
        return PublicBuild(self.path, self.manifest, self.specs, public, data_dir)

    # ----------------------------------------------------------------- connections

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection to ``answers.sqlite`` from the build's pool, for one read: fetch
        the rows inside the block (the connection goes back to the pool after it)."""
        with self._pool.reading() as con:
            yield con

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Every row of one query."""
        pool = self._pool
        con = pool.take()
        try:
            return con.execute(sql, args).fetchall()
        finally:
            pool.give(con)

    def _row(self, sql: str, args: tuple = ()) -> tuple | None:
        """The first row of one query (None: no row)."""
        pool = self._pool
        con = pool.take()
        try:
            return con.execute(sql, args).fetchone()
        finally:
            pool.give(con)

    def _one(self, sql: str, args: tuple) -> Any:
        row = self._row(sql, args)
        return None if row is None else row[0]

    def _in_national(self, key: str) -> bool | None:
        """Whether a postcode (no spaces) is anywhere in the UK (None: not known)."""
        if self._national_keys is not None:
            return key in self._national_keys
        if self._national_path is None:
            return None
        pool = self._national_pool
        if pool is None:
            with self._tiles_lock:
                pool = self._national_pool
                if pool is None:
                    pool = self._national_pool = ConnectionPool(self._national_path, 2)
                    weakref.finalize(self, pool.close)
        with pool.reading() as con:
            sql = "SELECT 1 FROM postcodes WHERE compact = ?"
            return con.execute(sql, (key,)).fetchone() is not None

    def _not_found(self, code: str) -> PostcodeNotFound:
        """``PostcodeNotFound`` saying whether ``code`` is elsewhere in the UK."""
        known = self._in_national(code.replace(" ", ""))
        if known is None:
            return PostcodeNotFound(f"{code} is not a postcode of {self.region_name}")
        if known:
            the = "the " if " " in self.region_name else ""
            return PostcodeNotFound(f"{code} is outside {the}{self.region_name}")
        return PostcodeNotFound("Postcode not found")

    # ----------------------------------------------------------------- postcodes

    def postcode_json(self, text: str) -> bytes:
        """The public answer for one postcode, as JSON bytes.

        Raises :class:`InvalidPostcode` when ``text`` is not a well-formed postcode (the
        message says why), :class:`PostcodeNotFound` when it is not one of this region.
        """
        code = normalise(text)
        # the LSOA's part read with the postcode's, by key: no fragment is held in memory
        # (all of England: 33,755 of them, 135 MB per worker, twice while a build swaps in)
        row = self._row(
            "SELECT p.head, p.near, f.body FROM postcodes p "
            "JOIN fragments f ON f.id = p.frag WHERE p.code = ?",
            (code,),
        )
        if row is None:
            raise self._not_found(code)
        head = row[0]
        if row[1]:  # support nearby: the entries back where the head marks them
            head = head.replace(NEAREST_MARK, nearest_items(row[1], self._asset_entries), 1)
        return b"".join((b"{", head, b",", row[2], b",", self._tail, b"}"))

    def validate(self, text: str) -> bool:
        """Whether ``text`` is a live or terminated postcode of this region."""
        try:
            code = normalise(text)
        except InvalidPostcode:
            return False
        return self._one("SELECT 1 FROM postcodes WHERE code = ?", (code,)) is not None

    def terminated_json(self, text: str) -> bytes:
        """A terminated postcode in postcodes.io's shape (``PostcodeNotFound`` otherwise)."""
        got = self._one("SELECT body FROM terminated WHERE code = ?", (normalise(text),))
        if got is None:
            raise PostcodeNotFound("Terminated postcode not found")
        return got

    def outcode_json(self, text: str) -> bytes:
        """An outward code with live postcodes here (``PostcodeNotFound`` otherwise)."""
        code = re.sub(r"\s+", "", str(text)).upper()
        got = self._one("SELECT body FROM outcodes WHERE code = ?", (code,))
        if got is None:
            raise PostcodeNotFound("Outcode not found")
        return got

    def autocomplete(self, q: str, limit: int = 10) -> dict[str, Any]:
        """Live postcodes starting with ``q`` (spaces and case ignored), in sorted order.

        A space ends the outward code (``"b1 1"`` matches ``B1 1AA`` but not ``B11 1AA``);
        a ``q`` that cannot start a postcode matches nothing.
        """
        try:
            prefix = clean_query(q)
        except InvalidPostcode:
            return {"query": q, "result": []}
        col = "code" if " " in prefix else "compact"
        rows = self._rows(
            f"SELECT code FROM postcodes WHERE live = 1 AND {col} >= ? AND {col} < ? "
            f"ORDER BY {col} LIMIT ?",
            (prefix, prefix + "~", max(int(limit), 0)),
        )
        return {"query": q, "result": [c for (c,) in rows]}

    # ----------------------------------------------------------------- areas

    def area_json(self, code: str) -> bytes:
        """The public answer for an LSOA21, ward or district code (``AreaNotFound``)."""
        got = self._one("SELECT body FROM areas WHERE code = ?", (str(code).strip().upper(),))
        if got is None:
            raise AreaNotFound(
                f"{code!r} is not an LSOA21, ward or district code of {self.region_name}"
            )
        return got

    def services_geojson(self) -> bytes:
        """The VRU's directory services as GeoJSON (the map's services layer)."""
        return self._services

    def trend_json(self, code: str) -> bytes:
        """Monthly recorded violence and IoD decile changes of an area (``AreaNotFound``)."""
        key = str(code).strip().upper()
        try:
            got = self._one("SELECT body FROM trends WHERE code = ?", (key,))
        except sqlite3.OperationalError:  # a build written before trends were published
            got = None
        if got is None:
            raise AreaNotFound(
                f"{code!r} is not an LSOA21, ward or district code of {self.region_name}"
                " with a trend"
            )
        return got

    # ----------------------------------------------------------------- catalogue

    def layers_json(self) -> bytes:
        """Every layer (titles, sources, licences, vintages, flags, styling) as JSON bytes:
        ``{"build_id", "violence_model", "layers"}``."""
        return self._layers_body

    def layers(self) -> list[dict[str, Any]]:
        """The layers of :meth:`layers_json` as dicts."""
        return orjson.loads(self._layers_body)["layers"]

    def surface(self, layer: str):
        """The drawing style of a surface layer (``LayerNotFound`` when it has none)."""
        style = self.surfaces.get(layer)
        if style is None:
            raise LayerNotFound(f"no surface {layer!r}; surfaces: {sorted(self.surfaces)}")
        return style

    @property
    def area_tiles(self):
        """Vector tiles of the LSOAs (:class:`~sna.tiles.render.AreaTiles`), made on first use."""
        got = self.__dict__.get("_area_tiles")
        if got is not None:
            return got
        with self._tiles_lock:
            if "_area_tiles" not in self.__dict__:
                import numpy as np
                import shapely

                from sna.tiles.vector import AreaTiles  # not sna.tiles.render: no raster stack

                rows = self._rows("SELECT wkb FROM tile_shapes ORDER BY pos")
                geoms = shapely.from_wkb(np.array([w for (w,) in rows], dtype=object))
                # the attributes stay on disk, read for the polygons of each tile drawn
                # (as dicts, all England's held 80 MB)
                self.__dict__["_area_tiles"] = AreaTiles(
                    geoms, TileProperties(self), layer_name="lsoa"
                )
        return self.__dict__["_area_tiles"]

    def info(self) -> dict[str, Any]:
        """Provenance of this build: ids, dates, code version, sources, checks, timings."""
        m = self.manifest
        inputs = m.get("store", {}).get("inputs", {})
        sources = {
            table: [
                {k: s.get(k) for k in ("source", "vintage", "licence", "attribution")}
                for s in items
            ]
            for table, items in inputs.items()
        }
        from sna.config.region import ATTRIBUTION

        return {
            "build_id": self.build_id,
            "region": self.region,
            "region_name": self.region_name,
            "created": m.get("created"),
            "code_version": m.get("code_version"),
            "git": m.get("git"),
            "python": m.get("python"),
            "config_fingerprint": m.get("config_fingerprint"),
            "scoring": m.get("config", {}).get("scoring"),
            "n_lsoa": self.n_lsoa,
            "n_postcodes": self.n_postcodes,
            "synthetic": bool(self.synthetic),
            "synthetic_layers": sorted(self.synthetic),
            "surfaces": sorted(self.surfaces),
            "bounds": list(self.bounds),
            "checks": m.get("checks", {}),
            "timings": m.get("timings", {}),
            "sources": sources,
            "attribution": list(ATTRIBUTION),
            "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.loaded_at)),
            "load_seconds": round(self.load_seconds, 2),
        }

    # ----------------------------------------------------------------- analyst answers

    def analyst_area(self, code: str) -> dict[str, Any]:
        """An area with its restricted columns (partner counts, rates, values) included.

        For wards and districts, counts are sums and rates population-weighted means.
        Only for authenticated analysts: nothing here is disclosure-controlled.
        """
        key = str(code).strip().upper()
        row = self._row("SELECT level, name, body, restricted FROM areas WHERE code = ?", (key,))
        if row is None:
            raise AreaNotFound(f"{code!r} is not an LSOA21, ward or district code")
        level, name, body, restricted = row
        return {
            "code": key,
            "level": level,
            "name": name,
            "restricted": True,
            "disclosure_threshold": self.threshold,
            "layers": orjson.loads(restricted),
            "public": orjson.loads(body),
        }

    def analyst_postcode(self, text: str) -> dict[str, Any]:
        """A postcode with its raw local surface values (partner ones included)."""
        import pandas as pd

        from sna.answers._json import is_na

        public = orjson.loads(self.postcode_json(text))
        code = public["postcode"]
        frame = pd.read_parquet(self.path / "postcodes.parquet", filters=[("postcode", "==", code)])
        row = frame.drop(columns="geometry", errors="ignore").iloc[0].to_dict()
        raw = {
            k: (None if is_na(v) else (v.item() if hasattr(v, "item") else v))
            for k, v in row.items()
        }
        return {"postcode": code, "restricted": True, "raw": raw, "public": public}

    # ----------------------------------------------------------------- tables (analysts)

    @property
    def store_path(self) -> Path | None:
        """The prepared store the build was made from (ward and district shapes), if present."""
        given = (self.manifest.get("store") or {}).get("path")
        path = Path(given) if given else None
        return path if path is not None and path.exists() else None

    def outline_sources(self) -> dict[str, tuple[list, list[str], list[str]]]:
        """``(geometries, codes, names)`` per level (district, ward, lsoa) in EPSG:27700, as
        :func:`sna.answers.outlines.outline_sources` made them at build time."""
        import shapely

        out: dict[str, tuple[list, list[str], list[str]]] = {}
        for level in ("district", "ward", "lsoa"):
            rows = self._rows(
                "SELECT code, name, wkb FROM outline_shapes WHERE level = ? ORDER BY pos",
                (level,),
            )
            geoms = list(shapely.from_wkb([r[2] for r in rows])) if rows else []
            out[level] = (geoms, [r[0] for r in rows], [r[1] for r in rows])
        return out

    @cached_property
    def lsoa_raw(self):
        """``lsoa.parquet`` with every column, restricted ones included (read on first use)."""
        from sna.prepare.store import read_table

        return read_table(self.path / "lsoa.parquet").reset_index(drop=True)

    @cached_property
    def postcodes_raw(self):
        """``postcodes.parquet`` without geometry, every column (read on first use)."""
        import pandas as pd

        frame = pd.read_parquet(self.path / "postcodes.parquet")
        return frame.drop(columns="geometry", errors="ignore")


class TileProperties(Sequence):
    """The tile attributes of a build's LSOAs by position, each read from ``answers.sqlite``
    when a tile needs it."""

    def __init__(self, build: BuildReader) -> None:
        self._build = weakref.proxy(build)  # the build holds its tiles, which hold this
        self._n = build.n_lsoa

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, pos: int) -> dict[str, Any]:  # type: ignore[override]
        got = self._build._one("SELECT props FROM tile_shapes WHERE pos = ?", (int(pos),))
        if got is None:
            raise IndexError(pos)
        return orjson.loads(got)
