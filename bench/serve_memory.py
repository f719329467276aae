"""The memory of ``sna serve`` as users run it: RSS and PSS after a warm-up, and which of
the data stack's libraries the process has loaded.

Target (issue 24): ``sna serve --region west-midlands`` under 150 MB RSS after 1,000
distinct postcodes and 200 vector tiles, with no pandas, scipy, rasterio or pyarrow in the
process until a PNG (raster) tile is asked for. Issue 25: PSS recorded beside RSS (RSS
counts each mapping of a shared page in full; PSS shares it out), so a memory monitor's
figure can be checked.

How: ``python -m cli serve`` (the ``sna`` command) started here, pinned to core 0, with
requests one at a time from this process: every postcode once, then 200 tiles around them
(three LSOA tiles for each outline tile, zooms 11 to 14). The libraries are read from
``/proc/<pid>/maps`` (a library's compiled modules are mapped once it is imported), and
again after one PNG tile of a surface, which must load rasterio. ``bench_serving`` runs this
as one section of its results; alone it writes ``bench/results/serve-memory.json``.

Usage::

    .venv/bin/python -m bench.serve_memory [--region west-midlands] [--data-dir data/_test]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import time
from pathlib import Path

import httpx

from bench.bench_api import ROOT, free_port, machine, start_server, stop

RESULTS = ROOT / "bench" / "results" / "serve-memory.json"
TARGET_MB = 150.0
#: The libraries a lookup and vector-tile server must not load (issue 24).
HEAVY = ("pandas", "scipy", "rasterio", "pyarrow")


def memory_kb(pid: int) -> dict[str, int]:
    """``VmRSS``, ``RssAnon``, ``RssFile``, ``VmHWM`` (``/proc/<pid>/status``) and ``Pss``
    (``/proc/<pid>/smaps_rollup``) of a process, in kB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0])
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "Pss":
            out["Pss"] = int(value.split()[0])
    return out


def loaded(pid: int, names: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``names`` have compiled modules mapped in the process."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [n for n in names if f"/site-packages/{n}/" in maps]


def _mb(kb: int) -> float:
    return round(kb / 1024, 1)


def _figures(pid: int) -> dict[str, float]:
    m = memory_kb(pid)
    return {
        "rss_mb": _mb(m["VmRSS"]),
        "pss_mb": _mb(m["Pss"]),
        "anon_mb": _mb(m["RssAnon"]),
        "file_mb": _mb(m["RssFile"]),
        "hwm_mb": _mb(m["VmHWM"]),
    }


def warm_up_paths(answers: Path, n_postcodes: int) -> tuple[list[str], dict]:
    """``n_postcodes`` distinct live postcodes of a build (seeded), and a surface layer
    with a tile inside its bounds (None when the build has no surface)."""
    con = sqlite3.connect(f"{answers.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        codes = [c for (c,) in con.execute("SELECT code FROM postcodes WHERE live = 1")]
        (surfaces,) = con.execute("SELECT value FROM meta WHERE key = 'surfaces'").fetchone()
    finally:
        con.close()
    sample = random.Random(20261201).sample(codes, min(n_postcodes, len(codes)))
    surface = None
    for lid, s in json.loads(surfaces).items():
        w, s_, e, n = s["bounds"]
        surface = {"layer": lid, "lon": (w + e) / 2, "lat": (s_ + n) / 2}
        break
    return ["/api/v1/postcodes/" + pc.replace(" ", "%20") for pc in sample], surface


def serve_memory(region: str, data_dir: Path, n_postcodes: int = 1000, n_tiles: int = 200) -> dict:
    """Start ``sna serve``, warm it up, and measure (see the module's docstring)."""
    import morecantile

    from sna.builds.registry import current_target

    build = current_target(region, data_dir)
    if build is None:
        raise SystemExit(f"no published build of {region!r} under {data_dir}")
    paths, surface = warm_up_paths(build / "answers.sqlite", n_postcodes)
    port = free_port()
    cmd = [sys.executable, "-m", "cli", "serve", "--region", region, "--port", str(port),
           "--data-dir", str(data_dir)]  # fmt: skip
    t0 = time.perf_counter()
    proc = start_server(region, data_dir, port, cmd=cmd)
    out: dict = {"command": f"sna serve --region {region}"}
    out["startup_s"] = round(time.perf_counter() - t0, 2)
    try:
        out["ready"] = {**_figures(proc.pid), "loaded": loaded(proc.pid)}
        tms = morecantile.tms.get("WebMercatorQuad")
        points: list[tuple[float, float]] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            for path in paths:
                r = c.get(path)
                r.raise_for_status()
                got = r.json()["result"]
                if got.get("longitude") is not None:
                    points.append((got["longitude"], got["latitude"]))
            out["after_postcodes"] = _figures(proc.pid)
            status: dict[int, int] = {}
            for i, (lon, lat) in enumerate(points[:n_tiles]):
                kind = "outlines" if i % 4 == 0 else "areas"
                t = tms.tile(lon, lat, 11 + i % 4)
                s = c.get(f"/tiles/{kind}/{t.z}/{t.x}/{t.y}.pbf").status_code
                status[s] = status.get(s, 0) + 1
            out.update(postcodes=len(paths), tiles=sum(status.values()), tile_status=status)
            warm = _figures(proc.pid)
            out["after_warmup"] = {**warm, "loaded": loaded(proc.pid)}
            if surface is not None:
                t = tms.tile(surface["lon"], surface["lat"], 10)
                png = c.get(f"/tiles/{surface['layer']}/{t.z}/{t.x}/{t.y}.png")
                out["after_png_tile"] = {
                    "status": png.status_code,
                    **_figures(proc.pid),
                    "loaded": loaded(proc.pid),
                }
    finally:
        stop(proc)
    rss = out["after_warmup"]["rss_mb"]
    early = sorted(set(out["ready"]["loaded"]) | set(out["after_warmup"]["loaded"]))
    out["rss_after_warmup_mb"] = {"value": rss, "target": TARGET_MB, "unit": "MB",
                                  "ok": rss < TARGET_MB}  # fmt: skip
    out["data_stack_before_png"] = {"value": len(early), "target": 0, "unit": "libraries",
                                    "ok": not early}  # fmt: skip
    out["targets"] = {
        f"rss_after_warmup_mb < {TARGET_MB:.0f}": rss < TARGET_MB,
        "no pandas, scipy, rasterio or pyarrow before a PNG tile": not early,
    }
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--region", default="west-midlands")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data" / "_test")
    p.add_argument("--postcodes", type=int, default=1000)
    p.add_argument("--tiles", type=int, default=200)
    args = p.parse_args(argv)
    results = {
        "benchmark": "serve-memory",
        "machine": machine(),
        "region": args.region,
        "load_average_before": round(os.getloadavg()[0], 2),
        **serve_memory(args.region, args.data_dir, args.postcodes, args.tiles),
        "load_average_after": round(os.getloadavg()[0], 2),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = (
        RESULTS
        if args.region == "west-midlands"
        else RESULTS.with_name(f"serve-memory-{args.region}.json")
    )
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2))
    return results


if __name__ == "__main__":
    main()
