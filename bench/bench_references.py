"""Our API against reference servers under the same load: the ceiling of our stack.

Three servers, one at a time, each pinned to CPU 0 (``taskset -c 0``), loaded from CPU 1 by
``wrk`` (one thread, 16 keep-alive connections, at most 5 s and 200,000 requests per run, three
runs after a 2 s warm-up, the median run reported), loopback only:

* **ours**: ``python -m api`` serving a West Midlands build (``data/_bench/references``, built
  once if missing): ``GET /api/v1/postcodes/{postcode}`` over 2,000 live postcodes, and
  ``GET /tiles/faith_access/{z}/{x}/{y}.png`` over the zoom-13 tiles of the region, with the
  tile cache off (``SNA_API_TILE_CACHE_SIZE=0``) and on;
* **dictionary app**: a minimal FastAPI app, same uvicorn, answering the same 2,000 postcodes
  with the *same bytes* our API returned, from a Python dict: nothing left to do but route and
  send, so it is the ceiling for a FastAPI lookup endpoint;
* **TiTiler** (``titiler.core`` ``TilerFactory``), the same surface as PNG tiles of the same
  tile list, rescaled and coloured (``rescale``, ``colormap_name=viridis``), no tile cache,
  with the GDAL settings TiTiler's documentation recommends, twice:

  - **web-optimised COG** (the fair reference, ``titiler_tile``): the surface reprojected to
    EPSG:3857 on the Web Mercator tile grid and written as a COG with overviews
    (``cog_web_optimized``: what ``rio cogeo create --web-optimized`` makes, done with
    rasterio's GDAL COG driver), which is how a TiTiler user would serve it;
  - **raw build file** (``titiler_tile_raw_27700``): the build's EPSG:27700 GeoTIFF as it is,
    so TiTiler reprojects on every request. Kept for comparison, labelled as what it is.

Ratios are ours / reference: throughput below 1 and latency above 1 mean we are slower.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

from . import (
    PROJECT_ROOT,
    free_port,
    http_load,
    run_child,
    start_server,
    stop_server,
    write_result,
)

__all__ = ["NAME", "run"]

NAME = "references"
DATA_DIR = PROJECT_ROOT / "data" / "_bench" / "references"
REGION = "west-midlands"
LAYER = "faith_access"
ZOOM = 13
N_POSTCODES = 2000
REPEATS = 3

_DICT_APP = """
import json, os
from fastapi import FastAPI, Response

DATA = {k: v.encode() for k, v in json.load(open(os.environ["REF_DATA"])).items()}
app = FastAPI()


@app.get("/health")
async def health() -> dict:
    return {"ok": True}


@app.get("/postcodes/{postcode}")
async def lookup(postcode: str) -> Response:
    body = DATA.get(postcode.upper().replace(" ", ""))
    if body is None:
        return Response(status_code=404)
    return Response(body, media_type="application/json")
"""

_TITILER_APP = """
from fastapi import FastAPI
from titiler.core.errors import DEFAULT_STATUS_CODES, add_exception_handlers
from titiler.core.factory import TilerFactory

app = FastAPI()
app.include_router(TilerFactory().router, prefix="/cog")
add_exception_handlers(app, DEFAULT_STATUS_CODES)


@app.get("/health")
async def health() -> dict:
    return {"ok": True}
