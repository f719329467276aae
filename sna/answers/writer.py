"""Write a build's public answers into ``answers.sqlite``, the file the server reads.

Called by ``sna build`` on the staging folder, so the atomic switch-over publishes the
answers with the tables they come from. Every body is stored as the exact JSON bytes the API
sends (a postcode as its own part plus its LSOA's shared part; see
:mod:`sna.answers.postcodes`). Layout: docs/build-format.md.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from dataclasses import fields
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import shapely

from sna.answers._json import wrap
from sna.answers.areas import area_answers
from sna.answers.catalogue import layers, tile_properties
from sna.answers.context import BuildContext, load_context
from sna.answers.list_rows import list_hidden, list_records, list_sorts
from sna.answers.national import national_index
from sna.answers.outlines import PLACE_LABEL_ZOOM, outline_sources, place_labels
from sna.answers.postcodes import postcode_answers
from sna.answers.schema import ANSWERS_FILE, AREA_LEVELS, FORMAT_VERSION, SCHEMA, SORT_COLUMNS
from sna.answers.shapes import geometry_json
from sna.answers.support import services_geojson
from sna.answers.trend_words import trend_words
from sna.disclosure.rule import DISCLOSURE_THRESHOLD
from sna.needs.trends import TrendReader
from sna.tiles.render import LABEL_ZOOMS, SurfaceStyle, outline_tiles

__all__ = ["write_answers", "geocode_wheel"]


def geocode_wheel(manifest: dict[str, Any]) -> Path | None:
    """The geocode wheel the build's store was prepared from, if recorded and present."""
    for s in manifest.get("store", {}).get("inputs", {}).get("postcodes", []):
        for f in s.get("files", []):
            if str(f).endswith(".whl") and Path(f).exists():
                return Path(f)
    return None


def _surface_meta(ctx: BuildContext, style: SurfaceStyle) -> dict[str, Any]:
    """A surface's drawing style, and its EPSG:3857 tiled copy written to
    ``tiles/<layer>.tif`` (what the PNG tiles are cut from; read through the page cache)."""
    out = ctx.path / "tiles" / f"{style.layer}.tif"
    out.parent.mkdir(exist_ok=True)
    if style._memfile is not None:
        out.write_bytes(bytes(style._memfile.getbuffer()))
    keep = {f.name: getattr(style, f.name) for f in fields(style) if not f.name.startswith("_")}
    return {
        **keep,
        "path": str(Path(style.path).relative_to(ctx.path)),
        "dataset": str(out.relative_to(ctx.path)),
    }


def _meta(ctx: BuildContext, national: Path | None) -> dict[str, bytes]:
    bounds = tuple(
        float(v)
        for v in gpd.GeoSeries(ctx.lsoa_raw.geometry, crs=ctx.lsoa_raw.crs)
        .to_crs("EPSG:4326")
        .total_bounds
    )
    surfaces = {lid: _surface_meta(ctx, s) for lid, s in ctx.surfaces.items()}
    districts = {str(r["name"]).lower(): r["code"] for r in ctx.district_public.to_dict("records")}
    layers_body = {
        "build_id": ctx.build_id,
        "violence_model": ctx.manifest.get("violence_model"),
        "layers": layers(ctx),
    }
    values: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "build_id": ctx.build_id,
        "bounds": list(bounds),
        "surfaces": surfaces,
        "district_names": districts,
        "n_lsoa": len(ctx.lsoa_raw),
        "n_postcodes": len(ctx.postcodes_raw),
        "asset_radius_m": ctx.asset_radius_m,
        "max_assets": ctx.max_assets,
        "threshold": int(
            ctx.manifest.get("config", {})
            .get("scoring", {})
            .get("disclosure_threshold", DISCLOSURE_THRESHOLD)
        ),
        "national_postcodes": str(national) if national else None,
        # what each sort of the area list orders by, in words (the list's sorted_by)
        "list_sorts": list_sorts(ctx),
    }
    out = {k: orjson.dumps(v) for k, v in values.items()}
    out["layers"] = orjson.dumps(layers_body, option=orjson.OPT_NON_STR_KEYS)
    out["tail"] = ctx.tail
    # the VRU's service directory as the map's layer (GeoJSON; empty without a directory)
    out["services"] = services_geojson(ctx.store_table("assets"))
    # the Home Office success measures (sna.outcomes.answer), when the build made them
    outcomes = ctx.path / "outcomes.json"
    if outcomes.is_file():
        out["outcomes"] = orjson.dumps(orjson.loads(outcomes.read_bytes()))
    return out


def _write_outlines(con: sqlite3.Connection, ctx: BuildContext) -> bytes:
    """Store the district, ward and LSOA shapes the map's bearings are cut from (so the
    server needs nothing but the build), and return the name points as the labels answer."""
    sources = outline_sources(ctx.lsoa_raw, ctx.store_path)
    for level, (geoms, codes, names) in sources.items():
        wkb = shapely.to_wkb(np.asarray(geoms, dtype=object))
        con.executemany(
            "INSERT INTO outline_shapes VALUES (?, ?, ?, ?, ?)",
            (
                (level, pos, c, n, w)
                for pos, (w, c, n) in enumerate(zip(wkb, codes, names, strict=True))
            ),
        )
    tiles = outline_tiles(sources["district"], sources["ward"], sources["lsoa"])
    # the page's names: districts, wards, and close up places (MSOAs), not LSOA names
    levels = ("district", "ward")
    return orjson.dumps(
        {
            "build_id": ctx.build_id,
            "zooms": {**{k: LABEL_ZOOMS[k] for k in levels}, "place": PLACE_LABEL_ZOOM},
            **{k: tiles.layer(f"{k}_labels").points_wgs84() for k in levels},
            "place": place_labels(ctx.lsoa_raw, ctx.msoa_names),
        }
    )