"""

#: GDAL settings TiTiler's documentation recommends for serving COGs.
_GDAL_ENV = {
    "GDAL_CACHEMAX": "200",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": "5000000",
}

_BUILD = """
from pathlib import Path
from sna.build.pipeline import build_region
build_region({region!r}, data_dir=Path({data_dir!r}))
"""


def _current_build() -> Path:
    link = DATA_DIR / REGION / "builds" / "current"
    if not (link / "manifest.json").exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        run_child(_BUILD.format(region=REGION, data_dir=str(DATA_DIR))).check("reference build")
    return link.resolve()


def _postcodes(build: Path) -> list[str]:
    import pandas as pd

    pcs = pd.read_parquet(build / "postcodes.parquet", columns=["postcode", "status"])
    live = sorted(pcs.loc[pcs["status"] == "live", "postcode"].astype(str))
    return random.Random(20261121).sample(live, min(N_POSTCODES, len(live)))


def _tiles(build: Path) -> list[tuple[int, int, int]]:
    import morecantile
    import rasterio
    from rasterio.warp import transform_bounds

    with rasterio.open(build / "surfaces" / f"{LAYER}.tif") as src:
        w, s, e, n = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
        stats = src.read(1, masked=True)
        vmax = float(stats.max())
    tms = morecantile.tms.get("WebMercatorQuad")
    tiles = [(t.z, t.x, t.y) for t in tms.tiles(w, s, e, n, [ZOOM])]
    _tiles.vmax = vmax  # type: ignore[attr-defined]
    return tiles


def cog_web_optimized(src_path: Path, dst_path: Path) -> Path:
    """The surface as a web-optimised COG: EPSG:3857 on the GoogleMapsCompatible grid."""
    import rasterio
    from rasterio.vrt import WarpedVRT
    from rasterio.warp import calculate_default_transform

    with rasterio.open(src_path) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds
        )
        with WarpedVRT(
            src, crs="EPSG:3857", transform=transform, width=width, height=height
        ) as vrt:
            profile = {
                "driver": "COG",
                "dtype": vrt.dtypes[0],
                "count": 1,
                "width": vrt.width,
                "height": vrt.height,
                "crs": vrt.crs,
                "transform": vrt.transform,
                "nodata": vrt.nodata,
                "TILING_SCHEME": "GoogleMapsCompatible",
                "COMPRESS": "DEFLATE",
                "OVERVIEWS": "AUTO",
            }
            with rasterio.open(dst_path, "w", **profile) as dst:
                dst.write(vrt.read(1), 1)
    return dst_path


def _settled(port: int, timeout: float = 90.0) -> None:
    """Wait until our server has read the national postcode list in its background thread.

    Until then that thread competes with the requests for the interpreter, which is a
    start-up cost, not the steady state the load runs measure. The signal is the 404 for a
    postcode outside the region, which names the region only once the list is in.
    """
    import time
    import urllib.error

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            _get(port, "/api/v1/postcodes/SW1A1AA")
        except urllib.error.HTTPError as err:
            if "outside" in err.read().decode("utf-8", "replace"):
                return
        time.sleep(0.5)


def _get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:  # noqa: S310
        return r.read()


def _load(port: int, paths: list[str]) -> dict[str, Any]:
    """Warm up, then three bounded runs; the median run (by throughput) is the result."""
    http_load(port, paths, seconds=2, max_requests=5_000, allow_empty=True)  # warm-up
    runs = [http_load(port, paths, seconds=5, max_requests=200_000) for _ in range(REPEATS)]
    runs.sort(key=lambda r: r["requests_per_s"])
    return {**runs[len(runs) // 2], "runs_requests_per_s": [r["requests_per_s"] for r in runs]}


def _ratio(ours: dict[str, Any], ref: dict[str, Any]) -> dict[str, float]:
    return {
        "throughput": round(ours["requests_per_s"] / ref["requests_per_s"], 3),
        "latency_p50": round(ours["latency_p50_ms"] / ref["latency_p50_ms"], 3),
        "latency_p99": round(ours["latency_p99_ms"] / ref["latency_p99_ms"], 3),
    }


def run() -> dict[str, Any]:
    """Run the reference comparisons; write ``bench/results/references.json``."""
    build = _current_build()
    postcodes = _postcodes(build)
    tiles = _tiles(build)
    tif = build / "surfaces" / f"{LAYER}.tif"
    results: dict[str, Any] = {"postcodes": len(postcodes), "tiles": len(tiles), "zoom": ZOOM}
    tmp = Path(tempfile.mkdtemp(prefix="refs-"))
    servers = []
    try:
        # --- ours: postcodes and uncached tiles --------------------------------------------
        api_args = ["-m", "api", "--region", REGION, "--data-dir", str(DATA_DIR)]
        port = free_port()
        ours = start_server(
            [*api_args, "--port", str(port)],
            port=port,
            ready_path="/health",
            env={"SNA_API_TILE_CACHE_SIZE": "0"},
        )
        servers.append(ours)
        _settled(port)
        pc_paths = [f"/api/v1/postcodes/{p.replace(' ', '')}" for p in postcodes]
        bodies = {
            p.replace(" ", ""): _get(port, path).decode()
            for p, path in zip(postcodes, pc_paths, strict=True)
        }
        tile_paths = [f"/tiles/{LAYER}/{z}/{x}/{y}.png" for z, x, y in tiles]
        _get(port, tile_paths[len(tile_paths) // 2])
        results["ours_postcode"] = _load(port, pc_paths)
        results["ours_tile_uncached"] = _load(port, tile_paths)
        stop_server(ours)
        servers.remove(ours)

        port = free_port()
        ours = start_server([*api_args, "--port", str(port)], port=port, ready_path="/health")
        servers.append(ours)
        _settled(port)
        for path in tile_paths:  # fill the tile cache: the run measures cache hits
            _get(port, path)
        results["ours_tile_cached"] = _load(port, tile_paths)
        stop_server(ours)
        servers.remove(ours)

        # --- the dictionary app --------------------------------------------------------------
        (tmp / "ref_dict.py").write_text(textwrap.dedent(_DICT_APP))
        (tmp / "ref_data.json").write_text(json.dumps(bodies))
        port = free_port()
        uv = ["-m", "uvicorn", "--app-dir", str(tmp), "--host", "127.0.0.1", "--port", str(port)]
        uv += ["--log-level", "warning", "--no-access-log"]
        ref = start_server(
            [*uv, "ref_dict:app"],
            port=port,
            ready_path="/health",
            env={"REF_DATA": str(tmp / "ref_data.json")},
        )
        servers.append(ref)
        ref_paths = [f"/postcodes/{p.replace(' ', '')}" for p in postcodes]
        assert _get(port, ref_paths[0]).decode() == bodies[postcodes[0].replace(" ", "")]
        results["dict_app_postcode"] = _load(port, ref_paths)
        stop_server(ref)
        servers.remove(ref)

        # --- TiTiler ----------------------------------------------------------------------
        (tmp / "ref_titiler.py").write_text(textwrap.dedent(_TITILER_APP))
        port = free_port()
        uv[uv.index("--port") + 1] = str(port)
        tit = start_server([*uv, "ref_titiler:app"], port=port, ready_path="/health", env=_GDAL_ENV)
        servers.append(tit)
        vmax = getattr(_tiles, "vmax", 1.0)
        cog = cog_web_optimized(tif, tmp / f"{LAYER}.3857.cog.tif")
        for key, path in (("titiler_tile", cog), ("titiler_tile_raw_27700", tif)):
            q = f"url={path}&rescale=0,{vmax:.4g}&colormap_name=viridis"
            tit_paths = [f"/cog/tiles/WebMercatorQuad/{z}/{x}/{y}.png?{q}" for z, x, y in tiles]
            _get(port, tit_paths[len(tit_paths) // 2])
            results[key] = _load(port, tit_paths)
        stop_server(tit)
        servers.remove(tit)
    finally:
        for s in servers:
            stop_server(s)
        shutil.rmtree(tmp, ignore_errors=True)

    results["ratio_postcode_ours_over_dict_app"] = _ratio(
        results["ours_postcode"], results["dict_app_postcode"]
    )
    results["ratio_tile_uncached_ours_over_titiler"] = _ratio(
        results["ours_tile_uncached"], results["titiler_tile"]
    )
    results["ratio_tile_cached_ours_over_titiler"] = _ratio(
        results["ours_tile_cached"], results["titiler_tile"]
    )
    results["ratio_tile_uncached_ours_over_titiler_raw_27700"] = _ratio(
        results["ours_tile_uncached"], results["titiler_tile_raw_27700"]
    )
    api_json = PROJECT_ROOT / "bench" / "results" / "api.json"
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "what": __doc__.strip().split("\n\n", 1)[1],
        "build": str(build),
        "layer": LAYER,
        "api_benchmark": str(api_json) if api_json.exists() else None,
        "results": results,
    }
    write_result(NAME, payload)
    return payload