def _trend_rows(ctx: BuildContext, areas) -> list[tuple[str, bytes]]:
    """One trend answer per area (:mod:`sna.needs.trends`), for ``/api/v1/areas/{code}/trend``."""
    reader = TrendReader.open(ctx.path)
    if reader is None:
        return []
    rows = []
    for code, (level, name, _body) in areas.bodies.items():
        trend = reader.answer(code)
        if trend is not None:
            words = trend_words(trend, ctx.region_name, ctx.violence_estimated)
            body = {"code": code, "name": name, "level": level, **trend, "in_words": words}
            rows.append((code, wrap(body, ctx.tail)))
    return rows


def write_answers(
    folder: Path,
    *,
    store_path: Path | None = None,
    asset_radius_m: float = 1000.0,
    max_assets: int = 10,
    national: bool = True,
) -> Path:
    """Compute every public answer of the build in ``folder`` and write ``answers.sqlite``.

    Parameters
    ----------
    folder
        A build folder (the staging one during ``sna build``).
    store_path
        The prepared store (assets, ward and district polygons); by default the manifest's.
    asset_radius_m, max_assets
        The "support nearby" search: radius in metres and how many nearest assets to list.
    national
        Also make sure the national postcode index exists (built once per geocode wheel
        under ``<data_dir>/_shared``), so a 404 can say "outside the region".
    """
    folder = Path(folder)
    ctx = load_context(
        folder, store_path=store_path, asset_radius_m=asset_radius_m, max_assets=max_assets
    )
    nat = None
    if national:
        nat = national_index(geocode_wheel(ctx.manifest), folder.resolve().parents[2] / "_shared")
    areas = area_answers(ctx)
    pcs = postcode_answers(ctx, areas)
    path = folder / ANSWERS_FILE
    tmp = folder / f".{ANSWERS_FILE}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        # 8 kB pages: a postcode row (about 1.5 kB) rarely spills to an overflow page;
        # no journal: the file is new, and published only once it is complete
        con.execute("PRAGMA page_size = 8192")
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.executescript(SCHEMA)
        con.executemany("INSERT INTO meta VALUES (?, ?)", _meta(ctx, nat).items())
        con.executemany("INSERT INTO fragments VALUES (?, ?)", enumerate(pcs.fragments))
        con.executemany("INSERT INTO asset_entries VALUES (?, ?)", enumerate(pcs.asset_entries))
        # the rows come a chunk at a time (sna.answers.postcodes.CHUNK): stored as they come
        rows = iter(pcs.rows)
        i = 0
        while batch := list(itertools.islice(rows, 50_000)):
            con.executemany(
                "INSERT INTO postcodes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (i + k, code, compact, int(status != "terminated"), frag, head, near or None)
                    for k, (code, compact, status, frag, head, near, *_) in enumerate(batch)
                ),
            )
            con.executemany(
                "INSERT INTO postcode_points VALUES (?, ?, ?, ?, ?)",
                ((i + k, e, e, n, n) for k, (*_, e, n, _) in enumerate(batch) if e is not None),
            )
            con.executemany(
                "INSERT INTO terminated VALUES (?, ?)",
                ((row[0], row[-1]) for row in batch if row[-1] is not None),
            )
            i += len(batch)
        con.executemany("INSERT INTO outcodes VALUES (?, ?)", pcs.outcodes.items())
        con.executemany("INSERT INTO trends VALUES (?, ?)", _trend_rows(ctx, areas))
        con.executemany(
            "INSERT INTO areas VALUES (?, ?, ?, ?, ?)",
            (
                (code, level, name, body, orjson.dumps(areas.restricted.get(code, {})))
                for code, (level, name, body) in areas.bodies.items()
            ),
        )
        hidden = list_hidden(ctx)
        for level in AREA_LEVELS:
            con.executemany(
                "INSERT INTO area_list VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (level, pos, r["code"], r["district_code"], *(r[c] for c in SORT_COLUMNS), b)
                    for pos, (r, b) in enumerate(list_records(areas.rows[level], hidden))
                ),
            )
            con.executemany(
                "INSERT INTO geometry VALUES (?, ?, ?)",
                ((level, c, g) for c, g in geometry_json(ctx, level).items()),
            )
        wkb = shapely.to_wkb(ctx.lsoa_raw.geometry.to_numpy())
        con.executemany(
            "INSERT INTO tile_shapes VALUES (?, ?, ?)",
            (
                (i, w, orjson.dumps(p))
                for i, (w, p) in enumerate(zip(wkb, tile_properties(ctx), strict=True))
            ),
        )
        labels = _write_outlines(con, ctx)
        con.execute("INSERT INTO meta VALUES (?, ?)", ("labels", labels))
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)
    return path
